"""A dataValueSets request body in any of DHIS2's import formats, compressed or not, read into writer items.

The format, as dhis2-core 2.40.9's DataValueSetController chooses it by Content-Type: application/json (the
default), application/csv, application/xml (DXF2) and application/adx+xml (ADX); govkpi also reads text/csv,
text/xml, a path suffix (`.json`, `.csv`, `.xml`, `.adx`, which wins over the Content-Type) and, when the
Content-Type names no format (application/zip, application/octet-stream, none), a zip entry's extension.
Compression (gzip, zip) is told by the first bytes, as DHIS2 tells it (datavalues.compressed).

Besides its values, a dataValueSet may carry options of its own, which DHIS2 2.40 reads: JSON's `dryRun` and
`strategy` fields (Jackson-mapped DataValueSet), DXF2's `dryRun` and `importStrategy` attributes on the root
(XmlDataValueSetReader.readHeader). ADX carries none (DefaultAdxDataService reads no attribute of <adx>).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from govkpi.core.strict_json import empty_body, read_json
from govkpi.datavalues import adx, compressed, dhis2, dxf2
from govkpi.datavalues.writer import Conflict, Item

FORMATS = ("json", "csv", "xml", "adx")
_XML_TYPES = ("application/xml", "text/xml")
# Content-Types that say how a body is packed, not what it holds.
_PACKING_TYPES = ("", "application/octet-stream", "application/zip", "application/x-zip-compressed",
                  "application/gzip", "application/x-gzip")


@dataclass
class Payload:
    """What a body held: the items, the dataValueSet's own options (`dryRun`, `strategy`), how it was read, and
    the values refused for their shape before any check (`refused`, for the writer's `refused`)."""

    items: list[Item]
    declared: dict[str, Any] = field(default_factory=dict)
    format: str = "json"
    compression: str | None = None
    refused: list[Conflict] = field(default_factory=list)


def format_of(suffix: str, content_type: str, entry_name: str = "") -> str:
    """The format a body is read in: the path's suffix, else the Content-Type, else a zip entry's extension."""
    if suffix in FORMATS:
        return suffix
    if "adx" in content_type:
        return "adx"
    if content_type in _XML_TYPES:
        return "xml"
    if "csv" in content_type:
        return "csv"
    extension = entry_name.rpartition(".")[2].lower() if "." in entry_name else ""
    if content_type in _PACKING_TYPES and extension in FORMATS:
        return extension
    return "json"


def read_payload(chunks: Iterable[bytes], *, suffix: str, content_type: str, max_bytes: int) -> Payload:
    """The payload of a request body; PayloadError when it cannot be read as a whole (413's `too_large` among
    them: the limit holds for the bytes sent and, again, for the bytes they decompress to)."""
    body = compressed.opened(chunks, max_bytes)
    kind = format_of(suffix, content_type, body.name)
    if kind == "xml":
        header: dict[str, str] = {}
        items = dxf2.items_from_xml(body.chunks, max_bytes=max_bytes, header=header)
        declared = {"dryRun": header.get("dryRun"), "strategy": header.get("importStrategy")}
        return Payload(items, declared, kind, body.compression)
    if kind == "adx":
        return Payload(adx.items_from_adx(body.chunks, max_bytes=max_bytes), {}, kind, body.compression)
    lines = dhis2.decoded_lines(body.chunks, max_bytes)
    if kind == "csv":
        return Payload(list(dhis2.items_from_csv(_not_blank(lines))), {}, kind, body.compression)
    document = read_json("".join(lines))  # the one strict reader: repeated keys, depth, numbers, NUL, surrogates
    items, refused = dhis2.read_data_value_set(document)  # refuses anything but a dataValueSet object
    return Payload(items, {"dryRun": document.get("dryRun"), "strategy": document.get("strategy")}, kind,
                   body.compression, refused)


def _not_blank(lines: Iterable[str]) -> Iterator[str]:
    """The lines as they come; empty_body if none holds anything (a body of nothing is not an empty batch)."""
    blank = True
    for line in lines:
        blank = blank and not line.strip()
        yield line
    if blank:
        raise empty_body()
