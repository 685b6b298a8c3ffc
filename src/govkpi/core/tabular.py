"""Read an uploaded CSV or XLSX file into rows, and read the values people type into its cells.

Pure functions: no Django, no database. The files come from government offices, so the reader expects
what their tools really produce: CSV from Vietnamese Excel on Windows (Windows-1258 or UTF-8 with a BOM,
";" between cells because "," is the decimal mark), UTF-16 "Unicode text", NFD text from macOS, a title
row above the header, header spellings in Vietnamese or English with "*" or "(bắt buộc)" added, several
sheets with instructions first, merged cells, hidden rows and formulas.

Every problem with the whole file raises TabularError with a code and a message in Vietnamese and English;
problems with single values are left to the caller, which rejects the row with its number.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, BinaryIO

HEADER_SCAN_ROWS = 20  # the header is looked for in this many non-empty rows at the top
FORMULA_WITHOUT_VALUE = "=FORMULA_WITHOUT_VALUE"  # cell text of a formula that was never calculated
_CHUNK = 1024 * 1024
_XLSX_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and password-protected .xlsx
_CSV_EXTENSIONS = (".csv", ".txt")
_XLSX_EXTENSIONS = (".xlsx", ".xlsm")
_DELIMITERS = (",", ";", "\t")
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")  # <f>, <f t="shared" .../>, <x:f>
_PARENTHESES = re.compile(r"\([^()]*\)")
_INVISIBLE = "\u200b\ufeff"  # zero-width space and stray BOMs pasted from web pages


class TabularError(Exception):
    """A problem with the whole file, not with one row: code, and the message in Vietnamese and English."""

    def __init__(self, code: str, message_vi: str, message_en: str):
        super().__init__(f"{message_vi} / {message_en}")
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass(frozen=True)
class Row:
    """One data row. `number` is what the user sees: the CSV line where the row starts, or the Excel row."""

    number: int
    values: dict[str, str]
    sheet: str = ""
    hidden: bool = False


@dataclass
class Table:
    """The rows of the file under its recognised columns, and (vi, en) remarks on how it was read."""

    columns: list[str]
    rows: list[Row]
    notes: list[tuple[str, str]] = field(default_factory=list)


# --------------------------------------------------------------------------- reading a file


def read_table(data: bytes | BinaryIO, filename: str, columns: dict[str, list[str]], required: set[str],
               max_bytes: int = 20 * 1024 * 1024, sheet: str | None = None) -> Table:
    """Read an uploaded CSV or XLSX file into a Table.

    `columns` maps each canonical key to the header spellings accepted for it (the key itself is also
    accepted); `required` are the keys the header row must have. `sheet` picks an XLSX sheet by name;
    without it the first visible sheet whose header has the required columns is read.
    """
    lookup = _header_lookup(columns, required)
    blob = _read_limited(data, max_bytes)
    if _is_xlsx(blob, filename):
        return _read_xlsx(blob, lookup, columns, required, sheet, max_bytes)
    return _read_csv(blob, lookup, columns, required)


def _read_limited(data: bytes | BinaryIO, max_bytes: int) -> bytes:
    """Return the file's bytes, reading a stream no further than one byte past the limit."""
    if isinstance(data, bytes | bytearray | memoryview):
        blob = bytes(data)
    else:
        parts: list[bytes] = []
        total = 0
        while total <= max_bytes:
            chunk = data.read(min(_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
        blob = b"".join(parts)
    if len(blob) > max_bytes:
        raise too_large(max_bytes)
    if not blob:
        raise TabularError("not_a_table", "Tệp rỗng.", "The file is empty.")
    return blob


def too_large(max_bytes: int) -> TabularError:
    size = f"{max_bytes / (1024 * 1024):.3g} MB"
    return TabularError("too_large", f"Tệp quá lớn: tối đa {size}.",
                        f"The file is too large: the limit is {size}.")


def _is_xlsx(blob: bytes, filename: str) -> bool:
    """Decide the format: the bytes of a zip archive win over the name, then the name's extension."""
    if blob.startswith(_XLSX_MAGIC):
        return True
    name = filename.lower().strip()
    if blob.startswith(_OLE2_MAGIC) or name.endswith(".xls"):
        raise TabularError(
            "unknown_format",
            "Không đọc được tệp Excel cũ (.xls) hoặc tệp Excel có mật khẩu; hãy mở tệp bằng Excel, bỏ mật "
            "khẩu nếu có và lưu lại dưới dạng .xlsx (Sổ làm việc Excel).",
            "Old Excel files (.xls) and password-protected workbooks cannot be read; open the file in Excel, "
            "remove any password and save it as .xlsx (Excel Workbook).",
        )
    if name.endswith(_XLSX_EXTENSIONS):
        raise not_a_workbook()
    if name.endswith(_CSV_EXTENSIONS):
        return False
    accepted = ", ".join(_CSV_EXTENSIONS + _XLSX_EXTENSIONS)
    raise TabularError(
        "unknown_format",
        f"Không hỗ trợ loại tệp «{filename}»; chỉ nhận {accepted}.",
        f"Unsupported file type «{filename}»; accepted: {accepted}.",
    )


def not_a_workbook() -> TabularError:
    return TabularError(
        "not_a_table",
        "Không mở được tệp Excel: tệp bị hỏng hoặc không phải sổ làm việc .xlsx.",
        "Cannot open the Excel file: it is damaged or not an .xlsx workbook.",
    )


# --------------------------------------------------------------------------- headers


def _header_text(text: str) -> str:
    """Reduce a header cell to its comparable form.

    Templates decorate headers: "Giá trị *", "Giá trị (bắt buộc)", "GIÁ  TRỊ" on two lines. Case, spacing,
    a trailing "*" and text in parentheses therefore do not count.
    """
    folded = _PARENTHESES.sub(" ", unicodedata.normalize("NFC", text).casefold())
    return " ".join(folded.split()).rstrip("* ").strip()


def _header_lookup(columns: dict[str, list[str]], required: set[str]) -> dict[str, str]:
    """Map every accepted header spelling (reduced) to its canonical key."""
    unknown = required - columns.keys()
    if unknown:
        raise ValueError(f"required keys not in columns: {sorted(unknown)}")
    lookup: dict[str, str] = {}
    for key, spellings in columns.items():
        for spelling in (key, *spellings):
            reduced = _header_text(spelling)
            if reduced and lookup.setdefault(reduced, key) != key:
                raise ValueError(f"header spelling {spelling!r} is given for two keys")
    return lookup


@dataclass
class _Header:
    """Where the header is and what each of its cells means."""

    position: int  # index in the scanned rows
    number: int  # row number as the user sees it
    keys: dict[int, str]  # cell index -> canonical key
    ignored: list[str]  # non-empty header cells that match no key
    width: int  # cells up to the last non-empty header cell: the table's width
    cells: list[str] = field(default_factory=list)  # the header's own texts, to name a missing cell


def _match_header(number: int, cells: list[str], position: int, lookup: dict[str, str]) -> _Header:
    """Read one row as a header; two cells meaning the same key make the file ambiguous."""
    keys: dict[int, str] = {}
    seen: dict[str, str] = {}
    ignored: list[str] = []
    for index, cell in enumerate(cells):
        key = lookup.get(_header_text(cell))
        if key is None:
            if cell:
                ignored.append(cell)
        elif key in seen:
            raise TabularError(
                "duplicate_columns",
                f"Hai cột «{seen[key]}» và «{cell}» (dòng {number}) cùng là «{key}»; hãy giữ một cột.",
                f"Columns «{seen[key]}» and «{cell}» (row {number}) both mean «{key}»; keep only one.",
            )
        else:
            seen[key] = cell
            keys[index] = key
    width = max(index for index, cell in enumerate(cells) if cell) + 1
    return _Header(position, number, keys, ignored, width, cells[:width])


def _find_header(top: list[tuple[int, list[str]]], lookup: dict[str, str],
                 required: set[str]) -> _Header | None:
    """Return the first row that has every required column (and at least one known column)."""
    for position, (number, cells) in enumerate(top):
        keys = {lookup.get(_header_text(cell)) for cell in cells}
        if required <= keys and keys - {None}:
            return _match_header(number, cells, position, lookup)
    return None


def _best_guess(top: list[tuple[int, list[str]]], lookup: dict[str, str]) -> set[str]:
    """Return the keys of the row that looks most like a header, to say which columns are missing."""
    best: set[str] = set()
    for _number, cells in top:
        keys = {lookup[reduced] for cell in cells if (reduced := _header_text(cell)) in lookup}
        if len(keys) > len(best):
            best = keys
    return best


def _header_error(found: set[str], columns: dict[str, list[str]], required: set[str]) -> TabularError:
    """Say which required columns are missing, or that no header was found at all."""
    def describe(keys: Iterable[str]) -> str:
        return "; ".join(f"{key} ({' / '.join(columns[key]) or key})" for key in sorted(keys))

    if not found:
        expected = describe(required or columns)
        return TabularError(
            "no_header",
            f"Không tìm thấy dòng tiêu đề cột trong {HEADER_SCAN_ROWS} dòng đầu; cần các cột: {expected}.",
            f"No header row found in the first {HEADER_SCAN_ROWS} rows; expected columns: {expected}.",
        )
    missing = describe(required - found)
    return TabularError("missing_columns", f"Thiếu cột bắt buộc: {missing}.",
                        f"Missing required columns: {missing}.")


def _header_notes(header: _Header) -> list[tuple[str, str]]:
    notes = []
    if header.number != 1:
        notes.append((f"Dòng tiêu đề là dòng {header.number}.", f"The header is on row {header.number}."))
    if header.ignored:
        names = ", ".join(f"«{name}»" for name in header.ignored)
        notes.append((f"Bỏ qua các cột không dùng: {names}.", f"Unused columns ignored: {names}."))
    return notes


def _make_row(number: int, cells: list[str], header: _Header, sheet: str = "", hidden: bool = False) -> Row:
    """Build a Row from cell texts; a short row's missing cells are empty."""
    values = {key: cells[index] if index < len(cells) else "" for index, key in header.keys.items()}
    return Row(number, values, sheet, hidden)


def _clean(text: str) -> str:
    """NFC-normalise (cp1258 and macOS write tone marks as separate characters) and trim."""
    if text.isascii():  # most cells of a machine-made file: already NFC, and nothing invisible to strip
        return text.strip()
    return unicodedata.normalize("NFC", text).strip().strip(_INVISIBLE).strip()


# --------------------------------------------------------------------------- CSV


def _read_csv(blob: bytes, lookup: dict[str, str], columns: dict[str, list[str]],
              required: set[str]) -> Table:
    """Read CSV text; the delimiter is whichever of , ; tab makes a header row appear."""
    text, notes = _decode(blob)
    if "\x00" in text:
        raise TabularError(
            "not_a_table",
            "Tệp không phải bảng dữ liệu dạng văn bản (CSV).",
            "The file is not a text (CSV) table.",
        )
    best: set[str] = set()
    for delimiter in _DELIMITERS:
        top = _first_rows(_csv_records(text, delimiter))
        header = _find_header(top, lookup, required)
        if header is not None:
            break
        best = max(best, _best_guess(top, lookup), key=len)
    else:
        raise _header_error(best, columns, required)
    if delimiter != ",":
        shown = "tab" if delimiter == "\t" else f"«{delimiter}»"
        notes.append((f"Các cột phân cách bằng {shown}.", f"Cells are separated by {shown}."))
    notes += _header_notes(header)
    rows = []
    # Where a row may end short: after the header's last required column (hand-made files leave optional
    # trailing cells out), but not the file's last row when the text stops without a line break (cut off).
    required_width = max((index for index, key in header.keys.items() if key in required), default=-1) + 1
    cut = not text.endswith(("\n", "\r"))
    last: tuple[int, list[str]] | None = None
    for number, cells in _csv_records(text, delimiter):
        if number > header.number and any(cells):
            if last is not None:
                rows.append(_whole_row(*last, header, required_width))
            last = (number, cells)
    if last is not None:
        rows.append(_whole_row(*last, header, header.width if cut else required_width))
    return Table(list(header.keys.values()), rows, notes)


def _whole_row(number: int, cells: list[str], header: _Header, least: int) -> Row:
    if len(cells) < least:
        raise short_row(number, len(cells), header)
    return _make_row(number, cells, header)


def short_row(number: int, cells: int, header: _Header) -> TabularError:
    """A CSV line that stops before a required cell, or a last line shorter than its header where the file ends
    without a line break: cut off (a transfer or a copy that stopped mid-row), so the value it ends with may be
    only the first digits of what was written."""
    missing = header.cells[cells] or f"#{cells + 1}"
    return TabularError(
        "short_row",
        f"Dòng {number} có {cells} ô, dòng tiêu đề có {header.width}: thiếu ô «{missing}» trở đi (tệp bị cắt giữa "
        "dòng?); không ghi gì.",
        f"Row {number} has {cells} cells, the header {header.width}: the «{missing}» cell onwards is missing (was "
        "the file cut mid-row?); nothing was written.",
    )


def _decode(blob: bytes) -> tuple[str, list[tuple[str, str]]]:
    """Decode CSV bytes: a BOM says the encoding; else UTF-8; else Windows-1258 (Vietnamese Windows).

    Windows-1258 writes most tones as separate combining marks; every cell is NFC-normalised by _clean.
    """
    attempts: list[tuple[bytes, str, tuple[str, str]]] = [
        (b"\xef\xbb\xbf", "utf-8-sig", ("Đã bỏ dấu BOM ở đầu tệp.", "Byte order mark (BOM) removed.")),
        (b"\xff\xfe", "utf-16", ("Đã đọc theo bảng mã UTF-16.", "Decoded as UTF-16.")),
        (b"\xfe\xff", "utf-16", ("Đã đọc theo bảng mã UTF-16.", "Decoded as UTF-16.")),
    ]
    for bom, encoding, note in attempts:
        if blob.startswith(bom):
            try:
                return blob.decode(encoding), [note]
            except UnicodeDecodeError:
                raise _bad_encoding() from None
    try:
        return blob.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    try:
        text = blob.decode("cp1258")
    except UnicodeDecodeError:
        raise _bad_encoding() from None
    note = ("Đã đọc theo bảng mã Windows-1258.", "Decoded as Windows-1258.")
    return text, [note]


def _bad_encoding() -> TabularError:
    return TabularError(
        "bad_encoding",
        "Không nhận ra bảng mã của tệp; hãy lưu lại dưới dạng «CSV UTF-8».",
        "The text encoding is not recognised; save the file as «CSV UTF-8».",
    )


def _csv_records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (line where the record starts, cleaned cells); blank lines yield no cells.

    Text starting with = + - @ is kept as it is: in an uploaded file it is data, never a formula.
    """
    # strict: a quoted cell the file ends inside (cut mid-cell) is an error, not a shorter cell
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for record in reader:
            yield start, [_clean(cell) for cell in record]
            start = reader.line_num + 1
    except csv.Error as error:
        raise TabularError(
            "not_a_table",
            f"Không đọc được tệp CSV ở dòng {reader.line_num}: {error}.",
            f"Cannot read the CSV file at line {reader.line_num}: {error}.",
        ) from None


def _first_rows(records: Iterable[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """Return the first non-empty rows, where the header is looked for."""
    top = []
    for number, cells in records:
        if any(cells):
            top.append((number, cells))
            if len(top) == HEADER_SCAN_ROWS:
                break
    return top


# --------------------------------------------------------------------------- XLSX


def _read_xlsx(blob: bytes, lookup: dict[str, str], columns: dict[str, list[str]], required: set[str],
               sheet: str | None, max_bytes: int) -> Table:
    """Read the chosen sheet of a workbook, with cached formula values, merged cells filled in."""
    workbook = _open_workbook(blob, data_only=True, max_bytes=max_bytes)
    worksheet, header, notes = _choose_sheet(workbook, lookup, columns, required, sheet)
    notes += _header_notes(header)
    merged = _merged_origins(worksheet, header.width)
    raw = list(_sheet_rows(worksheet, merged, header.width, header.number + 1))
    empty = {origin for _number, cells, _hidden in raw
             for index, (value, origin) in enumerate(cells) if value is None and index in header.keys}
    formulas = _formulas_without_value(blob, worksheet.title, empty, max_bytes) if empty else set()
    rows: list[Row] = []
    for number, cells, hidden in raw:
        texts = [FORMULA_WITHOUT_VALUE if origin in formulas and index in header.keys else _cell_text(value)
                 for index, (value, origin) in enumerate(cells)]
        if any(texts):
            rows.append(_make_row(number, texts, header, worksheet.title, hidden))
    hidden_count = sum(row.hidden for row in rows)
    if hidden_count:
        notes.append((f"Đã đọc {hidden_count} dòng bị ẩn.", f"{hidden_count} hidden rows were read."))
    if formulas:
        notes.append((
            f"{len(formulas)} ô có công thức chưa được tính giá trị; hãy mở tệp bằng Excel và lưu lại.",
            f"{len(formulas)} formula cell(s) without a calculated value; open the file in Excel and save"
            " it again.",
        ))
    return Table(list(header.keys.values()), rows, notes)


def _open_workbook(blob: bytes, data_only: bool, max_bytes: int) -> Any:
    """Open a workbook through the one guarded reader (core.workbooks): size, zip bomb and cell-count limits."""
    from govkpi.core.workbooks import open_workbook  # imported here: workbooks imports this module

    return open_workbook(blob, max_bytes, data_only=data_only)


def _choose_sheet(workbook: Any, lookup: dict[str, str], columns: dict[str, list[str]], required: set[str],
                  sheet: str | None) -> tuple[Any, _Header, list[tuple[str, str]]]:
    """Pick the named sheet, or the first visible one with a header; note the sheets left out."""
    if sheet is not None:
        if sheet not in workbook.sheetnames:
            names = ", ".join(f"«{name}»" for name in workbook.sheetnames)
            raise TabularError(
                "missing_sheet",
                f"Không có trang tính «{sheet}»; tệp có: {names}.",
                f"There is no sheet «{sheet}»; the file has: {names}.",
            )
        candidates = [workbook[sheet]]
    else:
        candidates = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
    best: set[str] = set()
    for worksheet in candidates:
        top = _first_rows(_header_scan_rows(worksheet))
        header = _find_header(top, lookup, required)
        if header is not None:
            return worksheet, header, _sheet_notes(workbook, worksheet)
        best = max(best, _best_guess(top, lookup), key=len)
    raise _header_error(best, columns, required)


def _sheet_notes(workbook: Any, chosen: Any) -> list[tuple[str, str]]:
    notes = []
    for worksheet in workbook.worksheets:
        if worksheet is chosen:
            continue
        if worksheet.sheet_state == "visible":
            notes.append((f"Bỏ qua trang tính «{worksheet.title}».", f"Sheet «{worksheet.title}» ignored."))
        else:
            notes.append((f"Bỏ qua trang tính ẩn «{worksheet.title}».",
                          f"Hidden sheet «{worksheet.title}» ignored."))
    return notes


def _header_scan_rows(worksheet: Any) -> Iterator[tuple[int, list[str]]]:
    merged = _merged_origins(worksheet, worksheet.max_column)
    for number, cells, _hidden in _sheet_rows(worksheet, merged, worksheet.max_column, 1):
        yield number, [_cell_text(value) for value, _origin in cells]


_Cell = tuple[Any, tuple[int, int]]  # (value, coordinates of the cell that holds it)


def _merged_origins(worksheet: Any, width: int) -> dict[tuple[int, int], tuple[int, int]]:
    """Map every cell of a merged range (within the used area) to the range's top-left cell.

    Excel keeps a merged value only in the top-left cell; a unit name merged over five rows means that
    unit for each of the five.
    """
    origins: dict[tuple[int, int], tuple[int, int]] = {}
    for cells in worksheet.merged_cells.ranges:
        for row in range(cells.min_row, min(cells.max_row, worksheet.max_row) + 1):
            for column in range(cells.min_col, min(cells.max_col, width) + 1):
                origins[(row, column)] = (cells.min_row, cells.min_col)
    return origins


def _sheet_rows(worksheet: Any, merged: dict[tuple[int, int], tuple[int, int]], width: int,
                first: int) -> Iterator[tuple[int, list[_Cell], bool]]:
    """Yield (Excel row number, cells, hidden) from row `first` on, merged cells taking their origin's value.

    Only the first `width` columns are read: cells right of the header's last cell are outside the table
    (and reading them could make openpyxl create millions of empty cells).
    """
    rows = worksheet.iter_rows(min_row=first, max_col=width, values_only=True)
    for number, values in enumerate(rows, first):
        cells: list[_Cell] = []
        for column, value in enumerate(values, 1):
            origin = merged.get((number, column), (number, column))
            if origin != (number, column):
                value = worksheet.cell(*origin).value
            cells.append((value, origin))
        dimension = worksheet.row_dimensions.get(number)
        yield number, cells, bool(dimension is not None and dimension.hidden)


def _formulas_without_value(blob: bytes, title: str, empty: set[tuple[int, int]],
                            max_bytes: int) -> set[tuple[int, int]]:
    """Return which of the empty cells hold a formula that was never calculated.

    With data_only, openpyxl gives None both for an empty cell and for a formula whose result was never
    stored (a file written by a program, not saved by Excel). Telling them apart needs the formulas, i.e.
    opening the workbook a second time; that is done only when a worksheet part contains a formula tag at
    all, which is found by scanning the zipped XML (much cheaper than parsing it).
    """
    if not _has_formula_tags(blob):
        return set()
    workbook = _open_workbook(blob, data_only=False, max_bytes=max_bytes)
    worksheet = workbook[title]
    return {(row, column) for row, column in empty if worksheet.cell(row, column).data_type == "f"}


def _has_formula_tags(blob: bytes) -> bool:
    """Return True if any part of the workbook contains an <f> element.

    Every part, not only xl/worksheets/*.xml: openpyxl reads a sheet wherever the workbook's relationships
    point, and a missed formula would read as an empty cell. A part that is no sheet (a chart's <c:f>) costs
    at most a second, equally guarded opening.
    """
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        for name in archive.namelist():
            with archive.open(name) as part:
                tail = b""
                while chunk := part.read(_CHUNK):
                    if _FORMULA_TAG.search(tail + chunk):
                        return True
                    tail = chunk[-64:]  # a tag cut between two chunks
    return False


def _cell_text(value: Any) -> str:
    """Return a cell value as the text a person would type.

    Numbers: 1084.0 -> "1084", 39.51 -> "39.51" (15 significant digits, as Excel shows, so binary noise
    such as 39.510000000000005 disappears, and never an exponent). A fraction of exactly three digits with a
    short integer part gets a trailing zero ("1.2340"), because parse_number reads "1.234" as one thousand
    two hundred and thirty-four, Vietnamese style. Dates become ISO "2025-07-31".
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return _clean(str(value))


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value.is_integer():
        return str(int(value))
    text = format(Decimal(format(value, ".15g")), "f")
    integer, _, fraction = text.lstrip("-").partition(".")
    if len(fraction) == 3 and _groups_thousands(integer):
        text += "0"
    return text


# --------------------------------------------------------------------------- values

_SPACES = " \u00a0\u2009\u202f"  # space, no-break space, thin space, narrow no-break space
_SPACE_GROUPED = re.compile(rf"([1-9][0-9]{{0,2}}(?:[{_SPACES}][0-9]{{3}})+)(?:[.,]([0-9]+))?")
_DIGITS = re.compile(r"[0-9]+")
_SEPARATED = re.compile(r"[0-9][0-9.,]*[0-9]")


def _groups_thousands(integer: str) -> bool:
    """True if digits before a separator could be the first thousands group: 1-3 digits, no leading 0."""
    return 1 <= len(integer) <= 3 and integer[0] != "0"


def _grouped(text: str, separator: str) -> str | None:
    """Return the digits of "1.084.000" (groups of three after a 1-3 digit lead), else None."""
    lead, *groups = text.split(separator)
    if _groups_thousands(lead) and groups and all(len(g) == 3 and g.isdigit() for g in groups):
        return lead + "".join(groups)
    return None


def _plain_number(text: str) -> str | None:
    """Return an unsigned number as Python float syntax ("1084.5"), or None if it is not one."""
    if _DIGITS.fullmatch(text):
        return text
    spaced = _SPACE_GROUPED.fullmatch(text)
    if spaced:
        digits = re.sub(f"[{_SPACES}]", "", spaced[1])
        return f"{digits}.{spaced[2]}" if spaced[2] else digits
    if not _SEPARATED.fullmatch(text):
        return None
    if "." in text and "," in text:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
        integer, _, fraction = text.rpartition(decimal)
        digits = _grouped(integer, "," if decimal == "." else ".")
        return f"{digits}.{fraction}" if digits and fraction.isdigit() else None
    separator = "." if "." in text else ","
    if text.count(separator) > 1:
        return _grouped(text, separator)
    integer, _, fraction = text.partition(separator)
    if len(fraction) == 3 and _groups_thousands(integer):
        return integer + fraction
    return f"{integer}.{fraction}"


def parse_number(text: str) -> float:
    """Read a number as Vietnamese and English offices write it.

    Accepted: "39.51", "39,51", "1.084.000", "1,084,000", "1.084,5", "1,084.5", "1 084" (also with no-break
    or thin spaces), a leading + or -, a trailing % (the value stays 12 for "12%").

    Ambiguity rule: a single "." or "," followed by exactly three digits, after one to three digits not
    starting with 0, separates thousands ("1.084" and "1,084" are both 1084), because Vietnamese offices
    group thousands with "." and English-style files with ","; any other single separator is the decimal
    mark ("1.5", "39,51", "0.125", "1234.567"). With both "." and ",", the last one is the decimal mark.
    """
    cleaned = _clean(text)
    body = cleaned[:-1].rstrip() if cleaned.endswith("%") else cleaned
    sign = ""
    if body[:1] in ("+", "-", "\u2212"):
        sign = "" if body[0] == "+" else "-"
        body = body[1:]
    plain = _plain_number(body)
    value = float(sign + plain) if plain is not None else math.nan
    if not math.isfinite(value):
        raise ValueError(f"«{text}» không phải là số. / «{text}» is not a number.")
    return value


_ISO_DATE = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})")
_DAY_FIRST_DATE = re.compile(r"([0-9]{1,2})([-/.])([0-9]{1,2})\2([0-9]{4})")


def parse_date(text: str) -> datetime.date:
    """Read "2025-07-31", "31/07/2025", "31-07-2025", "31.07.2025" or "1/7/2025".

    Day first always, as Vietnamese write dates ("1/7/2025" is the first of July). The year must have four
    digits: "1/7/25" could be 1925 or 2025.
    """
    cleaned = _clean(text)
    if iso := _ISO_DATE.fullmatch(cleaned):
        year, month, day = int(iso[1]), int(iso[3]), int(iso[4])
    elif day_first := _DAY_FIRST_DATE.fullmatch(cleaned):
        day, month, year = int(day_first[1]), int(day_first[3]), int(day_first[4])
    else:
        raise ValueError(f"«{text}» không phải là ngày (ngày/tháng/năm). / "
                         f"«{text}» is not a date (day/month/year).")
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(f"Không có ngày «{text}». / «{text}» is not a real date.") from None


# "t"/"f" as DHIS2 reads them (BOOL_TRUE_VARIANTS, BOOL_FALSE_VARIANTS in dhis2-core's
# dhis-support-system/.../org/hisp/dhis/system/util/ValidationUtils.java) and PostgreSQL writes them.
_TRUE = frozenset({"true", "t", "1", "có", "co", "đúng", "yes", "x"})
_FALSE = frozenset({"false", "f", "0", "không", "khong", "sai", "no"})


def parse_bool(text: str) -> bool:
    """Read yes/no as offices and DHIS2 write it: true/false, t/f, 1/0, có/không (also unaccented), đúng/sai,
    yes/no, x.

    An empty cell is refused rather than read as "no": whether empty means no is the caller's decision.
    """
    key = _clean(text).casefold()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(f"«{text}» không phải là có/không. / «{text}» is not yes/no.")


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-][0-9]+(?:[.,][0-9]+)*%?")


def neutralise(text: str) -> str:
    """Make exported text safe from spreadsheet formula injection.

    Text that Excel or LibreOffice would run as a formula (starting with = + - @ tab or carriage return)
    gets a leading apostrophe. A signed number such as "-5" or "+3.2" is left alone: it cannot call anything.
    Text that already starts with apostrophes before such a character gets one more, so that `restore_text`
    gives back exactly what was written.
    """
    if _runs_as_formula(text.lstrip("'")):
        return "'" + text
    return text


def restore_text(text: str) -> str:
    """Return the text `neutralise` was given: the apostrophe it added, and only that one, removed."""
    if text.startswith("'") and _runs_as_formula(text.lstrip("'")):
        return text[1:]
    return text


def _runs_as_formula(text: str) -> bool:
    return text.startswith(_FORMULA_STARTS) and not _SIGNED_NUMBER.fullmatch(text)
