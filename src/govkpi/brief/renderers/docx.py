"""The brief as a Word document laid out as a Vietnamese administrative report (Decree 30/2020/NĐ-CP's
layout): A4, margins 20/20/30/15 mm, Times New Roman 13 pt; the issuing body on the left and the national
emblem block on the right, the place and date line, the title, then numbered sections."""

from __future__ import annotations

import io

from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph

from govkpi.brief.document import Brief
from govkpi.brief.sections import Table, doc_table, front_matter, sections
from govkpi.brief.words import word

FONT = "Times New Roman"
BODY_PT = 13
TABLE_PT = 9.5
TEXT_WIDTH_MM = 210 - 30 - 15


def _font(run, size: float = BODY_PT, bold: bool = False, italic: bool = False) -> None:
    run.font.name, run.font.size, run.font.bold, run.font.italic = FONT, Pt(size), bold, italic
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)


def _line(cell_or_doc, text: str, size: float = BODY_PT, bold: bool = False, italic: bool = False,
          align: int = WD_ALIGN_PARAGRAPH.LEFT, after: float = 0, underline: bool = False) -> Paragraph:
    paragraph = cell_or_doc.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(after)
    paragraph.paragraph_format.space_before = Pt(0)
    run = paragraph.add_run(text)
    _font(run, size, bold, italic)
    run.font.underline = underline
    return paragraph


def _widths(table, widths: list) -> None:
    """Fixed column widths, in the grid (what LibreOffice reads) and in every cell (what Word reads)."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def _cell_margins(table, twips: int) -> None:
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:w"), str(twips))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    table._tbl.tblPr.append(margins)


def _no_borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _emblem_block(document, brief: Brief, lang: str) -> None:
    """Issuing body left, the national emblem block right, each centred in its half; the date line below right."""
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, [Mm(70), Mm(95)])
    left, right = table.rows[0].cells
    for cell in (left, right):
        cell.paragraphs[0].paragraph_format.space_after = Pt(0)
    scope = brief.scope.name if lang == "vi" else (brief.scope.name_en or brief.scope.name)
    issuer = left.paragraphs[0]
    issuer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(issuer.add_run(scope.upper()), 12)
    _line(left, word("issuer_top", lang), 12, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, underline=True)
    _line(left, f"{'Số' if lang == 'vi' else 'No.'}: …/BC-KPI", 13, align=WD_ALIGN_PARAGRAPH.CENTER)
    republic = right.paragraphs[0]
    republic.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(republic.add_run(word("republic", lang)), 12, bold=True)
    _line(right, word("motto", lang), 13, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, underline=True)
    local = timezone.localtime(brief.as_of)
    place = (word("place_date", lang, d=local.day, m=local.month, y=local.year) if lang == "vi"
             else word("place_date", lang, date=f"{local:%d %B %Y}"))
    _line(document, place, 13, italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT, after=12)


def _shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _table(document, table: Table, lang: str) -> None:
    printed = doc_table(table, lang)
    if not printed.total:
        _line(document, word("none", lang), italic=True, after=6)
        return
    grid = document.add_table(rows=1 + len(printed.rows), cols=len(printed.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    scale = TEXT_WIDTH_MM / sum(printed.widths)
    _widths(grid, [Mm(w * scale) for w in printed.widths])
    _cell_margins(grid, twips=57)  # 1 mm each side (Word's default, 1.9 mm, breaks short words in narrow columns)
    for cell, title in zip(grid.rows[0].cells, printed.columns, strict=True):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(cell.paragraphs[0].add_run(title), TABLE_PT, bold=True)
        _shade(cell, "DDE6F0")
    header = grid.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # the header row again on every page the table runs over
    repeat.set(qn("w:val"), "true")
    header.append(repeat)
    for row, values in zip(grid.rows[1:], printed.rows, strict=True):
        for cell, value, numeric in zip(row.cells, values, printed.numeric, strict=True):
            if numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _font(cell.paragraphs[0].add_run(value), TABLE_PT)
    if printed.total > len(printed.rows):
        _line(document, word("listed_of", lang, shown=len(printed.rows), total=printed.total), 12, italic=True)
    _line(document, "", 6)


def render_docx(brief: Brief, lang: str) -> bytes:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    _emblem_block(document, brief, lang)
    _line(document, word("title", lang), 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    period = brief.period_vi if lang == "vi" else brief.period_en
    _line(document, word("subtitle", lang, period=period), 14, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=10)
    for text in front_matter(brief, lang):
        _line(document, text, BODY_PT, italic=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=3)
    for part in sections(brief, lang):
        _line(document, f"{part.number}. {part.title}", BODY_PT, bold=True, after=4).paragraph_format.space_before = Pt(8)
        for text in part.paragraphs:
            _line(document, text, BODY_PT, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=4)
        for table in part.tables:
            if len(part.tables) > 1:
                key = "s6a" if table.name.startswith("6a") else "s6b"
                _line(document, word(key, lang), BODY_PT, italic=True, after=3)
            _table(document, table, lang)
    _line(document, word("notes", lang), BODY_PT, bold=True, after=3)
    for vi, en in brief.notes:
        _line(document, f"- {vi if lang == 'vi' else en}", 12, align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=2)
    props = document.core_properties
    props.title = f"{word('title', lang)} {brief.period}"
    props.author = word("issuer_top", lang)
    props.created = props.modified = timezone.localtime(brief.as_of).replace(tzinfo=None)
    props.revision = 1
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
