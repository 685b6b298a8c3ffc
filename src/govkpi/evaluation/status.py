"""The engine's health: how far it is behind the outbox, and its last failure (for /api/v1/health).

Failures are kept twice: in this process's memory, which always works, and in a row of EngineStatus, which
is what another process (the web workers beside a `govkpi evaluate --follow`) reads. The row is written on
failure and on recovery only; when the database itself is what fails (a full disk, a lost connection), the
write fails too and the memory copy is all there is, which is why it is tried and never raised.
"""

from __future__ import annotations

import datetime
import logging
import threading
from dataclasses import dataclass

from django.db import DatabaseError, connection
from django.utils import timezone

from govkpi.evaluation.engine import ENGINE, SCORES
from govkpi.evaluation.models import Cursor, EngineStatus
from govkpi.events.models import ChangeEvent

log = logging.getLogger(__name__)
ERROR_TEXT_MAX = 2000  # characters of the error kept: its type and message, not the traceback (that is logged)


@dataclass
class Failure:
    failures: int
    last_error: str
    last_error_at: datetime.datetime
    recovered_at: datetime.datetime | None = None


_memory: dict[str, Failure] = {}
_memory_lock = threading.Lock()


def describe(error: BaseException) -> str:
    """Return an error as one line: its type and message."""
    return f"{type(error).__name__}: {error}".strip()[:ERROR_TEXT_MAX]


def record_failure(loop: str, error: BaseException, failures: int) -> None:
    """Keep a loop's failure (the `failures`-th in a row) in memory and, if the database takes it, in its row."""
    now = timezone.now()
    with _memory_lock:
        before = _memory.get(loop)
        _memory[loop] = Failure(failures, describe(error), now, before.recovered_at if before else None)
    _store(loop, failures=failures, last_error=describe(error), last_error_at=now)


def record_recovery(loop: str) -> None:
    """A pass succeeded after failures: the loop is healthy again (the last error stays, with its time)."""
    now = timezone.now()
    with _memory_lock:
        if loop in _memory:
            _memory[loop].failures, _memory[loop].recovered_at = 0, now
    _store(loop, failures=0, recovered_at=now)


def _store(loop: str, **fields: object) -> None:
    try:
        if connection.in_atomic_block:  # never inside the failed pass's transaction
            return
        EngineStatus.objects.update_or_create(name=loop, defaults=fields)
    except DatabaseError as error:
        log.warning("evaluation: could not record the engine's state (%s)", describe(error))


def failures() -> dict[str, Failure]:
    """Return each loop's last failure: this process's own when it runs the engine, else the stored rows."""
    with _memory_lock:
        known = dict(_memory)
    for row in EngineStatus.objects.exclude(last_error_at=None):
        mine = known.get(row.name)
        if mine is None or mine.last_error_at < row.last_error_at:
            known[row.name] = Failure(row.failures, row.last_error, row.last_error_at, row.recovered_at)
    return known


@dataclass
class Lag:
    head: int  # the newest change event's id
    cursor: int  # the last event the results' loop applied
    scores_cursor: int  # the last event the scores' loop applied
    oldest_unapplied_at: datetime.datetime | None  # when the oldest event after the cursor was written

    @property
    def events(self) -> int:
        return max(0, self.head - self.cursor)

    def seconds(self, now: datetime.datetime) -> float:
        """How long the oldest unapplied event has waited (0 when there is none)."""
        return 0.0 if self.oldest_unapplied_at is None else max(0.0, (now - self.oldest_unapplied_at).total_seconds())


def lag() -> Lag:
    """Return how far the engine's cursors are behind the outbox (three index probes)."""
    cursors = dict(Cursor.objects.filter(name__in=[ENGINE, SCORES]).values_list("name", "last_event_id"))
    cursor = cursors.get(ENGINE, 0)
    head = ChangeEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    oldest = ChangeEvent.objects.filter(id__gt=cursor).order_by("id").values_list("at", flat=True).first()
    return Lag(head, cursor, cursors.get(SCORES, 0), oldest)
