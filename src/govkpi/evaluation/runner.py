"""Keep results current: apply the change events as they come, a fraction of a second after each write.

One engine leads at a time. On PostgreSQL the leader holds a session advisory lock on a connection of its
own, so a second `govkpi evaluate --follow` (or a second server process) waits, and takes over within a
second of the leader's end. Two engines would still be correct (a pass locks the engine's cursor row), the
lock only spares the database the same work twice. SQLite serves one process; it needs no election.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable

from django.db import close_old_connections, connection, connections

from govkpi.evaluation import status
from govkpi.evaluation.engine import ensure_cursors, results_pass, scores_pass
from govkpi.events.wakeup import BELL, FALLBACK, listen, own_connection_params
from govkpi.portal.opendata_files import build_ahead

log = logging.getLogger(__name__)
PASS_EVENTS = 5000  # change events one pass takes at most
LEADER_LOCK = 0x676F76_6B7069  # the advisory lock's key ("govkpi")
RETRY = 1.0  # seconds between a waiting engine's tries
BACKOFF_FIRST = 1.0  # seconds after a first failed pass (Backoff)
BACKOFF_MAX = 300.0  # and at most, however many failed in a row


class Leadership:
    """The advisory lock that makes one engine the leader (a no-op on SQLite)."""

    def __init__(self) -> None:
        self._conn = None

    def acquire(self, stop: threading.Event) -> bool:
        """Wait until this engine leads (True) or `stop` is set (False)."""
        if connection.vendor != "postgresql":
            return True
        import psycopg

        params = own_connection_params()
        told = False
        while not stop.is_set():
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = psycopg.connect(**params, autocommit=True)
                if self._conn.execute("SELECT pg_try_advisory_lock(%s)", [LEADER_LOCK]).fetchone()[0]:
                    log.info("evaluation: this engine leads")
                    return True
            except psycopg.Error:
                log.warning("evaluation: could not try the leader lock", exc_info=True)
                self._conn = None
            if not told:
                log.info("evaluation: another engine leads; waiting")
                told = True
            stop.wait(RETRY)
        return False

    def held(self) -> bool:
        """Still the leader: the lock's connection is alive (the lock ends with it)."""
        if connection.vendor != "postgresql":
            return True
        try:
            return self._conn is not None and not self._conn.closed and \
                self._conn.execute("SELECT 1").fetchone() is not None
        except Exception:
            self._conn = None
            return False

    def release(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def follow(stop: threading.Event, fallback: float = FALLBACK) -> None:
    """Apply pending events until `stop` is set: a pass as soon as a change event commits (events.wakeup),
    else every `fallback` seconds (the clock turns periods official, a wake-up may be lost). Results and
    scores follow in two threads, so a long rescoring never holds a result back; events that arrive during a
        pass are taken together by the next one. A failed pass (or start) is retried with exponential backoff
    (Backoff), its traceback logged once per distinct error, and recorded for the health endpoint
    (evaluation.status)."""
    leadership = Leadership()
    if not leadership.acquire(stop):
        return
    listen()
    if not _started(stop):
        leadership.release()
        return
    scores = threading.Thread(target=_closing_connections(_loop),
                              args=(stop, fallback, _scores, None, "scores"), name="govkpi-scores", daemon=True)
    scores.start()
    _loop(stop, fallback, _results, leadership, "results")
    scores.join(timeout=fallback + 1)
    leadership.release()


def _closing_connections(target: Callable[..., None]) -> Callable[..., None]:
    """`target` for a thread of its own that gives its database connections back when it ends (Django's are
    per thread: left open, each ended engine's scores thread kept one)."""
    def run(*args: object) -> None:
        try:
            target(*args)
        finally:
            connections.close_all()
    return run


def _started(stop: threading.Event) -> bool:
    """Make the engine's cursors, retrying with backoff (a full disk or a database that is not there yet must not
    end the engine: it is not restarted when it runs on its own); False when `stop` came first."""
    backoff = Backoff()
    while not stop.is_set():
        try:
            close_old_connections()
            ensure_cursors()
            build_ahead()  # files missing since the last engine stopped
            if backoff.failures:
                log.info("evaluation: started after %s failures", backoff.failures)
                status.record_recovery("results")
            return True
        except Exception as error:
            stop.wait(_failed(backoff, error, "results", "could not start"))
    return False


def _results() -> int:
    run = results_pass(PASS_EVENTS)
    if run.events:
        log.info("evaluation: %s events, %s aggregates, %s cells judged, %s changed", run.events,
                 run.aggregates_changed, run.cells, run.changed)
    return run.events


def _scores() -> int:
    changed = scores_pass(PASS_EVENTS)
    if changed:
        log.info("evaluation: %s scores changed", changed)
        build_ahead()  # what is published may have changed with them: its open-data files are made now, not
        # by the first download
    return 0


def _loop(stop: threading.Event, fallback: float, step: Callable[[], int], leadership: Leadership | None,
          name: str) -> None:
    """Run `step` until `stop`: again at once when it took a full pass, else at the next wake-up."""
    seen = BELL.rung
    checked = time.monotonic()
    backoff = Backoff()
    while not stop.is_set():
        if leadership is not None and time.monotonic() - checked > RETRY:
            checked = time.monotonic()
            if not leadership.held() and not leadership.acquire(stop):
                stop.set()  # the scores' thread ends too
                break
        try:
            close_old_connections()
            more = step() >= PASS_EVENTS
        except Exception as error:
            # A wake-up does not cut the wait short: the pass would fail the same way.
            stop.wait(_failed(backoff, error, name, "could not apply the pending events"))
            continue
        if backoff.failures:
            log.info("evaluation (%s): recovered after %s failures", name, backoff.failures)
            backoff.succeeded()
            status.record_recovery(name)
        if more:
            continue  # more are waiting
        seen = BELL.wait(seen, fallback)
    close_old_connections()


def _failed(backoff: Backoff, error: Exception, name: str, what: str) -> float:
    """Count, log and record a failure of loop `name`; return the seconds to wait before trying again. The
    traceback only for an error unlike the one before: a full disk fails every pass the same way."""
    delay = backoff.failed(error)
    if backoff.new_error:
        log.exception("evaluation (%s): %s; next try in %.1f s", name, what, delay)
    else:
        log.warning("evaluation (%s): failed again (%s in a row, %s); next try in %.1f s", name,
                    backoff.failures, status.describe(error), delay)
    status.record_failure(name, error, backoff.failures)
    return delay


class Backoff:
    """Exponential wait between failed passes: BACKOFF_FIRST seconds, doubled per failure up to BACKOFF_MAX,
    each drawn between half and all of it (two engines, or an engine and its restarts, do not retry in step).
    A full disk or a database that is gone fails every pass the same way; retrying a 25 s recompute every
    second only adds load to what is already failing."""

    def __init__(self, first: float | None = None, ceiling: float | None = None) -> None:
        self.first = BACKOFF_FIRST if first is None else first
        self.ceiling = BACKOFF_MAX if ceiling is None else ceiling
        self.failures = 0
        self.new_error = True  # the last failure differs from the one before: its traceback is logged
        self._last: tuple[str, str] | None = None

    def failed(self, error: BaseException) -> float:
        """Count a failure; return the seconds to wait before the next try."""
        self.failures += 1
        signature = (type(error).__name__, str(error).splitlines()[0] if str(error) else "")
        self.new_error, self._last = signature != self._last, signature
        ceiling = min(self.ceiling, self.first * 2 ** min(self.failures - 1, 30))
        return random.uniform(ceiling / 2, ceiling)

    def succeeded(self) -> None:
        self.failures, self._last, self.new_error = 0, None, True


def start_in_background() -> threading.Event:
    """Run `follow` in a daemon thread (the web server process starts one); return the event that stops it."""
    stop = threading.Event()
    threading.Thread(target=follow, args=(stop,), name="govkpi-evaluation", daemon=True).start()
    return stop
