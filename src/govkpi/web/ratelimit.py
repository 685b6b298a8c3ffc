"""The one rate limiter: pages, the public portal, event streams and the API count requests the same way.

A client is its user when signed in, else its address (core.clientaddr, after the trusted proxies). Counts are
kept in the cache in fixed windows of the rate's period; beyond the rate the answer is 429 with Retry-After and
a message in Vietnamese and English. The API's throttles (`ApiRate`) and the middleware for everything else
(`RateLimitMiddleware`) both call `take`.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin
from ninja.throttling import BaseThrottle

from govkpi.core.clientaddr import client_address
from govkpi.shared_cache import CACHE_DOWN, warn_cache_down

PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
MESSAGE_VI = "Quá nhiều yêu cầu. Vui lòng thử lại sau {seconds} giây."
MESSAGE_EN = "Too many requests. Try again in {seconds} seconds."


def parse_rate(rate: str) -> tuple[int, int]:
    """(requests, seconds) of a rate such as "600/m" or "10/5s"; a bad rate raises ValueError."""
    count, _, period = rate.strip().partition("/")
    digits = period.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = period[len(digits):] or "s"
    if unit not in PERIODS:
        raise ValueError(f"rate {rate!r}: unknown period {unit!r}")
    return int(count), (int(digits) if digits else 1) * PERIODS[unit]


def take(scope: str, ident: str, rate: str) -> int | None:
    """Count one request of `ident` in `scope`: None when within `rate`, else the seconds until it may retry."""
    count, seconds = parse_rate(rate)
    now = time.time()
    window = int(now // seconds)
    key = f"govkpi:rate:{scope}:{ident}:{window}"
    try:
        used = _count(key, seconds)
    except CACHE_DOWN as error:
        # The shared cache (Redis) is down: a limit is a protection, not the data's; refusing every request
        # (it answered 500 to every write and read) would turn a cache outage into a service outage.
        warn_cache_down(error)
        return None
    if used <= count:
        return None
    return max(1, math.ceil((window + 1) * seconds - now))


def _count(key: str, seconds: int) -> int:
    cache.add(key, 0, seconds + 1)
    try:
        return cache.incr(key)
    except ValueError:  # the window's counter expired between add and incr: this is its first request
        cache.add(key, 1, seconds + 1)
        return 1


def client_ident(request: HttpRequest, user: object = None) -> str:
    """Who is counted: the signed-in user, or the client's address."""
    user = user if user is not None else getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return f"addr:{client_address(request)}"


def too_many_requests(retry_after: int) -> HttpResponse:
    """The 429 answer of pages, portal and stream: plain text, Vietnamese first."""
    text = MESSAGE_VI.format(seconds=retry_after) + "\n" + MESSAGE_EN.format(seconds=retry_after) + "\n"
    response = HttpResponse(text, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response


def _rate_for(request: HttpRequest) -> tuple[str, str] | None:
    """(scope, rate) of a request outside the API's own throttles, or None for what is not limited here."""
    path = request.path_info
    if path.startswith("/api/v1/events"):
        return "stream", settings.STREAM_RATE
    if path.startswith(("/api/", settings.STATIC_URL or "/static/")):
        return None  # the API counts in its throttles (ApiRate); static files cost nothing
    if path.startswith("/public/"):
        return "portal", settings.PORTAL_RATE
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        return "pages", settings.PAGE_RATE_AUTHENTICATED
    return "pages", settings.PAGE_RATE_ANONYMOUS


class RateLimitMiddleware(MiddlewareMixin):
    """After AuthenticationMiddleware: limits pages, the portal and stream openings per user or address."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        found = _rate_for(request)
        if found is None:
            return None
        scope, rate = found
        retry_after = take(scope, client_ident(request), rate)
        return None if retry_after is None else too_many_requests(retry_after)


class ApiRate(BaseThrottle):
    """A ninja throttle over `take`: the anonymous or the signed-in rate, read from settings on every request."""

    def __init__(self, setting: str, authenticated: bool) -> None:
        self.setting, self.authenticated = setting, authenticated
        self._wait: int | None = None

    def allow_request(self, request: HttpRequest) -> bool:
        user = getattr(request, "auth", None) or getattr(request, "user", None)
        signed_in = bool(getattr(user, "is_authenticated", False))
        if signed_in != self.authenticated:
            return True
        self._wait = take(f"api-{'user' if signed_in else 'anon'}", client_ident(request, user),
                          getattr(settings, self.setting))
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait


def api_throttles() -> list[BaseThrottle]:
    return [ApiRate("API_RATE_ANONYMOUS", authenticated=False), ApiRate("API_RATE_AUTHENTICATED", True)]
