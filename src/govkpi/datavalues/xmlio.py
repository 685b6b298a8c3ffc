"""XML payloads from outside, read safely and as a stream; and the escaping our XML exports need.

Reading goes through defusedxml's parser with every DTD refused: no entity expansion (billion laughs), no
external entity or DTD fetched (XXE), no DTD at all, since no DHIS2 or ADX payload has one. Bytes go to expat
as they arrive (expat reads the encoding from the BOM or the XML declaration), at most `max_bytes` of them,
and a format's reader (a `Sink`) sees elements as they open and close, so a million values never sit in
memory as a tree. Every failure is a `PayloadError` naming the line and column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, Protocol
from xml.parsers import expat

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from govkpi.datavalues.dhis2 import PayloadError
from govkpi.datavalues.writer import Item

_TRUE = {"true", "1", "yes", "t", "y"}  # as the JSON and CSV readers read a flag
# Characters XML 1.0 cannot carry at all, not even as a character reference.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
            # Kept as references: a parser turns a raw newline or tab in an attribute into a space.
            "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_TO_ESCAPE = re.compile('[&<>"\n\r\t]')
_SPECIAL = re.compile('[&<>"\x00-\x1f\ufffe\uffff]')
# Expat's reasons, in Vietnamese; any other reason is given as expat says it.
_REASONS_VI = {
    expat.errors.XML_ERROR_SYNTAX: "sai cú pháp",
    expat.errors.XML_ERROR_NO_ELEMENTS: "không có phần tử nào (tài liệu trống hoặc bị cắt)",
    expat.errors.XML_ERROR_INVALID_TOKEN: "sai cú pháp (ký tự hoặc thẻ không hợp lệ)",
    expat.errors.XML_ERROR_UNCLOSED_TOKEN: "thẻ chưa đóng",
    expat.errors.XML_ERROR_PARTIAL_CHAR: "ký tự bị cắt giữa chừng",
    expat.errors.XML_ERROR_TAG_MISMATCH: "thẻ đóng không khớp thẻ mở",
    expat.errors.XML_ERROR_DUPLICATE_ATTRIBUTE: "thuộc tính bị lặp",
    expat.errors.XML_ERROR_JUNK_AFTER_DOC_ELEMENT: "có nội dung sau phần tử gốc",
    expat.errors.XML_ERROR_UNDEFINED_ENTITY: "thực thể (entity) chưa được định nghĩa",
    expat.errors.XML_ERROR_UNBOUND_PREFIX: "tiền tố không gian tên chưa khai báo",
    expat.errors.XML_ERROR_INCORRECT_ENCODING: "mã hóa không khớp khai báo",
    expat.errors.XML_ERROR_UNKNOWN_ENCODING: "mã hóa không được hỗ trợ",
}


class Sink(Protocol):
    """A format's reader: told of each element, it puts finished items in `ready`."""

    ready: list[Item]

    def start(self, namespace: str, name: str, attributes: dict[str, str], line: int) -> None: ...

    def end(self, namespace: str, name: str) -> None: ...

    def text(self, text: str) -> None: ...


def read_items(source: bytes | Iterable[bytes], sink: Sink, *, max_bytes: int) -> Iterator[Item]:
    """The items the sink makes of the XML in `source` (bytes, or chunks of them), as each chunk is read."""
    parser = DefusedXMLParser(target=_Text(sink), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    _listen(parser.parser, sink)
    size = 0
    try:
        for chunk in [source] if isinstance(source, (bytes, bytearray, memoryview)) else source:
            size += len(chunk)
            if size > max_bytes:
                raise PayloadError("too_large", f"Dữ liệu vượt quá {max_bytes // (1024 * 1024)} MB.",
                                   f"The payload is larger than {max_bytes // (1024 * 1024)} MB.")
            parser.feed(bytes(chunk))
            yield from _drain(sink)
        parser.close()
    except ParseError as error:
        raise _bad_xml(error) from None
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        line, column = parser.parser.CurrentLineNumber, parser.parser.CurrentColumnNumber + 1
        raise PayloadError("xml_dtd", f"XML không được có DTD (<!DOCTYPE>) hay khai báo thực thể (dòng {line}, "
                                      f"cột {column}): dữ liệu DHIS2 và ADX không cần chúng.",
                           f"The XML must not have a DTD (<!DOCTYPE>) or entity declarations (line {line}, "
                           f"column {column}): DHIS2 and ADX data never need them.") from None
    yield from _drain(sink)


def _drain(sink: Sink) -> list[Item]:
    ready, sink.ready = sink.ready, []
    return ready


def _bad_xml(error: ParseError) -> PayloadError:
    line, column = error.position
    column += 1  # expat counts columns from 0; people, and editors, from 1
    reason_en = expat.ErrorString(error.code) or "malformed"
    reason_vi = _REASONS_VI.get(reason_en, reason_en)
    problem = PayloadError("bad_xml", f"XML không hợp lệ ở dòng {line}, cột {column}: {reason_vi}.",
                           f"Malformed XML at line {line}, column {column}: {reason_en}.")
    problem.line, problem.column = line, column  # type: ignore[attr-defined]
    return problem


def _listen(raw: Any, sink: Sink) -> None:
    """Elements go straight from expat to the sink, as a name and a dict of attributes.

    defusedxml's guards (DTD, entity and external-reference handlers) stay on the expat parser; only
    ElementTree's element handlers are replaced, since building its tree-builder arguments cost a third of
    the time. The parser splits names on "}": "urn:ihe:qrph:adx:2015}group", "dataValue".
    """
    raw.ordered_attributes = False

    def start(tag: str, attributes: dict[str, str]) -> None:
        namespace, _, name = tag.rpartition("}")
        if "}" in "".join(attributes):  # xsi:schemaLocation and the like: never data
            attributes = {key: value for key, value in attributes.items() if "}" not in key}
        sink.start(namespace, name, attributes, raw.CurrentLineNumber)

    def end(tag: str) -> None:
        namespace, _, name = tag.rpartition("}")
        sink.end(namespace, name)

    raw.StartElementHandler, raw.EndElementHandler = start, end


class _Text:
    """The target defusedxml's parser is given: text goes to the sink; elements are handled by `_listen`."""

    def __init__(self, sink: Sink) -> None:
        self.data = sink.text

    def close(self) -> None:
        return None


def flag(value: str | None) -> bool | None:
    """A flag attribute as the JSON and CSV readers read one: None when absent or empty."""
    if value is None or not value.strip():
        return None
    return value.strip().lower() in _TRUE


def attribute(value: Any) -> str:
    """Text fit for a double-quoted XML attribute; characters XML cannot carry become U+FFFD."""
    text = str(value)
    if not _SPECIAL.search(text):
        return text
    text = _NOT_XML.sub("\ufffd", text)
    return _TO_ESCAPE.sub(lambda match: _ESCAPES[match.group()], text)


def text(value: Any) -> str:
    """Text fit for element content (an ADX annotation)."""
    return attribute(value)


def batched(parts: Iterable[str], size: int = 64 * 1024) -> Iterator[str]:
    """The parts joined into chunks of about `size` characters, for a streamed answer."""
    pending: list[str] = []
    length = 0
    for part in parts:
        pending.append(part)
        length += len(part)
        if length >= size:
            yield "".join(pending)
            pending, length = [], 0
    if pending:
        yield "".join(pending)
