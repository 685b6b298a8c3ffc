"""`govkpi worker`: django-tasks' database worker running the queue, and beside it a clock thread that beats,
gives back the jobs of dead workers and queues the periodic jobs when they are due.

The queue is django_tasks_db's (a table in govkpi's database): nothing to install, and a job queued inside a
write's transaction exists only if the write committed. One worker is enough for a ministry's load; several may
run (on several machines): each claims jobs with SELECT … FOR UPDATE SKIP LOCKED, and the clocks queue each
periodic job once (jobs.clock)."""

from __future__ import annotations

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from govkpi.jobs import clock

log = logging.getLogger("govkpi.jobs")


def worker_id() -> str:
    host = socket.gethostname()[:40]
    return f"{host}-{os.getpid()}-{get_random_string(6)}"


def clock_step(identity: str) -> list[str]:
    """One tick of the clock: beat, take back stalled jobs, queue what is due. Returns the names queued."""
    now = timezone.now()
    clock.beat(identity, socket.gethostname(), os.getpid(), now)
    clock.recover_stalled(now)
    return clock.enqueue_due(now)


def _clock(identity: str, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            queued = clock_step(identity)
            if queued:
                log.debug("queued %s", ", ".join(queued))
        except Exception:  # a database outage: log, and try again on the next tick
            log.exception("the worker's clock could not run this tick")
        finally:
            close_old_connections()
            connection.close()
        stop.wait(min(settings.WORKER_TICK, 5.0))


def run(*, once: bool = False, interval: float = 1.0) -> None:
    """Run the worker until SIGTERM/SIGINT (`once`: queue what is due, run the queue empty, exit)."""
    identity = worker_id()
    if once:
        clock_step(identity)
    stop = threading.Event()
    ticker = None
    if not once:
        ticker = threading.Thread(target=_clock, args=(identity, stop), name="govkpi-worker-clock", daemon=True)
        ticker.start()
    worker = Worker(queue_names=["*"], interval=interval, batch=once, backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id=identity, excluded_queue_names=[])
    worker.configure_signals()
    log.info("worker %s started (tick %s s)", identity, settings.WORKER_TICK)
    try:
        worker.run()
    finally:
        stop.set()
        if once:  # the clock step's beat: a finished --once run is no worker to wait for
            from govkpi.jobs.models import WorkerBeat

            WorkerBeat.objects.filter(worker_id=identity).delete()
