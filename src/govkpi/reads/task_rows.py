"""Task rows as the API and pages show them: derived status, 6 rõ, codes instead of keys."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from govkpi.core.six_clear import check_six_clear
from govkpi.core.task_status import state_on
from govkpi.tasks.figures import facts_for
from govkpi.tasks.models import Task


def clarity(task: Task) -> list[str]:
    """The 6 rõ points the task's assignment leaves unclear."""
    return check_six_clear(
        responsible=f"{task.responsible_position} {task.responsible_name}", title=task.title,
        deadline=task.deadline, recurring=bool(task.recurrence), lead_unit=str(task.lead_unit_id) if task.lead_unit_id else None,
        fans_out=bool(task.assignees and task.assignees != "some"), product=task.product,
        accepting_authority=task.accepting_authority).missing


def rows(tasks: Iterable[Task], day: datetime.date | None = None) -> list[dict[str, Any]]:
    """Return API/page rows for tasks (prefetch coordinating_units; one query for all their facts)."""
    tasks = list(tasks)
    day = day or timezone.localdate()
    facts = facts_for(tasks)
    return [{
        "code": t.code, "title": t.title, "lead_unit": t.lead_unit.code if t.lead_unit_id else None,
        "assigned_unit": t.assigned_unit.code if t.assigned_unit_id else None,
        "coordinating_units": [u.code for u in t.coordinating_units.all()],
        "directive": t.directive.code if t.directive_id else None, "deadline_text": t.deadline_text,
        "deadline": t.deadline, "original_deadline": t.original_deadline, "recurrence": t.recurrence,
        "status": state_on(facts[t.pk], day).value, "stage": t.stage, "progress": t.progress,
        "priority": t.priority, "parent": t.parent.code if t.parent_id else None,
        "six_clear_missing": clarity(t), "demo_status": t.demo_status, "_task": t,
    } for t in tasks]
