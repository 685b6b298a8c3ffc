"""The worker's clock: each periodic job queued once when due, a dead worker's job given back, a --once run."""

from __future__ import annotations

import datetime
import os
import signal
import socket

import pytest
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from govkpi.jobs import clock, worker
from govkpi.jobs.models import PeriodicRun, WorkerBeat
from govkpi.jobs.schedule import PERIODIC
from govkpi.jobs.tasks import run_periodic

NOW = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)


def _queued() -> list[str]:
    return sorted(r.args_kwargs["args"][0] for r in DBTaskResult.objects.filter(status=TaskResultStatus.READY))


@pytest.mark.django_db
def test_each_periodic_job_is_queued_once_until_it_has_run_and_its_interval_passed():
    names = sorted(job.name for job in PERIODIC)
    assert sorted(clock.enqueue_due(NOW)) == names  # never run: every job is due
    assert _queued() == names
    later = NOW + datetime.timedelta(days=2)
    assert clock.enqueue_due(later) == []  # still waiting on the queue: not queued twice
    DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL)
    hourly = {job.name for job in PERIODIC if job.every <= datetime.timedelta(hours=1)}
    assert set(clock.enqueue_due(later)) == set(names)  # two days on, every job is due again
    DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL)
    assert set(clock.enqueue_due(later + datetime.timedelta(hours=1))) == hourly  # the daily one is not
    assert PeriodicRun.objects.get(name="prune-queue").enqueued_at == later


@pytest.mark.django_db
def test_a_job_of_a_worker_whose_beat_stopped_goes_back_to_the_queue(settings):
    settings.WORKER_STALL_AFTER = 60
    run_periodic.enqueue("recurring-tasks")
    run_periodic.enqueue("prune-queue")
    silent, alive = DBTaskResult.objects.order_by("enqueued_at")
    clock.beat("silent", "elsewhere", 1, NOW - datetime.timedelta(seconds=61))
    clock.beat("alive", "elsewhere", 2, NOW - datetime.timedelta(seconds=5))
    silent.claim("silent")
    alive.claim("alive")
    assert clock.recover_stalled(NOW) == [str(silent.id)]
    silent.refresh_from_db(), alive.refresh_from_db()
    assert (silent.status, alive.status) == (TaskResultStatus.READY, TaskResultStatus.RUNNING)
    assert clock.recover_stalled(NOW) == []  # nothing more to give back


@pytest.mark.django_db
def test_a_worker_of_this_machine_whose_process_is_gone_is_seen_at_once():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(done.stdout)  # a process that has ended
    run_periodic.enqueue("recurring-tasks")
    job = DBTaskResult.objects.get()
    clock.beat("gone", socket.gethostname(), dead_pid, NOW)  # beat just now, but the process is gone
    job.claim("gone")
    clock.beat("me", socket.gethostname(), os.getpid(), NOW)
    assert clock.recover_stalled(NOW) == [str(job.id)]


@pytest.mark.django_db(transaction=True)
def test_a_once_run_queues_what_is_due_runs_it_and_leaves_no_worker_behind():
    try:
        worker.run(once=True, interval=0)
    finally:
        for name in ("SIGINT", "SIGTERM", "SIGQUIT"):
            signal.signal(getattr(signal, name), signal.SIG_DFL if name != "SIGINT" else signal.default_int_handler)
    rows = {r.args_kwargs["args"][0]: r for r in DBTaskResult.objects.all()}
    assert set(rows) == {job.name for job in PERIODIC}
    assert {r.status for r in rows.values()} == {TaskResultStatus.SUCCESSFUL}
    assert rows["recurring-tasks"].return_value == {"created": 0}
    assert WorkerBeat.objects.count() == 0
