"""DHIS2's other import formats on `/api/dataValueSets`: DXF2 XML, ADX, gzip and zip bodies, and async jobs.

Each case names its source in dhis2-core 2.40.9: `DataValueSetController` (which Content-Type goes to which
reader; async=true answers `jobConfigurationReport`, 200), `DataValueSetControllerTest`, `XmlDataValueSetReader`
(the root's dryRun and importStrategy), `DefaultDataValueSetService.createDataValueSetImportContext` (the
dataValueSet's own options win), `StreamUtils.wrapAndCheckCompressionFormat` (gzip and zip told by their first
bytes), `SystemController` (/system/tasks, /system/taskSummaries), `InMemoryNotifierStore` (newest first).
What govkpi does on purpose otherwise (a zip bomb stopped, one zip entry only, jobs private to their owner, a
malformed body refused at once) is in docs/datacollection.md.
"""

import gzip
import io
import zipfile

import pytest

from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import create_token
from govkpi.datavalues.adx import adx_period
from govkpi.datavalues.models import DataValue, ImportJob
from tests.datavalues.test_dhis2_conformance import api_token, stored

pytestmark = pytest.mark.django_db

DXF2 = 'xmlns="http://dhis2.org/schema/dxf/2.0"'
ADX = 'xmlns="urn:ihe:qrph:adx:2015"'


@pytest.fixture
def token(make_user):
    user = make_user(Role.DATA_ENTRY, "CP")
    return user, create_token(user)[1]


def dxf2(month, *values, **root):
    attributes = "".join(f' {name}="{text}"' for name, text in root.items())
    rows = "".join(f'<dataValue dataElement="DVC_TONG" orgUnit="{unit}" value="{amount}"/>' for unit, amount in values)
    return f'<?xml version="1.0" encoding="UTF-8"?><dataValueSet {DXF2} period="{month}"{attributes}>{rows}' \
           f'</dataValueSet>'.encode()


def post(client, path, body, token, content_type="application/json", **extra):
    return client.post(path, body, content_type=content_type, **api_token(token), **extra)


def json_body(month, unit="01", amount="400"):
    return (f'{{"dataValues": [{{"dataElement": "DVC_TONG", "period": "{month}", "orgUnit": "{unit}", '
            f'"value": "{amount}"}}]}}').encode()


def zipped(*entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


# --- DXF2 XML and ADX -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path,content_type", [("/api/dataValueSets", "application/xml"),
                                               ("/api/40/dataValueSets", "text/xml; charset=utf-8"),
                                               ("/api/dataValueSets.xml", "application/octet-stream")])
def test_a_dxf2_xml_data_value_set_is_imported_with_dhis2s_counts(client, elements, month, token, path,
                                                                   content_type):
    # DataValueSetController.postDxf2DataValueSet (consumes application/xml); the header's period applies to
    # every value (XmlDataValueSetReader.readHeader). text/xml and the .xml suffix: govkpi reads them too.
    post(client, "/api/dataValueSets", json_body(month, unit="79", amount="5"), token)
    response = post(client, path, dxf2(month, ("01", "400"), ("79", "6")), token, content_type)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["status"], answer["message"]) == ("OK", "Import was successful.")
    assert answer["response"]["importCount"] == {"imported": 1, "updated": 1, "ignored": 0, "deleted": 0}
    assert (stored("01"), stored("79")) == ("400", "6")


def test_an_empty_data_value_set_and_an_empty_adx_are_a_successful_import(client, elements, token):
    # DataValueSetControllerTest.testPostDxf2DataValueSet / testPostAdxDataValueSet: httpStatusCode 200.
    for body, content_type in ((f"<dataValueSet {DXF2}></dataValueSet>", "application/xml"),
                               (f"<adx {ADX}></adx>", "application/adx+xml")):
        response = post(client, "/api/38/dataValueSets", body, token, content_type)
        assert response.status_code == 200 and response.json()["httpStatusCode"] == 200, content_type


def test_a_client_naming_an_old_version_gets_the_bare_import_summary_for_xml_too(client, elements, month, token):
    # DataValueSetControllerTest.testPostDxf2DataValueSet_Pre38: `withPlainResponseBefore(V38)`.
    answer = post(client, "/api/37/dataValueSets", dxf2(month, ("01", "3")), token, "application/xml").json()
    assert answer["responseType"] == "ImportSummary" and answer["importCount"]["imported"] == 1


def test_adx_is_imported_with_its_period_as_a_start_and_a_duration(client, elements, month, token):
    # DataValueSetController.postAdxDataValueSet (consumes application/adx+xml; ids are codes); AdxPeriod reads
    # 2026-09-01/P1M as the month 202609. The .adx suffix goes to the same reader.
    body = (f'<adx {ADX}><group orgUnit="01" period="{adx_period(month)}" dataSet="DMST">'
            '<dataValue dataElement="DVC_TONG" value="41"/><dataValue dataElement="DVC_TOANTRINH" value="12"/>'
            '</group></adx>')
    response = post(client, "/api/dataValueSets", body, token, "application/adx+xml")
    assert response.status_code == 200, response.content
    assert response.json()["response"]["importCount"]["imported"] == 2
    assert DataValue.objects.get(data_element__code="DVC_TOANTRINH").period == month
    assert stored() == "41"
    again = post(client, "/api/dataValueSets.adx", body.replace('"41"', '"42"'), token, "application/octet-stream")
    assert again.json()["response"]["importCount"]["updated"] == 1 and stored() == "42"


def test_adx_naming_a_period_govkpi_does_not_have_is_refused_whole(client, elements, month, token):
    body = (f'<adx {ADX}><group orgUnit="01" period="{month[:4]}-01-01/P2M">'
            '<dataValue dataElement="DVC_TONG" value="41"/></group></adx>')
    response = post(client, "/api/dataValueSets", body, token, "application/adx+xml")
    assert response.status_code == 400 and response.json()["code"] == "adx_period"
    assert "P2M" in response.json()["message_en"] and stored() is None


def test_dry_run_as_an_attribute_of_the_xml_root_stores_nothing(client, elements, month, token):
    # XmlDataValueSetReader.readHeader: dryRun="true" on <dataValueSet> is the import's dryRun.
    answer = post(client, "/api/dataValueSets", dxf2(month, ("01", "400"), dryRun="true"), token,
                  "application/xml").json()
    summary = answer["response"]
    assert summary["importOptions"]["dryRun"] is True and summary["importCount"]["imported"] == 1
    assert not DataValue.objects.exists()


def test_the_import_strategy_of_the_xml_root_wins_over_the_querys(client, elements, month, token):
    # XmlDataValueSetReader.readHeader reads importStrategy; createDataValueSetImportContext: the dataValueSet's
    # own strategy, when it has one, before the query's.
    post(client, "/api/dataValueSets", json_body(month), token)
    answer = post(client, "/api/dataValueSets?importStrategy=CREATE_AND_UPDATE",
                  dxf2(month, ("01", "400"), importStrategy="DELETE"), token, "application/xml").json()
    assert answer["response"]["importCount"]["deleted"] == 1 and stored() is None
    refused = post(client, "/api/dataValueSets", dxf2(month, ("01", "1"), importStrategy="MERGE"), token,
                   "application/xml")
    assert refused.status_code == 400 and refused.json()["code"] == "bad_strategy"


def test_the_strategy_field_of_a_json_data_value_set_counts_before_2_43(client, elements, month, token):
    # DataValueSet.getStrategy (JSON `strategy`) in 2.40; 2.43's DataEntryInput.fromJson no longer reads it.
    post(client, "/api/dataValueSets", json_body(month), token)
    body = {"strategy": "DELETE", "dataValues": [{"dataElement": "DVC_TONG", "period": month, "orgUnit": "01",
                                                  "value": "400"}]}
    assert post(client, "/api/43/dataValueSets", body, token).json()["response"]["importCount"]["deleted"] == 0
    assert stored() == "400"
    assert post(client, "/api/dataValueSets", body, token).json()["response"]["importCount"]["deleted"] == 1
    assert stored() is None


def test_malformed_xml_is_a_clear_400_and_stores_nothing(client, elements, month, token):
    # govkpi refuses the whole body before writing anything (DHIS2 answers an ImportSummary ERROR).
    broken = dxf2(month, ("01", "400"), ("79", "6")).replace(b"</dataValueSet>", b"<dataValue")
    response = post(client, "/api/dataValueSets", broken, token, "application/xml")
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["code"] == "bad_xml" and "line 1" in answer["message_en"] and "dòng 1" in answer["message"]
    wrong_root = post(client, "/api/dataValueSets", f"<dataValueSets {DXF2}/>", token, "application/xml").json()
    assert wrong_root["code"] == "data_value_sets"
    entity = post(client, "/api/dataValueSets", '<!DOCTYPE x [<!ENTITY a "b">]><dataValueSet/>', token,
                  "application/xml").json()
    assert entity["code"] == "xml_dtd"
    assert not DataValue.objects.exists()


# --- compressed bodies ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("extra", [{}, {"HTTP_CONTENT_ENCODING": "gzip"}])
def test_a_gzipped_json_body_is_read_by_its_first_bytes(client, elements, month, token, extra):
    # StreamUtils.wrapAndCheckCompressionFormat: a body starting 1f 8b is gunzipped, whatever the headers say;
    # the Content-Type still names the format.
    response = post(client, "/api/dataValueSets", gzip.compress(json_body(month)), token, **extra)
    assert response.status_code == 200, response.content
    assert response.json()["response"]["importCount"]["imported"] == 1 and stored() == "400"


@pytest.mark.parametrize("content_type", ["application/csv", "application/zip"])
def test_a_zipped_csv_is_read_from_its_one_entry(client, elements, month, token, content_type):
    # wrapAndCheckCompressionFormat: a body starting PK 03 04 is a zip, read from its entry. With
    # application/zip, which names no format, govkpi takes it from the entry's extension.
    text = f"dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\nDVC_TONG,{month},01,,,7\n"
    response = post(client, "/api/dataValueSets", zipped(("dataValues.csv", text)), token, content_type)
    assert response.status_code == 200, response.content
    assert stored() == "7"


def test_a_zipped_xml_by_suffix(client, elements, month, token):
    response = post(client, "/api/dataValueSets.xml", zipped(("dvs.xml", dxf2(month, ("01", "9")))), token,
                    "application/zip")
    assert response.status_code == 200 and stored() == "9"


@pytest.mark.parametrize("pack", [lambda data: gzip.compress(data), lambda data: zipped(("bomb.json", data))])
def test_a_body_larger_than_the_limit_once_decompressed_is_413_and_stores_nothing(client, elements, month, token,
                                                                                   settings, pack):
    # govkpi's own guard (DHIS2 has none): the decompressed bytes count against DATA_FILE_MAX_BYTES as they are
    # read. A few kilobytes that unpack to 4 MB, a good value first: nothing of it is written.
    settings.DATA_FILE_MAX_BYTES = 1024 * 1024
    bomb = json_body(month)[:-2] + b" " * (4 * 1024 * 1024) + b"]}"
    body = pack(bomb)
    assert len(body) < 64 * 1024
    response = post(client, "/api/dataValueSets", body, token)
    assert response.status_code == 413, response.content
    answer = response.json()
    assert answer["code"] == "too_large" and "once decompressed" in answer["message_en"]
    assert "giải nén" in answer["message"] and "1 MB" in answer["message_en"]
    assert not DataValue.objects.exists()
    unpacked = post(client, "/api/dataValueSets", bomb, token)  # the same limit for a plain body
    assert unpacked.status_code == 413 and not DataValue.objects.exists()


def test_a_zip_of_two_entries_is_refused_naming_them(client, elements, month, token):
    # DHIS2 reads the first entry and drops the rest silently; govkpi refuses rather than guess.
    body = zipped(("a.json", json_body(month)), ("b.json", json_body(month, unit="79")))
    response = post(client, "/api/dataValueSets", body, token)
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "zip_entries" and "a.json, b.json" in answer["message_en"]
    assert "đúng một tệp" in answer["message"] and not DataValue.objects.exists()


def test_a_broken_gzip_is_a_clear_400(client, elements, month, token):
    response = post(client, "/api/dataValueSets", gzip.compress(json_body(month))[:-12], token)
    assert response.status_code == 400 and response.json()["code"] == "bad_gzip" and stored() is None


# --- async=true -------------------------------------------------------------------------------------------------

def test_async_answers_with_dhis2s_job_message_and_the_job_is_polled_done(client, elements, month, token):
    # DataValueSetController.startAsyncImport → WebMessageUtils.jobConfigurationReport: 200 OK, "Initiated
    # dataValueImport", JobConfigurationWebMessageResponse; DataValueSetControllerTest.*_Async.
    response = post(client, "/api/dataValueSets?async=true", dxf2(month, ("01", "400")), token, "application/xml")
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["httpStatus"], answer["httpStatusCode"], answer["status"], answer["message"]) == (
        "OK", 200, "OK", "Initiated dataValueImport")
    job = answer["response"]
    assert (job["name"], job["jobType"]) == ("dataValueImport", "DATAVALUE_IMPORT")
    assert len(job["id"]) == 11 and job["id"][0].isalpha() and job["id"].isalnum()
    assert job["relativeNotifierEndpoint"] == f"/api/system/tasks/DATAVALUE_IMPORT/{job['id']}"
    assert response["Location"].endswith("/api/system/tasks/DATAVALUE_IMPORT")
    assert stored() == "400"  # done before the answer
    row = ImportJob.objects.get(uid=job["id"])
    assert row.user == token[0] and row.finished is not None and row.finished >= row.created

    for prefix in ("/api", "/api/40"):
        tasks = client.get(f"{prefix}/system/tasks/DATAVALUE_IMPORT/{job['id']}", **api_token(token))
        assert tasks.status_code == 200 and tasks["Cache-Control"] == "no-store"
        notes = tasks.json()
        # InMemoryNotifierStore lists newest first: the newest is the completed "Import done".
        assert [n["message"] for n in notes] == ["Import done", "Importing data values", "Process started"]
        assert [n["completed"] for n in notes] == [True, False, False]
        assert {n["category"] for n in notes} == {"DATAVALUE_IMPORT"} and {n["level"] for n in notes} == {"INFO"}
        summary = client.get(f"{prefix}/system/taskSummaries/DATAVALUE_IMPORT/{job['id']}", **api_token(token))
        assert summary.status_code == 200
        assert summary.json()["responseType"] == "ImportSummary"
        assert summary.json()["importCount"] == {"imported": 1, "updated": 0, "ignored": 0, "deleted": 0}
    assert client.get(f"/api/system/tasks/DATAVALUE_IMPORT/{job['id']}", **api_token(token)).json() == notes


def test_an_async_dry_run_and_an_async_refusal_are_jobs_too(client, elements, month, token):
    body = {"dataValues": [{"dataElement": "NO_SUCH", "period": month, "orgUnit": "01", "value": "1"}]}
    uid = post(client, "/api/dataValueSets?async=true&dryRun=true", body, token).json()["response"]["id"]
    summary = client.get(f"/api/system/taskSummaries/DATAVALUE_IMPORT/{uid}", **api_token(token)).json()
    assert summary["importOptions"]["dryRun"] is True
    assert [c["errorCode"] for c in summary["conflicts"]] == ["E7610"] and not DataValue.objects.exists()


def test_an_unreadable_async_body_is_refused_at_once_and_makes_no_job(client, elements, token):
    response = post(client, "/api/dataValueSets?async=true", b"<dataValueSet", token, "application/xml")
    assert response.status_code == 400 and response.json()["code"] == "bad_xml"
    assert not ImportJob.objects.exists()


def test_only_the_user_who_started_a_job_or_a_system_admin_reads_it(client, elements, month, token, make_user):
    uid = post(client, "/api/dataValueSets?async=true", json_body(month), token).json()["response"]["id"]
    other = make_user(Role.DATA_ENTRY, "CP")
    other_token = (other, create_token(other)[1])
    for path in (f"/api/system/tasks/DATAVALUE_IMPORT/{uid}", f"/api/system/taskSummaries/DATAVALUE_IMPORT/{uid}"):
        refused = client.get(path, **api_token(other_token))
        assert refused.status_code == 404 and "importCount" not in refused.content.decode(), path
        assert client.get(path).status_code == 401
    never = client.get("/api/system/tasks/DATAVALUE_IMPORT/Abcdefghij1", **api_token(token))
    assert never.status_code == 404  # the same answer as someone else's job
    admin = make_user(Role.SYSTEM_ADMIN, "CP")
    seen = client.get(f"/api/system/taskSummaries/DATAVALUE_IMPORT/{uid}", **api_token((admin, create_token(admin)[1])))
    assert seen.status_code == 200 and seen.json()["importCount"]["imported"] == 1
    narrowed = create_token(admin, actions=["read"])[1]  # a token that keeps only reading is not an admin's
    assert client.get(f"/api/system/tasks/DATAVALUE_IMPORT/{uid}",
                      HTTP_AUTHORIZATION=f"ApiToken {narrowed}").status_code == 404
