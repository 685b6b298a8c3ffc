"""The task board and a task's page: parse filters, call the domain, render."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from govkpi.accounts.permissions import can
from govkpi.accounts.roles import Action
from govkpi.core.six_clear import LABELS_VI
from govkpi.core.task_status import State, state_on
from govkpi.indicators.models import Theme
from govkpi.reads.task_rows import clarity, rows
from govkpi.reads.tasks import official_count
from govkpi.reads.visibility import Viewer
from govkpi.tasks import actions
from govkpi.tasks.counting import AssignmentSummary, summarise_assignments
from govkpi.tasks.figures import facts_for, figures_by_unit
from govkpi.tasks.models import DeadlineChange, Directive, Evidence, Task
from govkpi.web import page_tables, table_export
from govkpi.web.data_views import XLSX

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


DUE_WINDOW_MAX_DAYS = 3660  # ten years ahead: every deadline the register holds
BOARD_FILTERS = ("lead", "directive", "theme", "due", "unclear")  # what narrows the header's rows
TASKS_PER_PAGE = 200  # the 1,500 reference task rows in one page weighed 550 KB


def _board_tasks(request: HttpRequest, day: datetime.date) -> tuple[list[Task], dict[int, State]]:
    """The rows the board's filters (agency, directive, theme, due window, 6 rõ) select, by deadline, with each
    row's state on the day: one row per assignment (a unit's part of a task, or a recurring task's period).
    The status filter is applied after (`_with_status`), so the header and the list count the same rows."""
    qs = Task.objects.select_related("lead_unit", "assigned_unit", "directive", "parent").filter(
        children__isnull=True)
    g = request.GET
    if g.get("lead"):
        qs = qs.filter(lead_unit__code=g["lead"])
    if g.get("directive"):
        qs = qs.filter(directive__code=g["directive"])
    if g.get("theme"):
        qs = qs.filter(themes__code=g["theme"])
    # isascii(): "²" passes isdigit() but not int(); at most DUE_WINDOW_MAX days (a larger one overflowed).
    if g.get("due") and g["due"].isascii() and g["due"].isdigit():
        days = min(int(g["due"]), DUE_WINDOW_MAX_DAYS)
        qs = qs.filter(deadline__gte=day, deadline__lte=day + datetime.timedelta(days=days))
    tasks = list(qs.order_by("deadline", "code"))
    if g.get("unclear") == "1":
        tasks = [t for t in tasks if clarity(t)]
    facts = facts_for(tasks)
    return tasks, {t.pk: state_on(facts[t.pk], day) for t in tasks}


def _with_status(tasks: list[Task], states: dict[int, State], status: str) -> list[Task]:
    """The rows in one state (all of them when none is asked for)."""
    return [t for t in tasks if states[t.pk].value == status] if status else tasks


def _board_header(tasks: list[Task], states: dict[int, State]) -> AssignmentSummary:
    """The header: the same rows as the list, counted by the same states."""
    return summarise_assignments((t.lead_unit.code if t.lead_unit_id else None, bool(t.period), states[t.pk])
                                 for t in tasks)


def _board_rows(tasks: list[Task], day: datetime.date) -> list[dict]:
    prefetch_related_objects(tasks, "coordinating_units")
    items = rows(tasks, day)
    for item in items:
        item["status_label"] = STATE_LABELS[item["status"]]
        item["missing_labels"] = [LABELS_VI[p] for p in item["six_clear_missing"]]
    return items


def _filters_text(query: QueryDict) -> str:
    return ", ".join(f"{key}={value}" for key, value in query.items()
                     if value and key not in ("page", "export", "format"))


def task_board(request: HttpRequest) -> HttpResponse:
    """Tasks with filters (agency, status, directive, theme, due window) and counts per agency; ?export=tasks
    downloads the whole filtered list, ?export=agencies the counts. The header, the agencies' table and the list
    count the same rows (one per assignment); the Government's count (per original task) is on /tasks/count/."""
    day = _as_of(request)
    g = request.GET
    selected, states = _board_tasks(request, day)
    tasks = _with_status(selected, states, g.get("status", ""))
    header = _board_header(selected, states)
    figures = figures_by_unit(day, [t for t in selected if t.lead_unit_id])
    exported = table_export.answer(request, {
        "tasks": lambda: page_tables.task_list_table(_board_rows(tasks, day), day, _filters_text(g)),
        "agencies": lambda: page_tables.agency_figures_table(figures, day)})
    if exported:
        return exported
    page = Paginator(tasks, TASKS_PER_PAGE).get_page(g.get("page"))
    items = _board_rows(list(page.object_list), day)
    others = g.copy()
    others.pop("page", None)
    context = {
        "items": items, "total": page.paginator.count, "page": page, "query": others.urlencode(),
        "as_of": day, "figures": figures, "filters": g, "header": header,
        "overdue_total": header.overdue, "overdue_units": header.agencies,
        "official": official_count(day), "filtered": any(g.get(k) for k in BOARD_FILTERS),
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
    timeline = Viewer(request.user).task_timeline(task)  # the read door: what of the task this reader sees
    context = {
        "task": task, "row": row, "status_label": STATE_LABELS[row["status"]],
        "missing_labels": [LABELS_VI[p] for p in row["six_clear_missing"]],
        "events": timeline.events, "changes": timeline.changes, "timeline": timeline,
        "children": rows(task.children.select_related("lead_unit").prefetch_related("coordinating_units")),
        "files": timeline.files,
        "may_report": can(request.user, Action.MANAGE_TASKS, task.lead_unit or actions.assigner_unit(task)),
        "may_decide": can(request.user, Action.MANAGE_TASKS, actions.assigner_unit(task)),
        "pending_changes": task.deadline_changes.filter(approved__isnull=True),
        "flash": request.session.pop("govkpi_flash", ""),
    }
    return render(request, "web/task.html", context)


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip().lstrip("-").isdigit() else None


@login_required
@require_POST
def task_update(request: HttpRequest, code: str) -> HttpResponse:
    """The forms of a task's page: progress with evidence, the product, acceptance, extensions, pause/cancel.
    Who may do what is decided by the task actions (the one permission check); a refusal is 403."""
    task = Task.objects.select_related("lead_unit", "directive__issuing_body").filter(code=code).first()
    if task is None:
        raise Http404(code)
    form, user = request.POST, request.user
    kind = form.get("kind", "")
    try:
        if kind == "progress":
            actions.report_progress(task, user, percent=_int(form.get("percent")), narrative=form.get("narrative", ""),
                                    evidence_url=form.get("evidence_url", ""), files=request.FILES.getlist("files"))
        elif kind == "product":
            actions.submit_product(task, user, form.get("product_url", ""), form.get("narrative", ""),
                                   file=request.FILES.get("file"))
        elif kind == "accept":
            actions.accept_product(task, user)
        elif kind == "extension":
            actions.request_deadline_change(task, user, form.get("deadline_text", ""), form.get("reason", ""))
        elif kind == "decide":
            change = DeadlineChange.objects.filter(task=task, pk=_int(form.get("change")) or 0).first()
            if change is None:
                raise Http404("change")
            actions.decide_deadline_change(change, user, approve=form.get("approve") == "1")
        elif kind == "stage":
            actions.set_stage_by_assigner(task, user, form.get("stage", ""), form.get("reason", ""))
        else:
            raise Http404(kind)
    except actions.TaskRuleError as error:
        request.session["govkpi_flash"] = f"{error.message_vi} / {error.message_en}"
    return redirect("web:task", code=task.code)


@login_required
def task_evidence(request: HttpRequest, code: str, pk: int) -> FileResponse:
    """An evidence file, to those who may read the lead unit's or the assigner's data."""
    item = Evidence.objects.select_related("task__lead_unit", "task__directive__issuing_body").filter(
        task__code=code, pk=pk).first()
    if item is None:
        raise Http404(code)
    if not Viewer(request.user).reads_task(item.task):
        raise PermissionDenied("Không có quyền xem minh chứng này. / Not allowed to read this evidence.")
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name, content_type=item.content_type)


def appendix_export(request: HttpRequest) -> HttpResponse:
    """A directive's tasks as its appendix table (the shape directives are issued in)."""
    from govkpi.tasks.appendix import export_appendix

    directive = Directive.objects.filter(code=request.GET.get("directive", "")).first()
    if directive is None:
        raise Http404("directive")
    content = export_appendix(Task.objects.filter(directive=directive, parent__isnull=True))
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="phu-luc-{directive.code}.xlsx"'
    return response


@login_required
def appendix_import(request: HttpRequest) -> HttpResponse:
    """Upload a directive's appendix table: tasks created through the same action as every task, row errors listed.

    Task managers import under the directives their unit issued (a ministry's own plans); a dry run writes
    nothing, so any task manager may check a file against any directive. A refusal says why, in Vietnamese."""
    from govkpi.accounts.permissions import units_where
    from govkpi.orgunits.models import OrgUnit
    from govkpi.tasks.appendix import AppendixError, import_appendix

    user = request.user
    context: dict = {"directives": Directive.objects.select_related("issuing_body")}
    if not OrgUnit.objects.filter(units_where(user, Action.MANAGE_TASKS)).exists():
        context["error"] = ("Cần vai trò «Quản lý nhiệm vụ» để nhập phụ lục; hãy đề nghị quản trị đơn vị của bạn "
                            "cấp vai trò này. / The task manager role is needed to import an appendix.")
        return render(request, "web/task_appendix.html", context, status=403)
    if request.method == "POST":
        directive = Directive.objects.filter(code=request.POST.get("directive", "")).select_related(
            "issuing_body").first()
        upload = request.FILES.get("file")
        dry_run = bool(request.POST.get("dry_run"))
        may_write = directive is not None and actions.may_assign(user, directive)
        if directive is None or upload is None:
            context["error"] = "Cần chọn văn bản và tệp. / Choose a directive and a file."
        elif upload.size > settings.DATA_FILE_MAX_BYTES:  # the one upload limit (core.workbooks checks it again)
            limit = settings.DATA_FILE_MAX_BYTES // 2**20
            context["error"] = f"Tệp lớn hơn {limit} MB. / The file is larger than {limit} MB."
        elif not may_write and not dry_run:
            issuer = actions.directive_assigner(directive)
            context["error"] = (
                f"Văn bản «{directive}» do {issuer.name} ban hành: chỉ cán bộ quản lý nhiệm vụ của {issuer.name} "
                "được nhập nhiệm vụ theo văn bản này. Bạn vẫn có thể chạy thử («Chỉ kiểm tra, không ghi»), hoặc ghi "
                "văn bản của đơn vị mình (Nhiệm vụ › Ghi văn bản chỉ đạo) rồi nhập phụ lục kèm theo. / Only task "
                f"managers of {issuer.code} may import tasks under this directive; a dry run is open to you.")
            return render(request, "web/task_appendix.html", context, status=403)
        else:
            try:
                # A dry run by someone who may not write runs as the system: it is rolled back whatever it does.
                context["report"] = import_appendix(upload.read(), upload.name or "", directive=directive,
                                                    actor=user if may_write else None,
                                                    atomic=request.POST.get("mode") != "partial", dry_run=dry_run)
            except AppendixError as error:
                context["error"] = f"{error.message_vi} / {error.message_en}"
    return render(request, "web/task_appendix.html", context)
