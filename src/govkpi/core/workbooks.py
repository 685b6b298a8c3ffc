"""Open an uploaded Excel workbook without letting it cost more than a workbook may, and make text safe to write.

Every reader of an uploaded .xlsx (data files, task appendices, the catalog) opens it here, so one set of limits
holds for all of them. An .xlsx is a zip archive: a 0.1 MB file can unpack to gigabytes of XML, and openpyxl
spends about 20 s and 300 MB on a million cells. So, before openpyxl sees the file:

- the archive's central directory (read without decompressing anything) must declare at most
  MAX_UNZIPPED_BYTES in all, at most MAX_MEMBERS parts, and no large part compressed more than MAX_RATIO:1
  (ordinary sheets compress 5-20:1; a bomb 1000:1). zipfile stops every part at its declared size, so a
  directory that lies gives a damaged file, never more data;
- all parts (a sheet may be stored under any name) are scanned as a stream and may hold at most
  MAX_CELLS cells;

and after loading, no sheet's used area (rows × columns) may exceed MAX_CELLS, because reading a sparse sheet
cell by cell makes openpyxl create every empty cell in between.

Pure Python: no Django. The size limit comes from the caller (settings.DATA_FILE_MAX_BYTES on the Django side).
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zipfile
from typing import Any

from govkpi.core.tabular import TabularError, neutralise, not_a_workbook, too_large

MAX_UNZIPPED_BYTES = 128 * 1024 * 1024  # a million cells is about 35 MB of sheet XML
MAX_RATIO = 100  # per part, for parts larger than RATIO_FLOOR_BYTES
RATIO_FLOOR_BYTES = 1024 * 1024  # smaller parts cannot hurt, whatever their ratio (a blank sheet is 200:1)
MAX_MEMBERS = 1000
MAX_CELLS = 1_000_000  # 125,000 rows of the 8-column data template; larger files go as CSV (streamed)
_CHUNK = 1024 * 1024
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,30}:)?c[\s>/]")  # <c r="A1">, <c/>, <x:c ...>
_TAG_SPAN = 40
_END_OF_DIRECTORY = b"PK\x05\x06"
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # characters an XML part cannot hold (openpyxl refuses)


def open_workbook(data: bytes, max_bytes: int, *, data_only: bool = True) -> Any:
    """Return the openpyxl workbook of an uploaded .xlsx, or raise TabularError saying which limit it broke.

    Full (not read-only) mode: only that mode knows merged cells and hidden rows. openpyxl's warnings about
    features it drops (data validation extensions, slicers) are silenced: they do not change cell values.
    """
    import openpyxl  # imported here: CSV-only callers need not pay for it

    check_archive(data, max_bytes)
    _check_cell_count(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=data_only, keep_links=False)
    except Exception:  # noqa: BLE001 - a malformed file can make the XML/zip layers raise anything
        raise not_a_workbook() from None
    for sheet in workbook.worksheets:
        if sheet.max_row * sheet.max_column > MAX_CELLS:
            raise too_many_cells(f"«{sheet.title}»")
    return workbook


def check_archive(data: bytes, max_bytes: int) -> None:
    """Raise TabularError unless the file is a zip archive within the size, part-count and ratio limits.

    Only the central directory is read; nothing is decompressed. Also used for zipped evidence files
    (.docx, .xlsx…), which are stored rather than read but would be opened by whoever downloads them.
    """
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    declared = _declared_members(data)
    if declared is not None and declared > MAX_MEMBERS:  # refused before zipfile builds an object per part
        raise _too_many_members(declared)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, struct.error):
        raise not_a_workbook() from None
    if len(members) > MAX_MEMBERS:
        raise _too_many_members(len(members))
    unzipped = sum(member.file_size for member in members)
    if unzipped > MAX_UNZIPPED_BYTES:
        raise TabularError(
            "unzipped_too_large",
            f"Tệp giải nén ra {_mb(unzipped)}, vượt giới hạn {_mb(MAX_UNZIPPED_BYTES)}.",
            f"The file unpacks to {_mb(unzipped)}, over the limit of {_mb(MAX_UNZIPPED_BYTES)}.")
    for member in members:
        if member.file_size > RATIO_FLOOR_BYTES and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            ratio = member.file_size // max(member.compress_size, 1)
            raise TabularError(
                "compression_ratio",
                f"Phần «{member.filename}» của tệp có tỷ lệ nén {ratio}:1, cao bất thường (tối đa {MAX_RATIO}:1);"
                " tệp có thể là bom nén (zip bomb).",
                f"Part “{member.filename}” of the file is compressed {ratio}:1, abnormally high (at most"
                f" {MAX_RATIO}:1); the file may be a zip bomb.")


def _declared_members(data: bytes) -> int | None:
    """Return the part count the end-of-central-directory record declares (None when it cannot be found)."""
    at = data.rfind(_END_OF_DIRECTORY, max(0, len(data) - 65_557))  # the record plus a comment of at most 64 KB
    if at < 0 or at + 12 > len(data):
        return None
    return int.from_bytes(data[at + 10:at + 12], "little")


def _check_cell_count(data: bytes) -> None:
    """Raise TabularError when the archive's parts hold more than MAX_CELLS cells, counting as they stream.

    Every part is counted, not only xl/worksheets/*.xml: openpyxl reads a sheet wherever the workbook's
    relationships point (xl/data/s.bin will do), and resolving those targets here as openpyxl does would be a
    second, drifting copy of its rules. Counting everything cannot miss a sheet and costs little (at most
    MAX_UNZIPPED_BYTES, scanned by a regex); the other parts of a real workbook hold no <c> element (charts'
    elements are <c:name>, text is escaped), so only a hostile file reaches the limit through them.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        total = 0
        for name in archive.namelist():
            try:
                with archive.open(name) as part:
                    pending = b""
                    while chunk := part.read(_CHUNK):
                        buffer, end = pending + chunk, 0
                        for match in _CELL_TAG.finditer(buffer):
                            total, end = total + 1, match.end()
                        if total > MAX_CELLS:
                            raise too_many_cells("")
                        # a tag cut between two chunks is matched with the next one, a matched one never twice
                        pending = buffer[max(end, len(buffer) - _TAG_SPAN):]
            except (zipfile.BadZipFile, EOFError, OSError):
                raise not_a_workbook() from None


def spreadsheet_text(value: Any) -> Any:
    """Return a value as a spreadsheet cell may safely hold it: text neutralised, XML-illegal characters dropped.

    Every workbook govkpi writes passes its cells through here, so a name such as =HYPERLINK(…) arrives as
    text, never as a live formula (core.tabular.neutralise, the same rule as the CSV exports).
    """
    if not isinstance(value, str):
        return value
    return neutralise(_ILLEGAL_XML.sub("", value))


def too_many_cells(where: str) -> TabularError:
    sheet_vi = f"Trang tính {where}" if where else "Tệp"
    sheet_en = f"Sheet {where}" if where else "The file"
    return TabularError(
        "too_many_cells",
        f"{sheet_vi} có quá nhiều ô (tối đa {f'{MAX_CELLS:,}'.replace(',', '.')} ô); hãy chia nhỏ tệp hoặc gửi"
        " dạng CSV.",
        f"{sheet_en} has too many cells (at most {MAX_CELLS:,}); split the file or send it as CSV.")


def _too_many_members(count: int) -> TabularError:
    return TabularError("too_many_parts", f"Tệp nén có {count} phần, vượt giới hạn {MAX_MEMBERS}.",
                        f"The archive has {count} parts, over the limit of {MAX_MEMBERS}.")


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.3g} MB"
