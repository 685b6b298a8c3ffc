"""The brief as PDF (reportlab), in the administrative report's layout, with Liberation Serif (metric-compatible
with Times New Roman, every Vietnamese glyph) vendored in govkpi/brief/fonts: nothing is read from the system.
Written with reportlab's invariant mode, so the same brief gives the same bytes."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from govkpi.brief.document import Brief
from govkpi.brief.sections import Table as BriefTable
from govkpi.brief.sections import doc_table, front_matter, sections
from govkpi.brief.words import word

FONTS = Path(__file__).resolve().parent.parent / "fonts"
SERIF, BOLD, ITALIC = "LiberationSerif", "LiberationSerif-Bold", "LiberationSerif-Italic"
LEFT, RIGHT, TOP, BOTTOM = 30 * mm, 15 * mm, 20 * mm, 20 * mm
WIDTH = A4[0] - LEFT - RIGHT


@cache
def _register() -> None:
    for name, file in ((SERIF, "LiberationSerif-Regular.ttf"), (BOLD, "LiberationSerif-Bold.ttf"),
                       (ITALIC, "LiberationSerif-Italic.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(FONTS / file)))
    pdfmetrics.registerFontFamily(SERIF, normal=SERIF, bold=BOLD, italic=ITALIC, boldItalic=BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=SERIF, fontSize=13, leading=17, alignment=TA_JUSTIFY, spaceAfter=4)
    return {
        "body": body,
        "centre": ParagraphStyle("centre", parent=body, alignment=TA_CENTER, fontSize=12, leading=15, spaceAfter=0),
        "centre_bold": ParagraphStyle("centre_bold", parent=body, fontName=BOLD, alignment=TA_CENTER, fontSize=12,
                                      leading=15, spaceAfter=0),
        "date": ParagraphStyle("date", parent=body, fontName=ITALIC, alignment=TA_RIGHT, spaceBefore=6,
                               spaceAfter=12),
        "title": ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=14, leading=18, alignment=TA_CENTER,
                                spaceAfter=0),
        "front": ParagraphStyle("front", parent=body, fontName=ITALIC, fontSize=12, leading=15),
        "heading": ParagraphStyle("heading", parent=body, fontName=BOLD, spaceBefore=8, spaceAfter=4),
        "sub": ParagraphStyle("sub", parent=body, fontName=ITALIC, spaceAfter=3),
        "cell": ParagraphStyle("cell", fontName=SERIF, fontSize=8.5, leading=10.5),
        "cell_right": ParagraphStyle("cell_right", fontName=SERIF, fontSize=8.5, leading=10.5, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", fontName=BOLD, fontSize=8.5, leading=10.5, alignment=TA_CENTER),
        "note": ParagraphStyle("note", parent=body, fontSize=11.5, leading=14.5, spaceAfter=2),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _emblem(brief: Brief, lang: str, s: dict[str, ParagraphStyle]) -> list:
    scope = brief.scope.name if lang == "vi" else (brief.scope.name_en or brief.scope.name)
    left = [_p(scope.upper(), s["centre"]), Paragraph(f"<u>{escape(word('issuer_top', lang))}</u>", s["centre_bold"]),
            Spacer(1, 4), _p(f"{'Số' if lang == 'vi' else 'No.'}: …/BC-KPI", s["centre"])]
    right = [_p(word("republic", lang), s["centre_bold"]),
             Paragraph(f"<u>{escape(word('motto', lang))}</u>", ParagraphStyle("motto", parent=s["centre_bold"],
                                                                                 fontSize=13, leading=16))]
    block = Table([[left, right]], colWidths=[WIDTH * 0.41, WIDTH * 0.59])
    block.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    local = timezone.localtime(brief.as_of)
    place = (word("place_date", lang, d=local.day, m=local.month, y=local.year) if lang == "vi"
             else word("place_date", lang, date=f"{local:%d %B %Y}"))
    return [block, _p(place, s["date"])]


def _table(table: BriefTable, lang: str, s: dict[str, ParagraphStyle]) -> list:
    printed = doc_table(table, lang)
    if not printed.total:
        return [_p(word("none", lang), s["sub"])]
    scale = WIDTH / sum(printed.widths)
    data = [[_p(c, s["head"]) for c in printed.columns]]
    data += [[_p(v, s["cell_right"] if numeric else s["cell"]) for v, numeric in zip(row, printed.numeric, strict=True)]
             for row in printed.rows]
    grid = Table(data, colWidths=[w * scale for w in printed.widths], repeatRows=1)
    grid.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE6F0")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.5), ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    out: list = [grid]
    if printed.total > len(printed.rows):
        out.append(_p(word("listed_of", lang, shown=len(printed.rows), total=printed.total), s["note"]))
    return [*out, Spacer(1, 6)]


def render_pdf(brief: Brief, lang: str) -> bytes:
    _register()
    s = _styles()
    period = brief.period_vi if lang == "vi" else brief.period_en
    story: list = [*_emblem(brief, lang, s), _p(word("title", lang), s["title"]),
                   _p(word("subtitle", lang, period=period), s["title"]), Spacer(1, 8)]
    story += [_p(line, s["front"]) for line in front_matter(brief, lang)]
    for part in sections(brief, lang):
        story.append(_p(f"{part.number}. {part.title}", s["heading"]))
        story += [_p(text, s["body"]) for text in part.paragraphs]
        for table in part.tables:
            if len(part.tables) > 1:
                story.append(_p(word("s6a" if table.name.startswith("6a") else "s6b", lang), s["sub"]))
            story += _table(table, lang, s)
    story.append(_p(word("notes", lang), s["heading"]))
    story += [_p(f"- {vi if lang == 'vi' else en}", s["note"]) for vi, en in brief.notes]

    def footer(canvas, doc) -> None:
        canvas.setFont(SERIF, 10)
        canvas.drawRightString(A4[0] - RIGHT, 10 * mm, f"{word('page', lang)} {doc.page}")

    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=A4, leftMargin=LEFT, rightMargin=RIGHT, topMargin=TOP,
                                 bottomMargin=BOTTOM, title=f"{word('title', lang)} {brief.period}",
                                 author=word("issuer_top", lang), creator="govkpi", invariant=True)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
