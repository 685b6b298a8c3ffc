"""Printing the dashboards as a steering committee's folder would: Chromium's own print (page.pdf, print media) of
the national dashboard, the rankings and a province's page. Each fits in a few A4 pages, carries its title line,
its table headers and the demo mark, no menu, filter or download link, and its charts whole on the page."""

from __future__ import annotations

import io

import pytest

pytestmark = pytest.mark.slow
A4_POINTS = (595.28, 841.89)
# What the screen shows around the content and paper must not: menu, language switch, sign-in, skip link,
# live badge, download links, filters' buttons.
SCREEN_ONLY = ["Tài liệu API", "Nhập số liệu", "Đăng nhập", "English", "Bỏ qua, đến nội dung chính", "Trực tiếp",
               "Tải Excel", "Tải CSV", "Tải về:"]
PAGES = {
    # path: (title line, words of its tables' headers, the most pages it may take, charts drawn on it)
    "/": ("Tổng quan cả nước", ["Chỉ tiêu chủ yếu của cả nước so với mục tiêu", "Mục tiêu", "Thời hạn", "Mức đạt",
                                "Nhiệm vụ quá hạn theo cơ quan", "Xếp hạng tỉnh, thành phố", "Điểm"], 3, 2),
    "/rankings/": ("Xếp hạng", ["Hạng", "Thay đổi", "Đơn vị", "Điểm", "Chỉ tiêu", "Nhiệm vụ", "Chất lượng số liệu"],
                   2, 0),
    "/units/01/": ("Thành phố Hà Nội", ["Điểm và thứ hạng", "Thành phần", "Trọng số", "Đóng góp",
                                        "Xã, phường, đặc khu", "Chất lượng số liệu"], 5, 0),
}


def printed(page, server: str, path: str, charts: int) -> bytes:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server}{path}")
    if charts:
        page.locator("[data-chart][data-drawn]").nth(charts - 1).wait_for(timeout=15_000)
    return page.pdf(format="A4", print_background=True)


@pytest.mark.parametrize("path", list(PAGES))
def test_a_page_prints_on_few_a4_pages_with_its_title_headers_and_demo_mark_and_no_menu(page, server, path):
    from pypdf import PdfReader

    title, headers, most, charts = PAGES[path]
    pdf = PdfReader(io.BytesIO(printed(page, server, path, charts)))
    assert 1 <= len(pdf.pages) <= most, f"{path}: {len(pdf.pages)} pages"
    box = pdf.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A4_POINTS, abs=1)
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())  # a header may wrap in its cell
    first = " ".join(pdf.pages[0].extract_text().split())
    assert f"govkpi · {title}" in first, first[:300]  # the print header line
    assert "Số liệu lúc" in first and "Số liệu minh họa / demo data" in first
    for words in headers:
        assert words in text, (path, words)
    for words in SCREEN_ONLY:
        assert words not in text, (path, words)
    assert page.problems == [], page.problems


def test_the_dashboards_charts_print_whole_inside_the_page(page, server):
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    document = pdfium.PdfDocument(printed(page, server, "/", 2))
    width, height = document[0].get_size()
    images = [obj.get_bounds() for obj in document[0].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])]
    drawn = [(left, bottom, right, top) for left, bottom, right, top in images if right - left > 100]
    assert len(drawn) >= 2, images  # the map and the trend, on the first page
    for left, bottom, right, top in drawn:
        assert 0 <= left < right <= width and 0 <= bottom < top <= height, (left, bottom, right, top)
    bitmap = document[0].render(scale=1).to_pil().convert("L")
    assert bitmap.getextrema()[0] < 128  # something dark is printed: not a blank page
