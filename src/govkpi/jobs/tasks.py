"""The jobs put on django-tasks' queue. `run_periodic` is the clock's; on-demand jobs are added beside it."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from govkpi.jobs.schedule import BY_NAME


@task()
def run_periodic(name: str) -> object:
    """Run one periodic job now (see jobs.schedule); its return value is kept on the queue's row."""
    return BY_NAME[name].run(timezone.now())
