"""`{% task_problems task %}`: the problems raised on a task, on its page (their details for their readers only;
a count for anyone else), and the link to raise one for the lead unit's task managers."""

from __future__ import annotations

from typing import Any

from django import template

from govkpi.accounts.permissions import can
from govkpi.accounts.roles import Action
from govkpi.reads.problems import problems_q
from govkpi.reads.visibility import Viewer

register = template.Library()


@register.inclusion_tag("problems/_task_problems.html", takes_context=True)
def task_problems(context: Any, task: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    on_task = task.problems.select_related("acting_unit")
    items = list(on_task.filter(problems_q(Viewer(user))).order_by("-raised_at")) if user is not None else []
    return {"task": task, "items": items, "hidden": on_task.count() - len(items),
            "may_raise": bool(user is not None and task.lead_unit_id
                              and can(user, Action.MANAGE_TASKS, task.lead_unit))}
