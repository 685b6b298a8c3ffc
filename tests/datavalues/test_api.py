"""The values API: native batches and DHIS2's dataValueSets in JSON and CSV, round trips, auth, what is public."""

import datetime

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import create_token
from govkpi.core.periods import parse_period
from govkpi.datavalues import approval
from govkpi.datavalues.models import DataValue
from tests.conftest import json_body

pytestmark = pytest.mark.django_db


def headers(make_user, role="data_entry", unit="CP", scheme="Bearer"):
    _token, text = create_token(make_user(role, unit))
    return {"HTTP_AUTHORIZATION": f"{scheme} {text}"}


def post_json(client, path, body, auth):
    return client.post(path, body, content_type="application/json", **auth)


def test_native_batch_answers_counts_and_each_refused_item(client, elements, month, make_user):
    auth = headers(make_user, unit="01")
    body = {"values": [{"data_element": "DVC_TONG", "unit": "01", "period": month, "value": "1.084"},
                       {"data_element": "DVC_TONG", "unit": "79", "period": month, "value": 3},
                       {"data_element": "DVC_TOANTRINH", "unit": "01", "period": month, "value": "nhiều"}],
            "atomic": False}
    response = post_json(client, "/api/v1/datavalues", body, auth)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["created"], answer["updated"], answer["unchanged"], answer["rejected"]) == (1, 0, 0, 2)
    assert [(p["index"], p["field"], p["code"]) for p in answer["rejected_items"]] == [
        (1, "orgUnit", "forbidden"), (2, "value", "not_a_number")]
    assert all(p["message"] and p["message_en"] for p in answer["rejected_items"])
    again = post_json(client, "/api/v1/datavalues", {"values": body["values"][:1]}, auth).json()
    assert (again["created"], again["unchanged"], again["status"]) == (0, 1, "SUCCESS")


def test_native_atomic_refusal_is_409_and_writes_nothing(client, elements, month, make_user):
    body = {"values": [{"data_element": "DVC_TONG", "unit": "01", "period": month, "value": 5},
                       {"data_element": "DVC_TONG", "unit": "01", "period": "2031", "value": 5}]}
    response = post_json(client, "/api/v1/datavalues", body, headers(make_user))
    assert response.status_code == 409 and response.json()["status"] == "ERROR"
    assert not DataValue.objects.exists()


def test_anonymous_cannot_write(client, elements, month):
    body = {"values": [{"data_element": "DVC_TONG", "unit": "01", "period": month, "value": 5}]}
    assert client.post("/api/v1/datavalues", body, content_type="application/json").status_code == 401


def test_dhis2_json_with_header_period_and_org_unit(client, elements, month, make_user):
    payload = {"period": month, "orgUnit": "01", "dataValues": [
        {"dataElement": "DVC_TONG", "value": "400"},
        {"dataElement": "DVC_TOANTRINH", "value": "120", "comment": "Số liệu cổng DVC"},
        {"dataElement": "DVC_TONG", "orgUnit": "79", "value": "300"}]}
    response = post_json(client, "/api/v1/dataValueSets", payload, headers(make_user))
    message = response.json()  # DHIS2 2.38+'s WebMessage around the ImportSummary
    assert response.status_code == 200 and message["status"] == "OK" and message["httpStatusCode"] == 200
    summary = message["response"]
    assert summary["status"] == "SUCCESS" and summary["responseType"] == "ImportSummary"
    assert summary["importCount"] == {"imported": 3, "updated": 0, "ignored": 0, "deleted": 0}
    assert DataValue.objects.get(unit__code="01", data_element__code="DVC_TOANTRINH").comment == "Số liệu cổng DVC"


def test_dhis2_counts_new_as_imported_changed_as_updated_and_leaves_unchanged_alone(client, elements, month,
                                                                                  make_user):
    auth = headers(make_user)
    first = {"dataValues": [{"dataElement": "DVC_TONG", "period": month, "orgUnit": "01", "value": "400"},
                            {"dataElement": "DVC_TONG", "period": month, "orgUnit": "79", "value": "300"}]}
    post_json(client, "/api/v1/dataValueSets", first, auth)
    stamp = DataValue.objects.get(unit__code="79").updated_at
    second = {"dataValues": [{"dataElement": "DVC_TONG", "period": month, "orgUnit": "01", "value": "410"},
                             {"dataElement": "DVC_TONG", "period": month, "orgUnit": "79", "value": "300"},
                             {"dataElement": "DVC_TOANTRINH", "period": month, "orgUnit": "79", "value": "90"}]}
    summary = post_json(client, "/api/v1/dataValueSets", second, auth).json()["response"]
    assert summary["importCount"] == {"imported": 1, "updated": 1, "ignored": 1, "deleted": 0}
    assert DataValue.objects.get(unit__code="79", data_element__code="DVC_TONG").updated_at == stamp


def test_dhis2_same_key_twice_is_a_conflict_naming_both_indexes(client, elements, month, make_user):
    payload = {"dataValues": [{"dataElement": "DVC_TONG", "period": month, "orgUnit": "01", "value": "1"},
                              {"dataElement": "DVC_TONG", "period": month, "orgUnit": "01", "value": "2"}]}
    response = client.post("/api/v1/dataValueSets?atomicMode=NONE", payload, content_type="application/json",
                           **headers(make_user))
    summary = response.json()["response"]
    assert summary["status"] == "ERROR" and response.status_code == 409
    assert {tuple(c["indexes"]) for c in summary["conflicts"]} == {(0, 1)}
    assert summary["conflicts"][0]["govkpiCode"] == "duplicate_in_batch"


def test_dhis2_csv_header_matched_by_name_in_any_case_and_order(client, elements, month, make_user):
    text = ("\ufeffOrgUnit,DataElement,Period,Value,Comment\n"
            f"01,DVC_TONG,{month},400,\n"
            f"79,DVC_TONG,{month},\"1,084\",=HYPERLINK(\"x\")\n")
    response = client.post("/api/v1/dataValueSets", text, content_type="application/csv", **headers(make_user))
    assert response.json()["response"]["importCount"]["imported"] == 2, response.content
    assert DataValue.objects.get(unit__code="79").value == "1084"
    assert DataValue.objects.get(unit__code="79").comment == '=HYPERLINK("x")'  # stored as given


def test_dhis2_csv_without_header_reads_columns_in_dhis2_order_and_names_lines(client, elements, month, make_user):
    text = f"DVC_TONG,{month},01,,,400,,,,,\nDVC_TONG,{month},01,,,abc,,,,,\n"
    response = client.post("/api/v1/dataValueSets?atomicMode=NONE", text, content_type="text/csv",
                           **headers(make_user))
    summary = response.json()["response"]
    assert summary["importCount"]["imported"] == 1
    assert [(c["row"], c["property"], c["errorCode"], c["govkpiCode"]) for c in summary["conflicts"]] == [
        (2, "value", "E7619", "not_a_number")]
    assert summary["rejectedIndexes"] == [1]


def test_dhis2_round_trip_json_and_csv_reimports_as_all_ignored(client, elements, month, make_user):
    auth = headers(make_user)
    payload = {"dataValues": [
        {"dataElement": "DVC_TONG", "period": month, "orgUnit": "01", "value": "400", "comment": "+ghi chú"},
        {"dataElement": "DVC_TOANTRINH", "period": month, "orgUnit": "01", "value": "120"},
        {"dataElement": "TYLE_XA", "period": month, "orgUnit": "00004", "value": "39.51", "followup": True}]}
    post_json(client, "/api/v1/dataValueSets", payload, auth)
    exported = json_body(client.get(f"/api/v1/dataValueSets?orgUnit=01&children=true&period={month}", **auth))
    assert len(exported["dataValues"]) == 3
    again = post_json(client, "/api/v1/dataValueSets", exported, auth).json()["response"]
    assert again["importCount"] == {"imported": 0, "updated": 0, "ignored": 3, "deleted": 0}
    csv_text = b"".join(client.get(f"/api/v1/dataValueSets?orgUnit=01&children=true&format=csv", **auth)
                        .streaming_content).decode()
    assert "'+ghi chú" in csv_text  # neutralised for spreadsheets
    from_csv = client.post("/api/v1/dataValueSets", csv_text, content_type="application/csv", **auth).json()["response"]
    assert from_csv["importCount"] == {"imported": 0, "updated": 0, "ignored": 3, "deleted": 0}


def test_dhis2_strategies_and_dry_run(client, elements, month, make_user):
    auth = headers(make_user)
    value = {"dataValues": [{"dataElement": "DVC_TONG", "period": month, "orgUnit": "01", "value": "5"}]}
    dry = client.post("/api/v1/dataValueSets?dryRun=true", value, content_type="application/json", **auth).json()["response"]
    assert dry["importCount"]["imported"] == 1 and not DataValue.objects.exists()
    post_json(client, "/api/v1/dataValueSets", value, auth)
    create = client.post("/api/v1/dataValueSets?importStrategy=CREATE", value, content_type="application/json",
                         **auth).json()["response"]
    assert create["conflicts"][0]["govkpiCode"] == "already_exists"
    delete = client.post("/api/v1/dataValueSets?importStrategy=DELETE", value, content_type="application/json",
                         **auth).json()["response"]
    assert delete["importCount"]["deleted"] == 1 and not DataValue.objects.exists()


def test_dhis2_personal_access_token_header_works_unchanged(client, elements, month, make_user):
    payload = {"dataValues": [{"dataElement": "DVC_TONG", "period": month, "orgUnit": "01", "value": "5"}]}
    response = post_json(client, "/api/v1/dataValueSets", payload, headers(make_user, scheme="ApiToken"))
    assert response.status_code == 200 and response.json()["response"]["importCount"]["imported"] == 1


def test_bad_json_and_bad_strategy_are_400(client, elements, make_user):
    auth = headers(make_user)
    assert client.post("/api/v1/dataValueSets", "{nope", content_type="application/json", **auth).status_code == 400
    response = client.post("/api/v1/dataValueSets?importStrategy=MERGE", {"dataValues": []},
                           content_type="application/json", **auth)
    assert response.status_code == 400 and response.json()["code"] == "bad_strategy"


def test_export_is_scoped_and_anonymous_sees_only_approved_published_values(client, elements, month, make_user,
                                                                           unit):
    from govkpi.datavalues.writer import Item, write_values

    # The day after the month ended, whatever day the suite runs: its figures are still provisional.
    reporting = parse_period(month).end + datetime.timedelta(days=1)
    with time_machine.travel(datetime.datetime.combine(reporting, datetime.time(10), timezone.get_current_timezone())):
        write_values([Item(0, "DVC_TONG", month, "01", 5), Item(1, "DVC_TONG", month, "79", 6)],
                     actor=None, channel="api")
        hanoi = headers(make_user, role="viewer", unit="01")
        seen = json_body(client.get(f"/api/v1/dataValueSets?period={month}", **hanoi))["dataValues"]
        assert [v["orgUnit"] for v in seen] == ["01"]
        assert json_body(client.get(f"/api/v1/dataValueSets?period={month}"))["dataValues"] == []
        clerk = make_user("data_entry", "79")
        approval.submit(unit("79"), month, clerk)
        approval.approve(unit("79"), month, make_user(Role.APPROVER, "CP"))
        public = json_body(client.get(f"/api/v1/dataValueSets?period={month}"))["dataValues"]
        assert public == []  # approved, but the month is still being reported: nothing official yet
    official = parse_period(month).end + datetime.timedelta(days=settings.OFFICIAL_AFTER_DAYS + 1)
    with time_machine.travel(datetime.datetime.combine(official, datetime.time(10), timezone.get_current_timezone())):
        public = json_body(client.get(f"/api/v1/dataValueSets?period={month}"))["dataValues"]
    assert [v["orgUnit"] for v in public] == ["79"]
