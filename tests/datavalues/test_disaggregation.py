"""Disaggregation: category option combos (female/male) and attribute option combos (a funding source) in the
value's key, through every DHIS2 format and both write paths; totals in the engine and the rules; export,
history, deletion and approval per combo."""

import importlib
import json

import pytest
from django.utils import timezone

from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import create_token
from govkpi.datavalues import adx, approval, dhis2, light
from govkpi.datavalues.completeness import completeness
from govkpi.datavalues.files import import_file
from govkpi.datavalues.models import DataValue, DataValueHistory, ReportingWindow, ValidationRule
from govkpi.datavalues.writer import Item, Strategy, write_values
from govkpi.evaluation import engine
from govkpi.evaluation.models import Result
from govkpi.indicators.catalog import apply_catalog
from tests.conftest import json_body

pytestmark = pytest.mark.django_db
JULY = "202507"  # a fixed past month, opened with an explicit reporting window where a test needs one
backfill = importlib.import_module("govkpi.datavalues.migrations.0005_approval_digest_backfill")

CATALOG = {
    "categories": [
        {"code": "GIOI_TINH", "name_vi": "Giới tính", "name_en": "Sex",
         "options": [{"code": "NU", "name_vi": "Nữ", "name_en": "Female"},
                     {"code": "NAM", "name_vi": "Nam", "name_en": "Male"}]},
        {"code": "NGUON", "name_vi": "Nguồn vốn", "name_en": "Funding source",
         "options": [{"code": "NSNN", "name_vi": "Ngân sách nhà nước", "name_en": "State budget"},
                     {"code": "ODA", "name_vi": "Vốn ODA", "name_en": "ODA"}]},
    ],
    "category_combos": [
        {"code": "GT", "name_vi": "Theo giới tính", "name_en": "By sex", "categories": ["GIOI_TINH"],
         "option_combos": [{"options": ["NU"], "code": "F"}, {"options": ["NAM"], "code": "M"}]},
        {"code": "THEO_NGUON", "name_vi": "Theo nguồn vốn", "kind": "attribute", "categories": ["NGUON"]},
    ],
    "themes": [{"code": "CDS", "attribute_combo": "THEO_NGUON"}],
    "data_elements": [
        {"code": "DVC_TOANTRINH", "name_vi": "Số DVC toàn trình", "value_type": "count", "frequency": "monthly",
         "category_combo": "GT"},
        {"code": "DVC_TONG", "name_vi": "Tổng số TTHC", "value_type": "count", "frequency": "monthly"},
        {"code": "NOI_BO_SO", "name_vi": "Số nội bộ", "value_type": "count", "frequency": "monthly"},
    ],
    "indicators": [
        {"code": "DVC_TOANTRINH_TYLE", "name_vi": "Tỷ lệ DVC toàn trình", "value_type": "percentage",
         "frequency": "monthly", "unit_kinds": ["government", "ministry", "province"], "themes": ["CDS"],
         "formula": "#{DVC_TOANTRINH} / #{DVC_TONG} * 100"},
    ],
}


@pytest.fixture
def catalog(all_provisional):
    report = apply_catalog(json.loads(json.dumps(CATALOG)))
    assert report.ok, report.problems
    ValidationRule.objects.create(code="TOANTRINH_LE_TONG", left="#{DVC_TOANTRINH}", operator="<=",
                                  right="#{DVC_TONG}", message_vi="Toàn trình không lớn hơn tổng.",
                                  message_en="End-to-end cannot exceed the total.")
    ReportingWindow.objects.create(period=JULY, unit=None, state="open", reason="kiểm thử / test", set_by="test",
                                   set_at=timezone.now())


@pytest.fixture(params=["light", "bulk"])
def path(request, monkeypatch):
    """Both write paths: in memory (small batches) and set-based through the staging table."""
    if request.param == "bulk":
        monkeypatch.setattr(light, "LIGHT_BATCH", 0)
    return request.param


def write(*items, **options):
    options.setdefault("check_windows", False)
    listed = [Item(i, *args, **extra) for i, (args, extra) in enumerate(items)]
    return write_values(listed, actor=options.pop("actor", None), channel=options.pop("channel", "api"), **options)


def v(element, unit, value, coc="", aoc="", period=JULY, **extra):
    return (element, period, unit, value), {"category_option_combo": coc, "attribute_option_combo": aoc, **extra}


def stored(element="DVC_TOANTRINH", unit="01"):
    return dict(DataValue.objects.filter(data_element__code=element, unit__code=unit)
                .values_list("category_option_combo", "value"))


@pytest.fixture
def token(make_user):
    return create_token(make_user(Role.DATA_ENTRY, "CP"))[1]


def post(client, token, body, content_type):
    return client.post("/api/dataValueSets", body, content_type=content_type,
                       HTTP_AUTHORIZATION=f"ApiToken {token}")


# --- the key -----------------------------------------------------------------------------------------------------

def test_female_and_male_no_longer_overwrite_each_other_through_both_paths(catalog, path):
    result = write(v("DVC_TOANTRINH", "01", 30, "F"), v("DVC_TOANTRINH", "01", 20, "M"), v("DVC_TONG", "01", 200))
    assert (result.created, result.conflicts) == (3, [])
    assert stored() == {"F": "30", "M": "20"}
    again = write(v("DVC_TOANTRINH", "01", 31, "F"), v("DVC_TOANTRINH", "01", 20, "M"))
    assert (again.updated, again.unchanged) == (1, 1) and stored() == {"F": "31", "M": "20"}


def test_female_and_male_through_dhis2_json_csv_and_adx(client, catalog, token):
    answer = post(client, token, json.dumps({"period": JULY, "orgUnit": "01", "dataValues": [
        {"dataElement": "DVC_TOANTRINH", "categoryOptionCombo": "F", "value": "30"},
        {"dataElement": "DVC_TOANTRINH", "categoryOptionCombo": "M", "value": "20"}]}), "application/json")
    assert answer.status_code == 200, answer.content
    assert stored() == {"F": "30", "M": "20"}
    csv = (f"dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\n"
           f"DVC_TOANTRINH,{JULY},79,F,default,7\nDVC_TOANTRINH,{JULY},79,M,,5\n")
    assert post(client, token, csv, "application/csv").status_code == 200
    assert stored(unit="79") == {"F": "7", "M": "5"}
    # ADX sends the combination as category=option attributes, resolved by the catalog's option codes.
    body = (f'<adx xmlns="urn:ihe:qrph:adx:2015"><group orgUnit="48" period="{adx.adx_period(JULY)}">'
            f'<dataValue dataElement="DVC_TOANTRINH" GIOI_TINH="NU" value="3"/>'
            f'<dataValue dataElement="DVC_TOANTRINH" GIOI_TINH="NAM" value="4"/></group></adx>')
    answer = post(client, token, body, "application/adx+xml")
    assert answer.status_code == 200, answer.content
    assert stored(unit="48") == {"F": "3", "M": "4"}


def test_combos_the_catalog_does_not_declare_are_still_refused(catalog, path):
    result = write(v("DVC_TOANTRINH", "01", 1, "X"), v("DVC_TOANTRINH", "01", 2, "THEO_NGUON_ODA"),
                   v("DVC_TONG", "01", 3, "F"), v("DVC_TOANTRINH", "01", 4), atomic=False)
    codes = [(c.index, c.field, c.code) for c in result.conflicts]
    assert codes == [(0, "categoryOptionCombo", "category_option_combo_unknown"),
                     (1, "categoryOptionCombo", "category_option_combo_unknown"),
                     (2, "categoryOptionCombo", "category_option_combo_unknown"),
                     (3, "categoryOptionCombo", "category_option_combo_required")]
    another = result.conflicts[1]
    assert "THEO_NGUON" in another.message_en and "F, M" in another.message_en  # whose it is, what to give
    assert "GT" in result.conflicts[3].message_vi and "F, M" in result.conflicts[3].message_vi
    assert not DataValue.objects.exists()


def test_adx_dimensions_and_option_codes_name_a_combo_and_unknown_ones_are_refused(catalog):
    result = write(v("DVC_TOANTRINH", "01", 1, "GIOI_TINH=NU"), v("DVC_TOANTRINH", "01", 2, "NAM"),
                   v("DVC_TOANTRINH", "79", 3, "GIOI_TINH=KHAC"), atomic=False)
    assert [c.code for c in result.conflicts] == ["category_option_combo_unknown"]
    assert stored() == {"F": "1", "M": "2"}


def test_an_attribute_combo_is_taken_only_from_the_elements_themes(catalog, path):
    result = write(v("DVC_TONG", "01", 100, aoc="THEO_NGUON_NSNN"), v("DVC_TONG", "01", 50, aoc="NGUON=ODA"),
                   v("DVC_TONG", "01", 10, aoc="F"), v("NOI_BO_SO", "01", 5, aoc="THEO_NGUON_ODA"), atomic=False)
    assert [(c.index, c.code) for c in result.conflicts] == [(2, "attribute_option_combo_unknown"),
                                                             (3, "attribute_option_combo_unknown")]
    assert "NOI_BO_SO" in result.conflicts[1].message_en
    assert dict(DataValue.objects.filter(data_element__code="DVC_TONG").values_list("attribute_option_combo",
                                                                                    "value")) == \
        {"THEO_NGUON_NSNN": "100", "THEO_NGUON_ODA": "50"}


def test_the_same_key_twice_is_a_duplicate_but_two_combos_are_not(catalog, path):
    result = write(v("DVC_TOANTRINH", "01", 1, "F"), v("DVC_TOANTRINH", "01", 2, "F"), v("DVC_TOANTRINH", "01", 3, "M"),
                   atomic=False)
    assert [(c.index, c.code) for c in result.conflicts] == [(0, "duplicate_in_batch"), (1, "duplicate_in_batch")]
    assert "F" in result.conflicts[0].object and stored() == {"M": "3"}


# --- totals ------------------------------------------------------------------------------------------------------

def test_the_engine_uses_the_elements_total_over_its_combos(catalog):
    write(v("DVC_TOANTRINH", "01", 30, "F"), v("DVC_TOANTRINH", "01", 20, "M"),
          v("DVC_TONG", "01", 150, aoc="THEO_NGUON_NSNN"), v("DVC_TONG", "01", 50, aoc="THEO_NGUON_ODA"),
          v("DVC_TOANTRINH", "79", 10, "F"), v("DVC_TONG", "79", 100))
    engine.process_pending()
    hanoi = Result.objects.get(indicator__code="DVC_TOANTRINH_TYLE", unit__code="01", period=JULY,
                               valid_to__isnull=True)
    assert hanoi.value == pytest.approx(25.0)  # (30 + 20) / (150 + 50)
    assert hanoi.inputs["DVC_TOANTRINH"] == 50.0 and hanoi.inputs["DVC_TONG"] == 200.0
    national = Result.objects.get(indicator__code="DVC_TOANTRINH_TYLE", unit__code="CP", period=JULY,
                                  valid_to__isnull=True)
    assert national.inputs == {"DVC_TOANTRINH": 60.0, "DVC_TONG": 300.0, "_units": 2}  # two units, not five values
    write(v("DVC_TOANTRINH", "01", None, "M", deleted=True))
    engine.process_pending()
    assert Result.objects.get(indicator__code="DVC_TOANTRINH_TYLE", unit__code="01", period=JULY,
                              valid_to__isnull=True).value == pytest.approx(15.0)
    assert engine.verify() == []


def test_rules_compare_the_elements_totals(catalog, path):
    write(v("DVC_TONG", "01", 200))
    # Each part is under the total of procedures; their sum is not.
    result = write(v("DVC_TOANTRINH", "01", 150, "F"), v("DVC_TOANTRINH", "01", 100, "M"))
    assert [c.code for c in result.conflicts] == ["rule:TOANTRINH_LE_TONG"] * 2
    assert "250" in result.conflicts[0].message_vi
    assert write(v("DVC_TOANTRINH", "01", 150, "F")).created == 1
    # A later part is checked with the stored one: 150 + 60 > 200.
    late = write(v("DVC_TOANTRINH", "01", 60, "M"))
    assert [c.code for c in late.conflicts] == ["rule:TOANTRINH_LE_TONG"] and stored() == {"F": "150"}
    assert write(v("DVC_TOANTRINH", "01", 50, "M")).created == 1


def test_an_element_is_received_when_any_of_its_combos_is(catalog, unit):
    write(v("DVC_TOANTRINH", "01", 3, "F"), v("DVC_TOANTRINH", "01", 4, "M"))
    done = completeness(unit("01"), JULY)
    assert (done.expected, done.received) == (3, 1) and "DVC_TOANTRINH" not in done.missing


# --- history, deletion, export -----------------------------------------------------------------------------------

def test_history_and_deletion_are_per_combo(catalog, path):
    write(v("DVC_TOANTRINH", "01", 30, "F"), v("DVC_TOANTRINH", "01", 20, "M"))
    write(v("DVC_TOANTRINH", "01", 35, "F"))
    removed = write(v("DVC_TOANTRINH", "01", None, "M"), strategy=Strategy.DELETE)
    assert removed.deleted == 1 and stored() == {"F": "35"}
    history = list(DataValueHistory.objects.order_by("id").values_list("category_option_combo", "kind",
                                                                        "previous_value", "new_value"))
    assert history == [("F", "updated", "30", "35"), ("M", "deleted", "20", "")]


def test_export_writes_the_combos_and_reads_back_unchanged(client, catalog, token, make_user):
    write(v("DVC_TOANTRINH", "01", 30, "F"), v("DVC_TOANTRINH", "01", 20, "M"), v("DVC_TONG", "01", 200),
          v("DVC_TONG", "01", 5, aoc="THEO_NGUON_ODA"))
    write(v("DVC_TOANTRINH", "01", None, "M"), strategy=Strategy.DELETE)
    auth = {"HTTP_AUTHORIZATION": f"ApiToken {token}"}
    rows = json_body(client.get(f"/api/dataValueSets.json?dataSet=CDS&orgUnit=01&period={JULY}&includeDeleted=true",
                                **auth))["dataValues"]
    keys = sorted((r["dataElement"], r["categoryOptionCombo"], r["attributeOptionCombo"], r["value"],
                   r.get("deleted", False)) for r in rows)
    assert keys == [("DVC_TOANTRINH", "F", "default", "30", False), ("DVC_TOANTRINH", "M", "default", "20", True),
                    ("DVC_TONG", "default", "THEO_NGUON_ODA", "5", False),
                    ("DVC_TONG", "default", "default", "200", False)]
    only = json_body(client.get(f"/api/dataValueSets.json?dataSet=CDS&orgUnit=01&period={JULY}&categoryOptionCombo=F", **auth))
    assert [r["value"] for r in only["dataValues"]] == ["30"]
    csv = b"".join(client.get(f"/api/dataValueSets.csv?dataSet=CDS&orgUnit=01&period={JULY}", **auth).streaming_content)
    assert f"DVC_TOANTRINH,{JULY},01,F,default,30".encode() in csv
    assert f"DVC_TONG,{JULY},01,default,THEO_NGUON_ODA,5".encode() in csv
    again = write_values(list(dhis2.items_from_csv(csv.decode().splitlines(keepends=True))), actor=None,
                         channel="api", check_windows=False)
    assert (again.unchanged, again.conflicts) == (3, [])
    body = b"".join(client.get(f"/api/dataValueSets.adx?dataSet=CDS&orgUnit=01&period={JULY}", **auth).streaming_content)
    assert b'GIOI_TINH="NU"' in body and b'NGUON="ODA"' in body
    read = adx.items_from_adx(body, max_bytes=10**6)
    assert write_values(read, actor=None, channel="api", check_windows=False).unchanged == 3


# --- approvals ---------------------------------------------------------------------------------------------------

def test_an_approval_locks_every_combo_of_the_unit_period(catalog, approve):
    write(v("DVC_TOANTRINH", "01", 30, "F"), v("DVC_TONG", "01", 200))
    approve(JULY, "01")
    for coc, value in (("F", 31), ("M", 1)):
        result = write(v("DVC_TOANTRINH", "01", value, coc))
        assert [c.code for c in result.conflicts] == ["approved_locked"]
    assert stored() == {"F": "30"}


def test_an_approval_made_before_disaggregation_still_verifies(catalog, approve, unit):
    write(v("DVC_TONG", "01", 200), v("NOI_BO_SO", "01", 7, comment="ghi chú"))
    rows = [[code, value, comment, follow_up] for code, value, comment, follow_up in DataValue.objects.filter(
        unit__code="01").values_list("data_element__code", "value", "comment", "follow_up")]
    # The recipe as it was before the option combos (frozen in migration 0005) gives today's digest.
    assert approval.values_digest(unit("01"), JULY)[0] == backfill.frozen_digest_of("01", JULY, rows)
    approve(JULY, "01")
    assert approval.verify(unit("01"), JULY).intact
    # Values under a combo are in the digest with their combo: moving a value from F to M changes it.
    write(v("DVC_TOANTRINH", "79", 5, "F"))
    before = approval.values_digest(unit("79"), JULY)[0]
    DataValue.objects.filter(unit__code="79").update(category_option_combo="M")
    assert approval.values_digest(unit("79"), JULY)[0] != before


def test_the_single_value_endpoint_reads_and_deletes_one_combo(client, catalog, token):
    write(v("DVC_TOANTRINH", "01", 30, "F"), v("DVC_TOANTRINH", "01", 20, "M"))
    auth = {"HTTP_AUTHORIZATION": f"ApiToken {token}"}
    got = client.get(f"/api/dataValues?de=DVC_TOANTRINH&pe={JULY}&ou=01&co=M", **auth)
    assert got.status_code == 200 and json.loads(got.content) == ["20"]
    gone = client.delete(f"/api/dataValues?de=DVC_TOANTRINH&pe={JULY}&ou=01&co=M", **auth)
    assert gone.status_code == 204 and stored() == {"F": "30"}



# --- the form ----------------------------------------------------------------------------------------------------

def test_the_form_shows_a_grid_for_a_disaggregated_element_and_saves_each_cell(client, catalog, make_user):
    client.force_login(make_user(Role.DATA_ENTRY, "01"))
    html = client.get(f"/data/01/{JULY}/").content.decode()
    assert 'id="v-DVC_TOANTRINH-F"' in html and 'id="v-DVC_TOANTRINH-M"' in html
    assert html.index(">Nữ</label>") < html.index(">Female</small>") < html.index(">Nam</label>")
    assert 'id="v-DVC_TONG"' in html and 'id="v-DVC_TONG-' not in html  # no combo: the field as before
    saved = client.post(f"/data/01/{JULY}/DVC_TOANTRINH", {"coc": "F", "value": "30"}, HTTP_HX_REQUEST="true")
    assert saved.status_code == 200 and "Đã lưu" in saved.content.decode()
    answer = client.post(f"/data/01/{JULY}/DVC_TOANTRINH", {"coc": "M", "value": "20"}).content.decode()
    assert '<output id="t-DVC_TOANTRINH" aria-live="polite">50</output>' in answer
    assert 'value="30"' in answer and 'value="20"' in answer and stored() == {"F": "30", "M": "20"}
    cleared = client.post(f"/data/01/{JULY}/DVC_TOANTRINH", {"coc": "M", "value": ""}).content.decode()
    assert ">30</output>" in cleared and stored() == {"F": "30"}
    refused = client.post(f"/data/01/{JULY}/DVC_TOANTRINH", {"value": "5"}).content.decode()  # no cell named
    assert "GT" in refused and stored() == {"F": "30"}


def test_the_excel_template_has_a_row_per_option_combo_and_reads_back(client, catalog, make_user):
    import io

    from openpyxl import load_workbook

    client.force_login(make_user(Role.DATA_ENTRY, "01"))
    write(v("DVC_TOANTRINH", "01", 30, "F"))
    book = load_workbook(io.BytesIO(client.get(f"/data/01/{JULY}/template.xlsx").content))
    rows = [r for r in book["Số liệu"].iter_rows(min_row=5, values_only=True) if r[0] == "DVC_TOANTRINH"]
    assert [(r[1], r[6], r[8]) for r in rows] == [("Số DVC toàn trình — Nữ", 30, "F"),
                                                  ("Số DVC toàn trình — Nam", None, "M")]
    sheet = book["Số liệu"]
    male = next(row for row in sheet.iter_rows(min_row=5) if row[8].value == "M")
    male[6].value = 20
    buffer = io.BytesIO()
    book.save(buffer)
    result, _notes = import_file(buffer.getvalue(), "bieu.xlsx", actor=None, channel="excel", max_bytes=10**7,
                                 check_windows=False)
    assert (result.created, result.unchanged, result.conflicts) == (1, 1, [])
    assert stored() == {"F": "30", "M": "20"}


# --- DHIS2's metadata --------------------------------------------------------------------------------------------

def test_the_metadata_endpoints_list_the_catalogs_combos_beside_the_default(client, catalog, token):
    auth = {"HTTP_AUTHORIZATION": f"ApiToken {token}"}

    def get(path):
        answer = client.get(path, **auth)
        assert answer.status_code == 200, answer.content
        return json.loads(answer.content)

    cocs = get("/api/categoryOptionCombos?paging=false&fields=id,name,categoryCombo")["categoryOptionCombos"]
    assert cocs[0]["id"] == "HllvX50cXC0"
    assert {"id": "F", "name": "Nữ", "categoryCombo": {"id": "GT"}} in cocs
    assert {"id": "THEO_NGUON_ODA", "name": "Vốn ODA", "categoryCombo": {"id": "THEO_NGUON"}} in cocs
    element = get("/api/dataElements/DVC_TOANTRINH?fields=id,categoryCombo[id,categories,categoryOptionCombos[id]]")
    assert element["categoryCombo"] == {"id": "GT", "categories": [{"id": "GIOI_TINH"}],
                                        "categoryOptionCombos": [{"id": "F"}, {"id": "M"}]}
    assert get("/api/dataElements/DVC_TONG?fields=categoryCombo")["categoryCombo"] == {"id": "bjDvmb4bfuf"}
    found = get("/api/dataElements?fields=id&filter=categoryCombo.id:eq:GT")["dataElements"]
    assert found == [{"id": "DVC_TOANTRINH"}]
    assert get("/api/dataSets/CDS?fields=categoryCombo[id,dataDimensionType]")["categoryCombo"] == \
        {"id": "THEO_NGUON", "dataDimensionType": "ATTRIBUTE"}
    sex = get("/api/categories/GIOI_TINH?fields=id,categoryOptions[id,name],categoryCombos")
    assert sex == {"id": "GIOI_TINH", "categoryOptions": [{"id": "NU", "name": "Nữ"}, {"id": "NAM", "name": "Nam"}],
                   "categoryCombos": [{"id": "GT"}]}
