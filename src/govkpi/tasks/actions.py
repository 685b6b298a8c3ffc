"""Every write to tasks goes through a function here: one transaction, one timeline event, one audit row.

Who may do what (through the one permission check):
- the lead unit's task managers (and unit admins) report progress, submit the product, ask for an
  extension, a pause or a cancellation;
- the assigner — task managers of the unit that issued the directive (the Government by default) —
  gives the task, edits it, reassigns its lead unit, approves extensions, pauses and cancellations, and
  accepts the product, which is what makes a task done. A ministry's task managers are the assigner of the
  directives their ministry issues.
The check is made here, inside each action, whatever face calls it; `actor=None` is the system itself
(command line, seed data).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from govkpi.accounts.permissions import can
from govkpi.accounts.roles import Action
from govkpi.audit.trail import record
from govkpi.core.deadlines import DeadlineError, occurrences, parse_deadline
from govkpi.core.periods import PeriodType, period_of
from govkpi.events.outbox import emit
from govkpi.events.types import TaskChanged
from govkpi.orgunits.models import Kind, OrgUnit
from govkpi.orgunits.reference import GOVERNMENT_CODE
from govkpi.orgunits.resolve import main_successor
from govkpi.tasks import evidence
from govkpi.tasks.codes import CODE_ATTEMPTS, next_task_code
from govkpi.tasks.models import Assignees, DeadlineChange, Directive, Stage, Task, TaskEvent


@dataclass(frozen=True)
class TaskRuleError(Exception):
    """A lifecycle rule refused a change: a code and the reason in two languages."""

    code: str
    message_vi: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.message_vi} / {self.message_en}"


LINK_SCHEMES = ("http", "https")


def web_link(url: str) -> str:
    """The link, stripped, when it is an absolute http(s) address with a host; else TaskRuleError.

    Links are rendered as anchors on the task's page: a `javascript:` or `data:` one would run in the
    reader's session, and a relative or odd-scheme one points who knows where."""
    url = (url or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1": an unclosed address is no address
        parts = urlsplit("")
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc or not url.isprintable() \
            or any(c.isspace() for c in url):
        raise TaskRuleError("link_not_http", f"Liên kết «{url[:80]}» phải là địa chỉ http:// hoặc https://.",
                            f"The link «{url[:80]}» must be an http:// or https:// address.")
    return url


def shown_link(url: str | None) -> str:
    """The stored link when it may be rendered as an href (an http(s) address or a path on this site); else "".

    Rows written before links were checked on write may hold `javascript:` and the like; pages render those
    as text. A path must start with one "/" and hold no backslash or blank: browsers read "//x", "/\\x" and
    "/<tab>/x" as another site."""
    url = (url or "").strip()
    if url.startswith("/"):
        on_this_site = not url.startswith("//") and "\\" not in url and url.isprintable() and " " not in url
        return url if on_this_site else ""
    try:
        return web_link(url)
    except TaskRuleError:
        return ""


def _actor_name(actor: Any) -> str:
    return getattr(actor, "username", "") or (actor if isinstance(actor, str) else "")


def _event(task: Task, actor: Any, kind: str, **fields: Any) -> TaskEvent:
    """Add to the task's timeline and emit the change event the evaluation and the dashboards follow."""
    now = timezone.now()
    emit(TaskChanged(task=task.code, change=kind), units=[task.lead_unit.code] if task.lead_unit_id else [])
    return TaskEvent.objects.create(task=task, at=now, day=timezone.localdate(now), actor=_actor_name(actor),
                                    kind=kind, **fields)


def directive_assigner(directive: Directive | None) -> OrgUnit:
    """The unit that gives a directive's tasks: its issuer, else the Government."""
    if directive is not None and directive.issuing_body_id:
        return directive.issuing_body
    return OrgUnit.objects.get(code=GOVERNMENT_CODE)


def assigner_unit(task: Task) -> OrgUnit:
    """The unit that gave the task: the directive's issuer, else the Government."""
    return directive_assigner(task.directive if task.directive_id else None)


def may_assign(actor: Any, directive: Directive | None) -> bool:
    """True when the actor may give, edit and reassign tasks under the directive (None: the system)."""
    return actor is None or can(actor, Action.MANAGE_TASKS, directive_assigner(directive))


def _require_may_assign(actor: Any, directive: Directive | None) -> None:
    if not may_assign(actor, directive):
        unit = directive_assigner(directive)
        raise PermissionDenied(
            f"Chỉ cán bộ quản lý nhiệm vụ của {unit.name} được giao, sửa hoặc chuyển nhiệm vụ theo văn bản này. / "
            f"Only task managers of {unit.code} may give, edit or reassign tasks under this directive.")


def _require_lead(actor: Any, task: Task) -> None:
    unit = task.lead_unit or assigner_unit(task)
    if actor is not None and not can(actor, Action.MANAGE_TASKS, unit):
        raise PermissionDenied(f"Không được cập nhật nhiệm vụ {task.code}. / Not allowed to update {task.code}.")


def _require_assigner(actor: Any, task: Task) -> None:
    if actor is not None and not can(actor, Action.MANAGE_TASKS, assigner_unit(task)):
        raise PermissionDenied(f"Chỉ cơ quan giao nhiệm vụ được quyết định. / Only the assigner decides ({task.code}).")


def read_deadline(text: str, reference: datetime.date, *, accept_undated: bool = True
                  ) -> tuple[datetime.date | None, str, datetime.date | None]:
    """Return (due date, recurrence, start) for deadline words, or raise TaskRuleError naming what was unreadable.

    Words naming no time but urgency ("khẩn trương", "ngay") are kept with no date (None, "", None) — the
    6 rõ check then counts the task as missing "rõ thời gian" — unless `accept_undated` is False (an
    extension must name its new date)."""
    try:
        deadline = parse_deadline(text, reference=reference, accept_undated=accept_undated)
    except DeadlineError as error:
        raise TaskRuleError("deadline_unreadable", error.message_vi, error.message_en) from None
    return deadline.due, deadline.recurrence.value if deadline.recurrence else "", deadline.starts


def answerable_unit(unit: OrgUnit | None, on: datetime.date) -> OrgUnit | None:
    """The unit answering for a task today: a dissolved unit's main successor, else the unit itself."""
    if unit is None or unit.valid_on(on):
        return unit
    return main_successor(unit, on) or unit


CODE_MAX = 64  # the column


def task_code(code: str) -> str:
    """A new task's code, stripped; else TaskRuleError. "/" is kept for the codes of a fanned-out task's parts
    (PARENT/UNIT): a code holding one would be taken for a part's, and could not be told apart in its URL."""
    code = (code or "").strip()
    if not code:
        raise TaskRuleError("code_empty", "Mã nhiệm vụ không được để trống.", "The task code must not be empty.")
    if len(code) > CODE_MAX or "/" in code or any(c.isspace() or not c.isprintable() for c in code):
        raise TaskRuleError("code_invalid", f"Mã nhiệm vụ «{code[:80]}» phải có tối đa {CODE_MAX} ký tự, không có "
                            "dấu «/», khoảng trắng hay ký tự điều khiển.",
                            f"The task code «{code[:80]}» must be at most {CODE_MAX} characters, with no «/», "
                            "space or control character.")
    return code


def _insert(code: str, directive: Directive | None, **fields: Any) -> Task:
    """Insert the task under its code, or under the directive's next free code when none is given; two
    inserts racing for one generated code meet the unique column, and the loser takes the next number."""
    for _attempt in range(CODE_ATTEMPTS):
        candidate = task_code(code or next_task_code(directive))
        try:
            with transaction.atomic():  # a savepoint: the failed insert leaves the outer transaction usable
                return Task.objects.create(code=candidate, directive=directive, **fields)
        except IntegrityError:
            if not Task.objects.filter(code=candidate).exists():
                raise  # another constraint than the code's
            if code:
                raise TaskRuleError("task_exists", f"Đã có nhiệm vụ mã «{code}».",
                                    f"A task with the code «{code}» exists.") from None
            # a generated code taken meanwhile by another insert: pick the next one
    raise TaskRuleError("code_busy", "Chưa cấp được mã nhiệm vụ, hãy thử lại.", "No task code could be given; "
                        "try again.")


@transaction.atomic
def create_task(*, code: str = "", title: str, assigned_on: datetime.date, actor: Any = None,
                lead: OrgUnit | None = None, deadline_text: str = "", coordinating: list[OrgUnit] | None = None,
                themes: list[Any] | None = None, indicators: list[Any] | None = None,
                directive: Directive | None = None, keep_unreadable_deadline: bool = False, **fields: Any) -> Task:
    """Create a task (fanning it out when it is given to many units); deadline words are read here.

    The actor must manage tasks at the assigner (the directive's issuer, else the Government). With no code,
    one is given: "<directive>-<n>" (`tasks.codes`). Deadline words naming no time ("khẩn trương") are kept
    with no date; other unreadable words are refused, unless `keep_unreadable_deadline` (for recorded history
    such as the seed articles): then the words are kept with no date, and the 6 rõ check shows the time as
    unclear.
    """
    _require_may_assign(actor, directive)
    code = task_code(code) if (code or "").strip() else ""
    due = recurrence = starts = None
    if deadline_text.strip():
        try:
            due, recurrence, starts = read_deadline(deadline_text, assigned_on)
        except TaskRuleError:
            if not keep_unreadable_deadline:
                raise
    today = timezone.localdate()
    task = _insert(
        code, directive, title=title, assigned_on=assigned_on, deadline_text=deadline_text, deadline=due,
        original_deadline=due, recurrence=recurrence or "", starts=starts, assigned_unit=lead,
        lead_unit=answerable_unit(lead, today), **fields)
    task.coordinating_units.set([answerable_unit(u, today) for u in coordinating or []])
    task.themes.set(themes or [])
    task.indicators.set(indicators or [])
    _event(task, actor, "created", data={"lead": lead.code if lead else None, "deadline": str(due) if due else None})
    record("task.create", actor=actor, object_type="Task", object_key=task.code,
           unit=task.lead_unit.code if task.lead_unit else "",
           after={"title": title, "lead": lead.code if lead else None, "deadline_text": deadline_text,
                  "deadline": due, "assignees": task.assignees})
    children = fan_out(task, actor) if task.assignees else []
    if task.recurrence:
        for leaf in children or [task]:
            create_occurrences(leaf, through=today, actor=actor)
    return task


_FAN_OUT_KINDS = {
    Assignees.ALL_MINISTRIES_AND_PROVINCES: [Kind.MINISTRY, Kind.PROVINCE],
    Assignees.ALL_MINISTRIES: [Kind.MINISTRY],
    Assignees.ALL_PROVINCES: [Kind.PROVINCE],
    Assignees.ALL_COMMUNES: [Kind.COMMUNE],
}


def fan_out(parent: Task, actor: Any = None) -> list[Task]:
    """Create one sub-task per unit the parent was given to (in force on the day it was given)."""
    kinds = _FAN_OUT_KINDS.get(parent.assignees)
    if not kinds:
        return []  # "some units" names nobody: it stays one task, flagged by the 6 rõ check
    units = OrgUnit.objects.valid_on(max(parent.assigned_on, timezone.localdate())).filter(kind__in=kinds)
    children = [
        Task(code=f"{parent.code}/{unit.code}", title=parent.title, content=parent.content,
             directive=parent.directive, parent=parent, lead_unit=unit, assigned_unit=unit,
             deadline_text=parent.deadline_text, deadline=parent.deadline, original_deadline=parent.deadline,
             starts=parent.starts, recurrence=parent.recurrence, product_kind=parent.product_kind,
             product=parent.product, accepting_authority=parent.accepting_authority,
             accepting_unit=parent.accepting_unit, priority=parent.priority, assigned_on=parent.assigned_on,
             responsible_position=parent.responsible_position)
        for unit in units.order_by("kind", "code")
    ]
    Task.objects.bulk_create(children, batch_size=500)
    record("task.fan_out", actor=actor, object_type="Task", object_key=parent.code, after={"children": len(children)})
    emit(TaskChanged(task=parent.code, change="fan_out"), units=[c.lead_unit.code for c in children])
    return list(Task.objects.filter(parent=parent).select_related("lead_unit"))


def create_occurrences(task: Task, through: datetime.date, actor: Any = None) -> list[Task]:
    """Give a recurring task one sub-task per period (code `<task>@<period>`), from its start through the
    period holding `through`; existing occurrences are kept, so running it again adds only new periods."""
    if not task.recurrence or not task.deadline_text:
        return []
    deadline = parse_deadline(task.deadline_text, reference=task.assigned_on)
    if deadline.recurrence is None:
        return []
    last_day = period_of(PeriodType(deadline.recurrence.value), through).end
    due_dates = occurrences(deadline, task.starts or task.assigned_on, last_day)
    existing = set(Task.objects.filter(parent=task).exclude(period="").values_list("period", flat=True))
    new = [
        Task(code=f"{task.code}@{period}", title=task.title, content=task.content, directive=task.directive,
             parent=task, lead_unit=task.lead_unit, assigned_unit=task.assigned_unit, deadline_text=task.deadline_text,
             deadline=due, original_deadline=due, period=period, product_kind=task.product_kind,
             product=task.product, accepting_authority=task.accepting_authority, accepting_unit=task.accepting_unit,
             priority=task.priority, assigned_on=task.assigned_on, responsible_position=task.responsible_position,
             responsible_name=task.responsible_name)
        for period, due in due_dates if period not in existing
    ]
    Task.objects.bulk_create(new, batch_size=500)
    if new:
        record("task.occurrences", actor=actor, object_type="Task", object_key=task.code,
               after={"periods": [t.period for t in new]})
        emit(TaskChanged(task=task.code, change="occurrences"),
             units=[task.lead_unit.code] if task.lead_unit_id else [])
    return new


def roll_recurring_tasks(through: datetime.date | None = None) -> int:
    """Create the occurrences that have come due since the last run, for every recurring task (idempotent);
    `govkpi tasks roll` runs it, daily from a timer."""
    through = through or timezone.localdate()
    leaves = Task.objects.exclude(recurrence="").filter(period="").exclude(
        assignees__in=[a for a in _FAN_OUT_KINDS]).select_related("lead_unit", "directive")
    return sum(len(create_occurrences(task, through)) for task in leaves)


def rolled_up_progress(task: Task) -> int:
    """A parent's progress: the average of its sub-tasks' (its own when it has none)."""
    values = list(task.children.values_list("progress", flat=True))
    return round(sum(values) / len(values)) if values else task.progress


def _check_files(files: Sequence[Any]) -> None:
    for upload in files:
        try:
            evidence.check_upload(upload)
        except evidence.EvidenceRefused as error:
            raise TaskRuleError("evidence_refused", error.message_vi, error.message_en) from None


@transaction.atomic
def report_progress(task: Task, actor: Any, *, percent: int | None = None, narrative: str = "",
                    evidence_url: str = "", stage: str | None = None, files: Sequence[Any] = ()) -> TaskEvent:
    """Record a progress report from the lead unit: percent, narrative, evidence (links and files), and a stage
    change to in progress."""
    _require_lead(actor, task)
    _check_files(files)
    evidence_url = web_link(evidence_url)
    if percent is not None and not 0 <= percent <= 100:
        raise TaskRuleError("percent_out_of_range", "Tiến độ phải từ 0 đến 100%.", "Progress must be 0–100%.")
    if stage not in (None, Stage.IN_PROGRESS, Stage.NOT_STARTED):
        raise TaskRuleError("stage_needs_decision", "Hoàn thành, tạm dừng hay hủy bỏ cần cơ quan giao quyết định.",
                            "Done, paused or cancelled needs the assigner's decision.")
    before = {"progress": task.progress, "stage": task.stage}
    if percent is not None:
        task.progress = percent
    if (stage and stage != task.stage) or (percent and task.stage == Stage.NOT_STARTED):
        task.stage = stage or Stage.IN_PROGRESS
        task.stage_since = timezone.localdate()
    task.save()
    event = _event(task, actor, "progress", percent=percent, narrative=narrative, evidence_url=evidence_url,
                   stage=task.stage if task.stage != before["stage"] else "")
    stored = [evidence.store(task, upload, actor, event) for upload in files]
    record("task.progress", actor=actor, object_type="Task", object_key=task.code,
           unit=task.lead_unit.code if task.lead_unit else "", before=before,
           after={"progress": task.progress, "stage": task.stage, "narrative": narrative, "evidence": evidence_url,
                  "files": [{"name": e.name, "sha256": e.sha256} for e in stored]})
    return event


@transaction.atomic
def submit_product(task: Task, actor: Any, product_url: str = "", narrative: str = "",
                   file: Any = None) -> TaskEvent:
    """The lead unit hands in the product (a file or link); the task is done only when it is accepted."""
    _require_lead(actor, task)
    product_url = web_link(product_url)  # an uploaded product's own path (below) is ours, not checked
    if file is not None:
        _check_files([file])
        stored = evidence.store(task, file, actor)
        product_url = f"/tasks/{task.code}/evidence/{stored.pk}"
    if not product_url.strip():
        raise TaskRuleError("product_required", "Cần sản phẩm (tệp hoặc liên kết) để báo hoàn thành.",
                            "A product (file or link) is needed to report the task done.")
    task.product_url = product_url.strip()
    task.save(update_fields=["product_url", "updated_at"])
    record("task.product_submitted", actor=actor, object_type="Task", object_key=task.code,
           after={"product_url": task.product_url})
    return _event(task, actor, "product_submitted", evidence_url=task.product_url, narrative=narrative)


@transaction.atomic
def accept_product(task: Task, actor: Any) -> TaskEvent:
    """The accepting authority confirms the product: the task is done (on time or late, by the clock)."""
    _require_assigner(actor, task)
    if not task.product_url:
        raise TaskRuleError("product_required", "Chưa có sản phẩm để nghiệm thu.", "There is no product to accept.")
    task.stage, task.stage_since, task.progress = Stage.DONE, timezone.localdate(), 100
    task.accepted_at, task.accepted_by = timezone.now(), _actor_name(actor)
    task.save()
    record("task.accepted", actor=actor, object_type="Task", object_key=task.code,
           after={"product_url": task.product_url, "accepted_on": task.stage_since})
    return _event(task, actor, "stage", stage=Stage.DONE, narrative="Nghiệm thu sản phẩm / product accepted")


@transaction.atomic
def request_deadline_change(task: Task, actor: Any, deadline_text: str, reason: str) -> DeadlineChange:
    """The lead unit asks for an extension; the assigner decides."""
    _require_lead(actor, task)
    if not reason.strip():
        raise TaskRuleError("reason_required", "Cần nêu lý do.", "A reason is required.")
    due, _recurrence, _starts = read_deadline(deadline_text, timezone.localdate(), accept_undated=False)
    change = DeadlineChange.objects.create(task=task, deadline_text=deadline_text, deadline=due,
                                           previous_deadline=task.deadline, reason=reason,
                                           requested_by=_actor_name(actor), requested_at=timezone.now())
    _event(task, actor, "extension_requested", narrative=reason, data={"deadline": str(due)})
    record("task.extension_requested", actor=actor, object_type="Task", object_key=task.code,
           after={"deadline_text": deadline_text, "deadline": due, "reason": reason})
    return change


@transaction.atomic
def decide_deadline_change(change: DeadlineChange, actor: Any, approve: bool) -> DeadlineChange:
    """The assigner approves (the new deadline holds from today; the old one is kept) or refuses."""
    task = change.task
    _require_assigner(actor, task)
    if change.approved is not None:
        raise TaskRuleError("already_decided", "Đề nghị này đã được quyết định.", "This request is already decided.")
    change.approved, change.decided_by, change.decided_on = approve, _actor_name(actor), timezone.localdate()
    change.save()
    if approve:
        task.deadline, task.deadline_text = change.deadline, change.deadline_text
        task.save(update_fields=["deadline", "deadline_text", "updated_at"])
    _event(task, actor, "extension_decided", data={"approved": approve, "deadline": str(change.deadline)})
    record("task.extension_decided", actor=actor, object_type="Task", object_key=task.code,
           before={"deadline": change.previous_deadline}, after={"deadline": task.deadline, "approved": approve})
    return change


@transaction.atomic
def set_stage_by_assigner(task: Task, actor: Any, stage: str, reason: str) -> TaskEvent:
    """Pause, cancel or resume a task: the assigner's decision, with a reason."""
    _require_assigner(actor, task)
    if stage not in (Stage.PAUSED, Stage.CANCELLED, Stage.IN_PROGRESS):
        raise TaskRuleError("invalid_stage", "Chỉ tạm dừng, hủy bỏ hoặc tiếp tục.", "Only pause, cancel or resume.")
    if not reason.strip():
        raise TaskRuleError("reason_required", "Cần nêu lý do.", "A reason is required.")
    before = task.stage
    task.stage, task.stage_since = stage, timezone.localdate()
    task.save(update_fields=["stage", "stage_since", "updated_at"])
    record("task.stage", actor=actor, object_type="Task", object_key=task.code, before={"stage": before},
           after={"stage": stage, "reason": reason})
    return _event(task, actor, "stage", stage=stage, narrative=reason)


def directive_code(code: str) -> str:
    """A new directive's code, stripped; else TaskRuleError. Its tasks' codes start with it, so the rules of
    task codes hold for it too (no "/", no blank)."""
    try:
        return task_code(code)
    except TaskRuleError as error:
        raise TaskRuleError("directive_code_invalid", error.message_vi.replace("Mã nhiệm vụ", "Mã văn bản"),
                            error.message_en.replace("The task code", "The directive code")) from None


@transaction.atomic
def create_directive(*, actor: Any, kind: str, issued_on: datetime.date, issuing_body: OrgUnit, title: str,
                     number: str = "", code: str = "", **fields: Any) -> Directive:
    """Record a directive issued by a unit; the actor must manage tasks there (its tasks are theirs to give).
    With no code, one is made from the issuer, the year and a sequence ("BCA-2026-1")."""
    if actor is not None and not can(actor, Action.MANAGE_TASKS, issuing_body):
        raise PermissionDenied(f"Chỉ cán bộ quản lý nhiệm vụ của {issuing_body.name} được ghi văn bản do đơn vị "
                               f"này ban hành. / Only task managers of {issuing_body.code} may record its directives.")
    if not title.strip():
        raise TaskRuleError("title_required", "Cần nêu trích yếu văn bản.", "The directive needs a title.")
    code = directive_code(code) if code.strip() else ""
    if code and Directive.objects.filter(code=code).exists():
        raise TaskRuleError("directive_exists", f"Đã có văn bản mã «{code}».", f"A directive «{code}» exists.")
    prefix = f"{issuing_body.code}-{issued_on:%Y}-"
    for _attempt in range(CODE_ATTEMPTS):
        taken = [c[len(prefix):] for c in Directive.objects.filter(code__startswith=prefix).values_list(
            "code", flat=True)]
        candidate = code or prefix + str(max((int(t) for t in taken if t.isascii() and t.isdigit()), default=0) + 1)
        try:
            with transaction.atomic():
                directive = Directive.objects.create(code=candidate, kind=kind, issued_on=issued_on,
                                                     issuing_body=issuing_body, title=title.strip(),
                                                     number=number.strip(), **fields)
            break
        except IntegrityError:
            if code:
                raise TaskRuleError("directive_exists", f"Đã có văn bản mã «{code}».",
                                    f"A directive «{code}» exists.") from None
    else:
        raise TaskRuleError("code_busy", "Chưa cấp được mã văn bản, hãy thử lại.", "No code could be given; retry.")
    record("directive.create", actor=actor, object_type="Directive", object_key=directive.code,
           unit=issuing_body.code, after={"kind": kind, "number": directive.number, "issued_on": issued_on,
                                          "title": directive.title})
    return directive


EDITABLE = ("title", "content", "responsible_position", "responsible_name", "product_kind", "product",
            "accepting_authority", "priority")


@transaction.atomic
def edit_task(task: Task, actor: Any, *, deadline_text: str | None = None,
              coordinating: list[OrgUnit] | None = None, **changes: Any) -> TaskEvent | None:
    """The assigner corrects a task's assignment (what, who is responsible, product, authority, deadline
    words, coordinating units); returns the timeline event, or None when nothing changed.

    Corrected deadline words replace the deadline as assigned (an extension, asked by the lead unit, is
    `request_deadline_change`); a task's recurrence cannot be changed here, its occurrences exist."""
    _require_may_assign(actor, task.directive if task.directive_id else None)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in changes.items():
        if getattr(task, name) != value:
            before[name], after[name] = getattr(task, name), value
            setattr(task, name, value)
    if "title" in after and not str(after["title"]).strip():
        raise TaskRuleError("title_required", "Cần nêu nhiệm vụ.", "The task needs a title.")
    if deadline_text is not None and deadline_text != task.deadline_text:
        due, recurrence, starts = read_deadline(deadline_text, task.assigned_on) if deadline_text.strip() \
            else (None, "", None)
        if (recurrence or "") != task.recurrence:
            raise TaskRuleError("recurrence_fixed", "Không đổi được chu kỳ của nhiệm vụ định kỳ; hãy giao nhiệm vụ "
                                "mới.", "A task's recurrence cannot be changed; give a new task.")
        before.update(deadline_text=task.deadline_text, deadline=task.deadline)
        after.update(deadline_text=deadline_text, deadline=due)
        task.deadline_text, task.deadline, task.starts = deadline_text, due, starts
        if not task.deadline_changes.filter(approved=True).exists():
            task.original_deadline = due  # still the deadline as assigned
    if coordinating is not None:
        old = sorted(task.coordinating_units.values_list("code", flat=True))
        new = sorted({u.code for u in coordinating})
        if old != new:
            before["coordinating"], after["coordinating"] = old, new
            task.coordinating_units.set(coordinating)
    if not after:
        return None
    task.save()
    record("task.edit", actor=actor, object_type="Task", object_key=task.code,
           unit=task.lead_unit.code if task.lead_unit_id else "", before=before, after=after)
    return _event(task, actor, "edited", data={"fields": sorted(after)})


@transaction.atomic
def reassign_lead(task: Task, actor: Any, lead: OrgUnit, reason: str) -> TaskEvent:
    """The assigner gives the task to another lead unit, with a reason; occurrences not yet done follow it.
    A fanned-out task is given to many units and has no single lead to move (its parts do)."""
    _require_may_assign(actor, task.directive if task.directive_id else None)
    if task.assignees in _FAN_OUT_KINDS:
        raise TaskRuleError("fan_out_has_no_lead", "Nhiệm vụ giao cho nhiều đơn vị: hãy chuyển từng phần.",
                            "A task given to many units has no single lead: reassign its parts.")
    if not reason.strip():
        raise TaskRuleError("reason_required", "Cần nêu lý do.", "A reason is required.")
    if task.lead_unit_id == lead.pk:
        raise TaskRuleError("same_lead", f"{lead.name} đã là cơ quan chủ trì.", f"{lead.code} already leads it.")
    previous = task.lead_unit
    task.lead_unit = task.assigned_unit = lead
    task.save(update_fields=["lead_unit", "assigned_unit", "updated_at"])
    task.coordinating_units.remove(lead)
    task.children.exclude(period="").exclude(stage__in=[Stage.DONE, Stage.CANCELLED]).update(
        lead_unit=lead, assigned_unit=lead)
    record("task.reassign", actor=actor, object_type="Task", object_key=task.code, unit=lead.code,
           before={"lead": previous.code if previous else None}, after={"lead": lead.code, "reason": reason})
    return _event(task, actor, "reassigned", narrative=reason,
                  data={"from": previous.code if previous else None, "to": lead.code})
