"""One renderer per format: each writes the brief's sections (govkpi.brief.sections) in one language."""

from __future__ import annotations

from govkpi.brief.document import Brief

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


def render(brief: Brief, fmt: str, lang: str = "vi") -> bytes:
    """The brief's file in the format (xlsx, docx, pdf) and language (vi, en)."""
    if lang not in ("vi", "en"):
        raise ValueError(f"language {lang!r}: vi or en")
    if fmt == "xlsx":
        from govkpi.brief.renderers.xlsx import render_xlsx as write
    elif fmt == "docx":
        from govkpi.brief.renderers.docx import render_docx as write
    elif fmt == "pdf":
        from govkpi.brief.renderers.pdf import render_pdf as write
    else:
        raise ValueError(f"format {fmt!r}: xlsx, docx or pdf")
    return write(brief, lang)
