"""The worker's clock: what it puts on the queue when, its heartbeat, and taking back the jobs of a worker that
died. Plain functions of `now`, so tests drive them without waiting."""

from __future__ import annotations

import datetime
import logging
import os
import socket

from django.conf import settings
from django.db import transaction
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from govkpi.jobs.models import PeriodicRun, WorkerBeat
from govkpi.jobs.schedule import PERIODIC
from govkpi.jobs.tasks import run_periodic

log = logging.getLogger("govkpi.jobs")
PENDING = (TaskResultStatus.READY, TaskResultStatus.RUNNING)


def stall_after() -> datetime.timedelta:
    """How long a worker's heartbeat may be silent before its running jobs are given back
    (GOVKPI_WORKER_STALL_AFTER; by default three ticks and never under 30 s: a busy database may delay a beat)."""
    return datetime.timedelta(seconds=settings.WORKER_STALL_AFTER)


def _gone(beat: WorkerBeat) -> bool:
    """True when the worker ran on this machine and its process no longer exists (killed, crashed)."""
    if beat.host != socket.gethostname():
        return False
    try:
        os.kill(beat.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process: maybe a worker run as another user; its beat will tell
        return False
    return False


def _pending_names() -> set[str]:
    rows = DBTaskResult.objects.filter(task_path=run_periodic.module_path, status__in=PENDING)
    return {row.args_kwargs["args"][0] for row in rows.only("args_kwargs") if row.args_kwargs.get("args")}


def enqueue_due(now: datetime.datetime) -> list[str]:
    """Queue each periodic job whose time has come and that is not already waiting or running (one of each at a
    time). PeriodicRun's rows are locked while deciding, so two workers' clocks queue a job once."""
    queued = []
    with transaction.atomic():
        for job in PERIODIC:
            PeriodicRun.objects.get_or_create(name=job.name, defaults={"enqueued_at": now - job.every})
        runs = {run.name: run for run in PeriodicRun.objects.select_for_update().filter(
            name__in=[job.name for job in PERIODIC])}
        pending = _pending_names()
        for job in PERIODIC:
            run = runs[job.name]
            if job.name in pending or now - run.enqueued_at < job.every:
                continue
            run_periodic.enqueue(job.name)
            run.enqueued_at = now
            run.save(update_fields=["enqueued_at"])
            queued.append(job.name)
    return queued


def beat(worker_id: str, host: str, pid: int, now: datetime.datetime) -> None:
    WorkerBeat.objects.update_or_create(worker_id=worker_id, defaults={"host": host, "pid": pid, "beat_at": now},
                                        create_defaults={"host": host, "pid": pid, "beat_at": now,
                                                         "started_at": now})


def recover_stalled(now: datetime.datetime) -> list[str]:
    """Give back to the queue the jobs marked running by a worker whose heartbeat stopped (killed, or its machine
    lost): every job is idempotent, so running it again finishes what the dead worker began and repeats nothing.
    A worker of this machine whose process is gone is seen at once; elsewhere, by its silence. A job whose
    worker left no beat at all (another kind of worker) is left alone."""
    alive_since = now - stall_after()
    beats = {b.worker_id: b for b in WorkerBeat.objects.all()}
    given_back = []
    with transaction.atomic():
        for job in DBTaskResult.objects.select_for_update().filter(status=TaskResultStatus.RUNNING):
            owner = job.worker_ids[-1] if job.worker_ids else ""
            if owner in beats and (beats[owner].beat_at < alive_since or _gone(beats[owner])):
                job.status = TaskResultStatus.READY
                job.started_at = None
                job.save(update_fields=["status", "started_at"])
                given_back.append(str(job.id))
                log.warning("job %s (%s) of stalled worker %s given back to the queue", job.id, job.task_path, owner)
    WorkerBeat.objects.filter(beat_at__lt=now - 10 * stall_after()).delete()  # long-gone workers
    return given_back
