"""The inputs a tester saw accepted or answered with a 500 (issue 21, "Input accepted that should not be"), each now
refused with its reason in Vietnamese then English, by the HTTP faces and by the command line, nothing written."""

from __future__ import annotations

import json

import pytest

from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import create_token
from govkpi.cli import main
from govkpi.datavalues.models import DataValue

pytestmark = pytest.mark.django_db
CSV_HEADER = "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,comment\n"


def value(month: str, amount: object = "400", **extra: object) -> dict:
    return {"dataElement": "DVC_TONG", "period": month, "orgUnit": "01", "value": amount, **extra}


def bodies(month: str) -> dict[str, tuple[str, str, str]]:
    """name → (body, Content-Type, the code it is refused with)."""
    one = json.dumps(value(month))
    return {
        "csv cut mid-row": (CSV_HEADER + f"DVC_TONG,{month},01,,,1566,,,ok\nDVC_TONG,{month},79,,,15", "application/csv",
                            "short_row"),
        "csv cut inside a quoted cell": (CSV_HEADER + f'DVC_TONG,{month},01,,,"15', "application/csv", "bad_csv"),
        "csv with NUL": (CSV_HEADER + f"DVC_TONG,{month},01,,,1\x00,,,", "application/csv", "nul_character"),
        "repeated key": (f'{{"dataValues": [{one}], "dataValues": []}}', "application/json", "duplicate_key"),
        "deep nesting": ("[" * 100_000 + "]" * 100_000, "application/json", "too_deep"),
        "5,000 digits": (json.dumps({"dataValues": [value(month)]}).replace('"400"', "9" * 5000), "application/json",
                         "bad_number"),
        "NaN": (json.dumps({"dataValues": [value(month, float("nan"))]}), "application/json", "bad_number"),
        "lone surrogate": (json.dumps({"dataValues": [value(month, comment="\ud800")]}), "application/json",
                           "lone_surrogate"),
        "NUL escape": (json.dumps({"dataValues": [value(month, comment="a\x00b")]}), "application/json",
                       "nul_character"),
        "empty body": ("", "application/json", "empty_body"),
        "blank csv": ("\n \n", "application/csv", "empty_body"),
        "no dataValues": ('{"dataValue": []}', "application/json", "no_data_values"),
    }


CASES = list(bodies("202501"))


@pytest.fixture
def auth(make_user):
    return {"HTTP_AUTHORIZATION": f"ApiToken {create_token(make_user(Role.DATA_ENTRY, '01'))[1]}"}


@pytest.mark.parametrize("path", ["/api/dataValueSets", "/api/v1/dataValueSets"])
@pytest.mark.parametrize("case", CASES)
def test_a_hostile_body_is_a_400_with_its_reason_and_nothing_is_written(client, elements, month, auth, path, case):
    body, content_type, code = bodies(month)[case]
    response = client.post(path, body.encode("utf-8", "surrogatepass"), content_type=content_type, **auth)
    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == code
    assert response.json()["message"] and response.json()["message_en"]
    assert not DataValue.objects.exists()


@pytest.mark.parametrize(("field", "sent"), [("comment", 5), ("comment", {"a": 1}), ("value", {"a": 1}),
                                             ("value", [1]), ("dataElement", {"id": "x"}), ("followup", 3)])
def test_a_field_of_the_wrong_kind_refuses_that_value_with_its_index(client, elements, month, auth, field, sent):
    document = {"dataValues": [value(month), {**value(month, "7", orgUnit="79"), field: sent}]}
    response = client.post("/api/v1/dataValueSets", json.dumps(document), content_type="application/json", **auth)
    assert response.status_code == 409
    conflicts = response.json()["response"]["conflicts"]
    assert [(c["indexes"], c["property"], c["govkpiCode"]) for c in conflicts] == [([1], field, "bad_type")]
    assert conflicts[0]["message_en"].startswith(f"Value 1: «{field}» must be")
    assert not DataValue.objects.exists()  # the native path is atomic: the good value is not written either


def test_without_atomicity_the_good_values_are_written_and_the_misfit_refused(client, elements, month, auth):
    document = {"dataValues": [value(month), {**value(month, "7", orgUnit="79"), "comment": 5}]}
    response = client.post("/api/dataValueSets", json.dumps(document), content_type="application/json", **auth)
    summary = response.json()["response"]
    assert summary["importCount"]["imported"] == 1 and summary["rejectedIndexes"] == [1]
    assert list(DataValue.objects.values_list("unit__code", "value")) == [("01", "400")]


def test_an_explicit_empty_batch_is_still_an_empty_batch(client, elements, auth):
    response = client.post("/api/v1/dataValueSets", '{"dataValues": []}', content_type="application/json", **auth)
    assert response.status_code == 200 and response.json()["response"]["importCount"]["imported"] == 0


@pytest.mark.parametrize(("body", "code"), [('{"values": [], "values": []}', "duplicate_key"),
                                            ("[" * 100_000 + "]" * 100_000, "too_deep"),
                                            ('{"values": [{"value": %s}]}' % ("9" * 5000), "bad_number"),
                                            ('{"values": [{"comment": "\\udc00"}]}', "lone_surrogate")])
def test_the_native_values_api_answers_the_same_reasons(client, make_user, body, code):
    token = create_token(make_user(Role.DATA_ENTRY, "01"))[1]
    response = client.post("/api/v1/datavalues", body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400 and response.json()["code"] == code
    assert response.json()["message"] and response.json()["message_en"]


def test_the_single_value_endpoint_refuses_a_repeated_key_and_a_comment_that_is_no_text(client, elements, month,
                                                                                         auth):
    repeated = '{"dataElement": "DVC_TONG", "dataElement": "X", "period": "%s", "orgUnit": "01", "value": "5"}'
    response = client.post("/api/dataValues", repeated % month, content_type="application/json", **auth)
    assert response.status_code == 400 and response.json()["code"] == "duplicate_key"
    response = client.post("/api/dataValues", json.dumps(value(month, comment=5)), content_type="application/json",
                           **auth)
    assert response.status_code == 400 and response.json()["code"] == "bad_type"
    assert not DataValue.objects.exists()


# --- the command line -----------------------------------------------------------------------------------------

FILES = {
    "cut.csv": ("Mã chỉ tiêu,Mã đơn vị,Kỳ báo cáo,Giá trị,Ghi chú\nDVC_TONG,01,{month},1566,ok\nDVC_TONG,79,{month},15",
                "short_row"),
    "dup.json": ('{{"dataValues": [{{"dataElement": "DVC_TONG", "value": 1, "value": 2}}]}}', "duplicate_key"),
    "deep.json": ("[" * 100_000 + "]" * 100_000, "too_deep"),
    "big.json": ('{{"dataValues": [{{"value": ' + "9" * 5000 + "}}]}}", "bad_number"),
    "nul.json": ('{{"dataValues": [{{"comment": "\\u0000"}}]}}', "nul_character"),
}


@pytest.mark.parametrize("name", list(FILES))
def test_govkpi_import_says_why_and_exits_non_zero_without_a_traceback(tmp_path, capsys, elements, month, name):
    text, _code = FILES[name]
    path = tmp_path / name
    path.write_text(text.format(month=month), encoding="utf-8")
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and " / " in err  # Vietnamese, then English
    assert not DataValue.objects.exists()


@pytest.mark.parametrize(("text", "said"), [(b"a: [1\n", "Invalid YAML at line 2"),
                                            (b"\xff\xfe", "must be UTF-8"),
                                            (b"- 1\n- 2\n", "Must be a mapping"),
                                            (b"indicators: 5\n", "indicators: [bad_type]"),
                                            (b"indicators:\n- code: X\n  formula: [1]\n", "indicators[0].formula"),
                                            (b"data_elements:\n- code: X\n  minimum: {a: 1}\n", "minimum"),
                                            (b'data_elements:\n- code: X\n  name_vi: "a\\0b"\n', "NUL"),
                                            (b'data_elements:\n- code: X\n  name_vi: "a\\ud800"\n', "UTF-16"),
                                            (b"data_elements:\n- code: " + b"X" * 65 + b"\n", "at most 64"),
                                            (b"indicators:\n- code: X\n  decimals: .inf\n", "decimals")])
def test_govkpi_catalog_import_says_why_and_exits_non_zero_without_a_traceback(tmp_path, capsys, text, said):
    path = tmp_path / "catalog.yaml"
    path.write_bytes(text)
    assert main(["catalog", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and said in err


@pytest.mark.parametrize(("name", "content", "said"), [
    ("bieu.csv", "Mã chỉ tiêu,Mã đơn vị,Kỳ báo cáo,Giá trị,Ghi chú\nDVC_TONG,01,{month},1566,ok\nDVC_TONG,79,{month},15",
     "Row 3 has 4 cells, the header 5"),
    ("bieu.json", '{{"dataValues": [], "dataValues": []}}', "appears twice"),
    ("bieu.json", '{{"dataValues": [{{"comment": "\\ud800"}}]}}', "half a UTF-16 pair")])
def test_the_upload_page_says_why_a_file_is_refused(client, elements, month, make_user, name, content, said):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(make_user(Role.DATA_ENTRY, "01"))
    page = client.post("/data/upload/", {"file": SimpleUploadedFile(name, content.format(month=month).encode()),
                                         "mode": "all"})
    assert page.status_code == 200 and said in page.content.decode()
    assert not DataValue.objects.exists()
