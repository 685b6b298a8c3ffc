"""Adapters from the worker's call (`function(now)`) to domain functions with another signature."""

from __future__ import annotations

import datetime

from django.utils import timezone

from govkpi.tasks import actions


def roll_recurring_tasks(now: datetime.datetime) -> dict[str, int]:
    """Create the occurrences of recurring tasks that have come due (tasks.actions: idempotent)."""
    return {"created": actions.roll_recurring_tasks(timezone.localdate(now))}


def prune_queue(now: datetime.datetime) -> dict[str, int]:
    """Forget finished jobs: successful ones after a week, failed ones after 30 days (kept that long to be read)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    done = DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL,
                                       finished_at__lt=now - datetime.timedelta(days=7)).delete()[0]
    failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED,
                                         finished_at__lt=now - datetime.timedelta(days=30)).delete()[0]
    return {"successful": done, "failed": failed}


def scheduled_briefs(now: datetime.datetime) -> dict[str, list[int]]:
    """Make the monthly and quarterly national meeting briefs that have come due (brief.produce: once each)."""
    from govkpi.brief.produce import produce_scheduled

    return {"produced": [report.pk for report in produce_scheduled(now)]}


def problem_reminders(now: datetime.datetime) -> dict[str, int]:
    """Tell the acting agencies of the problems whose answer is overdue (problems.reminders: once per problem)."""
    from govkpi.problems.reminders import problem_reminders as remind

    return {"notifications": remind(now)}
