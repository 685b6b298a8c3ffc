"""The brief as a workbook: one sheet per section's table, a header row, real numbers and dates in the cells."""

from __future__ import annotations

import datetime
import io

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from govkpi.brief.document import Brief
from govkpi.brief.sections import Num, Table, front_matter, sections
from govkpi.brief.words import word

HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
WRAP = Alignment(wrap_text=True, vertical="top")
COVER_CHARS = 110


def _print_setup(sheet) -> None:
    """A4 landscape, as wide as the page: a sheet prints as a table, not cut across pages."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _number_format(decimals: int) -> str:
    return "#,##0" if decimals <= 0 else "#,##0." + "0" * decimals


def _sheet(book: Workbook, title: str, table: Table) -> None:
    sheet = book.create_sheet(table.name[:31])
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=12)
    sheet.append(table.columns)
    for cell in sheet[2]:
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table.rows:
        sheet.append([c.value if isinstance(c, Num) else c for c in row])
        for cell, value in zip(sheet[sheet.max_row], row, strict=True):
            if isinstance(value, Num):
                cell.number_format = _number_format(value.decimals)
            elif isinstance(value, datetime.date):
                cell.number_format = "DD/MM/YYYY"
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = WRAP
    _print_setup(sheet)
    sheet.print_title_rows = "2:2"
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(table.columns))}{max(sheet.max_row, 2)}"
    for index, width in enumerate(table.widths or [2] * len(table.columns), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(8, width * 7)


def render_xlsx(brief: Brief, lang: str) -> bytes:
    book = Workbook()
    cover = book.active
    cover.title = "0_ThongTin" if lang == "vi" else "0_About"
    cover.append([word("title", lang)])
    cover["A1"].font = Font(bold=True, size=14)
    for line in front_matter(brief, lang):
        cover.append([line])
    parts = sections(brief, lang)
    cover.append([])
    cover.append([word("contents", lang)])
    cover.cell(cover.max_row, 1).font = Font(bold=True)
    for section in parts:
        for table in section.tables:
            cover.append([f"{table.name}: {section.number}. {section.title} ({len(table.rows)})"])
    cover.append([])
    cover.append([word("notes", lang)])
    cover.cell(cover.max_row, 1).font = Font(bold=True)
    for vi, en in brief.notes:
        note = vi if lang == "vi" else en
        cover.append([note])
        cover.cell(cover.max_row, 1).alignment = WRAP
        cover.row_dimensions[cover.max_row].height = 15 * (len(note) // COVER_CHARS + 1)  # what a reader wraps
    cover.column_dimensions["A"].width = COVER_CHARS
    _print_setup(cover)
    for section in parts:
        for table in section.tables:
            _sheet(book, f"{section.number}. {section.title}", table)
    # The workbook's own dates are the data's moment, not the time of writing.
    moment = timezone.localtime(brief.as_of).replace(tzinfo=None)
    book.properties.created = book.properties.modified = moment
    book.properties.title = f"{word('title', lang)} {brief.period}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
