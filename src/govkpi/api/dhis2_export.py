"""The dataValueSets export, one for `/api/v1/dataValueSets` and DHIS2's own paths: it parses DHIS2's export
parameters, asks the one read door (reads.data_values), and streams the rows in the format and compression
asked for, as dhis2-core 2.40.9's DataValueSetController does.

    format        `.json` (default), `.csv`, `.xml` (DXF2), `.adx` by suffix, `format=`, or the Accept header
    compression   `gzip` or `zip` (one entry, named like DHIS2's attachment); anything else: none
    attachment    a file name for Content-Disposition
    filters       dataElement, dataSet, period, startDate, endDate, orgUnit, children, lastUpdated,
                  lastUpdatedDuration, includeDeleted, limit, categoryOptionCombo, attributeOptionCombo (codes,
                  `default` for the default)

The rows are streamed: a national export is never held in memory, whatever the format.
"""

from __future__ import annotations

import datetime
import io
import json
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from govkpi.datavalues import adx, dhis2, dxf2
from govkpi.datavalues.combos import option_combo_dimensions
from govkpi.indicators.models import DataElement
from govkpi.reads.data_values import ExportError, ValueFilter, export_rows
from govkpi.reads.visibility import Viewer

CONTENT_TYPES = {"json": "application/json", "csv": "application/csv; charset=utf-8",
                 "xml": "application/xml; charset=utf-8", "adx": "application/adx+xml; charset=utf-8"}
# ADX writes one group per unit and period: rows come in that order.
_ADX_ORDER = ("unit__code", "period_start", "data_element__code")
_DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_TRUE = ("true", "1", "yes")


def _listed(request: HttpRequest, name: str) -> tuple[str, ...]:
    return tuple(v.strip() for raw in request.GET.getlist(name) for v in raw.split(",") if v.strip())


def _flag(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name, "false").strip().lower() in _TRUE


def _updated_since(request: HttpRequest) -> datetime.datetime | None:
    """DHIS2's lastUpdated (a date, or a date and time) or lastUpdatedDuration (`10d`, `2h`, `30m`, `45s`)."""
    since, duration = request.GET.get("lastUpdated", "").strip(), request.GET.get("lastUpdatedDuration", "").strip()
    if duration:
        match = re.fullmatch(r"(\d+)([dhms])", duration)
        if not match:
            raise ExportError(400, "bad_duration", f"lastUpdatedDuration «{duration}» không hợp lệ (ví dụ 10d, 2h).",
                              f"lastUpdatedDuration «{duration}» is not valid (e.g. 10d, 2h).")
        return timezone.now() - datetime.timedelta(seconds=int(match[1]) * _DURATION_UNITS[match[2]])
    if not since:
        return None
    since = re.sub(r" (\d\d:?\d\d)$", r"+\1", since)  # "+0000" sent unencoded in a query arrives as " 0000"
    parsed = parse_datetime(since) or (datetime.datetime.combine(d, datetime.time()) if (d := parse_date(since))
                                       else None)
    if parsed is None:
        raise ExportError(400, "bad_last_updated", f"lastUpdated «{since}» không phải ngày giờ ISO 8601.",
                          f"lastUpdated «{since}» is not an ISO 8601 date or date and time.")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, datetime.timezone.utc)


def _limit(request: HttpRequest) -> int | None:
    text = request.GET.get("limit", "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise ExportError(400, "bad_limit", f"limit «{text}» phải là số nguyên dương.",
                          f"limit «{text}» must be a positive whole number.")
    return int(text)


def value_filter(request: HttpRequest, fmt: str) -> ValueFilter:
    """The export's filter from DHIS2's query parameters; ExportError for one that cannot be read."""
    extra = {"order": _ADX_ORDER} if fmt == "adx" else {}
    return ValueFilter(elements=_listed(request, "dataElement"), data_sets=_listed(request, "dataSet"),
                       category_option_combos=_listed(request, "categoryOptionCombo"),
                       attribute_option_combos=_listed(request, "attributeOptionCombo"),
                       periods=_listed(request, "period"), units=_listed(request, "orgUnit"),
                       children=_flag(request, "children"), start=request.GET.get("startDate", "").strip(),
                       end=request.GET.get("endDate", "").strip(), updated_since=_updated_since(request),
                       include_deleted=_flag(request, "includeDeleted"), limit=_limit(request), **extra)


def export_format(request: HttpRequest, suffix: str = "") -> str:
    """json, csv, xml or adx: the path's suffix, else `format=`, else the Accept header (DHIS2's order)."""
    asked = (suffix or request.GET.get("format", "")).strip().lower()
    if asked in CONTENT_TYPES:
        return asked
    accept = request.META.get("HTTP_ACCEPT", "").lower()
    for media, fmt in (("adx+xml", "adx"), ("csv", "csv"), ("application/xml", "xml"), ("text/xml", "xml")):
        if media in accept:
            return fmt
    return "json"


def _json_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield '{"dataValues": ['
    separator = ""
    for row in rows:
        yield separator + json.dumps(dhis2.export_row(row), ensure_ascii=False)
        separator = ",\n"
    yield "]}\n"


def _csv_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(dhis2.CSV_COLUMNS)
    for row in rows:
        writer.writerow(dhis2.csv_cells(row))
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _data_set_of() -> Any:
    """Element code → its first theme's code (ADX groups name a data set)."""
    first: dict[str, str] = {}
    for element, theme in (DataElement.themes.through.objects.order_by("theme__code")
                           .values_list("dataelement__code", "theme__code")):
        first.setdefault(element, theme)
    return first.get


def _as_dimensions(row: dict[str, Any], dimensions: dict[str, str]) -> dict[str, Any]:
    for name in ("categoryOptionCombo", "attributeOptionCombo"):
        row[name] = dimensions.get(row[name], row[name])
    return row


def _chunks(rows: Iterator[dict[str, Any]], fmt: str) -> Iterator[str]:
    if fmt == "csv":
        return _csv_chunks(rows)
    if fmt == "xml":
        return dxf2.xml_chunks(dhis2.export_row(row) for row in rows)
    if fmt == "adx":
        dimensions = option_combo_dimensions()  # ADX says a combination as category=option attributes
        return adx.adx_chunks((_as_dimensions(dhis2.export_row(row), dimensions) for row in rows), _data_set_of(),
                              exported=timezone.now())
    return _json_chunks(rows)


def _gzip(chunks: Iterable[str]) -> Iterator[bytes]:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    for chunk in chunks:
        if packed := packer.compress(chunk.encode("utf-8")):
            yield packed
    yield packer.flush()


class _Spool(io.RawIOBase):
    """Where zipfile writes: the bytes so far, taken out as they come (a stream it cannot seek back in)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        taken, self.parts = b"".join(self.parts), []
        return taken


def _zip(chunks: Iterable[str], entry: str) -> Iterator[bytes]:
    spool = _Spool()
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(entry, "w", force_zip64=True) as member:
            for chunk in chunks:
                member.write(chunk.encode("utf-8"))
                if spool.position and spool.parts:
                    yield spool.take()
    yield spool.take()


def _attachment_name(request: HttpRequest, wanted: ValueFilter) -> str:
    """dhis2-core's getAttachmentFileName: the attachment asked for (without extension) or dataValues, with the
    start and end dates when both are given."""
    name = re.sub(r"[^\w.-]", "_", request.GET.get("attachment", "").strip()) or "dataValues"
    name = re.sub(r"\.(json|csv|xml|adx)(\.(zip|gz|gzip))?$", "", name)
    if wanted.start and wanted.end:
        name += f"_{wanted.start}_{wanted.end}"
    return name


def export(request: HttpRequest, viewer: Viewer, suffix: str = "") -> HttpResponse:
    """The export answer: the rows streamed, or a 400/404 WebMessage for a filter that cannot be read."""
    fmt = export_format(request, suffix)
    try:
        wanted = value_filter(request, fmt)
        rows = export_rows(viewer, wanted)
    except ExportError as error:
        return HttpResponse(json.dumps({"httpStatus": "Bad Request" if error.status == 400 else "Not Found",
                                        "httpStatusCode": error.status, "status": "ERROR", "code": error.code,
                                        "message": error.message_vi, "message_en": error.message_en},
                                       ensure_ascii=False), status=error.status, content_type="application/json")
    chunks = _chunks(rows, fmt)
    compression = request.GET.get("compression", "").strip().lower()
    name = _attachment_name(request, wanted)
    if compression == "gzip":
        response = StreamingHttpResponse(_gzip(chunks), content_type="application/gzip")
        response["Content-Disposition"] = f"attachment; filename={name}.{fmt}.gz"
    elif compression == "zip":
        response = StreamingHttpResponse(_zip(chunks, f"{name}.{fmt}"), content_type="application/zip")
        response["Content-Disposition"] = f"attachment; filename={name}.{fmt}.zip"
    else:
        response = StreamingHttpResponse((c.encode("utf-8") for c in chunks), content_type=CONTENT_TYPES[fmt])
        if request.GET.get("attachment"):
            response["Content-Disposition"] = f"attachment; filename={name}.{fmt}"
    response["Cache-Control"] = "no-store"
    return response
