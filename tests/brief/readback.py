"""Reading a brief's file back as a reader would: the spreadsheet's cells, the document's text, the PDF's text."""

from __future__ import annotations

import io

import docx
import openpyxl
import pypdf


def workbook(content: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def document_text(content: bytes) -> list[str]:
    """Every paragraph, and every table cell (row by row), in order of the document's body."""
    document = docx.Document(io.BytesIO(content))
    lines = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append("".join(t.text or "" for t in block.iter() if t.tag.endswith("}t")))
        elif tag == "tbl":
            for row in block.iter():
                if row.tag.endswith("}tr"):
                    cells = ["".join(t.text or "" for t in cell.iter() if t.tag.endswith("}t"))
                             for cell in row if cell.tag.endswith("}tc")]
                    lines.append(" | ".join(cells))
    return lines


def pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages]


def downloaded(response) -> bytes:
    """A download's body, its file closed as the server closes it, but without ending the test's database
    connection (closing a response sends request_finished; the test client keeps it from closing connections
    during its own requests, and so do we here)."""
    from django.core.signals import request_finished
    from django.db import close_old_connections

    body = b"".join(response.streaming_content) if response.streaming else response.content
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    return body
