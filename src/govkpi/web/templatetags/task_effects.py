"""The task page's "indicator moved" block: `{% load task_effects %}{% task_effects task %}`."""

from __future__ import annotations

from typing import Any

from django import template

from govkpi.reads.task_effects import done_on, effects
from govkpi.reads.visibility import Viewer

register = template.Library()


@register.inclusion_tag("web/partials/_task_effects.html", takes_context=True)
def task_effects(context: dict[str, Any], task: Any) -> dict[str, Any]:
    """For a done task, how each linked indicator the viewer may read moved (through the read door)."""
    from govkpi.web.task_count_views import labelled

    request = context.get("request")
    viewer = Viewer(getattr(request, "user", None))
    return {"effects": labelled(effects(viewer, task)), "done_on": done_on(task)}
