"""Whether govkpi is working: the database answers, the engine keeps up, the replica (if any) is usable.

`check()` gives the whole picture; `/api/v1/health` (web.health_view) shows anyone only its status and a
system administrator or a monitor with GOVKPI_HEALTH_TOKEN all of it. "down" is a database that does not
answer (the endpoint answers 503: nothing works without it); "degraded" is an engine that fails or lags past
GOVKPI_HEALTH_MAX_LAG seconds, or a configured replica that is not read (pages then read the primary).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from govkpi.evaluation import status as engine_status

OK, DEGRADED, DOWN = "ok", "degraded", "down"


@dataclass
class Health:
    status: str
    details: dict[str, Any] = field(default_factory=dict)


def check() -> Health:
    """Return the health of the database, the engine and the replica."""
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = {"up": True, "vendor": connection.vendor, "ms": round((time.monotonic() - started) * 1000, 1)}
        engine = _engine()
    except DatabaseError as error:
        return Health(DOWN, {"database": {"up": False, "vendor": connection.vendor,
                                          "error": engine_status.describe(error)}})
    replica = _replica()
    problems = [*engine.pop("problems"), *replica.pop("problems", [])]
    return Health(DEGRADED if problems else OK,
                  {"problems": problems, "database": database, "engine": engine, "replica": replica})


def _engine() -> dict[str, Any]:
    now = timezone.now()
    lag = engine_status.lag()
    seconds = round(lag.seconds(now), 1)
    problems = []
    if seconds > settings.HEALTH_MAX_LAG:
        problems.append(f"engine_lag: {seconds} s > {settings.HEALTH_MAX_LAG:g} s")
    loops = {}
    for name, failure in engine_status.failures().items():
        failing = failure.failures > 0
        if failing:
            problems.append(f"engine_failing ({name}): {failure.last_error}")
        loops[name] = {"failing": failing, "failures": failure.failures, "last_error": failure.last_error,
                       "last_error_at": failure.last_error_at.isoformat(),
                       "recovered_at": failure.recovered_at.isoformat() if failure.recovered_at else None}
    return {"outbox_head": lag.head, "cursor": lag.cursor, "scores_cursor": lag.scores_cursor,
            "lag_events": lag.events, "oldest_unapplied_seconds": seconds,
            "oldest_unapplied_at": lag.oldest_unapplied_at.isoformat() if lag.oldest_unapplied_at else None,
            "loops": loops, "problems": problems}


def _replica() -> dict[str, Any]:
    if not settings.REPLICA_URL:
        return {"configured": False}
    from govkpi.replica import PROBE

    lag = PROBE.current()
    state = {"configured": True, "up": lag.up, "usable": lag.usable, "lag_seconds": lag.seconds,
             "lag_bytes": lag.bytes}
    if not lag.usable:
        state["problems"] = ["replica_not_usable"]
    return state
