"""The task board and a task's page: parse filters, call the domain, render."""

from __future__ import annotations

import datetime

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from govkpi.core.six_clear import LABELS_VI
from govkpi.core.task_status import State
from govkpi.indicators.models import Theme
from govkpi.tasks.figures import figures_by_unit
from govkpi.tasks.models import Directive, Task
from govkpi.tasks.views_data import rows

STATE_LABELS = {
    State.NOT_STARTED.value: "Chưa triển khai", State.IN_PROGRESS.value: "Đang thực hiện",
    State.OVERDUE.value: "Quá hạn", State.DONE_ON_TIME.value: "Hoàn thành đúng hạn",
    State.DONE_LATE.value: "Hoàn thành quá hạn", State.PAUSED.value: "Tạm dừng", State.CANCELLED.value: "Hủy bỏ",
    State.NOT_YET_ASSIGNED.value: "Chưa giao",
}


def _as_of(request: HttpRequest) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        return timezone.localdate()


def task_board(request: HttpRequest) -> HttpResponse:
    """Tasks with filters (agency, status, directive, theme, due window) and counts per agency."""
    day = _as_of(request)
    qs = Task.objects.select_related("lead_unit", "assigned_unit", "directive", "parent").prefetch_related(
        "coordinating_units").filter(children__isnull=True)
    g = request.GET
    if g.get("lead"):
        qs = qs.filter(lead_unit__code=g["lead"])
    if g.get("directive"):
        qs = qs.filter(directive__code=g["directive"])
    if g.get("theme"):
        qs = qs.filter(themes__code=g["theme"])
    if g.get("due") and g["due"].isdigit():
        qs = qs.filter(deadline__gte=day, deadline__lte=day + datetime.timedelta(days=int(g["due"])))
    items = rows(qs.order_by("deadline", "code"), day)
    if g.get("status"):
        items = [i for i in items if i["status"] == g["status"]]
    if g.get("unclear") == "1":
        items = [i for i in items if i["six_clear_missing"]]
    for item in items:
        item["status_label"] = STATE_LABELS[item["status"]]
        item["missing_labels"] = [LABELS_VI[p] for p in item["six_clear_missing"]]
    figures = [(u, f) for u, f in figures_by_unit(day) if f.total]
    context = {
        "items": items, "as_of": day, "figures": figures, "filters": g,
        "overdue_total": sum(f.overdue for _, f in figures),
        "overdue_units": sum(1 for _, f in figures if f.overdue),
        "directives": Directive.objects.all(), "themes": Theme.objects.all(), "states": STATE_LABELS.items(),
    }
    return render(request, "web/tasks.html", context)


def task_page(request: HttpRequest, code: str) -> HttpResponse:
    """One task: the six points, its deadline history, its timeline and evidence, its sub-tasks."""
    task = Task.objects.select_related("lead_unit", "assigned_unit", "directive", "accepting_unit").filter(
        code=code).first()
    if task is None:
        raise Http404(code)
    row = rows([task], _as_of(request))[0]
    context = {
        "task": task, "row": row, "status_label": STATE_LABELS[row["status"]],
        "missing_labels": [LABELS_VI[p] for p in row["six_clear_missing"]],
        "events": task.events.all(), "changes": task.deadline_changes.all(),
        "children": rows(task.children.select_related("lead_unit").prefetch_related("coordinating_units")),
    }
    return render(request, "web/task.html", context)
