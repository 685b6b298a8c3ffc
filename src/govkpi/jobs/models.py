"""The worker's own records beside django-tasks' queue: which worker is alive, and when each periodic job was
last put on the queue (so a restart, or a second worker, does not queue it again early)."""

from __future__ import annotations

from django.db import models


class WorkerBeat(models.Model):
    """A worker process, and the last time its clock was seen: a job claimed by a worker whose beat stopped is
    given back to the queue (jobs.clock.recover_stalled)."""

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.IntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}:{self.pid}) {self.beat_at:%Y-%m-%d %H:%M:%S}"


class PeriodicRun(models.Model):
    name = models.CharField(max_length=64, unique=True)
    enqueued_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.enqueued_at:%Y-%m-%d %H:%M:%S}"
