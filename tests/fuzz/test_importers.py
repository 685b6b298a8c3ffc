"""Every importer, fed hostile input through its real face (HTTP requests through the Django test client, the
file importer, the appendix and catalog importers): only documented answers, never a 500 or an unhandled
exception, and a refused atomic batch leaves the database exactly as it was."""

from __future__ import annotations

import csv
import datetime
import io
import json

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import create_token
from govkpi.audit.models import AuditEntry
from govkpi.core.strict_json import PayloadError
from govkpi.core.tabular import TabularError
from govkpi.datavalues.files import import_file, template_xlsx
from govkpi.datavalues.models import DataValue, DataValueHistory, ImportBatch
from govkpi.events.models import ChangeEvent
from govkpi.indicators.catalog import apply_catalog
from govkpi.indicators.models import DataElement, Indicator
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks.appendix import AppendixError, import_appendix
from govkpi.tasks.models import Directive, DirectiveKind, Task, TaskEvent
from tests.fuzz import FUZZ

pytestmark = pytest.mark.django_db
LIMIT = 2 * 1024 * 1024
# A request or a workbook round trip takes 20-300 ms; on a loaded CI machine several times that.
IMPORTS = settings(FUZZ, deadline=datetime.timedelta(seconds=3))


def state() -> tuple:
    """Every row a data import writes, and how many of the others: equal before and after a refused batch."""
    values = tuple(DataValue.objects.order_by("id").values_list("id", "value", "comment", "follow_up", "updated_at"))
    return (values, DataValueHistory.objects.count(), ImportBatch.objects.count(), AuditEntry.objects.count(),
            ChangeEvent.objects.count())


@pytest.fixture
def token(make_user):
    return create_token(make_user(Role.DATA_ENTRY, "01"))[1]


# --- the values a body is made of --------------------------------------------------------------------------------

GOOD = {"dataElement": st.sampled_from(["DVC_TONG", "DVC_TOANTRINH"]), "orgUnit": st.sampled_from(["01", "79"]),
        "value": st.integers(0, 5000).map(str)}
ANYTHING = st.one_of(st.none(), st.booleans(), st.integers(-10**70, 10**70), st.floats(), st.text(max_size=12),
                     st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(),
                                                                           max_size=1))
FIELDS = ["dataElement", "period", "orgUnit", "value", "comment", "followup", "deleted", "categoryOptionCombo",
          "storedBy"]


@st.composite
def data_value(draw, month: str) -> dict:
    value = {name: draw(strategy) for name, strategy in GOOD.items()}
    value["period"] = month
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=2)):  # a few fields spoiled
        value[name] = draw(ANYTHING)
    return value


def spoiled(text: str, draw) -> str:
    """The body as sent, sometimes spoiled at the text level: a key repeated, an escape, a cut."""
    how = draw(st.sampled_from(["as is", "as is", "repeat", "escape", "cut", "deep", "number"]))
    at = draw(st.integers(0, max(len(text) - 1, 0)))
    if how == "repeat":
        return text.replace('"value": ', '"value": "1", "value": ', 1)
    if how == "escape":
        return text.replace('"period": "', '"period": "' + draw(st.sampled_from(["\\u0000", "\\ud800", "\\udfff"])),
                            1)
    if how == "cut":
        return text[:at]
    if how == "deep":
        return text[:at] + "[" * 40 + "]" * 40 + text[at:]
    if how == "number":
        return text.replace('"value": "', '"value": ' + "7" * draw(st.integers(60, 5000)) + ', "x": "', 1)
    return text


def assert_answered(response, before: tuple, atomic: bool) -> None:
    """A documented answer: a JSON body with the reason, and nothing written when the batch was refused."""
    assert response.status_code in (200, 400, 409), response.content[:300]
    body = response.json()
    if response.status_code == 400:
        assert body.get("message") and body.get("message_en"), body
    if response.status_code != 200 and atomic:
        assert state() == before


@settings(IMPORTS, max_examples=40)
@given(data=st.data())
def test_a_json_data_value_set_is_imported_or_refused_whole(client, elements, month, token, data):
    document = {"dataValues": data.draw(st.lists(data_value(month), max_size=4))}
    body = spoiled(json.dumps(document), data.draw)
    before = state()
    response = client.post("/api/v1/dataValueSets", body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"ApiToken {token}")
    assert_answered(response, before, atomic=True)
    if response.status_code == 409:  # refused per value: each with the index it had in the body
        conflicts = response.json()["response"]["conflicts"]
        assert conflicts and all(0 <= index < len(document["dataValues"]) for conflict in conflicts
                                 for index in conflict["indexes"])


@settings(IMPORTS, max_examples=25)
@given(data=st.data())
def test_dhis2_json_without_atomicity_answers_only_documented_statuses(client, elements, month, token, data):
    document = {"dataValues": data.draw(st.lists(data_value(month), max_size=4))}
    response = client.post("/api/dataValueSets", spoiled(json.dumps(document), data.draw),
                           content_type="application/json", HTTP_AUTHORIZATION=f"ApiToken {token}")
    assert_answered(response, state(), atomic=False)


CSV_HEADER = "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,comment\n"


@st.composite
def csv_row(draw, month: str) -> str:
    cells = [draw(GOOD["dataElement"]), month, draw(GOOD["orgUnit"]), "", "", draw(GOOD["value"]), "", "",
             draw(st.text(st.characters(blacklist_categories=("Cs",)), max_size=6))]
    if draw(st.booleans()):
        cells[draw(st.integers(0, len(cells) - 1))] = draw(st.one_of(st.text(max_size=8), st.just('"'),
                                                                    st.just("\x00"), st.just("9" * 400)))
    return ",".join(f'"{cell}"' if "," in cell or "\n" in cell else cell for cell in cells)


@settings(IMPORTS, max_examples=40)
@given(data=st.data())
def test_a_dhis2_csv_cut_or_spoiled_anywhere_is_imported_or_refused_whole(client, elements, month, token, data):
    text = CSV_HEADER + "\n".join(data.draw(st.lists(csv_row(month), min_size=1, max_size=4)))
    cut = data.draw(st.one_of(st.just(len(text)), st.integers(0, len(text))))
    before = state()
    response = client.post("/api/v1/dataValueSets", text[:cut].encode("utf-8", "surrogatepass"),
                           content_type="application/csv", HTTP_AUTHORIZATION=f"ApiToken {token}")
    assert_answered(response, before, atomic=True)
    if response.status_code == 200:  # what was stored is what the file says, never the first digits of a value
        rows = list(csv.reader(io.StringIO(text[:cut], newline="")))[1:]  # a stray quote may join lines: as CSV
        stored = {(v.data_element.code, v.unit.code): v.value for v in DataValue.objects.select_related(
            "data_element", "unit") if v.period == month}
        for row in rows:
            if len(row) == 9 and (row[0], row[2]) in stored and row[5].isdigit():
                assert stored[(row[0], row[2])] in {r[5] for r in rows if (r[0], r[2]) == (row[0], row[2])}


@settings(IMPORTS, max_examples=20)
@given(cells=st.lists(st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=10),
                                st.integers(-10, 10**20), st.floats(),
                                st.booleans(), st.just("=1+1")), min_size=1, max_size=4),
       cut=st.one_of(st.none(), st.integers(0, 10**5)))
def test_the_excel_template_filled_with_anything_is_imported_or_refused_whole(elements, month, cells, cut):
    unit = OrgUnit.objects.get(code="01")
    book = openpyxl.load_workbook(io.BytesIO(template_xlsx(unit, month)))
    sheet = book["Số liệu"]
    for row, cell in zip(range(5, sheet.max_row + 1), cells, strict=False):
        sheet.cell(row, 7).value = cell
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    if cut is not None:
        data = data[:cut % len(data)]
    _imported_or_refused_whole(data, "mẫu.xlsx", "excel")


def _imported_or_refused_whole(data: bytes, name: str, channel: str) -> None:
    """A file refused (with both languages) or an atomic batch refused leaves everything as it was."""
    before = state()
    try:
        result, _notes = import_file(data, name, actor=None, channel=channel, max_bytes=LIMIT)
    except (TabularError, PayloadError) as error:
        assert error.message_vi and error.message_en
        assert state() == before
        return
    if result.status == "ERROR":
        assert state() == before


JSON_FILES = st.one_of(st.binary(max_size=200), st.lists(st.dictionaries(st.sampled_from(FIELDS), ANYTHING,
                                                                         max_size=4), max_size=3)
                       .map(lambda values: json.dumps({"dataValues": values}).encode()))


@settings(IMPORTS, max_examples=30)
@given(data=JSON_FILES, name=st.sampled_from(["a.json", "a.csv", "a.xlsx", "a.txt"]))
def test_an_uploaded_file_of_any_bytes_is_imported_or_refused_whole(elements, data, name):
    _imported_or_refused_whole(data, name, "csv")


# --- appendix and catalog ----------------------------------------------------------------------------------------

APPENDIX_HEADER = ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn", "Sản phẩm"]
PRINTABLE = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=15)  # what a worksheet can hold
APPENDIX_CELL = st.one_of(st.none(), PRINTABLE, st.integers(-5, 10**12), st.floats(), st.booleans(),
                          st.dates(), st.sampled_from(["Bộ Công an", "Bộ Tài chính; UBND các tỉnh", "Quý IV/2025",
                                                       "trước ngày 31/12/2025", "I", "1", "1.1", "=A1"]))


def tasks_state() -> tuple:
    return (Task.objects.count(), TaskEvent.objects.count(), AuditEntry.objects.count(), ChangeEvent.objects.count())


@settings(IMPORTS, max_examples=25)
@given(rows=st.lists(st.lists(APPENDIX_CELL, min_size=0, max_size=7), max_size=5), header=st.booleans(),
       cut=st.one_of(st.none(), st.integers(0, 10**5)))
def test_an_appendix_of_any_cells_is_imported_or_refused_whole(rows, header, cut):
    source = Directive.objects.get_or_create(code="FUZZ-1", defaults={
        "kind": DirectiveKind.MEETING_CONCLUSION, "issued_on": datetime.date(2025, 8, 1), "number": "1/TB-VPCP",
        "issuing_body": OrgUnit.objects.get(code="CP"), "title": "Kết luận"})[0]
    book = openpyxl.Workbook()
    for row in ([["PHỤ LỤC"], APPENDIX_HEADER] if header else []) + rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue() if cut is None else buffer.getvalue()[:cut % len(buffer.getvalue())]
    before = tasks_state()
    try:
        report = import_appendix(data, "phụ lục.xlsx", directive=source, actor=None)
    except AppendixError as error:
        assert error.message_vi and error.message_en
        assert tasks_state() == before
        return
    if not report.ok:
        assert tasks_state() == before


CATALOG_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**20), st.floats(), st.text(max_size=10),
                          st.dates(), st.lists(st.text(max_size=4), max_size=2),
                          st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
                          # found on PostgreSQL: NUL, a lone surrogate (YAML's "\0", "\ud800") or text longer than
                          # its column raised DataError / UnicodeEncodeError; 10**400 and inf an OverflowError
                          st.sampled_from(["a\x00b", "a\ud800", "x" * 600, 10**400, float("inf"), 11]))
CATALOG_ENTRY = st.fixed_dictionaries({"code": st.one_of(st.sampled_from(["FZ_A", "FZ_B", "DVC_TONG"]),
                                                         CATALOG_VALUE)},
                                      optional={name: CATALOG_VALUE for name in [
                                          "name_vi", "value_type", "frequency", "formula", "minimum", "unit_kinds",
                                          "themes", "direction", "targets", "figures", "owner", "category_combo",
                                          "options", "categories", "option_combos", "date", "id", "url"]})
CATALOG = st.one_of(st.dictionaries(st.sampled_from(["sources", "data_elements", "indicators", "categories",
                                                     "category_combos", "themes"]),
                                    st.one_of(st.lists(st.one_of(CATALOG_ENTRY, CATALOG_VALUE), max_size=3),
                                              CATALOG_VALUE), max_size=3),
                    CATALOG_VALUE)


def catalog_state() -> tuple:
    return (tuple(DataElement.objects.order_by("code").values_list("code", "name_vi", "value_type")),
            tuple(Indicator.objects.order_by("code").values_list("code", "name_vi", "formula")),
            AuditEntry.objects.count(), ChangeEvent.objects.count())


@settings(IMPORTS, max_examples=60)
@given(document=CATALOG)
def test_a_catalog_document_of_any_shape_is_applied_or_refused_whole(elements, document):
    before = catalog_state()
    report = apply_catalog(document)
    if not report.ok:
        assert all(problem.where and problem.message_vi and problem.message_en for problem in report.problems)
        assert catalog_state() == before


DXF2 = 'xmlns="http://dhis2.org/schema/dxf/2.0"'
XML_SPOILERS = ["<", ">", "&", "&#0;", "&#xD800;", '"', "<!DOCTYPE x>", "<a>" * 50, "\x00", "]]>", "<?xml?>"]


@settings(IMPORTS, max_examples=30)
@given(data=st.data())
def test_a_dxf2_body_cut_or_spoiled_is_imported_or_refused_whole(client, elements, month, token, data):
    rows = "".join(f'<dataValue dataElement="{data.draw(GOOD["dataElement"])}" orgUnit="{data.draw(GOOD["orgUnit"])}" '
                   f'value="{data.draw(GOOD["value"])}"/>' for _ in range(data.draw(st.integers(0, 3))))
    text = f'<?xml version="1.0" encoding="UTF-8"?><dataValueSet {DXF2} period="{month}">{rows}</dataValueSet>'
    at = data.draw(st.integers(0, len(text)))
    how = data.draw(st.sampled_from(["as is", "cut", "insert"]))
    text = text[:at] if how == "cut" else text[:at] + data.draw(st.sampled_from(XML_SPOILERS)) + text[at:] \
        if how == "insert" else text
    before = state()
    response = client.post("/api/v1/dataValueSets", text.encode(), content_type="application/xml",
                           HTTP_AUTHORIZATION=f"ApiToken {token}")
    assert_answered(response, before, atomic=True)
