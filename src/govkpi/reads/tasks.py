"""Task figures as the dashboards read them: each lead agency's counts on a day, and who holds the most overdue."""

from __future__ import annotations

import datetime
from typing import Any

from govkpi.core.task_status import AgencyFigures
from govkpi.events.models import ChangeEvent
from govkpi.orgunits.models import OrgUnit
from govkpi.shared_cache import cache
from govkpi.tasks.counting import Count, Tier, count_tasks, originals_from_db
from govkpi.tasks.figures import figures_by_unit
from govkpi.tasks.models import Task

TOP_AGENCIES = 10
TASK_FIGURES_SECONDS = 600


def _task_version() -> str:
    """What changes whenever a task's facts change: the last task change event (every task write emits one) and
    the number of tasks."""
    last = ChangeEvent.objects.filter(kind="task").order_by("-id").values_list("id", flat=True).first()
    return f"{last}:{Task.objects.count()}"


def official_count(day: datetime.date, tier: Tier | None = None, version: str | None = None) -> Count:
    """The Government's count of tasks on the day (tasks.counting: per original task, per agency, per tier,
    recurring occurrences apart), cached until the next task change (`version`: the caller's _task_version(),
    when it has read it already). The task register is public: everyone reads the same count."""
    key = f"reads:task-count:{day.isoformat()}:{tier.value if tier else 'all'}:{version or _task_version()}"
    count = cache.get(key)
    if count is None:
        count = count_tasks(originals_from_db(), day, tier)
        cache.set(key, count, TASK_FIGURES_SECONDS)
    return count


def task_figures(day: datetime.date, version: str | None = None) -> list[tuple[OrgUnit, AgencyFigures]]:
    """figures_by_unit for the day, cached until the next task change event (every task write emits one), since
    computing every task's state takes about 150 ms with the reference dataset."""
    key = f"reads:task-figures:{day.isoformat()}:{version or _task_version()}"
    figures = cache.get(key)
    if figures is None:
        tasks = (Task.objects.filter(lead_unit__isnull=False, children__isnull=True).select_related("lead_unit")
                 .only("id", "code", "assigned_on", "original_deadline", "lead_unit_id", "lead_unit__code",
                       "lead_unit__name", "lead_unit__short_name", "lead_unit__kind"))
        figures = [(u, f) for u, f in figures_by_unit(day, tasks) if f.total]
        cache.set(key, figures, TASK_FIGURES_SECONDS)
    return figures


def overdue_by_agency(day: datetime.date, limit: int = TOP_AGENCIES) -> dict[str, Any]:
    """Agencies with the most overdue tasks on the day, and the totals: per assignment, occurrences included
    (`total`, `units`), and the Government's count per original task beside them (`official`)."""
    version = _task_version()  # read once for both caches: a warm dashboard asks the database twice less
    figures = task_figures(day, version)
    return {"day": day, "rows": [(u, f) for u, f in figures if f.overdue][:limit],
            "official": official_count(day, version=version),
            "total": sum(f.overdue for _u, f in figures), "units": sum(1 for _u, f in figures if f.overdue),
            "demo": Task.objects.filter(demo_status=True, lead_unit__isnull=False).exists()}
