"""DHIS2 conformance of the dataValueSets paths: what a DHIS2 client sends, and what DHIS2 does with it.

Each case names its source: dhis2-core 2.40.9 (`DataValueSetServiceIntegrationTest`, `DataValueImportConflict`,
`WebMessageUtils`, `ImportStrategy`) or DHIS2's Web API documentation (docs.dhis2.org, "Data values" and
"Personal access tokens"). Differences govkpi keeps on purpose are in docs/datacollection.md.
"""

import base64
import datetime

import pytest
from django.utils import timezone

from govkpi.accounts.tokens import create_token
from govkpi.datavalues.models import DataValue
from govkpi.indicators.models import Theme
from tests.conftest import json_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(make_user):
    user = make_user("data_entry", "CP")
    return user, create_token(user)[1]


def api_token(token):
    return {"HTTP_AUTHORIZATION": f"ApiToken {token[1]}"}


def value(month, unit="01", amount="400", **extra):
    return {"dataElement": "DVC_TONG", "period": month, "orgUnit": unit, "value": amount, **extra}


def post(client, path, body, token, **extra):
    return client.post(path, body, content_type="application/json", **api_token(token), **extra)


def stored(unit="01", element="DVC_TONG"):
    found = DataValue.objects.filter(unit__code=unit, data_element__code=element).first()
    return found.value if found else None


@pytest.mark.parametrize("path", ["/api/dataValueSets", "/api/40/dataValueSets", "/api/dataValueSets.json",
                                  "/api/41/dataValueSets.json"])
def test_the_paths_dhis2_clients_call(client, elements, month, token, path):
    # Web API docs, "Data values / Sending data values": POST /api/dataValueSets; versioned /api/{v}/…
    response = post(client, path, {"dataValues": [value(month)]}, token)
    assert response.status_code == 200, response.content
    assert response.json()["response"]["importCount"]["imported"] == 1 and stored() == "400"


def test_csv_by_suffix(client, elements, month, token):
    # Web API docs: the format is chosen by suffix (.csv) as well as by Content-Type.
    text = f"dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\nDVC_TONG,{month},01,,,7\n"
    response = client.post("/api/dataValueSets.csv", text, content_type="application/octet-stream",
                           **api_token(token))
    assert response.status_code == 200, response.content
    assert stored() == "7"


def test_no_credentials_is_401_naming_the_token_scheme_not_a_csrf_failure(client, elements, month):
    # Personal access tokens docs: `Authorization: ApiToken …`; a refused credential is 401.
    response = client.post("/api/dataValueSets", {"dataValues": [value(month)]}, content_type="application/json")
    assert response.status_code == 401 and "ApiToken" in response["WWW-Authenticate"]
    bad = client.post("/api/dataValueSets", {}, content_type="application/json",
                      HTTP_AUTHORIZATION="ApiToken gk_nothing_like_a_token")
    assert bad.status_code == 401 and stored() is None


def test_basic_takes_a_token_as_password_and_never_a_password(client, elements, month, token, make_user):
    user, text = token
    good = base64.b64encode(f"{user.username}:{text}".encode()).decode()
    response = client.post("/api/dataValueSets", {"dataValues": [value(month)]}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Basic {good}")
    assert response.status_code == 200 and stored() == "400"
    user.set_password("a-password-that-works-on-the-sign-in-page")
    user.save()
    with_password = base64.b64encode(f"{user.username}:a-password-that-works-on-the-sign-in-page".encode()).decode()
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Basic {with_password}").status_code == 401
    other = make_user("data_entry", "01")
    stolen = base64.b64encode(f"{other.username}:{text}".encode()).decode()  # someone else's token
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Basic {stolen}").status_code == 401


def test_system_info_and_me_are_what_clients_read_first(client, token):
    # Web API docs, "System resource" (/api/system/info) and "Current user" (/api/me).
    info = client.get("/api/system/info").json()
    assert info["version"].startswith("2.40") and info["calendar"] == "iso8601"
    me = client.get("/api/me", **api_token(token)).json()
    assert me["username"] == token[0].username and me["organisationUnits"][0]["code"] == "CP"
    assert client.get("/api/me").status_code == 401


def test_success_is_a_web_message_with_status_ok(client, elements, month, token):
    # WebMessageUtils.importSummary (2.38+): status OK, httpStatusCode 200, the ImportSummary under `response`.
    answer = post(client, "/api/dataValueSets", {"dataValues": [value(month)]}, token).json()
    assert (answer["status"], answer["httpStatus"], answer["response"]["status"]) == ("OK", "OK", "SUCCESS")


def test_a_client_naming_an_old_version_gets_the_bare_import_summary(client, elements, month, token):
    # Before 2.38 dataValueSets answered with the ImportSummary itself.
    answer = post(client, "/api/37/dataValueSets", {"dataValues": [value(month)]}, token).json()
    assert answer["responseType"] == "ImportSummary" and answer["importCount"]["imported"] == 1


def test_good_values_are_imported_and_bad_ones_reported_with_dhis2_codes(client, elements, month, token):
    # DataValueSetServiceIntegrationTest (2.40): an import with invalid values imports the valid ones and
    # reports each invalid one; DataValueImportConflict: E7610 data element, E7619 value, `objects`.
    body = {"dataValues": [value(month), {"dataElement": "NO_SUCH", "period": month, "orgUnit": "01", "value": "1"},
                           value(month, unit="79", amount="nhiều")]}
    response = post(client, "/api/dataValueSets", body, token)
    assert response.status_code == 200
    summary = response.json()["response"]
    assert summary["status"] == "WARNING" and summary["importCount"]["imported"] == 1
    assert summary["rejectedIndexes"] == [1, 2]
    assert [(c["errorCode"], c["property"]) for c in summary["conflicts"]] == [("E7610", "dataElement"),
                                                                               ("E7619", "value")]
    assert summary["conflicts"][0]["objects"] == {"dataElement": "NO_SUCH"}
    assert stored() == "400" and stored("79") is None


def test_atomic_on_request_refuses_all(client, elements, month, token):
    # 2.43's `atomic` parameter, and atomicMode=ALL: one invalid value refuses the import; 409 Conflict.
    body = {"dataValues": [value(month), value(month, unit="79", amount="nhiều")]}
    for path in ("/api/dataValueSets?atomic=true", "/api/dataValueSets?atomicMode=ALL", "/api/43/dataValueSets"):
        response = post(client, path, body, token)
        assert response.status_code == 409 and response.json()["status"] == "ERROR", path
    assert stored() is None
    assert post(client, "/api/43/dataValueSets?atomic=false", body, token).status_code == 200 and stored() == "400"


def test_dry_run_inside_the_payload_writes_nothing(client, elements, month, token):
    # DataValueSet's own `dryRun` field (dhis2-core DataValueSet.java) counts like the query parameter.
    answer = post(client, "/api/dataValueSets", {"dryRun": True, "dataValues": [value(month)]}, token).json()
    assert answer["response"]["importCount"]["imported"] == 1 and stored() is None


@pytest.mark.parametrize("name", ["DELETE", "DELETES"])
def test_strategy_delete_by_either_parameter_name(client, elements, month, token, name):
    # ImportStrategy (DELETE and the legacy DELETES); DataValueSetServiceIntegrationTest passes `strategy`.
    post(client, "/api/dataValueSets", {"dataValues": [value(month)]}, token)
    answer = post(client, f"/api/dataValueSets?strategy={name}", {"dataValues": [value(month)]}, token).json()
    assert answer["response"]["importCount"]["deleted"] == 1 and stored() is None


@pytest.mark.parametrize("name,expected", [("NEW", None), ("UPDATES", "500"), ("NEW_AND_UPDATES", "500")])
def test_legacy_strategy_names(client, elements, month, token, name, expected):
    post(client, "/api/dataValueSets", {"dataValues": [value(month)]}, token)
    response = post(client, f"/api/dataValueSets?importStrategy={name}", {"dataValues": [value(month, amount="500")]},
                    token)
    # NEW is CREATE: on a value that exists it is ignored, not a conflict (DefaultDataValueSetService 2.40.9).
    counts = response.json()["response"]["importCount"]
    assert response.status_code == 200 and response.json()["status"] == "OK"
    assert (counts["ignored"], counts["updated"]) == ((1, 0) if expected is None else (0, 1))
    assert stored() == (expected or "400")


def test_an_empty_value_deletes(client, elements, month, token):
    # Web API docs, "Deleting data values": sending a value empty deletes it.
    post(client, "/api/dataValueSets", {"dataValues": [value(month)]}, token)
    answer = post(client, "/api/dataValueSets", {"dataValues": [value(month, amount="")]}, token).json()
    assert answer["response"]["importCount"]["deleted"] == 1 and stored() is None


def test_the_same_key_twice_keeps_the_last(client, elements, month, token):
    # DHIS2 imports the values in turn: the later one overwrites the earlier one.
    answer = post(client, "/api/dataValueSets", {"dataValues": [value(month, amount="1"), value(month, amount="2")]},
                  token).json()
    assert answer["status"] == "OK" and stored() == "2"


def test_a_disaggregated_value_is_refused_not_written_over_the_total(client, elements, month, token):
    # E7613 / E7615 (category / attribute option combo not found): govkpi has no disaggregation yet, so a female
    # value must not overwrite the total, nor a male one the female one.
    post(client, "/api/dataValueSets", {"dataValues": [value(month)]}, token)
    body = {"dataValues": [value(month, amount="150", categoryOptionCombo="FEMALE"),
                           value(month, amount="160", attributeOptionCombo="PROJECT_A"),
                           value(month, unit="79", amount="9", categoryOptionCombo="HllvX50cXC0")]}
    summary = post(client, "/api/dataValueSets", body, token).json()["response"]
    assert [c["errorCode"] for c in summary["conflicts"]] == ["E7613", "E7615"]
    assert stored() == "400" and stored("79") == "9"  # HllvX50cXC0: the default combo's UID in every DHIS2


def test_export_since_last_updated(client, elements, month, token):
    # Web API docs, "Reading data values": lastUpdated and lastUpdatedDuration select what changed since.
    theme = Theme.objects.create(code="DMST", name_vi="Chuyển đổi số", name_en="Digital transformation")
    elements["DVC_TONG"].themes.add(theme)  # a data set is a catalog theme here
    post(client, "/api/dataValueSets", {"dataValues": [value(month), value(month, unit="79")]}, token)
    DataValue.objects.filter(unit__code="79").update(updated_at=timezone.now() - datetime.timedelta(days=3))
    since = (timezone.now() - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    for query in (f"lastUpdated={since}", "lastUpdatedDuration=1d"):
        rows = json_body(client.get(f"/api/dataValueSets?dataElement=DVC_TONG&orgUnit=CP&children=true&{query}",
                          **api_token(token)))
        assert [r["orgUnit"] for r in rows["dataValues"]] == ["01"], query
    csv = client.get("/api/dataValueSets.csv?dataSet=DMST&orgUnit=CP&children=true&lastUpdatedDuration=5d",
                     **api_token(token))
    assert b"".join(csv.streaming_content).decode().count("DVC_TONG") == 2
    assert client.get("/api/dataValueSets?dataElement=DVC_TONG&orgUnit=CP&lastUpdatedDuration=soon",
                      **api_token(token)).status_code == 400


@pytest.mark.parametrize("query,code", [("orgUnit=CP&lastUpdatedDuration=1d", "E2001"),
                                        ("dataElement=DVC_TONG&orgUnit=CP", "E2002"),
                                        ("dataElement=DVC_TONG&lastUpdatedDuration=1d", "E2006"), ("", "E2001")])
def test_an_export_naming_no_data_time_or_unit_is_refused(client, elements, token, query, code):
    # DataValueSetService.validate (2.40.9): E2001 / E2002 / E2006; nobody pulls every value in one body.
    response = client.get(f"/api/dataValueSets?{query}", **api_token(token))
    assert response.status_code == 409 and response.json()["errorCode"] == code


def test_machine_numbers_on_dhis2_paths_and_office_numbers_on_files(client, elements, month, token):
    # DHIS2 reads values as machine numbers (ValidationUtils.dataValueIsValid: Double.parseDouble): "2.000" is 2.
    post(client, "/api/dataValueSets", {"dataValues": [value(month, amount="2.000")]}, token)
    assert stored() == "2"
    summary = post(client, "/api/dataValueSets", {"dataValues": [value(month, unit="79", amount="1,084")]},
                   token).json()["response"]
    assert summary["conflicts"][0]["govkpiCode"] == "not_a_machine_number" and stored("79") is None
    # The native path is read as people type: "1.084" is a thousand and eighty-four.
    client.post("/api/v1/dataValueSets", {"dataValues": [value(month, unit="79", amount="1.084")]},
                content_type="application/json", **api_token(token))
    assert stored("79") == "1084"


def test_a_dissolved_provinces_name_for_a_later_period_is_a_conflict_naming_the_successor(client, elements, month,
                                                                                       token):
    # govkpi's own rule on DHIS2's path (DHIS2 has no successions): never write on a unit the payload did not name.
    summary = post(client, "/api/dataValueSets", {"dataValues": [value(month, unit="Tỉnh Hà Giang")]},
                   token).json()["response"]
    conflict = summary["conflicts"][0]
    assert conflict["errorCode"] == "E7612" and conflict["govkpiCode"] == "unit_succeeded"
    assert "Tuyên Quang" in conflict["message_vi"] and "08" in conflict["message_en"]
    assert not DataValue.objects.exists()


def test_the_single_value_endpoint(client, elements, month, token):
    # dhis2-core 2.40.9 DataValueController: POST de/pe/ou/value → 201; GET → ["value"]; DELETE → 204; a value
    # that does not exist, or a refused one, is a 409 WebMessage.
    auth = api_token(token)
    created = client.post(f"/api/dataValues?de=DVC_TONG&pe={month}&ou=01&value=12", **auth)
    assert created.status_code == 201 and stored() == "12"
    assert client.get(f"/api/40/dataValues?de=DVC_TONG&pe={month}&ou=01", **auth).json() == ["12"]
    unpublished = client.get(f"/api/dataValues?de=DVC_TONG&pe={month}&ou=01")  # anonymous: not approved yet
    assert unpublished.status_code == 409 and "12" not in unpublished.content.decode()
    body = {"dataElement": "DVC_TONG", "period": month, "orgUnit": "01", "value": "13", "comment": "cập nhật"}
    assert client.post("/api/dataValues", body, content_type="application/json", **auth).status_code == 201
    assert stored() == "13"
    refused = client.post(f"/api/dataValues?de=DVC_TONG&pe={month}&ou=01&value=abc", **auth)
    assert refused.status_code == 409 and refused.json()["errorCode"] == "E7619" and stored() == "13"
    assert client.post(f"/api/dataValues?de=DVC_TONG&pe={month}&ou=01&value=14").status_code == 401
    assert client.delete(f"/api/dataValues?de=DVC_TONG&pe={month}&ou=01", **auth).status_code == 204
    assert stored() is None
    assert client.get(f"/api/dataValues?de=DVC_TONG&pe={month}&ou=01", **auth).status_code == 409
    # DataValueController.deleteDataValue: "Data value cannot be deleted because it does not exist" (409).
    again = client.delete(f"/api/dataValues?de=DVC_TONG&pe={month}&ou=01", **auth)
    assert again.status_code == 409 and "does not exist" in again.json()["message"]
