"""Problems' pages: the list with counts per agency, raising one (on a task or on its own), a problem with the
forms of those who may act. Parse, ask the actions (which decide who may) or the read door, render."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from govkpi.accounts.permissions import can, units_where
from govkpi.accounts.roles import Action
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.resolve import resolve_unit
from govkpi.problems import actions
from govkpi.problems.figures import standing
from govkpi.problems.models import Problem, ProblemKind, ProblemState
from govkpi.reads.problems import public_counts, reads_problem, visible_problems
from govkpi.reads.visibility import Viewer
from govkpi.tasks.models import Task

_FLASH = "govkpi_problem_flash"


def problem_list(request: HttpRequest) -> HttpResponse:
    """Counts per agency for everyone; the problems themselves for their readers, filtered by state and agencies."""
    g = request.GET
    viewer = Viewer(request.user)
    problems = visible_problems(viewer)
    if g.get("state") in ProblemState.values:
        problems = problems.filter(state=g["state"])
    if g.get("acting"):
        problems = problems.filter(acting_unit__code=g["acting"])
    if g.get("raising"):
        problems = problems.filter(raising_unit__code=g["raising"])
    items = standing(problems, timezone.now())
    counts = public_counts()
    agencies = OrgUnit.objects.filter(Q(problems_raised__isnull=False) | Q(problems_to_answer__isnull=False)) \
        .distinct().order_by("kind", "code")
    return render(request, "problems/list.html", {
        "items": items, "counts": counts, "filters": g, "states": ProblemState.choices, "agencies": agencies,
        "may_raise": OrgUnit.objects.filter(units_where(request.user, Action.MANAGE_TASKS)).exists()})


def _acting_unit(name: str, on: datetime.date, code: str = "") -> OrgUnit | None:
    """The agency picked in the list (its code), else the one a name (or code) typed means; None when left blank;
    ProblemRuleError when unclear."""
    picked = OrgUnit.objects.filter(code=code.strip()).first() if code.strip() else None
    if picked is not None:
        return picked
    name = name.strip()
    if not name:
        return None
    by_code = OrgUnit.objects.filter(code=name).first()
    if by_code is not None:
        return by_code
    found = resolve_unit(name, on=on)
    if found.unit is None:
        raise actions.ProblemRuleError("acting_unit", found.message_vi, found.message_en)
    return found.unit


def _date(text: str) -> datetime.date | None:
    text = (text or "").strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise actions.ProblemRuleError("since", f"Ngày «{text[:20]}» không đọc được (31/12/2026).",
                                   f"«{text[:20]}» is not a date (31/12/2026).")


@login_required
@require_http_methods(["GET", "POST"])
def problem_new(request: HttpRequest) -> HttpResponse:
    """Raise a problem: on a task (?task=CODE; the lead unit raises it, to the assigning authority by default) or
    on its own (the unit raising it and the agency that must act are chosen)."""
    source = request.POST if request.method == "POST" else request.GET
    task = None
    if source.get("task"):
        task = Task.objects.select_related("lead_unit", "directive__issuing_body").filter(code=source["task"]).first()
        if task is None:
            raise Http404(source["task"])
    mine = list(OrgUnit.objects.filter(units_where(request.user, Action.MANAGE_TASKS)).order_by("kind", "code")[:200])
    allowed = (task.lead_unit is not None and can(request.user, Action.MANAGE_TASKS, task.lead_unit)) if task \
        else bool(mine)
    if not allowed:
        raise PermissionDenied("Chỉ người quản lý nhiệm vụ của đơn vị chủ trì được nêu vướng mắc. / Only the lead "
                               "unit's task managers raise problems.")
    error = ""
    if request.method == "POST":
        try:
            raising = task.lead_unit if task else next((u for u in mine if u.code == source.get("raising_unit")), None)
            problem = actions.raise_problem(
                request.user, kind=source.get("kind", ""), title=source.get("title", ""),
                blocks=source.get("blocks", ""), raising_unit=raising, task=task,
                acting_unit=_acting_unit(source.get("acting_name", ""), timezone.localdate(),
                                         source.get("acting_code", "")),
                since=_date(source.get("since", "")), proposal=source.get("proposal", ""))
        except actions.ProblemRuleError as refused:
            error = f"{refused.message_vi} / {refused.message_en}"
        else:
            return redirect("problems:problem", pk=problem.pk)
    return render(request, "problems/new.html", {
        "task": task, "units": mine, "kinds": ProblemKind.choices, "form": source, "error": error,
        "default_acting": actions.default_acting_unit(task)}, status=400 if error else 200)


def _problem(pk: int, request: HttpRequest) -> Problem:
    problem = Problem.objects.select_related("acting_unit", "raising_unit", "task", "outcome_task",
                                             "raised_by").filter(pk=pk).first()
    if problem is None or not reads_problem(Viewer(request.user), problem):
        raise Http404(str(pk))  # not told whether a problem they may not read exists
    return problem


@login_required
def problem_page(request: HttpRequest, pk: int) -> HttpResponse:
    problem = _problem(pk, request)
    user = request.user
    acting = can(user, Action.MANAGE_TASKS, problem.acting_unit)
    raising = can(user, Action.MANAGE_TASKS, problem.raising_unit)
    pending = problem.state in (ProblemState.OPEN, ProblemState.ANSWERED)
    return render(request, "problems/problem.html", {
        "problem": problem, "events": problem.events.all(), "flash": request.session.pop(_FLASH, ""),
        "overdue_days": max((timezone.localdate() - problem.answer_due).days, 0)
        if problem.state == ProblemState.OPEN else 0,
        "may_answer": acting and problem.state == ProblemState.OPEN, "may_task": acting and pending,
        "may_resolve": (acting or raising) and pending, "may_withdraw": raising and pending})


@login_required
@require_POST
def problem_act(request: HttpRequest, pk: int) -> HttpResponse:
    """The forms of a problem's page: answer, resolve, withdraw, turn into a task. The actions decide who may."""
    problem = _problem(pk, request)
    form, user = request.POST, request.user
    step = form.get("step", "")
    try:
        if step == "answer":
            actions.answer(problem, user, form.get("answer", ""))
        elif step == "resolve":
            actions.resolve(problem, user, form.get("note", ""))
        elif step == "withdraw":
            actions.withdraw(problem, user, form.get("reason", ""))
        elif step == "task":
            lead = _acting_unit(form.get("lead_name", ""), timezone.localdate(), form.get("lead_code", ""))
            task = actions.turn_into_task(problem, user, title=form.get("title", ""),
                                          deadline_text=form.get("deadline_text", ""), lead=lead,
                                          code=form.get("code", ""))
            return redirect("web:task", code=task.code)
        else:
            raise Http404(step)
    except actions.ProblemRuleError as refused:
        request.session[_FLASH] = f"{refused.message_vi} / {refused.message_en}"
    return redirect("problems:problem", pk=problem.pk)
