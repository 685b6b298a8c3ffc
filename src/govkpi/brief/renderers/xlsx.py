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
    cover.append([])
    cover.append([word("notes", lang)])
    cover.cell(cover.max_row, 1).font = Font(bold=True)
    for vi, en in brief.notes:
        cover.append([vi if lang == "vi" else en])
    cover.column_dimensions["A"].width = 140
    for section in sections(brief, lang):
        for table in section.tables:
            _sheet(book, f"{section.number}. {section.title}", table)
    # The workbook's own dates are the data's moment, not the time of writing.
    moment = timezone.localtime(brief.as_of).replace(tzinfo=None)
    book.properties.created = book.properties.modified = moment
    book.properties.title = f"{word('title', lang)} {brief.period}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
