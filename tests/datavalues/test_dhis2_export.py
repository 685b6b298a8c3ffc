"""The dataValueSets export as a sync reads it: formats, compression, limit, deletions, timestamps.

Sources: dhis2-core 2.40.9 `DataValueSetController` (format by suffix, `format=` or Accept; `compression` gzip/zip
with an attachment name; `attachment`), `SpringDataValueSetStore.getDataValueSql` (`lastupdated >=`, `limit`,
soft-deleted rows only with includeDeleted), `DateUtils.getLongGmtDateString` (yyyy-MM-dd'T'HH:mm:ss.SSSZ), and
the Web API documentation ("Data values / Reading data values": includeDeleted, limit, compression).
"""

import gzip
import io
import json
import re
import zipfile

import pytest

from govkpi.accounts.tokens import create_token
from govkpi.datavalues import adx, dhis2, dxf2
from govkpi.datavalues.writer import Item, write_values
from govkpi.indicators.models import Theme
from tests.conftest import json_body

pytestmark = pytest.mark.django_db
QUERY = "dataElement=DVC_TONG,DVC_TOANTRINH&orgUnit=CP&children=true&period={month}"


@pytest.fixture
def reader(make_user):
    return {"HTTP_AUTHORIZATION": f"ApiToken {create_token(make_user('viewer', 'CP'))[1]}"}


@pytest.fixture
def stored(elements, month):
    """Four values of two provinces; then Hà Nội's total deleted."""
    items = [Item(0, "DVC_TONG", month, "01", 2000), Item(1, "DVC_TOANTRINH", month, "01", 1000),
             Item(2, "DVC_TONG", month, "79", 3000), Item(3, "DVC_TOANTRINH", month, "79", 1500)]
    assert write_values(items, actor=None, channel="api").status == "SUCCESS"
    deletion = write_values([Item(0, "DVC_TONG", month, "01", None, deleted=True)], actor=None, channel="api")
    assert deletion.deleted == 1


def raw(response) -> bytes:
    return b"".join(response.streaming_content)


def keys(rows):
    return sorted((r["dataElement"], r["orgUnit"], r["value"], bool(r.get("deleted"))) for r in rows)


def test_deletions_are_exported_only_when_asked_and_only_to_readers(client, stored, month, reader):
    # Web API docs: includeDeleted=true includes soft-deleted values; SpringDataValueSetStore adds
    # "and dv.deleted is false" otherwise.
    query = QUERY.format(month=month)
    live = json_body(client.get(f"/api/dataValueSets?{query}", **reader))["dataValues"]
    assert keys(live) == [("DVC_TOANTRINH", "01", "1000", False), ("DVC_TOANTRINH", "79", "1500", False),
                          ("DVC_TONG", "79", "3000", False)]
    every = json_body(client.get(f"/api/dataValueSets?{query}&includeDeleted=true", **reader))["dataValues"]
    assert ("DVC_TONG", "01", "2000", True) in keys(every) and len(every) == 4
    tombstone = next(r for r in every if r.get("deleted"))
    assert tombstone["lastUpdated"] >= max(r["lastUpdated"] for r in every if not r.get("deleted"))
    # The public is never told of a deletion (nothing here is approved, so it sees nothing at all).
    assert json_body(client.get(f"/api/dataValueSets?{query}&includeDeleted=true"))["dataValues"] == []


def test_a_key_written_again_after_its_deletion_is_live_not_a_tombstone(client, stored, month, reader):
    write_values([Item(0, "DVC_TONG", month, "01", 2100)], actor=None, channel="api")
    rows = json_body(client.get(f"/api/dataValueSets?{QUERY.format(month=month)}&includeDeleted=true",
                                **reader))["dataValues"]
    assert ("DVC_TONG", "01", "2100", False) in keys(rows) and not any(r.get("deleted") for r in rows)


def test_deletions_since_a_time_follow_last_updated(client, stored, month, reader):
    rows = json_body(client.get(f"/api/dataValueSets?{QUERY.format(month=month)}&includeDeleted=true",
                                **reader))["dataValues"]
    deleted_at = next(r for r in rows if r.get("deleted"))["lastUpdated"]
    # The time exactly as exported, its "+" unencoded in the query (read as a space) as a hand-made URL has it.
    after = json_body(client.get(f"/api/dataValueSets?{QUERY.format(month=month)}&includeDeleted=true"
                                 f"&lastUpdated={deleted_at}", **reader))["dataValues"]
    assert [r["orgUnit"] for r in after if r.get("deleted")] == ["01"]
    csv_text = raw(client.get(f"/api/dataValueSets.csv?{QUERY.format(month=month)}&includeDeleted=true",
                              **reader)).decode()
    assert f"DVC_TONG,{month},01,default,default,2000," in csv_text and csv_text.count(",true\n") == 1


def test_timestamps_are_written_as_dhis2_writes_them(client, stored, month, reader):
    # DateUtils.getLongGmtDateString: yyyy-MM-dd'T'HH:mm:ss.SSSZ in UTC.
    rows = json_body(client.get(f"/api/dataValueSets?{QUERY.format(month=month)}", **reader))["dataValues"]
    for row in rows:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", row["lastUpdated"]), row
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", row["created"]), row


def test_limit_caps_the_rows_and_a_bad_limit_is_refused(client, stored, month, reader):
    # SpringDataValueSetStore: "limit " + params.getLimit().
    rows = json_body(client.get(f"/api/dataValueSets?{QUERY.format(month=month)}&limit=2", **reader))
    assert len(rows["dataValues"]) == 2
    refused = client.get(f"/api/dataValueSets?{QUERY.format(month=month)}&limit=-3", **reader)
    assert refused.status_code == 400 and refused.json()["code"] == "bad_limit"


@pytest.mark.parametrize("compression", ["gzip", "zip"])
def test_compressed_exports_hold_the_same_rows(client, stored, month, reader, compression):
    # DataValueSetController.compress: gzip or one zip entry, "attachment; filename=<name>.<format>.<gz|zip>".
    path = f"/api/dataValueSets.json?{QUERY.format(month=month)}"
    plain = json_body(client.get(path, **reader))
    response = client.get(f"{path}&compression={compression}&attachment=hanoi.json", **reader)
    body = raw(response)
    if compression == "gzip":
        assert response["Content-Disposition"] == "attachment; filename=hanoi.json.gz"
        unpacked = gzip.decompress(body)
    else:
        assert response["Content-Disposition"] == "attachment; filename=hanoi.json.zip"
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            assert archive.namelist() == ["hanoi.json"]
            unpacked = archive.read("hanoi.json")
    assert json.loads(unpacked) == plain and len(plain["dataValues"]) == 3


def test_the_format_follows_the_suffix_then_format_then_accept(client, stored, month, reader):
    query = QUERY.format(month=month)
    assert client.get(f"/api/dataValueSets.csv?{query}", **reader)["Content-Type"].startswith("application/csv")
    assert client.get(f"/api/dataValueSets?{query}&format=xml", **reader)["Content-Type"].startswith(
        "application/xml")
    adx_answer = client.get(f"/api/dataValueSets?{query}", HTTP_ACCEPT="application/adx+xml", **reader)
    assert adx_answer["Content-Type"].startswith("application/adx+xml")
    assert client.get(f"/api/v1/dataValueSets?{query}", **reader)["Content-Type"] == "application/json"


def test_xml_and_adx_exports_read_back_as_the_same_values(client, stored, elements, month, reader):
    theme = Theme.objects.create(code="DMST", name_vi="Chuyển đổi số")
    for element in elements.values():
        element.themes.add(theme)
    query = QUERY.format(month=month)
    wanted = sorted((i.data_element, i.unit, i.value) for i in dhis2.items_from_json(
        json_body(client.get(f"/api/dataValueSets?{query}", **reader))))
    from_xml = dxf2.items_from_xml(raw(client.get(f"/api/dataValueSets.xml?{query}", **reader)),
                                   max_bytes=10**6)
    assert sorted((i.data_element, i.unit, i.value) for i in from_xml) == wanted
    adx_text = raw(client.get(f"/api/dataValueSets.adx?{query}", **reader))
    assert b'dataSet="DMST"' in adx_text and adx_text.count(b"<group ") == 2  # one per province and month
    from_adx = adx.items_from_adx(adx_text, max_bytes=10**6)
    assert sorted((i.data_element, i.unit, i.value) for i in from_adx) == wanted
