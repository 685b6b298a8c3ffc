"""PostgreSQL's lock and statement timeouts for web requests only.

A write that meets a row or lock held by a long import used to wait as long as the import (136 s measured);
with `lock_timeout` it gives up after GOVKPI_LOCK_TIMEOUT_MS and is answered a retryable 503
(web.problems). The engine, the command-line imports, migrations and the DHIS2 import jobs run on
connections that never pass through here, so they keep PostgreSQL's defaults (no timeout): their work is
long by nature and nobody is waiting on a socket for it.

Set on the request's connection just before its first statement and reset when it ends, rather than as
connection OPTIONS: one server process also runs the engine and the import jobs from the same pool, and a pooled
connection keeps its session settings when it goes back to the pool. One round trip each way (`set_config`
sets both at once); session-level, not `SET LOCAL`, because a request runs several transactions or none. A
request that reads nothing from the database (the OpenAPI document, a redirect) takes no connection for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)
# Event streams stay open for hours and read through threads of their own; static files need no database.
EXEMPT_PREFIXES = ("/api/v1/events", "/static/")


class _BeforeFirstStatement:
    """An execute wrapper (Django's `connection.execute_wrapper`) that sets the timeouts on the request's
    connection before its first statement, on the database cursor itself (not through the wrappers again)."""

    def __init__(self, lock: str, statement: str) -> None:
        self.lock, self.statement, self.applied = lock, statement, False

    def __call__(self, execute, sql, params, many, context):  # noqa: ANN001, ANN204 - Django's wrapper protocol
        if not self.applied:
            self.applied = True  # before the statement: a failure is not tried again on every query
            try:
                with context["connection"].wrap_database_errors:  # psycopg's errors as Django's, as elsewhere
                    context["cursor"].cursor.execute("SELECT set_config('lock_timeout', %s, false), "
                                                     "set_config('statement_timeout', %s, false)",
                                                     [self.lock, self.statement])
            except DatabaseError:
                # The database does not answer: the statement itself finds out and is answered 503; the
                # health endpoint must still say so rather than fail here.
                log.warning("could not set the request's database timeouts", exc_info=True)
                self.applied = False
                raise
        return execute(sql, params, many, context)


class RequestTimeoutsMiddleware:
    """Sets lock_timeout and statement_timeout on the request's PostgreSQL connection, and resets them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        lock_ms, statement_ms = settings.LOCK_TIMEOUT_MS, settings.STATEMENT_TIMEOUT_MS
        if (connection.vendor != "postgresql" or not (lock_ms or statement_ms)
                or request.path.startswith(EXEMPT_PREFIXES)):
            return self.get_response(request)
        first = _BeforeFirstStatement(f"{lock_ms}ms", f"{statement_ms}ms")
        with connection.execute_wrapper(first):
            try:
                return self.get_response(request)
            finally:
                if first.applied:
                    self._reset()

    @staticmethod
    def _reset() -> None:
        if connection.connection is None:
            return  # closed during the request: the session and its settings went with it
        if connection.in_atomic_block and connection.needs_rollback:
            return  # inside a transaction that is rolled back (a test's): the rollback undoes the SET too
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout; RESET statement_timeout")
        except DatabaseError:
            # A connection that cannot be reset must not go back to the pool with the request's timeouts.
            log.warning("could not reset the request's database timeouts; closing the connection", exc_info=True)
            if not connection.in_atomic_block:
                connection.close()
