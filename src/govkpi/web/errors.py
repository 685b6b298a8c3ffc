"""Bad input answered 400 in Vietnamese and English instead of 500, and pages behind sign-in kept out of caches.

A request parameter a domain parser refuses (a period such as `2025M13`, deadline words) is the caller's
mistake, not the server's: every face (page, portal, API, stream) answers it the same way here rather than each
view catching it. A NUL character in the path or query string is refused before any view runs: PostgreSQL
cannot store or compare it, so it otherwise fails deep inside a query with a 500.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from govkpi.core.deadlines import DeadlineError
from govkpi.core.periods import PeriodError

# Domain errors that carry code, message_vi and message_en, and that mean "the input was wrong".
INPUT_ERRORS = (PeriodError, DeadlineError)


def refusal(request: HttpRequest, code: str, message_vi: str, message_en: str, status: int = 400) -> HttpResponse:
    """Return the 4xx answer: a Problem body under /api/, plain text (Vietnamese / English) elsewhere."""
    if request.path.startswith("/api/"):
        body = json.dumps({"code": code, "message": message_vi, "message_en": message_en}, ensure_ascii=False)
        return HttpResponse(body, status=status, content_type="application/json")
    return HttpResponse(f"{message_vi} / {message_en}\n", status=status, content_type="text/plain; charset=utf-8")


class BadInputMiddleware:
    """Refuses NUL characters in the request line; turns domain input errors raised by a view into 400."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any("\x00" in name or any("\x00" in v for v in values)
                                           for name, values in request.GET.lists()):
            return refusal(request, "nul_character", "Địa chỉ hoặc tham số chứa ký tự NUL.",
                           "The address or a parameter contains a NUL character.")
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, INPUT_ERRORS):
            return refusal(request, exception.code, exception.message_vi, exception.message_en)
        return None


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer to a signed-in user and on the account pages: they show
    scoped figures and, once, a new token, which a shared or browser cache must not keep."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith(("/account/", "/admin/")):
            response["Cache-Control"] = "no-store"
        return response


request_log = logging.getLogger("govkpi.requests")


class RequestLogMiddleware:
    """One log line per request: method, path, status, milliseconds, user id (the query string is left out: it
    can carry codes a reader is not meant to see in a log)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        request_log.info("request", extra={"request_line": {
            "method": request.method, "path": request.path, "status": response.status_code,
            "ms": round((time.monotonic() - started) * 1000, 1),
            "user": user.pk if user is not None and user.is_authenticated else None}})
        return response


class JsonLineFormatter(logging.Formatter):
    """A log record as one JSON line (production): time, level, logger, message, the request's fields, and the
    traceback as one string when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"at": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        line.update(getattr(record, "request_line", {}))
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
