"""Every write to a problem goes through a function here: one transaction, one timeline event, one audit row,
and the notice to the other side.

Who may do what (through the one permission check, `accounts.permissions.can`, action `manage_tasks`):
- the raising unit's task managers raise a problem (on a task they lead, or on its own) and withdraw it;
- the acting unit's task managers (the task's assigning authority by default, or the agency named) answer it
  and turn it into a task;
- either side marks it resolved (the obstacle is cleared).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from govkpi.accounts.permissions import can
from govkpi.accounts.roles import Action
from govkpi.audit.trail import record
from govkpi.notify.kinds import Kind
from govkpi.notify.outbox import Message, notify
from govkpi.notify.recipients import nearest_with
from govkpi.orgunits.models import OrgUnit
from govkpi.problems.models import PENDING, Problem, ProblemEvent, ProblemKind, ProblemState
from govkpi.tasks import actions as task_actions
from govkpi.tasks.models import DirectiveKind, Task

TITLE_MAX = 300
TEXT_MAX = 8000  # a problem is a message to an authority: a longer text belongs in a document


@dataclass(frozen=True)
class ProblemRuleError(Exception):
    """A rule refused the step: a code and the reason in two languages."""

    code: str
    message_vi: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.message_vi} / {self.message_en}"


def link(problem: Problem) -> str:
    """The problem's page."""
    return f"/problems/{problem.pk}/"


def _name(actor: Any) -> str:
    return getattr(actor, "username", "") or ""


def _require(actor: Any, unit: OrgUnit, message_vi: str, message_en: str) -> None:
    if not can(actor, Action.MANAGE_TASKS, unit):
        raise PermissionDenied(f"{message_vi} / {message_en}")


def _text(value: str, field_vi: str, field_en: str, *, required: bool = True, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ProblemRuleError("required", f"Cần ghi {field_vi}.", f"The {field_en} is required.")
    if len(value) > limit:
        raise ProblemRuleError("too_long", f"{field_vi.capitalize()} dài quá {limit} ký tự.",
                               f"The {field_en} is at most {limit} characters.")
    return value


def _event(problem: Problem, actor: Any, kind: str, narrative: str = "", **data: Any) -> ProblemEvent:
    return ProblemEvent.objects.create(problem=problem, at=timezone.now(), actor=_name(actor), kind=kind,
                                       state=problem.state, narrative=narrative, data=data)


def _managers(unit: OrgUnit) -> list[Any]:
    """The task managers nearest the unit (its own, or for a commune with none, its province's)."""
    return nearest_with(unit, Action.MANAGE_TASKS)[1]


def answer_due(raised_on: datetime.date) -> datetime.date:
    """The last day the acting agency may answer: PROBLEM_ANSWER_DAYS calendar days after the day raised."""
    return raised_on + datetime.timedelta(days=settings.PROBLEM_ANSWER_DAYS)


def default_acting_unit(task: Task | None) -> OrgUnit | None:
    """Who must act by default: the authority that gave the task (its directive's issuer, else the Government)."""
    return task_actions.assigner_unit(task) if task is not None else None


@transaction.atomic
def raise_problem(actor: Any, *, kind: str, title: str, blocks: str, raising_unit: OrgUnit | None = None,
                  task: Task | None = None, acting_unit: OrgUnit | None = None, since: datetime.date | None = None,
                  proposal: str = "") -> Problem:
    """A lead unit raises a problem: on a task it leads (to the task's assigning authority unless another agency is
    named) or on its own (the acting agency is then required). The acting unit's task managers are told."""
    if kind not in ProblemKind.values:
        raise ProblemRuleError("kind", "Loại không hợp lệ (vướng mắc, kiến nghị, điểm nghẽn).",
                               "Unknown kind (obstacle, proposal, bottleneck).")
    if task is not None:
        raising_unit = raising_unit or task.lead_unit
        if raising_unit is None or task.lead_unit_id != raising_unit.pk:
            raise ProblemRuleError("not_lead", f"Chỉ cơ quan chủ trì nhiệm vụ {task.code} nêu vướng mắc về nhiệm vụ.",
                                   f"Only the lead unit of task {task.code} raises problems on it.")
    if raising_unit is None:
        raise ProblemRuleError("raising_unit", "Cần chọn đơn vị nêu vướng mắc.", "Choose the unit raising it.")
    _require(actor, raising_unit, f"Không được nêu vướng mắc thay {raising_unit.name}.",
             f"Not allowed to raise problems for {raising_unit.code}.")
    acting_unit = acting_unit or default_acting_unit(task)
    if acting_unit is None:
        raise ProblemRuleError("acting_unit", "Cần nêu cơ quan phải xử lý.", "Name the agency that must act.")
    if acting_unit.pk == raising_unit.pk:
        raise ProblemRuleError("self", "Cơ quan xử lý phải khác đơn vị nêu.", "The acting agency must be another unit.")
    today = timezone.localdate()
    if since is not None and since > today:
        raise ProblemRuleError("since_future", "Ngày phát sinh không thể sau hôm nay.", "«Since» cannot be in the future.")
    problem = Problem.objects.create(
        kind=kind, title=_text(title, "tiêu đề", "title", limit=TITLE_MAX),
        blocks=_text(blocks, "nội dung vướng mắc", "description of what blocks"), since=since,
        proposal=_text(proposal, "đề xuất", "proposal", required=False), task=task, raising_unit=raising_unit,
        raised_by=actor, raised_at=timezone.now(), acting_unit=acting_unit, answer_due=answer_due(today))
    _event(problem, actor, "raised", acting_unit=acting_unit.code, answer_due=problem.answer_due.isoformat())
    record("problem.raise", actor=actor, object_type="Problem", object_key=str(problem.pk), unit=raising_unit.code,
           after={"kind": kind, "title": problem.title, "task": task.code if task else None,
                  "acting_unit": acting_unit.code, "answer_due": problem.answer_due, "since": since})
    kind_vi, kind_en = problem.get_kind_display(), ProblemKind(kind).name.lower()
    about_vi = f" về nhiệm vụ {task.code}" if task else ""
    about_en = f" on task {task.code}" if task else ""
    notify(Message(Kind.PROBLEM_RAISED, f"problem-raised:{problem.pk}",
                   f"{raising_unit.short_name or raising_unit.name} nêu {kind_vi.lower()}{about_vi}: {problem.title}",
                   f"{raising_unit.name_en or raising_unit.name} raised a {kind_en}{about_en}: {problem.title}",
                   f"{problem.blocks[:500]}\nHạn trả lời: {problem.answer_due:%d/%m/%Y}.",
                   f"{problem.blocks[:500]}\nAnswer due {problem.answer_due:%d/%m/%Y}.",
                   link(problem), acting_unit, {"problem": problem.pk, "raising_unit": raising_unit.code}),
           _managers(acting_unit))
    return problem


def _pending(problem: Problem, allowed: tuple[str, ...] = PENDING) -> None:
    if problem.state not in allowed:
        raise ProblemRuleError("state", f"Vướng mắc đang ở trạng thái «{problem.get_state_display()}».",
                               f"The problem is {problem.state}.")


@transaction.atomic
def answer(problem: Problem, actor: Any, text: str) -> Problem:
    """The acting agency answers; the raising unit's task managers (and whoever raised it) are told."""
    _require(actor, problem.acting_unit, "Chỉ cơ quan xử lý được trả lời.", "Only the acting agency answers.")
    _pending(problem, (ProblemState.OPEN,))
    problem.answer = _text(text, "nội dung trả lời", "answer")
    problem.answered_by, problem.answered_at = _name(actor), timezone.now()
    problem.state = ProblemState.ANSWERED
    problem.save(update_fields=["answer", "answered_by", "answered_at", "state"])
    late = timezone.localdate(problem.answered_at) > problem.answer_due
    _event(problem, actor, "answered", problem.answer, late=late)
    record("problem.answer", actor=actor, object_type="Problem", object_key=str(problem.pk),
           unit=problem.acting_unit.code, before={"state": ProblemState.OPEN},
           after={"state": problem.state, "answer": problem.answer, "late": late})
    acting = problem.acting_unit
    people = {u.pk: u for u in _managers(problem.raising_unit)}
    if can(problem.raised_by, Action.MANAGE_TASKS, problem.raising_unit):
        people.setdefault(problem.raised_by_id, problem.raised_by)
    notify(Message(Kind.PROBLEM_ANSWERED, f"problem-answered:{problem.pk}",
                   f"{acting.short_name or acting.name} đã trả lời: {problem.title}",
                   f"{acting.name_en or acting.name} answered: {problem.title}",
                   problem.answer[:500], problem.answer[:500], link(problem), problem.raising_unit,
                   {"problem": problem.pk, "acting_unit": acting.code}), [people[k] for k in sorted(people)])
    return problem


def _close(problem: Problem, actor: Any, state: str, kind: str, note: str, **data: Any) -> Problem:
    before = problem.state
    problem.state, problem.closed_at = state, timezone.now()
    problem.save(update_fields=["state", "closed_at", "outcome_task"])
    _event(problem, actor, kind, note, **data)
    record(f"problem.{kind}", actor=actor, object_type="Problem", object_key=str(problem.pk),
           unit=problem.raising_unit.code, before={"state": before}, after={"state": state, "note": note, **data})
    return problem


@transaction.atomic
def resolve(problem: Problem, actor: Any, note: str = "") -> Problem:
    """The obstacle is cleared: marked by either side (the raising unit or the acting agency)."""
    if not (can(actor, Action.MANAGE_TASKS, problem.raising_unit) or can(actor, Action.MANAGE_TASKS, problem.acting_unit)):
        raise PermissionDenied("Chỉ đơn vị nêu hoặc cơ quan xử lý. / Only the raising unit or the acting agency.")
    _pending(problem)
    return _close(problem, actor, ProblemState.RESOLVED, "resolved", _text(note, "ghi chú", "note", required=False))


@transaction.atomic
def withdraw(problem: Problem, actor: Any, reason: str) -> Problem:
    """The raising unit takes the problem back (with a reason)."""
    _require(actor, problem.raising_unit, "Chỉ đơn vị nêu được rút.", "Only the raising unit withdraws it.")
    _pending(problem)
    return _close(problem, actor, ProblemState.WITHDRAWN, "withdrawn", _text(reason, "lý do", "reason"))


@transaction.atomic
def turn_into_task(problem: Problem, actor: Any, *, title: str = "", deadline_text: str = "",
                   lead: OrgUnit | None = None, code: str = "", content: str = "") -> Task:
    """The acting agency decides to clear the problem by a task: created through tasks.actions.create_task (the
    one write path for tasks) under a letter the acting agency issues (tasks.actions.create_directive), led by
    `lead` (the acting agency itself by default), linked back to the problem."""
    _require(actor, problem.acting_unit, "Chỉ cơ quan xử lý được giao nhiệm vụ từ vướng mắc.",
             "Only the acting agency turns the problem into a task.")
    _pending(problem)
    try:
        # The decision is the acting agency's document: the task's assigner is the agency that decided it.
        decision = task_actions.create_directive(
            actor=actor, kind=DirectiveKind.OFFICIAL_LETTER, issued_on=timezone.localdate(),
            issuing_body=problem.acting_unit, title=f"Xử lý {problem.get_kind_display().lower()} #{problem.pk}: "
                                                    f"{problem.title}"[:500])
        task = task_actions.create_task(
            code=code.strip(), title=_text(title or problem.title, "tên nhiệm vụ", "task title", limit=TITLE_MAX),
            assigned_on=timezone.localdate(), actor=actor, lead=lead or problem.acting_unit, directive=decision,
            deadline_text=deadline_text.strip(), content=content.strip() or problem.proposal or problem.blocks,
            notes=f"Giao từ vướng mắc, kiến nghị #{problem.pk} / From problem #{problem.pk}")
    except task_actions.TaskRuleError as error:
        raise ProblemRuleError(error.code, error.message_vi, error.message_en) from None
    problem.outcome_task = task
    _close(problem, actor, ProblemState.TASKED, "tasked", "", task=task.code)
    return task
