"""Keep results current: apply the change events as they come, a fraction of a second after each write."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

from govkpi.evaluation.engine import process_pending
from govkpi.events.wakeup import BELL, FALLBACK, listen

log = logging.getLogger(__name__)
PASS_EVENTS = 5000  # change events one pass takes at most


def follow(stop: threading.Event, fallback: float = FALLBACK) -> None:
    """Apply pending events until `stop` is set: a pass as soon as a change event commits (events.wakeup),
    else every `fallback` seconds (the clock turns periods official, a wake-up may be lost). Events that
    arrive during a pass are taken together by the next one. A failure is logged and retried."""
    listen()
    seen = BELL.rung
    while not stop.is_set():
        try:
            close_old_connections()
            run = process_pending(PASS_EVENTS)
            if run.events:
                log.info("evaluation: %s events, %s cells, %s changed", run.events, run.cells, run.changed)
            if run.events >= PASS_EVENTS:
                continue  # more are waiting
        except Exception:
            log.exception("evaluation: could not apply the pending events")
            stop.wait(1)
        seen = BELL.wait(seen, fallback)


def start_in_background() -> threading.Event:
    """Run `follow` in a daemon thread (the web server process starts one); return the event that stops it."""
    stop = threading.Event()
    threading.Thread(target=follow, args=(stop,), name="govkpi-evaluation", daemon=True).start()
    return stop
