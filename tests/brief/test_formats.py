"""The brief in each format, read back: the figures, the Vietnamese text with its diacritics, the six sections."""

from __future__ import annotations

import datetime
import io
import statistics
from pathlib import Path

import docx
import pypdfium2
import pytest
from docx.shared import Pt

import govkpi.settings
from govkpi.brief.assemble import assemble
from govkpi.brief.produce import viewer_for
from govkpi.brief.renderers import render
from govkpi.brief.renderers.pdf import FONTS

from .readback import document_text, pdf_text, workbook

pytestmark = pytest.mark.django_db
NATIONAL_JULY = (1500 + 2451 + 900 + 300 + 700) / (2000 + 8000 + 1000 + 1200 + 1000) * 100  # 44.33: approved only
HEADINGS = ["1. Chỉ tiêu chủ yếu so với mục tiêu", "2. Đơn vị chậm tiến độ", "3. Nhiệm vụ quá hạn và sắp đến hạn",
            "4. Thay đổi xếp hạng và nguyên nhân", "5. Chất lượng số liệu", "6. Đề xuất biểu dương, nhắc nhở"]


@pytest.fixture
def july(dataset, national_reader):
    return assemble("national", "2025-07", dataset, viewer_for(national_reader))


def test_the_national_brief_reads_official_figures_units_behind_tasks_and_verdicts(july):
    headline = july.headlines[0]
    assert (headline.code, headline.period, headline.status) == ("DVC_TOANTRINH_TYLE", "202507", "off_track")
    assert headline.value == pytest.approx(NATIONAL_JULY) and headline.target == 80
    assert [(f.value, f.subset) for f in headline.figures] == [(39.51, ""), (15.21, "provinces")]
    # Off track in July's official figures: TP. Hồ Chí Minh (30.6%) and Hải Phòng (25%); Cần Thơ's 20% was never
    # approved, so it is in no official figure; Hà Nội (75%) and Bộ Công an (70%) are at risk, not behind.
    assert [b.code for b in july.behind] == ["31", "79"]
    assert [(t.code, t.state, t.days) for t in july.tasks] == [("BR-2", "due_soon", 5), ("BR-1", "overdue", 36)]
    # Ranks 1-3 of the provinces: Đà Nẵng, Cần Thơ (its quality alone: no official result) and Hà Nội; Cần Thơ,
    # judged on no indicator, is not commended.
    assert [v.code for v in july.commend if v.group == "provinces"] == ["48", "01"]
    assert all(v.link.endswith(f"/units/{v.code}/score/?period=202507") for v in july.commend + july.call_out)
    # The last places: the 29 provinces that reported nothing share rank 6 of 34 (score 0), called out together.
    silent = [v for v in july.call_out if v.group == "provinces"]
    assert len(silent) == 29 and {(v.rank, v.value, v.component) for v in silent} == {(6, 0, "quality")}
    assert july.official and not july.demo


def test_xlsx_has_one_sheet_per_section_with_real_numbers(july):
    sheets = workbook(render(july, "xlsx"))
    assert list(sheets) == ["0_ThongTin", "1_ChiTieu", "2_ChamTienDo", "3a_TheoCoQuan", "3_NhiemVu", "4_XepHang",
                            "5_ChatLuong",
                            "6a_BieuDuong", "6b_NhacNho", "7_VuongMac"]
    indicators = sheets["1_ChiTieu"]
    assert indicators[0] == ("1. Chỉ tiêu chủ yếu so với mục tiêu",) + (None,) * 12
    assert indicators[1][:4] == ("Mã", "Chỉ tiêu", "Kỳ", "Giá trị")
    row = indicators[2]
    assert row[0] == "DVC_TOANTRINH_TYLE" and isinstance(row[3], float) and row[3] == pytest.approx(NATIONAL_JULY)
    assert (row[5], row[6].date(), row[8]) == (80, datetime.date(2025, 12, 31), "Chậm tiến độ")
    assert "39,51 (Tháng 7/2025; T2025, 06/02/2025); 15,21 (Tháng 7/2025, tổng các tỉnh; T2025" in row[11]
    # Per agency first, most overdue first: Bộ Công an holds BR-1, 36 days overdue; the soon-due BR-2's agency after.
    assert sheets["3a_TheoCoQuan"][2][:4] == ("Bộ Công an", 1, 36, 0)
    assert [r[1] for r in sheets["3a_TheoCoQuan"][2:]] == sorted((r[1] for r in sheets["3a_TheoCoQuan"][2:]),
                                                                reverse=True)
    tasks = {r[1]: r for r in sheets["3_NhiemVu"][2:]}
    assert tasks["BR-1"][:5] == ("Bộ Công an", "BR-1", "Hoàn thành cơ sở dữ liệu quốc gia về dân cư",
                                 datetime.datetime(2025, 7, 31), "Quá hạn")
    assert tasks["BR-1"][5] == "quá hạn 36 ngày" and tasks["BR-2"][4] == "Sắp đến hạn"
    commend = sheets["6a_BieuDuong"][2]  # Bộ Công an, first of the ministries, holds the overdue BR-1: not here
    assert commend[1] == "48" and commend[3] == 1 and isinstance(commend[5], (int, float))
    assert commend[7] == "http://127.0.0.1:8000/units/48/score/?period=202507"
    assert [r[1] for r in sheets["6a_BieuDuong"][2:]] == ["48", "01"]
    assert any("đúng như tại thời điểm lập" in (r[0] or "") for r in sheets["0_ThongTin"])


def test_docx_is_an_a4_administrative_report_in_times_new_roman(july):
    content = render(july, "docx")
    lines = document_text(content)
    assert "HỆ THỐNG ĐÁNH GIÁ KPI" in lines[0] and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in lines[0]
    assert "Độc lập - Tự do - Hạnh phúc" in lines[0]
    assert "Hà Nội, ngày 05 tháng 09 năm 2025" in lines
    assert "BÁO CÁO GIAO BAN" in lines and "Tình hình thực hiện chỉ tiêu, nhiệm vụ Tháng 7/2025" in lines
    assert [line for line in lines if line[:2] in {f"{n}." for n in range(1, 7)}] == HEADINGS
    rows = [line for line in lines if line.startswith("Tỷ lệ DVC trực tuyến toàn trình")]
    assert rows and "44,33" in rows[0] and "80,00" in rows[0] and "Chậm tiến độ" in rows[0]
    assert any("Bộ Công an | Hoàn thành cơ sở dữ liệu quốc gia về dân cư | 31/07/2025 | Quá hạn" in line
               for line in lines)
    document = docx.Document(io.BytesIO(content))
    section = document.sections[0]
    assert [round(x.mm) for x in (section.page_width, section.page_height, section.left_margin,
                                  section.right_margin)] == [210, 297, 30, 15]
    body = [run for p in document.paragraphs for run in p.runs if run.text.strip()]
    assert {run.font.name for run in body} == {"Times New Roman"}
    assert {run.font.size for run in body} <= {Pt(12), Pt(13), Pt(14)} and Pt(13) in {r.font.size for r in body}


def test_pdf_has_vietnamese_text_the_sections_and_a_first_page_that_is_not_blank(july):
    content = render(july, "pdf")
    pages = [" ".join(page.split()) for page in pdf_text(content)]  # a table cell's text wraps over lines
    first = pages[0]
    for text in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO GIAO BAN",
                 "Tình hình thực hiện chỉ tiêu, nhiệm vụ Tháng 7/2025", "44,33", "39,51", "Chậm tiến độ"):
        assert text in first, text
    whole = "\n".join(pages)
    for heading in HEADINGS:
        assert heading in whole
    assert "Hoàn thành cơ sở dữ liệu quốc gia về dân cư" in whole and "Thành phố Hồ Chí Minh" in whole
    image = pypdfium2.PdfDocument(content)[0].render(scale=1).to_pil().convert("L")
    pixels = list(image.tobytes())
    assert statistics.pvariance(pixels) > 500  # text and rules on white, not a blank page
    assert sum(1 for p in pixels if p < 128) / len(pixels) > 0.01
    assert render(july, "pdf") == content  # reportlab's invariant mode: the same brief, the same bytes


def test_the_pdf_font_is_vendored_in_the_package_with_its_licence():
    package = Path(govkpi.settings.__file__).parent
    assert FONTS.is_relative_to(package) and (FONTS / "LICENSE").read_text().count("SIL OPEN FONT LICENSE") == 1
    assert sorted(p.name for p in FONTS.glob("*.ttf")) == ["LiberationSerif-Bold.ttf", "LiberationSerif-Italic.ttf",
                                                           "LiberationSerif-Regular.ttf"]


def test_english_on_demand(july):
    pages = [" ".join(page.split()) for page in pdf_text(render(july, "pdf", "en"))]
    assert "MEETING BRIEF" in pages[0] and "1. Headline indicators against targets" in pages[0]
    assert "44.33" in pages[0] and "Off track" in pages[0]
    sheets = workbook(render(july, "xlsx", "en"))
    assert "1_Indicators" in sheets and sheets["1_Indicators"][2][8] == "Off track"
    assert "SOCIALIST REPUBLIC OF VIET NAM" in document_text(render(july, "docx", "en"))[0]


def test_a_ministrys_brief_and_a_quarters(dataset, national_reader):
    ministry = assemble("BCA", "2025-07", dataset, viewer_for(national_reader))
    assert (ministry.scope.name, ministry.headlines[0].value, ministry.headlines[0].status) == (
        "Bộ Công an", 70.0, "at_risk")
    assert [t.code for t in ministry.tasks] == ["BR-1"] and ministry.behind == []
    # First of the 17 ministries, but late on BR-1 while the middle ministry is late on none: not commended.
    assert ministry.commend == [] and [(t.code, t.state) for t in ministry.tasks] == [("BR-1", "overdue")]
    quarter = assemble("national", "2025-Q3", dataset, viewer_for(national_reader))
    assert (quarter.period, quarter.period_vi, quarter.month) == ("2025Q3", "Quý III/2025", "202509")
    assert "Tình hình thực hiện chỉ tiêu, nhiệm vụ Quý III/2025" in document_text(render(quarter, "docx"))


def test_a_scope_is_found_by_name_and_a_month_as_the_pages_write_it(dataset, national_reader):
    by_name = assemble("Bộ Công an", "7/2025", dataset, viewer_for(national_reader))
    by_code = assemble("BCA", "2025-07", dataset, viewer_for(national_reader))
    assert (by_name.scope.code, by_name.period) == ("BCA", "202507") and by_name.headlines == by_code.headlines
    assert assemble("Tỉnh Quảng Nam", "07/2025", dataset, viewer_for(national_reader)).scope.code == "48"  # merged


def test_a_provinces_brief_says_where_the_province_stands(dataset, national_reader):
    hanoi = assemble("01", "2025-07", dataset, viewer_for(national_reader))
    rank, size, value, _change = hanoi.standing
    assert size == 34 and rank is not None and value is not None
    text = "\n".join(document_text(render(hanoi, "docx")))
    assert f"Thành phố Hà Nội: điểm {value:.2f}".replace(".", ",") in text and f"xếp hạng {rank}/34" in text
    assert assemble("national", "2025-07", dataset, viewer_for(national_reader)).standing is None
