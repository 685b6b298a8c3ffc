"""A DHIS2-compatible server read over HTTP: its clock (`/api/system/info`) and its values
(`/api/dataValueSets.csv`, gzip-compressed), streamed line by line so that a national pull is never held in
memory.

A cut answer is an error, never a shorter answer: the body is gzip (its CRC and length are checked at the
end), and HTTP's own framing (chunked or Content-Length) is checked by http.client. Only what the standard
library gives is used: no outside service, no proxy from the environment (an air-gapped network names its
servers directly).
"""

from __future__ import annotations

import datetime
import gzip
import http.client
import io
import json
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.dateparse import parse_datetime

GZIP_MAGIC = b"\x1f\x8b"


class SourceError(Exception):
    """The source could not be read to the end: unreachable, refused our token, or cut off."""

    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.code, self.message_vi, self.message_en = code, message_vi, message_en


class Source:
    def __init__(self, url: str, token: str, timeout: float = 120.0) -> None:
        self.url, self.token, self.timeout = url.rstrip("/"), token, timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _open(self, path: str, params: dict[str, str | list[str]]) -> http.client.HTTPResponse:
        query = urllib.parse.urlencode(params, doseq=True)
        request = urllib.request.Request(f"{self.url}{path}?{query}" if query else f"{self.url}{path}",
                                         headers={"Authorization": f"ApiToken {self.token}",
                                                  "Accept": "application/json, application/csv"})
        try:
            return self._opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as error:
            detail = error.read(2000).decode("utf-8", "replace")
            if error.code in (401, 403):
                raise SourceError("source_refused_token", f"Máy chủ nguồn từ chối mã truy cập ({error.code}).",
                                  f"The source refused the token ({error.code}).") from None
            raise SourceError("source_http_error", f"Máy chủ nguồn trả lời {error.code}: {detail}",
                              f"The source answered {error.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise SourceError("source_unreachable", f"Không kết nối được máy chủ nguồn: {reason}",
                              f"The source cannot be reached: {reason}") from None

    def clock(self) -> tuple[datetime.datetime, str]:
        """The source's time now and its time zone (`serverDate`, `serverTimeZoneId`), for the next watermark:
        the source's values carry its clock, not ours."""
        with self._open("/api/system/info", {}) as response:
            try:
                info = json.loads(response.read(1024 * 1024))
                zone_name = str(info.get("serverTimeZoneId") or "UTC")
                moment = parse_datetime(str(info["serverDate"]))
            except (ValueError, KeyError, TypeError, AttributeError):
                moment = None
        if moment is None:
            raise SourceError("source_bad_info", "system/info của máy chủ nguồn không có serverDate đọc được.",
                              "The source's system/info has no readable serverDate.")
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            zone, zone_name = ZoneInfo("UTC"), "UTC"
        return (moment if moment.tzinfo else moment.replace(tzinfo=zone)), zone_name

    def value_lines(self, params: dict[str, str | list[str]]) -> Iterator[str]:
        """The lines of the source's DHIS2 CSV export for these parameters, as they arrive."""
        response = self._open("/api/dataValueSets.csv", {**params, "compression": "gzip"})
        try:
            # Read in the small pieces gzip asks for (8 KiB), not through a larger buffer: a cut answer then
            # loses only the piece it was cut in, and the complete lines before it are written.
            stream: Any = gzip.GzipFile(fileobj=response) if response.peek(2)[:2] == GZIP_MAGIC else response
            yield from io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        except (http.client.IncompleteRead, EOFError, zlib.error, gzip.BadGzipFile, OSError) as error:
            raise SourceError("source_cut_off", f"Câu trả lời của máy chủ nguồn bị cắt ngang ({error!r}).",
                              f"The source's answer was cut off ({error!r}).") from None
        except UnicodeDecodeError:
            raise SourceError("source_bad_encoding", "Máy chủ nguồn gửi CSV không phải UTF-8.",
                              "The source sent a CSV that is not UTF-8.") from None
        finally:
            response.close()


def source_time(moment: datetime.datetime, zone_name: str) -> str:
    """A time as DHIS2's lastUpdated reads it: the source's local time, milliseconds, no offset."""
    try:
        zone = ZoneInfo(zone_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}"
