"""Every table's download: the rows and columns the page shows to that viewer (the same read), numbers as numbers
and dates as dates in XLSX, CSV with a byte-order mark and Vietnamese intact, the page's filters applied, demo and
provisional figures marked as the page marks them, nothing a viewer may not see."""

from __future__ import annotations

import csv
import datetime
import html as html_lib
import io
import re

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from openpyxl import load_workbook

from govkpi.accounts.roles import Role
from govkpi.evaluation import engine
from govkpi.evaluation.models import Result, Score
from govkpi.orgunits.models import OrgUnit
from govkpi.reads.rankings import ranking
from govkpi.reads.visibility import Viewer
from govkpi.tasks import actions

from ..portal import test_opendata_files
from . import test_dashboards
from .test_dashboards import JULY, SECRET_CODE, SECRET_NAME

AUG, DAY, write = test_opendata_files.AUG, test_opendata_files.DAY, test_opendata_files.write
scored = test_dashboards.scored  # the fixtures: July 2025 reported, approved and scored;
july_official = test_opendata_files.july_official  # on 5 September 2025, July official and August reported

pytestmark = pytest.mark.django_db
NAME = "Tỷ lệ DVC trực tuyến toàn trình"


# -- reading a page's table and a download back -----------------------------------------------------------------

def _text(cell_html: str) -> str:
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", cell_html))).strip()


def page_rows(page: str, anchor: str) -> list[list[str]]:
    """The body rows (cell texts) of the first table after `anchor` in the page; a table's "nothing yet" line
    (one cell across the columns) is no row."""
    start = page.index(anchor)
    table = page[start:page.index("</table>", start)]
    body = table[table.index("<tbody"):]
    rows = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL)]
    return [[_text(c) for c in row] for row in rows if len(row) > 1]


def workbook(client, path: str, **params):
    response = client.get(path, {**params, "format": "xlsx"})
    assert response.status_code == 200, path
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = next(r for r in range(2, 12) if sheet.cell(r - 1, 1).value is None)  # after the title block's gap
    return sheet, header, response


def sheet_rows(sheet, header: int) -> tuple[list[str], list[list]]:
    headers = [c.value for c in sheet[header]]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=header + 1)]
    return headers, rows


def csv_rows(client, path: str, **params) -> tuple[bytes, list[dict[str, str]]]:
    response = client.get(path, {**params, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return response.content, list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


# -- the dashboard --------------------------------------------------------------------------------------------

def test_the_headline_download_holds_the_pages_rows_with_numbers_and_dates_typed(client, scored):
    page = client.get("/").content.decode()
    shown = page_rows(page, 'id="panel-headline"')
    assert '?export=headline&amp;format=xlsx' in page and "Tải Excel" in page and "Tải CSV" in page
    sheet, header, response = workbook(client, "/", export="headline")
    headers, rows = sheet_rows(sheet, header)
    assert headers[:5] == ["Mã chỉ tiêu", "Chỉ tiêu", "Tình trạng", "Kỳ", "Giá trị"]
    assert [r[1] for r in rows] == [row[0] for row in shown] == [NAME]
    assert sheet.cell(1, 1).value == "Chỉ tiêu chủ yếu của cả nước so với mục tiêu"
    assert "Phạm vi: Cả nước" in sheet.cell(2, 1).value and "Số liệu lúc" in sheet.cell(2, 1).value
    national = Result.objects.get(indicator__code="DVC_TOANTRINH_TYLE", unit__code="CP", period=JULY,
                                  valid_to__isnull=True)
    value = sheet.cell(header + 1, headers.index("Giá trị") + 1)
    assert value.data_type == "n" and value.value == pytest.approx(national.value / 100)
    assert value.number_format == "0.00%"  # the indicator's two decimals, as the page writes 39,51%
    assert f"{national.value:.2f}".replace(".", ",") + "%" in shown[0][2]
    target = sheet.cell(header + 1, headers.index("Mục tiêu") + 1)
    assert target.value == pytest.approx(0.8) and target.number_format == "0.00%"
    deadline = sheet.cell(header + 1, headers.index("Thời hạn") + 1)
    assert deadline.is_date and deadline.value.date() == datetime.date(2025, 12, 31)
    assert deadline.number_format == "dd/mm/yyyy"
    assert rows[0][headers.index("Tình trạng")] == shown[0][1]  # the light's words
    assert "39,51% (07/2025; T2025)" in rows[0][headers.index("Chính phủ đã công bố (số thật, có nguồn)")]
    assert sheet.freeze_panes == f"A{header + 1}"
    assert re.fullmatch(r'attachment; filename="govkpi-chi-tieu-chu-yeu-ca-nuoc-\d{8}-\d{4}\.xlsx"',
                        response["Content-Disposition"])


def test_the_csv_has_a_bom_vietnamese_headers_and_the_same_rows_as_the_workbook(client, scored):
    content, rows = csv_rows(client, "/", export="headline")
    assert content.startswith(b"\xef\xbb\xbf")
    assert "Tỷ lệ DVC trực tuyến toàn trình".encode() in content  # UTF-8, not a code page
    assert [r["Chỉ tiêu"] for r in rows] == [NAME]
    assert rows[0]["Đơn vị tính"] == "%" and rows[0]["Thời hạn"] == "2025-12-31" and rows[0]["Kỳ"] == "07/2025"
    sheet, header, _ = workbook(client, "/", export="headline")
    headers, xlsx = sheet_rows(sheet, header)
    assert list(rows[0]) == headers
    assert float(rows[0]["Giá trị"]) == pytest.approx(xlsx[0][headers.index("Giá trị")] * 100)


def test_each_ranking_and_the_overdue_table_download_what_their_panels_show(client, scored):
    page = client.get("/").content.decode()
    for group in ("provinces", "ministries"):
        shown = page_rows(page, f'id="panel-rankings-{group}"')
        sheet, header, _ = workbook(client, "/", export=f"rankings-{group}")
        headers, rows = sheet_rows(sheet, header)
        assert headers == ["Hạng", "Thay đổi", "Mã đơn vị", "Đơn vị", "Điểm"]  # compact, as on the dashboard
        assert [r[3] for r in rows] == [row[2] for row in shown], group
        assert [str(r[0]) for r in rows] == [row[0] for row in shown], group
        if group == "provinces":  # only provinces reported: the ministries' ranking is empty, on the page too
            score = sheet.cell(header + 1, 5)
            assert len(rows) == 2 and score.data_type == "n" and score.number_format == "#,##0.00"
    shown = ranking(Viewer(AnonymousUser()), "provinces")  # the month the page shows: the latest official one
    hanoi = Score.objects.get(unit__code="01", group="provinces", period=shown.period, valid_to__isnull=True)
    _, rows = csv_rows(client, "/rankings/", export="rankings-provinces", group="provinces")
    line = next(r for r in rows if r["Mã đơn vị"] == "01")
    assert float(line["Điểm"]) == pytest.approx(hanoi.value) and line["Hạng"] == str(hanoi.rank)
    assert set(line) >= {"Chỉ tiêu", "Nhiệm vụ", "Chất lượng số liệu"}  # the full page's columns
    _, overdue = csv_rows(client, "/", export="overdue")
    assert overdue == []  # no task: the panel says so, and the file has no row either


def test_the_map_table_follows_the_indicator_chosen(client, scored):
    _, rows = csv_rows(client, "/", export="map", indicator="DVC_TOANTRINH_TYLE")
    assert len(rows) == 34
    assert {r["Mã"] for r in rows if r["Giá trị"]} == {"01", "79"}
    hcm = next(r for r in rows if r["Mã"] == "79")
    assert float(hcm["Giá trị"]) == pytest.approx(30.6375) and hcm["Tình trạng"] == "Chậm tiến độ"
    assert next(r for r in rows if r["Mã"] == "48")["Tình trạng"] == "Chưa có số liệu chính thức"


def test_an_unknown_table_or_format_is_not_found(client, scored):
    assert client.get("/", {"export": "nope", "format": "xlsx"}).status_code == 404
    assert client.get("/", {"export": "headline", "format": "pdf"}).status_code == 404
    assert client.get("/units/", {"export": "communes"}).status_code == 404


# -- who sees what --------------------------------------------------------------------------------------------

def test_an_unpublished_indicator_is_in_no_anonymous_download(client, scored, make_user):
    downloads = [("/", "headline"), ("/units/01/", "unit-indicators"), ("/units/79/", "unit-indicators")]
    for path, name in downloads:
        for fmt in ("csv", "xlsx"):
            body = client.get(path, {"export": name, "format": fmt}).content
            text = body.decode("utf-8-sig") if fmt == "csv" else _xlsx_text(body)
            assert SECRET_NAME not in text and SECRET_CODE not in text, (path, fmt)
    client.force_login(make_user(Role.VIEWER, "79"))
    _, rows = csv_rows(client, "/units/01/", export="unit-indicators")
    assert SECRET_CODE not in {r["Mã chỉ tiêu"] for r in rows}  # a reader elsewhere: as on the page
    _, rows = csv_rows(client, "/units/79/", export="unit-indicators")
    assert {r["Mã chỉ tiêu"]: r["Chỉ tiêu"] for r in rows}[SECRET_CODE] == f"{SECRET_NAME} (nội bộ)"


def _xlsx_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content))
    return "\n".join(str(v) for s in book.worksheets for row in s.iter_rows(values_only=True) for v in row if v)


def test_a_provisional_figure_is_in_the_file_only_for_a_reader_of_the_unit(july_official, client, make_user):
    with time_machine.travel(DAY, tick=True):
        write(AUG, ("DVC_TOANTRINH", "01", 1900), ("DVC_TONG", "01", 2000))  # 95%, August still being reported
        engine.process_pending()
        client.force_login(make_user(Role.VIEWER, "01"))
        page = client.get("/units/01/").content.decode()
        assert "tạm tính" in page and "95,00%" in page
        sheet, header, _ = workbook(client, "/units/01/", export="unit-indicators")
        headers, rows = sheet_rows(sheet, header)
        assert headers[headers.index("Giá trị tạm tính"):headers.index("Giá trị tạm tính") + 5] == [
            "Giá trị tạm tính", "Kỳ tạm tính", "Số đơn vị đã báo cáo (tạm tính)", "Số đơn vị phải báo cáo",
            "Hạn báo cáo"]
        line = rows[0]
        assert line[headers.index("Kỳ")] == "07/2025" and line[headers.index("Giá trị")] == pytest.approx(0.75)
        assert line[headers.index("Giá trị tạm tính")] == pytest.approx(0.95)
        assert line[headers.index("Kỳ tạm tính")] == "08/2025"
        assert line[headers.index("Hạn báo cáo")].date() == datetime.date(2025, 9, 15)
        assert any("tạm tính" in (sheet.cell(r, 1).value or "") for r in range(1, header))  # the note row

        client.force_login(make_user(Role.VIEWER, "79"))  # reads TP. Hồ Chí Minh, not Hà Nội
        page = client.get("/units/01/").content.decode()
        assert "95,00%" not in page
        content, rows = csv_rows(client, "/units/01/", export="unit-indicators")
        assert "Giá trị tạm tính" not in rows[0] and b"0.95" not in content and b"95.0" not in content
        assert float(rows[0]["Giá trị"]) == pytest.approx(75.0)
        client.logout()
        content, rows = csv_rows(client, "/units/01/", export="unit-indicators")
        assert "Giá trị tạm tính" not in rows[0] and b"95.0" not in content


def test_the_indicator_data_table_labels_each_period_official_or_provisional(july_official, client, make_user):
    with time_machine.travel(DAY, tick=True):
        write(AUG, ("DVC_TOANTRINH", "01", 1900), ("DVC_TONG", "01", 2000))
        engine.process_pending()
        client.force_login(make_user(Role.VIEWER, "01"))
        _, rows = csv_rows(client, "/indicators/DVC_TOANTRINH_TYLE/", export="data", unit="01")
        assert [(r["Kỳ"], r["Số liệu"]) for r in rows] == [("08/2025", "tạm tính"), ("07/2025", "chính thức")]
        page = client.get("/indicators/DVC_TOANTRINH_TYLE/", {"unit": "01"}).content.decode()
        shown = page_rows(page, 'id="data"')
        assert [row[0] for row in shown] == ["08/2025", "07/2025"] and "tạm tính" in shown[0][5]
        client.logout()
        _, rows = csv_rows(client, "/indicators/DVC_TOANTRINH_TYLE/", export="data", unit="01")
        assert [(r["Kỳ"], r["Số liệu"]) for r in rows] == [("07/2025", "chính thức")]


# -- demo data, units, tasks ------------------------------------------------------------------------------------

def test_demo_figures_are_marked_in_a_column_and_a_note_as_on_the_page(client, scored):
    _, rows = csv_rows(client, "/", export="headline")
    assert "Số liệu minh họa" not in rows[0]
    Result.objects.filter(valid_to__isnull=True).update(demo=True)
    Score.objects.filter(valid_to__isnull=True, unit__code="01").update(demo=True)
    cache.clear()  # rows edited in place, which the engine never does
    _, rows = csv_rows(client, "/", export="headline")
    assert rows[0]["Số liệu minh họa"] == "Có"
    sheet, header, _ = workbook(client, "/rankings/", export="rankings-provinces")
    headers, lines = sheet_rows(sheet, header)
    assert sheet.cell(3, 1).value.startswith("Số liệu minh họa")
    marks = {line[headers.index("Mã đơn vị")]: line[headers.index("Số liệu minh họa")] for line in lines}
    assert marks["01"] == "Có" and marks["79"] is None  # only Hà Nội's score is demo


def test_the_units_and_a_provinces_communes_download_as_listed(client, scored):
    page = client.get("/units/").content.decode()
    _, rows = csv_rows(client, "/units/", export="provinces")
    shown = page_rows(page, 'id="h-provinces"')
    assert [[r["Mã"], r["Tên"], r["Số xã, phường, đặc khu"]] for r in rows] == shown
    assert len(rows) == 34 and rows[0]["Tên"] == "Thành phố Hà Nội"
    _, communes = csv_rows(client, "/units/01/", export="communes")
    assert len(communes) == OrgUnit.objects.filter(parent__code="01").current().count() == 126
    ba_dinh = next(r for r in communes if r["Mã"] == "00004")
    score = Score.objects.filter(unit__code="00004", valid_to__isnull=True).latest("period")
    assert ba_dinh["Hạng"] == str(score.rank) and float(ba_dinh["Điểm"]) == pytest.approx(score.value)
    assert communes[-1]["Điểm"] == ""  # a commune without a score: no figure, as the page's dash
    sheet, header, _ = workbook(client, "/units/01/", export="unit-score")
    headers, parts = sheet_rows(sheet, header)
    assert headers == ["Thành phần", "Điểm", "Trọng số", "Đóng góp"] and parts[0][0] == "Chỉ tiêu"
    assert isinstance(parts[0][1], float)


@pytest.fixture
def tasks():
    bca, moh = OrgUnit.objects.get(code="BCA"), OrgUnit.objects.get(code="BYT")
    actions.create_task(code="X-1", title="Xây dựng khung quản trị dữ liệu", assigned_on=datetime.date(2025, 7, 20),
                        lead=bca, deadline_text="tháng 8/2025", product="Khung quản trị",
                        accepting_authority="Thủ tướng Chính phủ", responsible_position="Bộ trưởng")
    actions.create_task(code="X-2", title='=HYPERLINK("http://example.invalid","bấm")',
                        assigned_on=datetime.date(2025, 7, 20), lead=moh, deadline_text="tháng 12/2025")
    actions.create_task(code="X-3", title="Đẩy mạnh tuyên truyền chuyển đổi số", assigned_on=datetime.date(2025, 7, 20))


def test_the_task_list_download_applies_the_boards_filters_and_keeps_formulas_as_text(client, tasks):
    day = {"as_of": "2025-09-10"}
    _, rows = csv_rows(client, "/tasks/", export="tasks", **day)
    assert sorted(r["Mã"] for r in rows) == ["X-1", "X-2", "X-3"]
    _, overdue = csv_rows(client, "/tasks/", export="tasks", status="overdue", **day)
    page = client.get("/tasks/", {"status": "overdue", **day}).content.decode()
    shown = page_rows(page, 'id="h-list"')
    assert [r["Mã"] for r in overdue] == ["X-1"] == [re.search(r"X-\d", row[0]).group() for row in shown]
    assert overdue[0]["Tình trạng"] == "Quá hạn" and overdue[0]["Hạn (ngày)"] == "2025-08-31"
    _, lead = csv_rows(client, "/tasks/", export="tasks", lead="BYT", **day)
    assert [r["Mã"] for r in lead] == ["X-2"] and lead[0]["Nhiệm vụ"] == "'" + '=HYPERLINK("http://example.invalid","bấm")'
    sheet, header, _ = workbook(client, "/tasks/", export="tasks", lead="BYT", **day)
    headers, _lines = sheet_rows(sheet, header)
    cell = sheet.cell(header + 1, headers.index("Nhiệm vụ") + 1)
    assert cell.data_type == "s" and cell.value.startswith("'=")  # text, never a formula
    assert sheet.cell(header + 1, headers.index("Hạn (ngày)") + 1).is_date
    _, agencies = csv_rows(client, "/tasks/", export="agencies", **day)
    bca = next(r for r in agencies if r["Mã"] == "BCA")
    assert (bca["Tổng"], bca["Quá hạn"]) == ("1", "1")


def test_a_download_link_keeps_the_pages_filters_and_drops_its_page_number(client, tasks):
    page = client.get("/tasks/", {"lead": "BCA", "page": "1"}).content.decode()
    assert 'href="?lead=BCA&amp;export=tasks&amp;format=csv"' in page
    assert 'href="?lead=BCA&amp;export=agencies&amp;format=xlsx"' in page


def test_an_english_reader_gets_english_headers_and_english_names(client, scored):
    from .test_i18n import switch_language

    switch_language(client, "en", page="/")
    page = client.get("/").content.decode()
    assert "Download Excel" in page and "Download CSV" in page
    content, rows = csv_rows(client, "/", export="headline")
    assert list(rows[0])[:3] == ["Indicator code", "Indicators", "Status"]  # the page's own header words
    assert rows[0]["Indicators"] == "End-to-end rate"  # the catalog's English name, as the English page shows
    assert "Tỷ lệ" not in content.decode("utf-8-sig")
    sheet, _header, _ = workbook(client, "/", export="headline")
    assert sheet.cell(2, 1).value.startswith("Scope: ") and "Figures as of" in sheet.cell(2, 1).value


def test_a_panel_refreshed_alone_downloads_what_the_page_downloads(client, scored):
    """A live refresh swaps a panel fetched from its own URL; its links then ask that URL or the page's."""
    panel = client.get("/panels/rankings/", {"group": "provinces", "compact": "1"}).content.decode()
    assert 'href="?group=provinces&amp;compact=1&amp;export=rankings-provinces&amp;format=csv"' in panel
    from_page, _ = csv_rows(client, "/", export="rankings-provinces", group="provinces", compact="1")
    from_panel, _ = csv_rows(client, "/panels/rankings/", export="rankings-provinces", group="provinces", compact="1")
    assert from_page == from_panel and b"Th\xc3\xa0nh ph\xe1\xbb\x91 H\xc3\xa0 N\xe1\xbb\x99i" in from_panel
    headline, _ = csv_rows(client, "/panels/headline/", export="headline")
    assert headline == csv_rows(client, "/", export="headline")[0]
    assert client.get("/panels/headline/", {"export": "overdue", "format": "csv"}).status_code == 404
    unit_panel, _ = csv_rows(client, "/units/01/panels/communes/", export="communes")
    assert unit_panel == csv_rows(client, "/units/01/", export="communes")[0]
