"""Keep results current: apply the change events as they come, a fraction of a second after each write."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

from govkpi.evaluation.engine import process_pending

log = logging.getLogger(__name__)
INTERVAL = 0.1  # seconds: with the stream's own 0.1 s, a dashboard updates well within a second


def follow(stop: threading.Event, interval: float = INTERVAL) -> None:
    """Apply pending events until `stop` is set (a failure is logged and retried at the next tick)."""
    while not stop.is_set():
        try:
            close_old_connections()
            run = process_pending()
            if run.events:
                log.info("evaluation: %s events, %s cells, %s changed", run.events, run.cells, run.changed)
        except Exception:  # noqa: BLE001 - keep following; the next tick retries the same events
            log.exception("evaluation: could not apply the pending events")
        stop.wait(interval)


def start_in_background() -> threading.Event:
    """Run `follow` in a daemon thread (the web server process starts one); return the event that stops it."""
    stop = threading.Event()
    threading.Thread(target=follow, args=(stop,), name="govkpi-evaluation", daemon=True).start()
    return stop
