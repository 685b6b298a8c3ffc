"""Every error answered in one place: a JSON problem under /api/, an HTML page elsewhere.

govkpi's API (/api/v1/…) answers `{"code", "message" (Vietnamese), "message_en", "retryable"}`; DHIS2's own
paths (/api/… outside /api/v1/) answer DHIS2's WebMessage, as their clients expect. A database that is busy,
locked past its timeout or gone (`OperationalError`) is a 503 with `Retry-After`; a write that lost a race to
another (`IntegrityError`) is a 409; both say they can be retried, since nothing of them was stored. Django
calls `server_error` for every unhandled exception (it is the root URLconf's handler500, so Django still logs
the traceback); `ProblemMiddleware` turns any other HTML error under /api/ (404, 405, 403 from CSRF, Django's
debug page) into the problem for its status.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from html import escape

from django.db import IntegrityError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views import defaults

RETRY_AFTER = 5  # seconds: about one lock timeout (GOVKPI_LOCK_TIMEOUT_MS) or one SQLite busy wait
# Headers an error answer keeps when its HTML body is replaced (405's Allow, 401's challenge, 429's wait).
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After", "Cache-Control")


@dataclass(frozen=True)
class Problem:
    """What went wrong, as an HTTP status, a stable code and a message in Vietnamese and English."""

    status: int
    code: str
    message_vi: str
    message_en: str
    retryable: bool = False


DATABASE_BUSY = Problem(
    503, "database_unavailable",
    "Cơ sở dữ liệu đang bận hoặc không trả lời; chưa có gì được lưu, xin gửi lại sau ít giây.",
    "The database is busy or not answering; nothing was stored, send it again in a few seconds.", True)
READ_ONLY = Problem(
    503, "database_read_only",
    "Cơ sở dữ liệu đang ở chế độ chỉ đọc; chưa có gì được lưu. Xem số liệu vẫn được, ghi thì chưa.",
    "The database is read-only; nothing was stored. Figures can be read, not written.", True)
DISK_FULL = Problem(
    503, "database_disk_full",
    "Ổ đĩa của cơ sở dữ liệu đã đầy; chưa có gì được lưu. Xem số liệu vẫn được, ghi thì chưa.",
    "The database's disk is full; nothing was stored. Figures can be read, not written.", True)
CONFLICT = Problem(
    409, "conflict",
    "Một thay đổi khác cùng lúc đã xung đột với yêu cầu này; chưa có gì được lưu, xin gửi lại.",
    "Another change at the same moment conflicted with this request; nothing was stored, send it again.", True)
SERVER_ERROR = Problem(500, "server_error", "Lỗi máy chủ; lỗi đã được ghi lại.",
                       "Server error; it has been logged.")
BY_STATUS = {
    400: Problem(400, "bad_request", "Yêu cầu không hợp lệ.", "Bad request."),
    401: Problem(401, "unauthorized", "Cần đăng nhập hoặc mã truy cập.", "Sign-in or a token needed."),
    403: Problem(403, "forbidden", "Không có quyền.", "Forbidden."),
    404: Problem(404, "not_found", "Không có địa chỉ này.", "No such address."),
    405: Problem(405, "method_not_allowed", "Địa chỉ này không nhận phương thức này.",
                 "This address does not accept this method."),
    413: Problem(413, "too_large", "Nội dung gửi quá lớn.", "The request body is too large."),
    429: Problem(429, "rate_limited", "Quá nhiều yêu cầu.", "Too many requests.", True),
    500: SERVER_ERROR,
    503: DATABASE_BUSY,
}


def problem_for(exception: BaseException | None) -> Problem:
    """Return the problem an unhandled exception is answered with."""
    if isinstance(exception, OperationalError):
        # SQLite's words for a read-only file and a full disk, PostgreSQL's for a hot standby and a full disk
        text = str(exception)
        if "readonly database" in text or "read-only transaction" in text:
            return READ_ONLY
        if "database or disk is full" in text or "No space left on device" in text:
            return DISK_FULL
        return DATABASE_BUSY
    if isinstance(exception, IntegrityError):
        return CONFLICT
    return SERVER_ERROR


def problem_for_status(status: int) -> Problem:
    """Return the problem for an error status that carried no problem of its own."""
    return BY_STATUS.get(status) or Problem(status, f"http_{status}", f"Lỗi {status}.", f"Error {status}.")


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def is_dhis2(path: str) -> bool:
    """DHIS2's own paths answer WebMessages; govkpi's API lives under /api/v1/."""
    return is_api(path) and not path.startswith("/api/v1/")


def render(request: HttpRequest, problem: Problem) -> HttpResponse:
    """Return the answer for a problem: JSON under /api/ (a WebMessage on DHIS2's paths), HTML elsewhere."""
    if is_dhis2(request.path):
        response = HttpResponse(status=problem.status)
        body = {"httpStatus": response.reason_phrase, "httpStatusCode": problem.status, "status": "ERROR",
                "code": problem.code, "message": f"{problem.message_vi} / {problem.message_en}",
                "retryable": problem.retryable}
        response.content = json.dumps(body, ensure_ascii=False)
        response["Content-Type"] = "application/json"
    elif is_api(request.path):
        body = {"code": problem.code, "message": problem.message_vi, "message_en": problem.message_en,
                "retryable": problem.retryable}
        response = HttpResponse(json.dumps(body, ensure_ascii=False), status=problem.status,
                                content_type="application/json; charset=utf-8")
    else:
        response = HttpResponse(_page(problem), status=problem.status, content_type="text/html; charset=utf-8")
    if problem.retryable:
        response["Retry-After"] = str(RETRY_AFTER)
    return response


def _page(problem: Problem) -> str:
    again = (f"<p>Xin thử lại sau {RETRY_AFTER} giây. / Please try again in {RETRY_AFTER} seconds.</p>"
             if problem.retryable else "")
    return (f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{problem.status}</title></head>'
            f"<body><h1>{escape(problem.message_vi)}</h1><p lang=\"en\">{escape(problem.message_en)}</p>{again}"
            "</body></html>")


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the problem for the exception being handled; pages keep Django's own 500 page."""
    problem = problem_for(sys.exception())
    if problem is SERVER_ERROR and not is_api(request.path):
        return defaults.server_error(request)
    return render(request, problem)


class ProblemMiddleware:
    """Outermost: an error answer under /api/ that is not JSON (Django's 404 and 405, CSRF's 403, the debug
    page) is replaced by the problem for its status, keeping the headers that tell the client what to do."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (response.status_code < 400 or not is_api(request.path) or response.streaming
                or "json" in response.get("Content-Type", "")):
            return response
        replaced = render(request, _in_its_words(response, problem_for_status(response.status_code)))
        for header in KEPT_HEADERS:
            if header in response:
                replaced[header] = response[header]
        return replaced


def _in_its_words(response: HttpResponse, problem: Problem) -> Problem:
    """A plain-text error (the rate limiter's 429, a refusal) already says what went wrong, Vietnamese first,
    then English, on two lines or around " / ": the problem keeps its words."""
    if not response.get("Content-Type", "").startswith("text/plain"):
        return problem
    text = response.content.decode("utf-8", "replace").strip()
    if not text or len(text) > 2000:
        return problem
    vi, _, en = text.replace("\n", " / ", 1).partition(" / ")
    return replace(problem, message_vi=vi.strip(), message_en=(en or vi).strip())
