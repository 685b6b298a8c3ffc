"""`{% comment_thread task=task %}` / `{% comment_thread unit=unit period=period_id %}`: a thread on the page it
belongs to, for its participants only (nothing at all for anyone else)."""

from __future__ import annotations

from typing import Any

from django import template

from govkpi.discussion import threads
from govkpi.discussion.threads import BODY_MAX_CHARS

register = template.Library()


@register.inclusion_tag("discussion/_thread.html", takes_context=True)
def comment_thread(context: Any, task: Any = None, unit: Any = None, period: str = "") -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    thread = threads.of_task(task) if task is not None else threads.submission(unit, period)
    shown = threads.takes_part(user, thread)
    return {"shown": shown, "thread": thread, "comments": threads.read(user, thread) if shown else [],
            "csrf_token": context.get("csrf_token"), "max_chars": BODY_MAX_CHARS,
            "error": request.session.pop("govkpi_comment_error", "") if shown and request is not None else ""}
