"""Real hostile workbooks for the upload tests: valid .xlsx archives (written by openpyxl, then one part
replaced with zipfile) whose XML is a huge, highly compressible payload, or a sparse sheet, or many parts."""

from __future__ import annotations

import io
import re
import zipfile

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
CELLS_ROW = b"<row>" + b'<c t="n"><v>1</v></c>' * 8 + b"</row>"  # cells without a reference: openpyxl counts on


def plain_workbook(header: list[str], sheets: int = 1) -> bytes:
    """An ordinary workbook with one header row on each of `sheets` sheets."""
    book = Workbook()
    book.active.append(header)
    for number in range(1, sheets):
        book.create_sheet(f"Sheet{number + 1}").append(header)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rewrite(blob: bytes, parts: dict[str, tuple[bytes, bytes, int]]) -> bytes:
    """Rewrite the archive; each named part becomes head + filler × repeat + its original tail."""
    source = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename not in parts:
                target.writestr(info.filename, content)
                continue
            marker, filler, repeat = parts[info.filename]
            head, tail = content.split(marker, 1)
            with target.open(info.filename, "w", force_zip64=True) as part:
                part.write(head)
                per_block = max(1, (1024 * 1024) // len(filler))
                for start in range(0, repeat, per_block):
                    part.write(filler * min(per_block, repeat - start))
                part.write(marker + tail)
    return out.getvalue()


def cell_bomb(header: list[str], megabytes: int = 40) -> bytes:
    """The bomb of the security review: rows of cells, ~1000:1 compressed (40 MB of XML, ~2 million cells)."""
    return _rewrite(plain_workbook(header), {SHEET: (b"</sheetData>", CELLS_ROW,
                                                     megabytes * 1024 * 1024 // len(CELLS_ROW))})


def spaces_bomb(header: list[str], megabytes: int) -> bytes:
    """A sheet part padded with `megabytes` MB of whitespace (valid XML, ~1000:1 compressed)."""
    return _rewrite(plain_workbook(header), {SHEET: (b"</sheetData>", b" ", megabytes * 1024 * 1024)})


def many_small_sheets_of_cells(header: list[str], sheets: int = 5) -> bytes:
    """Sheets each just under the ratio check's floor (1 MB) of empty cells: 1.3 million cells in all."""
    count = 1000 * 1024 // 4
    parts = {f"xl/worksheets/sheet{n}.xml": (b"</sheetData>", b"<c/>", count) for n in range(1, sheets + 1)}
    return _rewrite(plain_workbook(header, sheets), parts)


def sparse_sheet(header: list[str]) -> bytes:
    """Two cells only, at A1 and at Excel's last cell: reading it cell by cell would create 17 billion."""
    book = Workbook()
    book.active.append(header)
    book.active["XFD1048576"] = 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def many_parts(header: list[str], count: int = 1500) -> bytes:
    """A workbook with `count` extra (tiny) parts in its archive."""
    source = zipfile.ZipFile(io.BytesIO(plain_workbook(header)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        for number in range(count):
            target.writestr(f"xl/media/x{number}.bin", b"x")
    return out.getvalue()


def sheets_stored_elsewhere(header: list[str], sheets: int = 25) -> bytes:
    """Sheets of rows of cells, each just under the ratio check's floor (1 MB, 43,800 cells; 1.1 million in
    all), stored as xl/data/sN.bin, which the workbook's relationships name: openpyxl reads a sheet wherever
    they point, whatever the part is called."""
    repeat = 1000 * 1024 // len(CELLS_ROW)
    parts = {f"xl/worksheets/sheet{n}.xml": (b"</sheetData>", CELLS_ROW, repeat) for n in range(1, sheets + 1)}
    return sheets_moved(_rewrite(plain_workbook(header, sheets), parts))


def sheets_moved(blob: bytes) -> bytes:
    """The same workbook with each xl/worksheets/sheetN.xml stored as xl/data/sN.bin, the relationships and
    content types saying so: still a workbook openpyxl reads."""
    source = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                content = re.sub(rb"worksheets/sheet(\d+)\.xml", rb"data/s\1.bin", content)
            target.writestr(re.sub(r"^xl/worksheets/sheet(\d+)\.xml$", r"xl/data/s\1.bin", info.filename), content)
    return out.getvalue()
