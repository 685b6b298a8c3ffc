"""Appendix tables of tasks (Phụ lục) as Excel files: read them, import them into a directive, export them.

A directive's appendix lists its tasks in columns such as STT, Nhiệm vụ, Cơ quan chủ trì, Cơ quan phối
hợp, Thời hạn, Sản phẩm. Reading follows the files people actually send:

- the header row is found among the first 20 rows by its Vietnamese column names (case, accents and
  common variants do not matter: "Chủ trì", "Đơn vị chủ trì", "Thời gian hoàn thành", "Kết quả/sản
  phẩm"…); a second header row below it ("Cơ quan thực hiện" over "Chủ trì" | "Phối hợp") is read too;
- a title block above the header, and a row of column numbers "(1) (2) (3)" below it, are ignored;
- merged cells count for every cell they cover (a lead unit merged over several rows leads each task);
- section headings ("I. NHIỆM VỤ CHUNG" spanning the width, or a Roman numeral / letter in STT with only
  a heading) are not tasks: they are kept as the `section` of the rows under them.

Importing goes through `actions.create_task`, the one way tasks are made: unit names are resolved as of
the directive's date (`resolve_unit`: old names of merged ministries and provinces lead to their
successors, with a notice), deadline words are read by the deadline reader (a row whose words cannot be
read is an error, never kept without a date), "Các bộ, ngành, địa phương" as lead fans the task out.
Codes are `<directive code>-PL<STT>` unless a Mã column gives one. Every problem is reported with its
Excel row and column, in Vietnamese and English; all-or-nothing by default, and a dry run checks exactly
what a real import would (it is one, rolled back).
"""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from govkpi.accounts.permissions import can
from govkpi.accounts.roles import Action
from govkpi.audit.trail import record
from govkpi.core.six_clear import LABELS_VI
from govkpi.core.tabular import TabularError, restore_text
from govkpi.core.workbooks import open_workbook, spreadsheet_text
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.reference import GOVERNMENT_CODE
from govkpi.orgunits.resolve import Outcome, Resolution, resolve_unit
from govkpi.tasks import actions
from govkpi.tasks.models import Assignees, Directive, ProductKind, Task
from govkpi.reads.task_rows import clarity

HEADER_SEARCH_ROWS = 20
MAX_SHEET_ROWS = 50_000
MAX_TASK_ROWS = 5_000
CODE_PREFIX = "PL"
_TITLE_MAX = Task._meta.get_field("title").max_length  # longer task text goes whole into `content`

# The columns, in the order the export writes them: field, Vietnamese header, English name.
COLUMNS: list[tuple[str, str, str]] = [
    ("stt", "STT", "No."),
    ("code", "Mã", "code"),
    ("title", "Nhiệm vụ", "task"),
    ("lead", "Cơ quan chủ trì", "lead unit"),
    ("coordinating", "Cơ quan phối hợp", "coordinating units"),
    ("deadline", "Thời hạn", "deadline"),
    ("product", "Sản phẩm", "product"),
    ("product_kind", "Loại sản phẩm", "product kind"),
    ("accepting_authority", "Cấp nghiệm thu", "accepting authority"),
    ("responsible", "Người chịu trách nhiệm", "responsible person"),
    ("six_clear", "Tình trạng 6 rõ", "6 rõ status"),
    ("notes", "Ghi chú", "notes"),
]
HEADER_VI = {f: vi for f, vi, _en in COLUMNS}
_WIDTHS = {"stt": 6, "code": 16, "title": 50, "lead": 24, "coordinating": 30, "deadline": 18, "product": 30,
           "product_kind": 18, "accepting_authority": 20, "responsible": 22, "six_clear": 24, "notes": 24}

# Header names as people write them, reduced by `_plain` (no accents, lower case, punctuation as spaces).
_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "stt": ("stt", "tt", "so tt", "so thu tu"),
    "code": ("ma", "ma so", "ma nhiem vu", "ma nv"),
    "title": ("nhiem vu", "ten nhiem vu", "noi dung nhiem vu", "noi dung", "nhiem vu giai phap",
              "noi dung nhiem vu giai phap", "nhiem vu cu the", "noi dung cong viec", "cong viec",
              "ten nhiem vu de an", "ten de an nhiem vu"),
    "lead": ("co quan chu tri", "chu tri", "don vi chu tri", "co quan don vi chu tri",
             "co quan chu tri thuc hien", "don vi chu tri thuc hien", "co quan thuc hien", "don vi thuc hien",
             "co quan chu tri soan thao"),
    "coordinating": ("co quan phoi hop", "phoi hop", "don vi phoi hop", "co quan don vi phoi hop",
                     "co quan phoi hop thuc hien", "don vi phoi hop thuc hien"),
    "deadline": ("thoi han", "thoi han hoan thanh", "thoi gian hoan thanh", "thoi gian thuc hien",
                 "thoi gian", "thoi han thuc hien", "tien do", "tien do hoan thanh", "thoi gian trinh",
                 "thoi han trinh"),
    "product": ("san pham", "ket qua san pham", "san pham ket qua", "ket qua", "san pham dau ra",
                "ket qua dau ra", "san pham du kien", "du kien san pham", "hinh thuc van ban",
                "hinh thuc san pham"),
    "product_kind": ("loai san pham", "loai hinh san pham"),
    "accepting_authority": ("cap nghiem thu", "co quan nghiem thu", "cap co tham quyen nghiem thu",
                            "tham quyen nghiem thu", "cap trinh", "cap ban hanh", "cap trinh ban hanh",
                            "cap phe duyet"),
    "responsible": ("nguoi chiu trach nhiem", "nguoi chiu trach nhiem chinh", "lanh dao chiu trach nhiem",
                    "chiu trach nhiem", "nguoi phu trach", "lanh dao phu trach"),
    "six_clear": ("tinh trang 6 ro", "6 ro", "sau ro", "tinh trang sau ro"),
    "notes": ("ghi chu",),
}
_ALIAS_FIELD = {alias: f for f, aliases in _HEADER_ALIASES.items() for alias in aliases}
# Longer names that begin with a known one ("Cơ quan chủ trì thực hiện nhiệm vụ") count as it.
_PREFIX_ALIASES = sorted((a for a in _ALIAS_FIELD if " " in a), key=len, reverse=True)
# The fields that say something about a task besides its text: a row with none of them may be a heading.
_TASK_DETAIL_FIELDS = ("lead", "coordinating", "deadline", "product", "product_kind", "accepting_authority",
                       "responsible", "code")

_COLUMN_NUMBER = re.compile(r"^\(?\d{1,2}\)?$")
_ROMAN = re.compile(r"^[IVXLC]+$")
_LETTER = re.compile(r"^[A-Za-zĐđ]$")
_HEADING_START = re.compile(r"^(?:(?:phần|mục|PHẦN|MỤC)\s+)?([IVXLC]+|[A-Z])\s*[.)/:]\s*\S")
_STT_CODE = re.compile(r"^[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*$")
_PEOPLES_COMMITTEE = re.compile(r"^(?:chủ tịch\s+)?(?:ubnd|ủy ban nhân dân|uỷ ban nhân dân)\s+",
                                re.IGNORECASE)
_SEGMENT_SPLIT = re.compile(r"[;\n\r]+")
_AND_SPLIT = re.compile(r"\s+và\s+", re.IGNORECASE)
_BULLET = re.compile(r"^[\s\-–—+•*·]+")


# ---------------------------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class AppendixError(Exception):
    """A file that cannot be read as an appendix: a code and the reason in two languages."""

    code: str
    message_vi: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.message_vi} / {self.message_en}"


@dataclass(frozen=True)
class RowError:
    """A problem with one row: its Excel row, the column (Vietnamese name), the reason in two languages."""

    row: int
    column: str
    message_vi: str
    message_en: str
    code: str = ""
    cell: str = ""  # "F7" when the column is in the file

    def __str__(self) -> str:
        where_vi = f"Dòng {self.row}" + (f", cột «{self.column}»" if self.column else "")
        where_en = f"Row {self.row}" + (f", column “{self.column}”" if self.column else "")
        return f"{where_vi}: {self.message_vi} / {where_en}: {self.message_en}"


@dataclass(frozen=True)
class RowNotice(RowError):
    """Something done that the person importing should know (a successor chosen, a long text moved)."""


# ------------------------------------------------------------------------------------------- reading


@dataclass
class AppendixRow:
    """One task row of an appendix, as written (texts trimmed, merged cells filled)."""

    row: int  # the Excel row number
    title: str
    stt: str = ""
    code: str = ""
    lead: str = ""
    coordinating: str = ""
    deadline: str = ""
    product: str = ""
    product_kind: str = ""
    accepting_authority: str = ""
    responsible: str = ""
    notes: str = ""
    section: str = ""  # the heading the row stands under ("I. NHIỆM VỤ CHUNG")
    section_no: str = ""  # its number ("I"), used to tell apart STTs that restart in each section
    # field → column letter in the file (shared by the rows of one file), to name cells in errors.
    letters: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def cell(self, name: str) -> str:
        letter = self.letters.get(name)
        return f"{letter}{self.row}" if letter else ""


def _plain(text: str) -> str:
    """Lower case, no accents, punctuation as single spaces: how header and group names are compared."""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text).casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("đ", "d")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", bare).split())


def _header_field(value: str) -> str | None:
    """Return the field a header cell names, or None."""
    key = _plain(re.sub(r"\(.*?\)", " ", value))  # "Thời hạn (dự kiến)", "Sản phẩm (*)"
    if not key:
        return None
    if key in _ALIAS_FIELD:
        return _ALIAS_FIELD[key]
    for alias in _PREFIX_ALIASES:
        if key.startswith(alias + " "):
            return _ALIAS_FIELD[alias]
    return None


def _text(value: Any) -> str:
    """Return a cell value as text: NFC, trimmed, dates as dd/mm/yyyy, whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = unicodedata.normalize("NFC", str(value)).strip()
    return restore_text(text)  # `export_appendix` neutralises text that would run as a formula


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _read_bytes(data: bytes | bytearray | memoryview | IO[bytes]) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if hasattr(data, "seek"):
        data.seek(0)
    return data.read(settings.DATA_FILE_MAX_BYTES + 1)  # one byte more than allowed: enough to refuse it


def _open_workbook(data: bytes, filename: str) -> Any:
    suffix = PurePath(filename or "").suffix.lower()
    if suffix and suffix != ".xlsx":
        hint_vi = " Hãy mở tệp bằng Excel và lưu lại dưới dạng .xlsx." if suffix in {".xls", ".ods", ".csv",
                                                                                    ".xlsm", ".xlsb"} else ""
        hint_en = " Open it in Excel and save it as .xlsx." if hint_vi else ""
        raise AppendixError("unsupported_format",
                            f"Chỉ nhận tệp Excel .xlsx, không nhận «{filename}».{hint_vi}",
                            f"Only Excel .xlsx files are accepted, not “{filename}”.{hint_en}")
    if not data.startswith(b"PK\x03\x04"):
        raise AppendixError("unsupported_format", f"«{filename}» không phải tệp Excel .xlsx.",
                            f"“{filename}” is not an Excel .xlsx file.")
    try:  # the one guarded reader: size limit from settings, zip bomb and cell-count guards
        return open_workbook(data, settings.DATA_FILE_MAX_BYTES)
    except TabularError as error:
        raise AppendixError(error.code, error.message_vi, error.message_en) from None


def _grid(sheet: Any) -> tuple[list[list[Any]], dict[tuple[int, int], tuple[int, int]]]:
    """Return the sheet's values (0-based rows and columns) with merged ranges filled from their top-left
    cell, and, for cells under a merge more than one column wide, the merge's first and last column."""
    if sheet.max_row > MAX_SHEET_ROWS:
        raise AppendixError("too_many_rows", f"Trang «{sheet.title}» có hơn {MAX_SHEET_ROWS} dòng.",
                            f"Sheet “{sheet.title}” has more than {MAX_SHEET_ROWS} rows.")
    grid = [list(row) for row in sheet.iter_rows(values_only=True)]
    width = max((len(r) for r in grid), default=0)
    for row in grid:
        row.extend([None] * (width - len(row)))
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    for merged in sheet.merged_cells.ranges:
        top_left = sheet.cell(merged.min_row, merged.min_col).value
        for r in range(merged.min_row - 1, min(merged.max_row, len(grid))):
            for c in range(merged.min_col - 1, min(merged.max_col, width)):
                grid[r][c] = top_left
                if merged.max_col > merged.min_col:
                    spans[r, c] = (merged.min_col - 1, merged.max_col - 1)
    return grid, spans


def _header(grid: list[list[Any]]) -> tuple[int, dict[int, str]] | None:
    """Return (index of the first data row, column → field) for the header among the first rows."""
    for r, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        columns = {c: f for c, value in enumerate(row) if (f := _header_field(_text(value)))}
        fields = set(columns.values())
        if "title" in fields and fields & {"lead", "deadline", "product"}:
            start = r + 1
            if start < len(grid):  # a second header row ("Chủ trì" | "Phối hợp" under "Cơ quan thực hiện")
                below = {c: _header_field(_text(v)) for c, v in enumerate(grid[start]) if _text(v)}
                if below and all(below.values()):
                    columns.update({c: f for c, f in below.items() if f})
                    start += 1
            return start, columns
    return None


def _stt(text: str) -> str:
    text = _one_line(text)
    return text.rstrip(".)").strip() if len(text) > 1 else text


def _heading_number(text: str) -> str:
    match = _HEADING_START.match(text)
    return match.group(1) if match else ""


def _is_heading(stt: str, title: str, details: bool, merged_over: set[str]) -> bool:
    """A section heading: text merged across the STT or several columns, or a numeral / letter (in STT
    or opening the text: "II", "B.", "I. NHIỆM VỤ CHUNG") with nothing else on the row."""
    if "stt" in merged_over or len(merged_over - {"title"}) >= 2:
        return True
    numbered = _ROMAN.match(stt) or _LETTER.match(stt) or (not stt and _heading_number(title))
    return not details and bool(numbered)


def _drop_group_rows(rows: list[AppendixRow]) -> list[AppendixRow]:
    """A numbered row with only a text, followed by rows numbered under it ("1" then "1.1", "1.2"), names a
    group of tasks: it becomes their section."""
    kept: list[AppendixRow] = []
    for i, row in enumerate(rows):
        details = any(getattr(row, f) for f in _TASK_DETAIL_FIELDS)
        below = rows[i + 1:]
        if not details and row.stt and below and below[0].stt.startswith(row.stt + "."):
            for later in below:
                if not later.stt.startswith(row.stt + "."):
                    break
                later.section = row.title
            continue
        kept.append(row)
    return kept


def _read_sheet(sheet: Any) -> list[AppendixRow] | None:
    grid, spans = _grid(sheet)
    found = _header(grid)
    if found is None:
        return None
    start, columns = found
    first: dict[str, int] = {}
    for c in sorted(columns):
        first.setdefault(columns[c], c)
    letters = {f: get_column_letter(c + 1) for f, c in first.items()}
    rows: list[AppendixRow] = []
    section = section_no = ""
    for r in range(start, len(grid)):
        texts = [_text(v) for v in grid[r]]
        if not any(texts) or all(_COLUMN_NUMBER.match(t) for t in texts if t):
            continue  # an empty row, or the row of column numbers "(1) (2) (3)…"
        value = {f: texts[c] for f, c in first.items()}
        stt = _stt(value.get("stt", ""))
        title = _one_line(value.get("title", ""))
        details = any(value.get(f) for f in _TASK_DETAIL_FIELDS)
        span = spans.get((r, first["title"]))
        merged_over = {columns[c] for c in range(span[0], span[1] + 1) if c in columns} if span else set()
        if (not title and not details) or (title and _is_heading(stt, title, details, merged_over)):
            others = [t for c, t in enumerate(texts) if t and c != first.get("stt")]
            heading = title or (_one_line(others[0]) if others else stt)
            if not heading.isdigit():  # a number alone says nothing
                section = heading
                numbered = _ROMAN.match(stt) or _LETTER.match(stt)
                section_no = (stt if numbered else "") or _heading_number(heading)
            continue
        rows.append(AppendixRow(
            row=r + 1, title=title, stt=stt, code=_one_line(value.get("code", "")),
            lead=value.get("lead", ""), coordinating=value.get("coordinating", ""),
            deadline=_one_line(value.get("deadline", "")),
            product=value.get("product", ""), product_kind=_one_line(value.get("product_kind", "")),
            accepting_authority=_one_line(value.get("accepting_authority", "")),
            responsible=_one_line(value.get("responsible", "")), notes=value.get("notes", ""),
            section=section, section_no=section_no, letters=letters))
        if len(rows) > MAX_TASK_ROWS:
            raise AppendixError("too_many_rows", f"Phụ lục có hơn {MAX_TASK_ROWS} nhiệm vụ.",
                                f"The appendix has more than {MAX_TASK_ROWS} tasks.")
    return _drop_group_rows(rows)


def read_appendix(data: bytes | IO[bytes], filename: str) -> list[AppendixRow]:
    """Return the task rows of an appendix workbook (.xlsx): the first sheet with a header row is read.

    Raises AppendixError (in Vietnamese and English) for another format, an unreadable file, or a file
    with no header row naming at least the task and its lead unit, deadline or product.
    """
    book = _open_workbook(_read_bytes(data), filename)
    try:
        for sheet in book.worksheets:
            rows = _read_sheet(sheet)
            if rows is not None:
                return rows
    finally:
        book.close()
    raise AppendixError(
        "no_header",
        f"Không thấy dòng tiêu đề trong {HEADER_SEARCH_ROWS} dòng đầu của «{filename}»: cần ít nhất cột "
        "«Nhiệm vụ» và một trong các cột «Cơ quan chủ trì», «Thời hạn», «Sản phẩm».",
        f"No header row in the first {HEADER_SEARCH_ROWS} rows of “{filename}”: the columns “Nhiệm vụ” "
        "(task) and one of “Cơ quan chủ trì” (lead), “Thời hạn” (deadline), “Sản phẩm” (product) are needed.")


# ------------------------------------------------------------------------------- names of many units


def collective_assignees(text: str) -> str | None:
    """Return the Assignees value for words naming a group of units ("Các bộ, ngành, địa phương"), or None
    for words that name units one by one. Groups said to be "liên quan" (concerned) name nobody: SOME."""
    key = _plain(text)
    words = key.split()
    if not words:
        return None
    group = (words[0] in {"cac", "nganh"} or key.startswith(("tat ca ", "bo nganh", "dia phuong"))
             or ("cac" in words and key.startswith(("ubnd", "uy ban nhan dan", "bo truong", "thu truong",
                                                    "chu tich", "lanh dao"))))
    if not group:
        return None
    if "lien quan" in key:
        return Assignees.SOME
    ministries = "bo" in words or "nganh" in words or "co quan trung uong" in key
    provinces = "tinh" in words or "dia phuong" in key
    communes = "xa" in words or "dac khu" in key or "phuong" in key.replace("dia phuong", "")
    if ministries and provinces and not communes:
        return Assignees.ALL_MINISTRIES_AND_PROVINCES
    if ministries and not (provinces or communes):
        return Assignees.ALL_MINISTRIES
    if provinces and not (ministries or communes):
        return Assignees.ALL_PROVINCES
    if communes and not (ministries or provinces):
        return Assignees.ALL_COMMUNES
    return Assignees.SOME


@dataclass
class _Names:
    """Units named in a cell, the group words among them, and the names that found no single unit."""

    found: list[Resolution] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    failed: list[Resolution] = field(default_factory=list)


def _split_group(segment: str) -> tuple[list[str], str]:
    """Split one line (or ;-separated part) of names at commas; return the parts before any group words,
    and the group words to its end: "Bộ Tài chính, các bộ, ngành liên quan" → ["Bộ Tài chính"], "các bộ…"."""
    parts = [_BULLET.sub("", p).strip().rstrip(".").strip() for p in segment.split(",")]
    parts = [re.sub(r"^và\s+", "", p, flags=re.IGNORECASE) for p in parts if p]
    for i in range(len(parts)):
        if collective_assignees(", ".join(parts[i:])) is not None:
            return parts[:i], ", ".join(parts[i:])
    return parts, ""


class _Units:
    """resolve_unit as of one day, each written name resolved once per import."""

    def __init__(self, on: datetime.date) -> None:
        self.on = on
        self._cache: dict[str, Resolution] = {}

    def resolve(self, name: str) -> Resolution:
        key = _one_line(name)
        if key not in self._cache:
            result = resolve_unit(key, on=self.on)
            bare = _PEOPLES_COMMITTEE.sub("", key)  # "UBND tỉnh Lào Cai" is the province
            if not result.found and bare != key:
                again = resolve_unit(bare, on=self.on)
                if again.outcome is not Outcome.NOT_FOUND:
                    result = again
            self._cache[key] = result
        return self._cache[key]

    def names(self, text: str) -> _Names:
        """Read units separated by commas, semicolons or lines ("Bộ Văn hóa, Thể thao và Du lịch" is one)."""
        out = _Names()
        for segment in _SEGMENT_SPLIT.split(text):
            parts, group = _split_group(segment)
            if group:
                out.groups.append(group)
            i = 0
            while i < len(parts):
                for j in range(min(len(parts), i + 4), i, -1):  # the longest run of parts that is one name
                    result = self.resolve(", ".join(parts[i:j]))
                    if result.found:
                        out.found.append(result)
                        i = j
                        break
                else:
                    pieces = [self.resolve(p) for p in _AND_SPLIT.split(parts[i])]
                    if len(pieces) > 1 and all(p.found for p in pieces):  # "Bộ Tư pháp và Bộ Tài chính"
                        out.found.extend(pieces)
                    else:
                        out.failed.append(self.resolve(parts[i]))
                    i += 1
        return out


def _product_kind(text: str) -> str | None:
    key = _plain(text)
    for value, label in ProductKind.choices:
        if key in {_plain(value), _plain(str(label))}:
            return value
    synonyms = {"vbqppl": ProductKind.LEGAL_DOCUMENT, "van ban qppl": ProductKind.LEGAL_DOCUMENT,
                "nghi dinh": ProductKind.LEGAL_DOCUMENT, "luat": ProductKind.LEGAL_DOCUMENT,
                "thong tu": ProductKind.LEGAL_DOCUMENT, "csdl": ProductKind.DATABASE,
                "he thong": ProductKind.INFORMATION_SYSTEM, "phan mem": ProductKind.INFORMATION_SYSTEM}
    return synonyms.get(key)


# ----------------------------------------------------------------------------------------- importing


@dataclass
class AppendixReport:
    """What an import did: rows read, tasks created, and every problem with its row and column."""

    filename: str
    directive: str
    atomic: bool
    dry_run: bool
    rows_read: int = 0
    valid: int = 0  # rows that passed every check (created, or would have been)
    created: int = 0  # tasks written (0 in a dry run and when an all-or-nothing import met an error)
    sub_tasks: int = 0  # sub-tasks written with them: per unit of a fan-out, per period of a recurrence
    codes: list[str] = field(default_factory=list)  # codes of the valid rows' tasks
    errors: list[RowError] = field(default_factory=list)
    notices: list[RowNotice] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    def summary(self) -> str:
        """One line in Vietnamese and English."""
        bad = self.error_rows
        if self.dry_run:
            would = self.valid if (not self.atomic or not bad) else 0
            return (f"Kiểm tra thử «{self.filename}»: {self.rows_read} dòng, {bad} dòng lỗi; nhập thật sẽ "
                    f"tạo {would} nhiệm vụ. Chưa ghi gì. / Dry run of “{self.filename}”: {self.rows_read} "
                    f"rows, {bad} with errors; a real import would create {would} tasks. Nothing written.")
        if not self.written:
            return (f"Không tạo nhiệm vụ nào từ «{self.filename}»: {bad}/{self.rows_read} dòng có lỗi "
                    f"(nhập trọn gói: sửa rồi nhập lại). / No task created from “{self.filename}”: {bad} of "
                    f"{self.rows_read} rows have errors (all or nothing: fix them and import again).")
        skipped_vi = f", bỏ qua {bad} dòng lỗi" if bad else ""
        skipped_en = f"; {bad} rows with errors skipped" if bad else ""
        return (f"Đã tạo {self.created} nhiệm vụ từ {self.rows_read} dòng của «{self.filename}»"
                f"{skipped_vi}. / Created {self.created} tasks from {self.rows_read} rows of "
                f"“{self.filename}”{skipped_en}.")


def _codes(rows: list[AppendixRow], directive: Directive) -> dict[int, tuple[str, RowError | None]]:
    """Return each row's task code, or the error saying why it has none (no STT, a code twice in the file)."""
    stts = [r.stt for r in rows if not r.code and r.stt]
    restarted = len(stts) != len(set(stts))  # numbering restarts in each section: add the section's number
    longest = Task._meta.get_field("code").max_length
    result: dict[int, tuple[str, RowError | None]] = {}
    seen: dict[str, int] = {}

    def refuse(r: AppendixRow, name: str, vi: str, en: str, code: str) -> None:
        result[r.row] = ("", RowError(r.row, HEADER_VI[name], vi, en, code, r.cell(name)))

    for r in rows:
        column = "code" if r.code else "stt"
        if r.code:
            code = r.code
        elif not r.stt:
            refuse(r, "stt", "Thiếu STT (hoặc Mã) để đặt mã nhiệm vụ.",
                   "No STT (nor code) to make the task's code from.", "no_code")
            continue
        elif not _STT_CODE.match(r.stt):
            refuse(r, "stt", f"STT «{r.stt}» không dùng làm mã được; hãy ghi cột «Mã».",
                   f"The STT “{r.stt}” cannot make a code; fill in the “Mã” (code) column.", "bad_stt")
            continue
        else:
            number = f"{r.section_no}.{r.stt}" if restarted and r.section_no else r.stt
            code = f"{directive.code}-{CODE_PREFIX}{number}"
        if len(code) > longest:
            refuse(r, column, f"Mã «{code}» dài quá {longest} ký tự.",
                   f"The code “{code}” is longer than {longest} characters.", "code_too_long")
        elif code in seen:
            refuse(r, column, f"Mã «{code}» trùng với dòng {seen[code]} trong tệp.",
                   f"The code “{code}” repeats row {seen[code]} of the file.", "duplicate_code")
        else:
            seen[code] = r.row
            result[r.row] = (code, None)
    return result


def _unit_errors(row: AppendixRow, name: str, names: _Names) -> list[RowError]:
    return [RowError(row.row, HEADER_VI[name], f.message_vi, f.message_en, f.outcome.value, row.cell(name))
            for f in names.failed]


def _succession_notices(row: AppendixRow, name: str, found: list[Resolution]) -> list[RowNotice]:
    return [RowNotice(row.row, HEADER_VI[name], f.message_vi, f.message_en, "successor", row.cell(name))
            for f in found if f.matched is not None]


def _check_row(row: AppendixRow, code: str, units: _Units, day: datetime.date
               ) -> tuple[dict[str, Any], list[RowError], list[RowNotice]]:
    """Return the create_task arguments for a row, its errors and its notices (nothing is written)."""
    errors: list[RowError] = []
    notices: list[RowNotice] = []

    def error(name: str, vi: str, en: str, code_: str) -> None:
        errors.append(RowError(row.row, HEADER_VI[name], vi, en, code_, row.cell(name)))

    if code and Task.objects.filter(code=code).exists():
        error("code" if row.code else "stt", f"Đã có nhiệm vụ mã «{code}».",
              f"A task with the code “{code}” already exists.", "task_exists")

    title, content = row.title, ""
    if not title:
        error("title", "Dòng có cơ quan, thời hạn hoặc sản phẩm nhưng không nêu nhiệm vụ.",
              "The row gives a unit, deadline or product but no task.", "no_title")
    if len(title) > _TITLE_MAX:
        content = title
        title = title[:_TITLE_MAX - 1].rsplit(" ", 1)[0] + "…"
        notices.append(RowNotice(
            row.row, HEADER_VI["title"],
            f"Nhiệm vụ dài hơn {_TITLE_MAX} ký tự: tên được rút gọn, toàn văn ghi ở nội dung.",
            f"The task is longer than {_TITLE_MAX} characters: its name is shortened, the full text kept as "
            "its content.", "title_shortened", row.cell("title")))

    lead: OrgUnit | None = None
    assignees = collective_assignees(row.lead) if row.lead else None
    if row.lead and assignees is None:
        names = units.names(row.lead)
        errors.extend(_unit_errors(row, "lead", names))
        notices.extend(_succession_notices(row, "lead", names.found))
        if len(names.found) > 1:
            listed = ", ".join(f.unit.name for f in names.found)
            error("lead", f"Mỗi nhiệm vụ một cơ quan chủ trì, dòng này nêu {len(names.found)}: {listed}; "
                          "ghi các đơn vị khác vào «Cơ quan phối hợp».",
                  f"One lead unit per task, this row names {len(names.found)}: {listed}; put the others "
                  "under “Cơ quan phối hợp” (coordinating).", "several_leads")
        elif names.found:
            lead = names.found[0].unit

    coordinating: list[OrgUnit] = []
    if row.coordinating:
        names = units.names(row.coordinating)
        errors.extend(_unit_errors(row, "coordinating", names))
        notices.extend(_succession_notices(row, "coordinating", names.found))
        for found in names.found:
            if found.unit not in coordinating and found.unit != lead:
                coordinating.append(found.unit)

    if row.deadline:
        try:
            actions.read_deadline(row.deadline, day)
        except actions.TaskRuleError as problem:
            error("deadline", problem.message_vi, problem.message_en, problem.code)

    product_kind = ""
    if row.product_kind:
        product_kind = _product_kind(row.product_kind) or ""
        if not product_kind:
            labels = ", ".join(str(label) for _v, label in ProductKind.choices)
            error("product_kind", f"Không rõ loại sản phẩm «{row.product_kind}»; chọn một trong: {labels}.",
                  f"Unknown product kind “{row.product_kind}”; use one of: {labels}.", "unknown_product_kind")

    accepting_unit = None
    if row.accepting_authority:
        found = units.resolve(row.accepting_authority)  # a unit when it names one ("Chính phủ"), else words
        accepting_unit = found.unit if found.found else None

    for name, text, limit in (("deadline", row.deadline, 300), ("responsible", row.responsible, 200),
                              ("accepting_authority", row.accepting_authority, 300)):
        if len(text) > limit:
            error(name, f"Dài quá {limit} ký tự.", f"Longer than {limit} characters.", "too_long")

    lead_words = _one_line(row.lead)[:300]  # as written, kept beside the unit (or the group) it names
    arguments = {
        "code": code, "title": title, "content": content, "lead": lead, "deadline_text": row.deadline,
        "coordinating": coordinating, "lead_text": "" if assignees else lead_words,
        "coordinating_text": row.coordinating[:500], "assignees": assignees or "",
        "assignees_text": lead_words if assignees else "", "responsible_position": row.responsible,
        "product": row.product, "product_kind": product_kind, "accepting_authority": row.accepting_authority,
        "accepting_unit": accepting_unit, "notes": row.notes}
    return arguments, errors, notices


def import_appendix(data: bytes | IO[bytes], filename: str, *, directive: Directive, actor: Any,
                    atomic: bool = True, dry_run: bool = False,
                    on: datetime.date | None = None) -> AppendixReport:
    """Create the tasks of an appendix under a directive; return what was done and every row's problems.

    - `actor` must manage tasks at the directive's issuing body (the Government when it names none);
      None is the system itself (command line), as in `actions`.
    - `on`: the day the tasks are given, and the day unit names and deadline words are read as of;
      the directive's date by default.
    - `atomic` (default): one error anywhere and nothing is written; otherwise the good rows are kept.
    - `dry_run`: the import is done and rolled back, so its checks are exactly a real import's.

    Raises PermissionDenied, or AppendixError for a file that cannot be read as an appendix.
    """
    assigner = (directive.issuing_body if directive.issuing_body_id
                else OrgUnit.objects.get(code=GOVERNMENT_CODE))
    if actor is not None and not can(actor, Action.MANAGE_TASKS, assigner):
        raise PermissionDenied(f"Không được giao nhiệm vụ thay {assigner.code}. / "
                               f"Not allowed to assign tasks for {assigner.code}.")
    rows = read_appendix(data, filename)
    day = on or directive.issued_on
    report = AppendixReport(filename=PurePath(filename or "").name, directive=directive.code, atomic=atomic,
                            dry_run=dry_run, rows_read=len(rows))
    codes = _codes(rows, directive)
    units = _Units(day)
    created: list[Task] = []
    with transaction.atomic():
        for row in rows:
            code, code_error = codes[row.row]
            arguments, errors, notices = _check_row(row, code, units, day)
            errors = ([code_error] if code_error else []) + errors
            report.notices.extend(notices)
            if errors:
                report.errors.extend(errors)
                continue
            try:
                task = actions.create_task(directive=directive, assigned_on=day, actor=actor, **arguments)
            except actions.TaskRuleError as problem:
                name = "deadline" if problem.code == "deadline_unreadable" else ""
                report.errors.append(RowError(row.row, HEADER_VI.get(name, ""), problem.message_vi,
                                              problem.message_en, problem.code, row.cell(name)))
                continue
            created.append(task)
            report.codes.append(task.code)
        report.valid = len(created)
        report.written = not dry_run and not (atomic and report.errors)
        if report.written:
            report.created = len(created)
            report.sub_tasks = Task.objects.filter(parent__in=created).count()
            if created:
                record("task.appendix_import", actor=actor, object_type="Directive",
                       object_key=directive.code, unit=assigner.code,
                       after={"file": report.filename, "rows": report.rows_read, "created": report.created,
                              "error_rows": report.error_rows})
        else:
            transaction.set_rollback(True)
    return report


# ----------------------------------------------------------------------------------------- exporting


def _current(unit: OrgUnit | None, today: datetime.date) -> OrgUnit | None:
    return actions.answerable_unit(unit, today)


def _six_clear(task: Task) -> str:
    missing = clarity(task)
    return "Thiếu: " + "; ".join(LABELS_VI[p] for p in missing) if missing else "Đủ 6 rõ"


def _task_text(task: Task) -> str:
    """The task as the appendix wrote it: the whole text when the name is a shortening of it."""
    if task.content and task.title.endswith("…") and task.content.startswith(task.title[:-1]):
        return task.content
    return task.title


def _lead_cell(task: Task, today: datetime.date) -> str:
    if task.assignees:
        return task.assignees_text or str(Assignees(task.assignees).label)
    lead = _current(task.lead_unit, today)
    return lead.name if lead else task.lead_text


def _coordinating_cell(task: Task, today: datetime.date) -> str:
    names: list[str] = []
    for unit in task.coordinating_units.all():
        name = _current(unit, today).name
        if name not in names:
            names.append(name)
    # Group words ("các bộ, ngành liên quan") name no unit: they are kept as written.
    groups = [group for segment in _SEGMENT_SPLIT.split(task.coordinating_text)
              if (group := _split_group(segment)[1])]
    return "; ".join(names + groups)


def _title_row(tasks: list[Task]) -> str:
    directives = {t.directive_id: t.directive for t in tasks if t.directive_id}
    if len(directives) == 1:
        directive = next(iter(directives.values()))
        return f"PHỤ LỤC: DANH MỤC NHIỆM VỤ — {directive} — {directive.title}"
    return "PHỤ LỤC: DANH MỤC NHIỆM VỤ"


def export_appendix(tasks: Iterable[Task]) -> bytes:
    """Return an appendix workbook of the tasks, in the shape `import_appendix` reads.

    A title row naming the directive, the header row, then one row per task given (sub-tasks of a
    fan-out are left out: their parent's row says "Các bộ, ngành, địa phương"). Units are written by
    their current names, deadlines in the words stored. Text that Excel would run as a formula is
    prefixed with an apostrophe.
    """
    tasks = [t for t in tasks if t.parent_id is None]
    prefetch_related_objects(tasks, "directive", "lead_unit", "accepting_unit", "coordinating_units")
    today = timezone.localdate()
    book = Workbook()
    sheet = book.active
    sheet.title = "Phụ lục"
    sheet.append([spreadsheet_text(_title_row(tasks))])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    sheet.cell(1, 1).font = Font(bold=True, size=13)
    sheet.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.row_dimensions[1].height = 36
    sheet.append([vi for _f, vi, _en in COLUMNS])
    for number, task in enumerate(tasks, start=1):
        deadline = task.deadline_text or (task.deadline.strftime("%d/%m/%Y") if task.deadline else "")
        responsible = ", ".join(p for p in (task.responsible_position, task.responsible_name) if p)
        accepting = task.accepting_authority or (task.accepting_unit.name if task.accepting_unit_id else "")
        values = {
            "stt": number, "code": task.code, "title": _task_text(task), "lead": _lead_cell(task, today),
            "coordinating": _coordinating_cell(task, today), "deadline": deadline, "product": task.product,
            "product_kind": task.get_product_kind_display() if task.product_kind else "",
            "accepting_authority": accepting, "responsible": responsible, "six_clear": _six_clear(task),
            "notes": task.notes,
        }
        sheet.append([spreadsheet_text(values[f]) for f, _vi, _en in COLUMNS])
    for c, (name, _vi, _en) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = _WIDTHS[name]
        header = sheet.cell(2, c)
        header.font = Font(bold=True)
        header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
