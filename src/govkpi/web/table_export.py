"""A table as a page shows it (column headers, rows of typed values, the page's marks) written as XLSX or CSV.

A page and its download read the same thing: the view builds its context once through the read door and turns
the table it shows into a `Table` (govkpi.web.page_tables); this module only writes it. XLSX keeps numbers as
numbers (with the indicator's decimals; percentages as Excel percentages), dates as dates, and opens with a
title block: the table's title, scope, period, the moment of the data and the demo note. CSV is for programs:
UTF-8 with a byte-order mark (Excel then reads Vietnamese correctly), one header line, numbers with a dot and
no grouping, dates as YYYY-MM-DD, percentages as the number of per cent (39.51 for 39,51%).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from govkpi.core.workbooks import spreadsheet_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"xlsx": XLSX, "csv": "text/csv; charset=utf-8"}
EXPORT_PARAM, FORMAT_PARAM = "export", "format"  # ?export=<table name>&format=xlsx|csv
DATE_FORMAT, MOMENT_FORMAT = "dd/mm/yyyy", "dd/mm/yyyy hh:mm"
MAX_WIDTH = 60
DEMO_LINE = 3  # the title block's line that says the figures are demo data, when they are


@dataclass(frozen=True)
class Measure:
    """A figure in its indicator's unit: `decimals` shown; a percentage is the number of per cent (39.51)."""

    value: float | int | None
    decimals: int = 0
    percent: bool = False


def measure(value: float | None, indicator: Any) -> Measure:
    """A value of an indicator as its page writes it (value_type percentage → %, its decimals)."""
    decimals = getattr(indicator, "decimals", None)
    percent = getattr(indicator, "value_type", "") == "percentage"
    return Measure(value, decimals if decimals is not None else (2 if percent else 0), percent)


def number(value: float | None, decimals: int = 2) -> Measure:
    return Measure(value, decimals)


def percent(value: float | None, decimals: int = 1) -> Measure:
    return Measure(value, decimals, True)


@dataclass
class Table:
    """What a page's table shows to its viewer: headers in the interface language and the rows."""

    name: str  # the file's first word, ASCII ("xep-hang-tinh")
    title: str
    headers: list[str]
    rows: list[list[Any]]
    scope: str = ""  # "Cả nước", "Thành phố Hà Nội"
    period: str = ""  # as the page writes it: "07/2025"
    notes: list[str] = field(default_factory=list)  # the page's notes: demo data, provisional figures
    demo: bool = False
    moment: datetime.datetime = field(default_factory=timezone.now)


# -- values -----------------------------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    """A cell value as text or a number, for CSV (and the tests): what a program reading the file gets."""
    if isinstance(value, Measure):
        if value.value is None:
            return ""
        return value.value
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return _("Có") if value else ""
    return value if isinstance(value, (int, float)) else spreadsheet_text(str(value))


def _number_format(decimals: int, percent: bool = False) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return ("0" + ("." + "0" * decimals if decimals > 0 else "") + "%") if percent else pattern


# -- XLSX -------------------------------------------------------------------------------------------------------

def _put(cell: Any, value: Any) -> None:
    if isinstance(value, Measure):
        if value.value is None:
            return
        cell.value = value.value / 100 if value.percent else value.value
        cell.number_format = _number_format(value.decimals, value.percent)
    elif isinstance(value, bool):
        cell.value = _("Có") if value else None
    elif isinstance(value, datetime.datetime):
        cell.value = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        cell.number_format = MOMENT_FORMAT
    elif isinstance(value, datetime.date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif isinstance(value, int | float):
        cell.value = value
        cell.number_format = "#,##0" if isinstance(value, int) else "#,##0.00"
    elif value is not None and value != "":
        cell.value = spreadsheet_text(str(value))  # "=HYPERLINK(…)" in a task's title stays text


def heading_lines(table: Table) -> list[str]:
    """The lines above the table: title, then scope · period · moment, then the notes (demo first)."""
    facts = [f"{_('Phạm vi')}: {table.scope}" if table.scope else "",
             f"{_('Kỳ')}: {table.period}" if table.period else "",
             f"{_('Số liệu lúc')}: {timezone.localtime(table.moment):%H:%M %d/%m/%Y}"]
    notes = ([_("Số liệu minh họa: số liệu theo đơn vị là số liệu tự sinh để minh họa, không phải số liệu thật.")]
             if table.demo else []) + table.notes
    return [table.title, " · ".join(f for f in facts if f), *notes]


def to_xlsx(table: Table) -> bytes:
    """The table as a workbook: the title block, a header row (frozen, with filters), the rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = _safe_sheet_title(table.title)
    lines = heading_lines(table)
    for row, line in enumerate(lines, start=1):
        demo_line = table.demo and row == DEMO_LINE
        sheet.cell(row, 1, spreadsheet_text(line)).font = Font(bold=row == 1 or demo_line, size=13 if row == 1 else 11,
                                             color="8A4B00" if demo_line else None)
    header_row = header_row_of(table)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E5E7EB")
    for column, header in enumerate(table.headers, start=1):
        cell = sheet.cell(header_row, column, spreadsheet_text(header))
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [len(h) for h in table.headers]
    for offset, row in enumerate(table.rows, start=1):
        for column, value in enumerate(row, start=1):
            _put(sheet.cell(header_row + offset, column), value)
            widths[column - 1] = max(widths[column - 1], len(str(_plain(value))))
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(MAX_WIDTH, max(8, width + 2))
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    if table.headers:
        last = f"{get_column_letter(len(table.headers))}{header_row + max(len(table.rows), 1)}"
        sheet.auto_filter.ref = f"A{header_row}:{last}"
    sheet.print_title_rows = f"{header_row}:{header_row}"  # printed from Excel, each page repeats the headers
    sheet.page_setup.paperSize, sheet.page_setup.orientation = sheet.PAPERSIZE_A4, "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe_sheet_title(title: str) -> str:
    return (re.sub(r"[\[\]:*?/\\]", " ", title).strip() or "govkpi")[:31]


def header_row_of(table: Table) -> int:
    """The row of the column headers in the table's workbook: after the title block and one blank row."""
    return len(heading_lines(table)) + 2


# -- CSV --------------------------------------------------------------------------------------------------------

def to_csv(table: Table) -> bytes:
    """The table as CSV: a byte-order mark, the header line, one line per row (CRLF, as RFC 4180 writes)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_text(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([_plain(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# -- the download -----------------------------------------------------------------------------------------------

def _ascii_slug(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def file_name(table: Table, fmt: str) -> str:
    """What and when: govkpi-xep-hang-tinh-thanh-pho-07-2025-20261204-1930.xlsx (the moment in Viet Nam's time)."""
    parts = ["govkpi", table.name, _ascii_slug(table.scope), _ascii_slug(table.period),
             f"{timezone.localtime(table.moment):%Y%m%d-%H%M}"]
    return "-".join(p for p in parts if p)[:150] + f".{fmt}"


def requested(request: HttpRequest) -> tuple[str, str] | None:
    """(table name, format) when the request asks for a download: ?export=<name>&format=xlsx|csv."""
    name = request.GET.get(EXPORT_PARAM, "")
    fmt = request.GET.get(FORMAT_PARAM, "xlsx")
    if not name:
        return None
    return name, fmt


def download(table: Table, fmt: str) -> HttpResponse:
    """The table as an attachment in the format asked for (xlsx or csv)."""
    content = to_csv(table) if fmt == "csv" else to_xlsx(table)
    fmt = "csv" if fmt == "csv" else "xlsx"
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{file_name(table, fmt)}"'
    response["Cache-Control"] = "private, no-store"  # what a viewer may see is theirs
    return response


def answer(request: HttpRequest, tables: dict[str, Any]) -> HttpResponse | None:
    """The download a request asks for among the page's tables (name → a function giving the Table), or None
    when it asks for none; an unknown table or format is a 404."""
    from django.http import Http404

    asked = requested(request)
    if asked is None:
        return None
    name, fmt = asked
    if name not in tables or fmt not in FORMATS:
        raise Http404(f"{name}.{fmt}")
    return download(tables[name](), fmt)


def cells(table: Table) -> list[list[Any]]:
    """The rows as a program reads them from the CSV (numbers stay numbers): for comparisons."""
    return [[_plain(v) for v in row] for row in table.rows]
