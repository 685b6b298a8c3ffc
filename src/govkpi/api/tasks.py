"""Tasks in the API: list with filters and derived status, one task with its timeline, create, update, figures."""

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.urls import register_converter
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from govkpi.accounts.permissions import can
from govkpi.accounts.roles import Action
from govkpi.accounts.tokens import SESSION_AUTH, BearerToken
from govkpi.indicators.models import Indicator, Theme
from govkpi.orgunits.models import Kind, OrgUnit
from govkpi.orgunits.reference import GOVERNMENT_CODE
from govkpi.api.paging import Page, Rows
from govkpi.api.schemas.problem import Problem
from govkpi.tasks import actions
from govkpi.tasks.figures import figures_by_unit
from govkpi.tasks.models import Assignees, DeadlineChange, Directive, Task
from govkpi.api.schemas.tasks import FiguresOut, TaskDetailOut, TaskIn, TaskOut, TaskUpdateIn
from govkpi.reads.task_rows import rows
from govkpi.reads.visibility import Viewer

class TaskCodeConverter:
    """A task's code in a URL: a task's own (no "/": tasks.actions.task_code) or a fanned-out part's, PARENT/UNIT.
    The part after "/" is never "updates", so /tasks/CODE/updates is the updates route, not a part's page."""

    regex = r"[^/]+(?:/(?!updates\Z)[^/]+)?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TaskCodeConverter, "taskcode")

router = Router()
WRITE_AUTH = [BearerToken(), SESSION_AUTH]


class TaskFilters(Schema):
    lead: str | None = None
    directive: str | None = None
    theme: str | None = None
    status: str | None = None
    # 0 to ten years ahead: a huge or negative window overflowed the date arithmetic (a 500 before).
    due_within: int | None = Field(None, ge=0, le=3660)
    unclear: bool | None = None
    parent: str | None = None


def _problem(status: int, code: str, vi: str, en: str) -> Status:
    return Status(status, {"code": code, "message": vi, "message_en": en})


@router.get("", response=list[TaskOut])
@paginate(Page)
def list_tasks(request: HttpRequest, filters: Query[TaskFilters]) -> Rows:
    """Tasks with their derived status (overdue from the clock) and the 6 rõ points they miss."""
    qs = Task.objects.select_related("lead_unit", "assigned_unit", "directive", "parent").prefetch_related(
        "coordinating_units")
    if filters.lead:
        qs = qs.filter(lead_unit__code=filters.lead)
    if filters.directive:
        qs = qs.filter(directive__code=filters.directive)
    if filters.theme:
        qs = qs.filter(themes__code=filters.theme)
    if filters.parent:
        qs = qs.filter(parent__code=filters.parent)
    today = timezone.localdate()
    if filters.due_within is not None:
        qs = qs.filter(deadline__gte=today, deadline__lte=today + datetime.timedelta(days=filters.due_within))
    items = rows(qs.order_by("code"), today)
    if filters.status:
        items = [i for i in items if i["status"] == filters.status]
    if filters.unclear is not None:
        items = [i for i in items if bool(i["six_clear_missing"]) == filters.unclear]
    return Rows(items, lambda i: {k: v for k, v in i.items() if k != "_task"})


@router.get("/figures", response=FiguresOut)
def task_figures(request: HttpRequest, as_of: datetime.date | None = None, kind: Kind | None = None) -> dict:
    """Per agency on a day: total, on time, late, in progress, overdue (days), due in 7 and 30 days."""
    day = as_of or timezone.localdate()
    result = figures_by_unit(day)
    if kind:
        result = [(u, f) for u, f in result if u.kind == kind]
    items = [{"unit": u.code, "name": u.name, **f.__dict__} for u, f in result]
    return {"as_of": day, "overdue_tasks": sum(i["overdue"] for i in items),
            "units_with_overdue": sum(1 for i in items if i["overdue"]), "items": items}


@router.get("/{taskcode:code}", response={200: TaskDetailOut, 404: Problem})
def get_task(request: HttpRequest, code: str) -> Status:
    """One task with its timeline, deadline changes and sub-tasks."""
    task = Task.objects.select_related("lead_unit", "assigned_unit", "directive", "parent").prefetch_related(
        "coordinating_units").filter(code=code).first()
    if task is None:
        return _problem(404, "task_not_found", f"Không có nhiệm vụ «{code}».", f"No task «{code}».")
    row = rows([task])[0]
    row.pop("_task")
    timeline = Viewer(request.user).task_timeline(task)  # narratives, reasons, evidence: readers of its units
    return Status(200, {**row, "content": task.content, "responsible_position": task.responsible_position,
                        "responsible_name": task.responsible_name, "product_kind": task.product_kind,
                        "product": task.product, "product_url": timeline.product_url,
                        "accepting_authority": task.accepting_authority,
                        "children": list(task.children.values_list("code", flat=True)),
                        "events": timeline.events, "deadline_changes": timeline.changes,
                        "evidence_files": timeline.file_count})


def _unit(code: str | None) -> OrgUnit | None:
    return OrgUnit.objects.filter(code=code).first() if code else None


@router.post("", auth=WRITE_AUTH, response={201: TaskDetailOut, 400: Problem, 403: Problem, 409: Problem})
def create_task(request: HttpRequest, payload: TaskIn) -> Status:
    """Give a task: `deadline_text` as people write it; the answer shows the `deadline` understood ("khẩn
    trương" is kept with no date). Without a `code`, one is given: "<directive>-<n>", the next free number."""
    directive = Directive.objects.filter(code=payload.directive).first() if payload.directive else None
    assigner = directive.issuing_body if directive and directive.issuing_body_id else OrgUnit.objects.get(
        code=GOVERNMENT_CODE)
    if not can(request.user, Action.MANAGE_TASKS, assigner):
        raise PermissionDenied(f"Không được giao nhiệm vụ thay {assigner.code}. / Not allowed to assign for "
                               f"{assigner.code}.")
    if payload.code.strip() and Task.objects.filter(code=payload.code.strip()).exists():
        return _problem(409, "task_exists", f"Đã có nhiệm vụ «{payload.code}».", f"Task «{payload.code}» exists.")
    unknown = [c for c in [payload.lead_unit, *payload.coordinating_units] if c and _unit(c) is None]
    if unknown:
        return _problem(400, "unknown_unit", f"Không có đơn vị: {', '.join(unknown)}.",
                        f"Unknown units: {', '.join(unknown)}.")
    if payload.assignees and payload.assignees not in Assignees.values:
        return _problem(400, "invalid_assignees", "Giá trị assignees không hợp lệ.", "Invalid assignees.")
    try:
        task = actions.create_task(
            code=payload.code, title=payload.title, content=payload.content, directive=directive,
            assigned_on=directive.issued_on if directive else timezone.localdate(), actor=request.user,
            lead=_unit(payload.lead_unit), deadline_text=payload.deadline_text,
            coordinating=[_unit(c) for c in payload.coordinating_units], assignees=payload.assignees,
            responsible_position=payload.responsible_position, responsible_name=payload.responsible_name,
            product_kind=payload.product_kind, product=payload.product,
            accepting_authority=payload.accepting_authority, priority=payload.priority,
            themes=list(Theme.objects.filter(code__in=payload.themes)),
            indicators=list(Indicator.objects.filter(code__in=payload.indicators)))
    except actions.TaskRuleError as error:
        return _problem(400, error.code, error.message_vi, error.message_en)
    return Status(201, get_task(request, task.code).value)


@router.post("/{taskcode:code}/updates", auth=WRITE_AUTH, response={200: TaskDetailOut, 400: Problem, 403: Problem,
                                                           404: Problem})
def update_task(request: HttpRequest, code: str, payload: TaskUpdateIn) -> Status:
    """Report progress, hand in the product, accept it, ask for or decide an extension, pause or cancel."""
    task = Task.objects.select_related("lead_unit", "directive__issuing_body").filter(code=code).first()
    if task is None:
        return _problem(404, "task_not_found", f"Không có nhiệm vụ «{code}».", f"No task «{code}».")
    user = request.user
    try:
        if payload.kind == "progress":
            actions.report_progress(task, user, percent=payload.percent, narrative=payload.narrative,
                                    evidence_url=payload.evidence_url, stage=payload.stage)
        elif payload.kind == "product":
            actions.submit_product(task, user, payload.evidence_url, payload.narrative)
        elif payload.kind == "accept":
            actions.accept_product(task, user)
        elif payload.kind == "extension_request":
            actions.request_deadline_change(task, user, payload.deadline_text, payload.reason)
        elif payload.kind == "extension_decision":
            change = DeadlineChange.objects.filter(task=task, pk=payload.extension_id).first()
            if change is None:
                return _problem(404, "extension_not_found", "Không có đề nghị gia hạn này.", "No such request.")
            actions.decide_deadline_change(change, user, bool(payload.approve))
        elif payload.kind == "stage":
            actions.set_stage_by_assigner(task, user, payload.stage or "", payload.reason)
        else:
            return _problem(400, "unknown_update", "Loại cập nhật không hợp lệ.", "Unknown kind of update.")
    except actions.TaskRuleError as error:
        return _problem(400, error.code, error.message_vi, error.message_en)
    return Status(200, get_task(request, code).value)
