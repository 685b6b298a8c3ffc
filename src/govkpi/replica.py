"""Reads from a PostgreSQL streaming replica: which queries go there, when they do not, how far behind it is.

Set GOVKPI_REPLICA_URL (settings.py) and the pages, API GETs, portal and open data read their figures from the
replica; everything else stays on the primary. The rule, and why it is the safe one:

- **By request, not by query.** ReplicaMiddleware marks a GET or HEAD request outside PRIMARY_PATHS as one
  that may read the replica; outside such a request (the engine, the writer's follower, the live hub, commands,
  threads) every read goes to the primary. The database is chosen once, at the request's first routed read,
  and kept for all of it: the cache keys made of what a request read (the latest change event, the published
  fingerprint: reads.publication, reads.official) then come from the same database as the figures cached
  under them, so a panel never sits in the shared cache under a newer key than its data.
- **Never inside a transaction, never for who-may-do-what.** A read while the primary's connection is in an
  atomic block (every write function runs in one) reads the primary: a write never decides from a copy.
  Sessions, users, memberships, API tokens, sign-in lockouts, second factors and the audit trail
  (PRIMARY_APPS) are always read from the primary, so a revoked role or token takes effect at once. Every
  write goes to the primary; migrations run only there.
- **Read your writes.** After a POST, PUT, PATCH or DELETE by a session or a token, the primary's WAL position
  (pg_current_wal_lsn, taken once the response is made, so after its commits) is kept in the cache under that
  credential for GOVKPI_REPLICA_MAX_LAG seconds; that credential's reads go to the replica only once the
  replica has replayed past it. The position is exact where a timer would guess; it is kept no longer than
  MAX_LAG because a replica used at all is at most MAX_LAG behind, so by then it holds the write. Across
  several workers this needs the shared cache (REDIS_URL), as the rate limits do. The figures the engine
  recomputes from the write commit later, in the engine's own transaction: once the replica holds the write,
  the writer reads them there, at most one lag (the page's line says how much) after the primary has them.
- **Fallback.** The replica's lag is measured at most every GOVKPI_REPLICA_CHECK seconds per process, on a
  connection of the probe's own (a dead replica would otherwise hold request threads in the pool's wait). A
  replica that does not answer, is no longer in recovery (promoted: a copy that diverges), or lags more than
  GOVKPI_REPLICA_MAX_LAG seconds is not read: the requests read the primary until it is back. A GET that
  fails on the replica between two measurements (a database error: it went away, or no connection within
  REPLICA_WAIT seconds) is answered again from the primary: GET and HEAD change nothing, so running the view
  twice is safe, and the visitor gets the page instead of an error.

Lag is `now() - pg_last_xact_replay_timestamp()` on the replica (the age of the newest transaction it has
replayed, an upper bound of how stale it is), and 0 when it has replayed everything the primary had written
just before it was asked (an idle primary writes nothing, and the age alone would grow for ever).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

from govkpi.shared_cache import cache

log = logging.getLogger(__name__)
PRIMARY, REPLICA = "default", "replica"
# Models read from the primary whatever the request: identity, permissions, lockouts, the audit trail.
PRIMARY_APPS = frozenset({"auth", "sessions", "admin", "contenttypes", "accounts", "axes", "otp_totp",
                          "django_otp", "audit"})
# Paths whose GETs read the primary: signing in and the admin, the event stream (it follows the primary's
# outbox as it commits), the language switch, and the data entry pages (a form shows what its user will
# change: a stale value there invites overwriting a newer one).
PRIMARY_PATHS = ("/account/", "/admin/", "/api/v1/events", "/i18n/", "/data/", "/static/")
SAFE_METHODS = frozenset({"GET", "HEAD"})
PROBE_CONNECT_TIMEOUT = 2  # seconds; a probe waits no longer for a replica that does not answer
WROTE_KEY = "replica:wrote:"


def lsn(text: str | None) -> int:
    """A WAL position such as '0/35F5A58' as a number (0 for none)."""
    if not text:
        return 0
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


@dataclass(frozen=True)
class Lag:
    """What the probe saw: whether the replica may be read, how far behind it is, up to where it replayed."""

    up: bool
    seconds: float | None = None
    bytes: int | None = None
    replayed: int = 0  # WAL position replayed

    @property
    def usable(self) -> bool:
        return self.up and self.seconds is not None and self.seconds <= settings.REPLICA_MAX_LAG


class Probe:
    """The replica's lag, measured at most every REPLICA_CHECK seconds in this process (threads share it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lag = Lag(up=False)
        self._at = float("-inf")
        self._connection: psycopg.Connection | None = None

    def current(self) -> Lag:
        if time.monotonic() - self._at < settings.REPLICA_CHECK:
            return self._lag
        with self._lock:  # one thread measures; the others wait for its answer rather than measure again
            if time.monotonic() - self._at >= settings.REPLICA_CHECK:
                self._lag = self._measure()
                self._at = time.monotonic()
        return self._lag

    def failed(self) -> None:
        """A request found the replica unusable: not read again until the next measurement, CHECK from now."""
        with self._lock:
            self._lag, self._at = Lag(up=False), time.monotonic()
            self._close()

    def _measure(self) -> Lag:
        try:
            # The primary's position first: whatever it had committed then, the replica must have replayed.
            with connections[PRIMARY].cursor() as cursor:
                cursor.execute("SELECT pg_current_wal_lsn()::text")
                primary = lsn(cursor.fetchone()[0])
            if self._connection is None or self._connection.closed:
                self._connection = psycopg.connect(_conninfo(), autocommit=True,
                                                   connect_timeout=PROBE_CONNECT_TIMEOUT)
            row = self._connection.execute(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
                "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8").fetchone()
        except (psycopg.Error, OSError) as error:
            if self._lag.up:
                log.warning("bản sao không trả lời, đọc từ máy chính / the replica does not answer; reading "
                            "the primary: %s", error)
            self._close()
            return Lag(up=False)
        in_recovery, replayed_text, age = row
        replayed = lsn(replayed_text)
        if not in_recovery:
            return Lag(up=False)  # promoted: no longer a copy of this primary
        behind = max(0, primary - replayed)
        return Lag(up=True, seconds=0.0 if behind == 0 else age, bytes=behind, replayed=replayed)

    def _close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except psycopg.Error:
                pass
        self._connection = None


def _conninfo() -> str:
    database = settings.DATABASES[REPLICA]
    return psycopg.conninfo.make_conninfo(
        dbname=database["NAME"], user=database.get("USER") or None, password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None, port=str(database["PORT"]) if database.get("PORT") else None)


PROBE = Probe()


class Route:
    """One request's reads: the database chosen at its first routed read, kept for the rest of it."""

    def __init__(self, wrote: int, database: str | None = None) -> None:
        self.wrote = wrote  # the WAL position of this credential's latest write still remembered, or 0
        self.database = database
        self.lag: Lag | None = None
        self.failed: DatabaseError | None = None  # what the replica raised, if it did

    def choose(self) -> str:
        if self.database is None:
            self.lag = PROBE.current()
            caught_up = self.lag.replayed >= self.wrote
            self.database = REPLICA if self.lag.usable and caught_up else PRIMARY
        return self.database


_route: ContextVar[Route | None] = ContextVar("govkpi_replica_route", default=None)


class ReplicaRouter:
    """Django's database router: reads as the module's docstring says, writes and migrations on the primary."""

    def db_for_read(self, model: type, **hints: object) -> str:
        route = _route.get()
        if route is None or model._meta.app_label in PRIMARY_APPS or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return route.choose()

    def db_for_write(self, model: type, **hints: object) -> str:
        return PRIMARY

    def allow_relation(self, obj1: object, obj2: object, **hints: object) -> bool:
        return True  # the same rows on both: an object read from the replica may point at a primary's one

    def allow_migrate(self, db: str, app_label: str, **hints: object) -> bool:
        return db == PRIMARY  # the replica replays the primary's schema; it cannot be written


def _credential(request: HttpRequest) -> str | None:
    """Who wrote, as the cache knows them: the API token or the session cookie, hashed (never kept as is)."""
    raw = request.META.get("HTTP_AUTHORIZATION") or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    return WROTE_KEY + hashlib.sha256(raw.encode()).hexdigest()[:32] if raw else None


class ReplicaMiddleware:
    """Marks the requests that may read the replica, remembers where each credential's writes reached, and
    says in two response headers which database a request read (X-Govkpi-Reads) and how far behind the replica was
    (X-Govkpi-Replica-Lag, seconds)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        credential = _credential(request)
        if request.method not in SAFE_METHODS:
            response = self.get_response(request)
            if credential is not None:
                self._remember_write(credential)
            response["X-Govkpi-Reads"] = "primary"
            return response
        if request.path.startswith(PRIMARY_PATHS):
            return self.get_response(request)
        route = Route(wrote=(cache.get(credential) or 0) if credential else 0)
        response = self._respond(request, route)
        if route.failed is not None:
            log.warning("bản sao lỗi giữa chừng, trả lời lại từ máy chính / the replica failed a request; "
                        "answered again from the primary: %s", route.failed)
            PROBE.failed()
            connections[REPLICA].close()
            route = Route(wrote=0, database=PRIMARY)
            response = self._respond(request, route)
        if route.database is not None:
            response["X-Govkpi-Reads"] = "replica" if route.database == REPLICA else "primary"
            if route.lag is not None and route.lag.seconds is not None:
                response["X-Govkpi-Replica-Lag"] = f"{route.lag.seconds:.3f}"
        return response

    def _respond(self, request: HttpRequest, route: Route) -> HttpResponse:
        token = _route.set(route)
        try:
            return self.get_response(request)
        finally:
            _route.reset(token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """Notes a database error raised by a view that read the replica (the response is then made again)."""
        route = _route.get()
        if route is not None and route.database == REPLICA and isinstance(exception, DatabaseError):
            route.failed = exception

    @staticmethod
    def _remember_write(credential: str) -> None:
        """Keeps the primary's WAL position for this credential (its newest write's) for MAX_LAG seconds."""
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            position = lsn(cursor.fetchone()[0])
        if position > (cache.get(credential) or 0):
            cache.set(credential, position, settings.REPLICA_MAX_LAG)


@dataclass(frozen=True)
class Note:
    """The page's line about where its figures come from: empty unless they came from the replica. Read when
    the template reaches it (the footer), after the view's reads chose the database."""

    route: Route | None

    def __bool__(self) -> bool:
        return self.route is not None and self.route.database == REPLICA

    @property
    def seconds(self) -> float:
        return self.route.lag.seconds if self.route and self.route.lag and self.route.lag.seconds else 0.0


def note(request: HttpRequest) -> dict:
    """Context processor: `replica_note`, the current request's Note."""
    return {"replica_note": Note(_route.get())}
