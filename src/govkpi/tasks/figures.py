"""Task figures per agency on any date, from the dated facts kept for each task (see core.task_status)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from govkpi.core.task_status import AgencyFigures, Stage, State, TaskFacts, figures_on, state_on
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks.models import DeadlineChange, Task, TaskEvent


def facts_for(tasks: Iterable[Task]) -> dict[int, TaskFacts]:
    """Return the dated facts of each task (three queries, whatever the number of tasks)."""
    tasks = list(tasks)
    ids = [t.pk for t in tasks]
    stages: dict[int, list[tuple[datetime.date, Stage]]] = defaultdict(list)
    for task_id, day, stage in TaskEvent.objects.filter(task_id__in=ids).exclude(stage="").order_by(
            "at", "id").values_list("task_id", "day", "stage"):
        stages[task_id].append((day, Stage(stage)))
    extensions: dict[int, list[tuple[datetime.date, datetime.date | None]]] = defaultdict(list)
    for task_id, day, deadline in DeadlineChange.objects.filter(task_id__in=ids, approved=True).order_by(
            "decided_on", "id").values_list("task_id", "decided_on", "deadline"):
        extensions[task_id].append((day, deadline))
    return {
        t.pk: TaskFacts(assigned_on=t.assigned_on, deadlines=[(t.assigned_on, t.original_deadline),
                                                              *extensions[t.pk]],
                        stages=stages[t.pk], key=t.code)
        for t in tasks
    }


def state_of(task: Task, day: datetime.date) -> State:
    """Return one task's state on a day."""
    return state_on(facts_for([task])[task.pk], day)


def figures_by_unit(day: datetime.date, tasks: Iterable[Task] | None = None) -> list[tuple[OrgUnit, AgencyFigures]]:
    """Return per answerable unit the task counts on the day, units with overdue tasks first.

    Parents of fanned-out tasks are not counted (their sub-tasks are); tasks with no lead unit
    are not counted for any agency.
    """
    tasks = list(tasks if tasks is not None else
                 Task.objects.filter(lead_unit__isnull=False, children__isnull=True).select_related("lead_unit"))
    facts = facts_for(tasks)
    by_unit: dict[int, list[TaskFacts]] = defaultdict(list)
    units: dict[int, OrgUnit] = {}
    for task in tasks:
        if not task.lead_unit_id:
            continue  # no agency holds it (the board's header counts it apart)
        by_unit[task.lead_unit_id].append(facts[task.pk])
        units[task.lead_unit_id] = task.lead_unit
    result = [(units[uid], figures_on(group, day)) for uid, group in by_unit.items()]
    result = [(unit, figures) for unit, figures in result if figures.total]  # none assigned yet on that day
    return sorted(result, key=lambda pair: (-pair[1].overdue, pair[0].code))
