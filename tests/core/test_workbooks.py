"""The one guarded workbook reader: every hostile workbook is refused quickly, saying why, in both languages."""

import io
import time

import pytest
from openpyxl import Workbook, load_workbook

from govkpi.core.tabular import TabularError, neutralise, read_table, restore_text
from govkpi.core.workbooks import open_workbook, spreadsheet_text
from tests.core import workbook_bombs as bombs

HEADER = ["dataelement", "orgunit", "period", "value"]
LIMIT = 50 * 1024 * 1024


def refusal(blob: bytes) -> TabularError:
    started = time.monotonic()
    with pytest.raises(TabularError) as caught:
        open_workbook(blob, LIMIT)
    assert time.monotonic() - started < 5  # refused before openpyxl spends its minute on it
    return caught.value


@pytest.mark.parametrize(("build", "code", "vi", "en"), [
    (lambda: bombs.cell_bomb(HEADER), "compression_ratio", "tỷ lệ nén", "zip bomb"),
    (lambda: bombs.spaces_bomb(HEADER, 200), "unzipped_too_large", "giải nén ra 200 MB", "unpacks to 200 MB"),
    (lambda: bombs.many_small_sheets_of_cells(HEADER), "too_many_cells", "quá nhiều ô", "too many cells"),
    (lambda: bombs.sparse_sheet(HEADER), "too_many_cells", "Trang tính «Sheet» có quá nhiều ô", "too many cells"),
    (lambda: bombs.many_parts(HEADER), "too_many_parts", "1509 phần", "1509 parts"),
], ids=["cells-1000-to-1", "unpacks-too-much", "cells-across-sheets", "sparse-sheet", "many-parts"])
def test_a_hostile_workbook_is_refused_quickly_saying_why(build, code, vi, en):
    error = refusal(build())
    assert error.code == code
    assert vi in error.message_vi and en in error.message_en
    assert str(error).index(error.message_vi) < str(error).index(error.message_en)  # Vietnamese first


def test_sheets_stored_under_any_part_name_are_counted_before_openpyxl_reads_them():
    # openpyxl finds sheets through xl/_rels/workbook.xml.rels, so a sheet may be stored as xl/data/s1.bin;
    # 25 such sheets of 43,800 cells each pass the used-area check one by one but cost openpyxl 20 s together.
    error = refusal(bombs.sheets_stored_elsewhere(HEADER))
    assert error.code == "too_many_cells"
    # "The file…" is the streaming count's message; the used-area check, after loading, names a sheet
    assert error.message_en.startswith("The file has too many cells")
    assert error.message_vi.startswith("Tệp có quá nhiều ô")


def test_the_size_limit_is_the_callers():
    blob = bombs.plain_workbook(HEADER)
    with pytest.raises(TabularError) as caught:
        open_workbook(blob, len(blob) - 1)
    assert caught.value.code == "too_large"
    assert open_workbook(blob, len(blob)).active["A1"].value == "dataelement"


def test_the_data_file_reader_refuses_the_cell_bomb():
    started = time.monotonic()
    with pytest.raises(TabularError) as caught:
        read_table(bombs.cell_bomb(HEADER), "bieu.xlsx", {k: [] for k in HEADER}, set(HEADER), max_bytes=LIMIT)
    assert caught.value.code == "compression_ratio" and time.monotonic() - started < 5


def test_an_ordinary_workbook_of_many_rows_is_read():
    book = Workbook()
    book.active.append(HEADER)
    for number in range(20_000):
        book.active.append([f"KPI{number % 40:02d}", f"{number % 700:04d}", "202509", number * 1.5])
    buffer = io.BytesIO()
    book.save(buffer)
    assert open_workbook(buffer.getvalue(), LIMIT).active.max_row == 20_001


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "+1", "@A1", "\t=1", "'=1", "''+x", "-5", "Hà Nội",
                                  "'quoted", ""])
def test_neutralised_text_is_restored_exactly(text):
    assert restore_text(neutralise(text)) == text


def test_spreadsheet_text_is_never_a_formula_nor_broken_xml():
    book = Workbook()
    book.active.append([spreadsheet_text('=HYPERLINK("http://x","y")'), spreadsheet_text("a\x00b\x1fc"),
                        spreadsheet_text(5)])
    buffer = io.BytesIO()
    book.save(buffer)
    row = load_workbook(io.BytesIO(buffer.getvalue())).active[1]
    assert row[0].data_type == "s" and row[0].value == '\'=HYPERLINK("http://x","y")'
    assert row[1].value == "abc" and row[2].value == 5
