"""DHIS2's import strategies on values that are (not) there, and official codes read as of the period.

Sources, cited per case:
- dhis2-core 2.40.9 `DefaultDataValueSetService.importDataValue` (dhis-service-dxf2, lines 842-859): an existing
  value under CREATE, a missing one under UPDATE or DELETE, is `importCount.incrementIgnored()` and
  `context.addRejected(index)`, with no conflict; the summary is SUCCESS unless there are conflicts (line 757).
- `ImportStrategy` (dhis-api): CREATE/NEW, UPDATE/UPDATES, DELETE/DELETES.
- govkpi's own rule (docs/datacollection.md): never write on a unit the payload did not name; the old provinces'
  official GSO codes are dated (UnitCode, valid until 2025-06-30: tests/orgunits/test_official_codes.py).

Periods are fixed (2025) and opened by an explicit reporting window, so the day the tests run does not matter.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govkpi.accounts.tokens import create_token
from govkpi.datavalues import light
from govkpi.datavalues.dhis2_answers import web_message
from govkpi.datavalues.models import Channel, DataValue, ReportingWindow, WindowState
from govkpi.datavalues.writer import Item, Strategy, write_values
from govkpi.orgunits.models import UnitCode

pytestmark = pytest.mark.django_db

MAY, AUGUST, SEPTEMBER = "202505", "202508", "202509"


@pytest.fixture
def open_periods(db):
    for period in ("202501", "202502", "202503", "202504", MAY, "202506", "202507", AUGUST, SEPTEMBER):
        ReportingWindow.objects.create(period=period, unit=None, state=WindowState.OPEN, reason="kiểm thử",
                                       set_by="test", set_at="2025-01-01T00:00:00Z")


@pytest.fixture
def token(make_user):
    user = make_user("data_entry", "CP")
    return user, create_token(user)[1]


@pytest.fixture(params=["light", "set-based"])
def write_path(request, monkeypatch):
    """Each strategy case through both write paths: in memory (datavalues.light) and set-based (bulk)."""
    if request.param == "set-based":
        monkeypatch.setattr(light, "LIGHT_BATCH", 0)
    return request.param


def api_token(token):
    return {"HTTP_AUTHORIZATION": f"ApiToken {token[1]}"}


def stored(unit="01", period=SEPTEMBER, element="DVC_TONG"):
    found = DataValue.objects.filter(unit__code=unit, period=period, data_element__code=element).first()
    return found.value if found else None


def as_dhis2(items, strategy, atomic=False, **options):
    """The writer as DHIS2's import path calls it, with DHIS2 2.40's strategies."""
    return write_values(items, actor=None, channel=Channel.DHIS2, strategy=strategy, atomic=atomic,
                        machine_input=True, ignore_by_strategy=True, **options)


def as_native(items, strategy, atomic=True):
    return write_values(items, actor=None, channel=Channel.API, strategy=strategy, atomic=atomic)


def one(amount="400", unit="01", period=SEPTEMBER, index=0, **extra):
    return Item(index, "DVC_TONG", period, unit, amount, **extra)


# --- Strategies -------------------------------------------------------------------------------------------------

def test_create_on_an_existing_value_is_ignored_not_a_conflict(elements, open_periods, write_path):
    # DefaultDataValueSetService.importDataValue (2.40.9) lines 842-851: existing value, strategy CREATE →
    # incrementIgnored + addRejected; status SUCCESS (line 757: no conflicts); the stored value stays.
    as_native([one("400")], Strategy.CREATE_AND_UPDATE)
    result = as_dhis2([one("500")], Strategy.CREATE)
    assert (result.conflicts, result.ignored, result.ignored_indexes, result.created, result.updated) == (
        [], 1, [0], 0, 0)
    assert stored() == "400"
    http, body = web_message(result, None)
    assert (http, body["status"], body["response"]["status"]) == (200, "OK", "SUCCESS")
    assert body["response"]["importCount"] == {"imported": 0, "updated": 0, "ignored": 1, "deleted": 0}
    assert body["response"]["rejectedIndexes"] == [0] and body["response"]["conflicts"] == []


def test_update_of_a_missing_value_is_ignored_and_creates_nothing(elements, open_periods, write_path):
    # importDataValue (2.40.9) lines 853-859: no value, strategy UPDATE → incrementIgnored + addRejected.
    result = as_dhis2([one("500")], Strategy.UPDATE)
    assert (result.conflicts, result.ignored, result.created, result.written) == ([], 1, 0, False)
    assert not DataValue.objects.exists()
    _http, body = web_message(result, 40)
    assert body["response"]["importCount"]["ignored"] == 1 and body["response"]["status"] == "SUCCESS"


def test_delete_of_a_missing_value_is_ignored_as_dhis2_does(elements, open_periods, write_path):
    # importDataValue (2.40.9) lines 853-859: DELETE is neither create nor update, so a key with no value is
    # ignored and its index rejected; DataValueSetImportValidator has no conflict for it (only
    # checkDataValueFileResourceExists, for file values, which govkpi does not store).
    as_native([one("400", unit="79")], Strategy.CREATE_AND_UPDATE)
    result = as_dhis2([one(None), one(None, unit="79", index=1)], Strategy.DELETE)
    assert (result.conflicts, result.ignored_indexes, result.deleted) == ([], [0], 1)
    assert stored("79") is None
    _http, body = web_message(result, None)
    assert body["response"]["importCount"] == {"imported": 0, "updated": 0, "ignored": 1, "deleted": 1}
    assert body["response"]["rejectedIndexes"] == [0] and body["status"] == "OK"


def test_the_native_path_still_refuses_both_and_counts_a_missing_deletion_unchanged(elements, open_periods,
                                                                                   write_path):
    # govkpi's own stricter rules on /api/v1 (docs/datacollection.md): already_exists / does_not_exist.
    as_native([one("400")], Strategy.CREATE_AND_UPDATE)
    created = as_native([one("500")], Strategy.CREATE)
    updated = as_native([one("500", unit="79")], Strategy.UPDATE)
    assert [c.code for c in created.conflicts] == ["already_exists"] and created.status == "ERROR"
    assert [c.code for c in updated.conflicts] == ["does_not_exist"] and updated.status == "ERROR"
    assert (stored(), stored("79")) == ("400", None)
    assert created.ignored == updated.ignored == 0
    deleted = as_native([one(None, unit="79")], Strategy.DELETE)
    assert (deleted.conflicts, deleted.unchanged, deleted.ignored) == ([], 1, 0)


def test_a_mixed_batch_under_create_and_update(elements, open_periods, write_path):
    # importDataValue (2.40.9) line 842: under CREATE an existing key is ignored even when the item deletes;
    # under UPDATE a deletion of an existing value deletes (saveDataValueUpdate) and a new key is ignored.
    as_native([one("400"), one("300", unit="79")], Strategy.CREATE_AND_UPDATE)
    created = as_dhis2([one("1"), one(None, unit="79", index=1, deleted=True), one("7", unit="48", index=2),
                        one("nhiều", unit="92", index=3)], Strategy.CREATE)
    assert (created.created, created.ignored_indexes) == (1, [0, 1])
    assert [(c.index, c.code) for c in created.conflicts] == [(3, "not_a_machine_number")]
    assert (stored(), stored("79"), stored("48"), stored("92")) == ("400", "300", "7", None)
    _http, body = web_message(created, None)
    assert body["response"]["rejectedIndexes"] == [0, 1, 3] and body["response"]["status"] == "WARNING"
    assert body["response"]["importCount"] == {"imported": 1, "updated": 0, "ignored": 3, "deleted": 0}
    updated = as_dhis2([one("401"), one(None, unit="79", index=1, deleted=True), one("9", unit="31", index=2)],
                       Strategy.UPDATE)
    assert (updated.updated, updated.deleted, updated.ignored_indexes, updated.conflicts) == (1, 1, [2], [])
    assert (stored(), stored("79"), stored("31")) == ("401", None, None)


def test_an_atomic_batch_refused_elsewhere_counts_nothing_ignored(elements, open_periods, write_path):
    # 2.43's atomic=true: one conflict refuses the batch; every item is then rejected, none counted ignored.
    as_native([one("400")], Strategy.CREATE_AND_UPDATE)
    result = as_dhis2([one("1"), one("nhiều", unit="79", index=1)], Strategy.CREATE, atomic=True)
    assert (result.status, result.ignored, result.rejected) == ("ERROR", 0, 2)
    assert web_message(result, 43)[1]["response"]["importCount"]["ignored"] == 2


def test_the_dhis2_path_over_http_with_the_strategy(client, elements, open_periods, token):
    # The same through /api/dataValueSets?importStrategy=… (api.dhis2_web passes ignore_by_strategy=not native),
    # and through the native /api/v1 path, which still refuses.
    body = {"dataValues": [{"dataElement": "DVC_TONG", "period": SEPTEMBER, "orgUnit": "01", "value": "400"}]}
    client.post("/api/dataValueSets", body, content_type="application/json", **api_token(token))
    body["dataValues"][0]["value"] = "500"
    answer = client.post("/api/dataValueSets?importStrategy=CREATE", body, content_type="application/json",
                         **api_token(token)).json()
    assert (answer["status"], answer["response"]["importCount"]["ignored"], stored()) == ("OK", 1, "400")
    native = client.post("/api/v1/dataValueSets?importStrategy=CREATE", body, content_type="application/json",
                         **api_token(token))
    assert native.status_code == 409 and native.json()["response"]["conflicts"][0]["govkpiCode"] == "already_exists"


# --- Official codes by period -----------------------------------------------------------------------------------

def dhis2_value(unit, period, amount="12"):
    return {"dataElement": "DVC_TONG", "period": period, "orgUnit": unit, "value": amount}


def post(client, token, values, path="/api/dataValueSets"):
    return client.post(path, {"dataValues": values}, content_type="application/json", **api_token(token))


def test_an_official_code_for_may_2025_writes_the_old_province(client, elements, open_periods, token):
    # The GSO list (tests/orgunits/test_official_codes.py): 02 was Hà Giang until 2025-06-30, P63-02 here.
    response = post(client, token, [dhis2_value("02", MAY)])
    assert response.status_code == 200 and response.json()["response"]["importCount"]["imported"] == 1
    assert stored("P63-02", MAY) == "12"
    assert DataValue.objects.count() == 1  # on no other unit


def test_the_same_code_for_august_2025_writes_the_new_province_or_is_refused_naming_the_old(client, elements,
                                                                                          open_periods, token):
    # 08 is old Tuyên Quang (P63-08) on 2025-05-31 and the new Tuyên Quang (08) from 2025-07-01
    # (resolve.units_by_code); 02 has no holder after 2025-06-30 (Hà Giang joined Tuyên Quang).
    summary = post(client, token, [dhis2_value("08", MAY, "1"), dhis2_value("08", AUGUST, "2"),
                                   dhis2_value("02", AUGUST, "3")]).json()["response"]
    assert (stored("P63-08", MAY), stored("08", AUGUST), stored("P63-08", AUGUST), stored("08", MAY)) == (
        "1", "2", None, None)
    (conflict,) = summary["conflicts"]
    assert (conflict["govkpiCode"], conflict["errorCode"], conflict["indexes"]) == ("unit_code_not_in_force",
                                                                                     "E7612", [2])
    assert "Hà Giang (P63-02)" in conflict["message_vi"] and "30/06/2025" in conflict["message_vi"]
    assert "until 2025-06-30" in conflict["message_en"] and "202508" in conflict["message_en"]
    assert DataValue.objects.count() == 2


def test_a_mixed_batch_of_codes_and_periods(client, elements, open_periods, token):
    # Primary codes keep working (P63-xx for the old provinces, the new codes after 2025-07-01); a primary code
    # out of force is refused as before (unit_not_in_force), never moved to its successor.
    values = [dhis2_value("P63-02", MAY, "1"), dhis2_value("02", "202504", "2"), dhis2_value("01", MAY, "3"),
              dhis2_value("01", AUGUST, "4"), dhis2_value("P63-02", AUGUST, "5"), dhis2_value("79", "202506", "6"),
              dhis2_value("79", "202507", "7")]
    summary = post(client, token, values).json()["response"]
    assert [(c["indexes"], c["govkpiCode"]) for c in summary["conflicts"]] == [([4], "unit_not_in_force")]
    assert (stored("P63-02", MAY), stored("P63-02", "202504"), stored("P63-01", MAY), stored("01", AUGUST),
            stored("P63-79", "202506"), stored("79", "202507")) == ("1", "2", "3", "4", "6", "7")
    assert DataValue.objects.count() == 6


def test_the_single_value_endpoint_reads_the_code_as_of_the_period(client, elements, open_periods, token):
    # dhis2-core DataValueController (POST /api/dataValues de/pe/ou/value): the same writer, the same reading.
    auth = api_token(token)
    assert client.post(f"/api/dataValues?de=DVC_TONG&pe={MAY}&ou=02&value=5", **auth).status_code == 201
    assert stored("P63-02", MAY) == "5"
    refused = client.post(f"/api/dataValues?de=DVC_TONG&pe={AUGUST}&ou=02&value=5", **auth)
    assert refused.status_code == 409 and refused.json()["govkpiCode"] == "unit_code_not_in_force"


def test_the_native_path_reads_only_govkpis_own_codes(client, elements, open_periods, token):
    # govkpi's native /api/v1 keeps its codes: 02 is no govkpi code, so nothing is guessed there.
    response = post(client, token, [dhis2_value("02", MAY)], path="/api/v1/dataValueSets")
    assert response.status_code == 409 and stored("P63-02", MAY) is None


def _unitcode_queries(values):
    items = [Item(i, "DVC_TONG", period, unit, "1") for i, (unit, period) in enumerate(values)]
    with CaptureQueriesContext(connection) as queries:
        result = write_values(items, actor=None, channel=Channel.DHIS2, machine_input=True, dry_run=True)
    assert not result.conflicts, result.conflicts[:3]
    return sum("orgunits_unitcode" in q["sql"] for q in queries.captured_queries)


def test_codes_are_read_by_period_not_by_item(elements, open_periods):
    # A batch's codes cost queries per distinct period end, however many items and codes (never one per item).
    months = ["202501", "202502", "202503", "202504", MAY, "202506"]
    old = list(UnitCode.objects.filter(scheme="gso", unit__kind="province").values_list("code", flat=True)
               .order_by("code"))  # the old provinces' codes: DVC_TONG is reported by provinces
    few = [(code, month) for code in old[:2] for month in months]
    many = [(code, month) for code in old[:40] for month in months]  # 240 items: the set-based path
    assert _unitcode_queries(few) == _unitcode_queries(many) <= len(months) * 2
