"""Tasks: due in 7, 3 and 1 days, overdue, and escalated to the assigning authority after some days overdue.

Days are Asia/Ho_Chi_Minh calendar days and states come from the task's dated facts (core.task_status), as on
every page: a task is overdue from the day after its deadline, done only once accepted. Only the tasks someone
answers for are reminded: a fanned-out task's parts, a recurring task's occurrences, never their parents.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from govkpi.accounts.roles import Action
from govkpi.core.task_status import State, TaskFacts, deadline_on, state_on
from govkpi.notify.kinds import Kind
from govkpi.notify.outbox import Message
from govkpi.reminders.people import Nearest
from govkpi.reminders.sending import already_sent, send_all, task_link, vn_date
from govkpi.tasks.actions import assigner_unit
from govkpi.tasks.figures import facts_for
from govkpi.tasks.models import Stage, Task

OPEN = (State.NOT_STARTED, State.IN_PROGRESS, State.OVERDUE)
# An overdue alert or an escalation missed for longer than this (the worker stopped for a month, or the
# reminders installed on a database of tasks overdue since last year) is no longer sent: it would not be news.
CATCH_UP_DAYS = 30


@dataclass(frozen=True)
class Planned:
    """One reminder a task calls for today, before its recipients are looked up."""

    rule: str  # due | overdue | escalated
    task: Task
    deadline: datetime.date
    days: int  # days left (due) or days overdue (overdue, escalated)
    threshold: int | None = None  # the reminder day it answers for (due): one of REMIND_TASK_DAYS

    @property
    def key(self) -> str:
        if self.rule == "due":
            return f"task-due:{self.task.code}:{self.deadline.isoformat()}:{self.threshold}"
        return f"task-{self.rule}:{self.task.code}:{self.deadline.isoformat()}"


def answerable_tasks(today: datetime.date, horizon: datetime.date) -> list[Task]:
    """Tasks with no parts of their own, given by today, not reported done or cancelled, whose deadline (in force
    or original) falls by the horizon; the state proper is read from their facts."""
    return list(Task.objects.filter(children__isnull=True, lead_unit__isnull=False, assigned_on__lte=today)
                .filter(Q(deadline__lte=horizon) | Q(original_deadline__lte=horizon))
                .exclude(stage__in=[Stage.DONE, Stage.CANCELLED])
                .select_related("lead_unit", "directive__issuing_body").order_by("code"))


def plan(task: Task, facts: TaskFacts, today: datetime.date, days: list[int]) -> Iterator[Planned]:
    """The reminders one task calls for today: at most one "due" (the nearest reminder day not yet passed, so a
    scan that missed the 3-day mark sends it on the second day), or overdue and, late enough, escalated (each
    within CATCH_UP_DAYS of the day it fell due)."""
    state, due = state_on(facts, today), deadline_on(facts, today)
    if due is None or state not in OPEN:
        return
    left = (due - today).days
    if state is State.OVERDUE:
        late, escalate = -left, settings.ESCALATE_AFTER_DAYS
        if late <= CATCH_UP_DAYS:
            yield Planned("overdue", task, due, late)
        if escalate <= late <= escalate + CATCH_UP_DAYS:
            yield Planned("escalated", task, due, late)
        return
    threshold = min((d for d in days if d >= left), default=None)
    if threshold is not None:
        yield Planned("due", task, due, left, threshold)


def message(item: Planned) -> Message:
    task, lead = item.task, item.task.lead_unit
    when_vi, when_en = vn_date(item.deadline), f"{item.deadline:%d/%m/%Y}"
    body_vi = f"{task.title}\nCơ quan chủ trì: {lead.name}. Thời hạn: {task.deadline_text or when_vi} ({when_vi})."
    body_en = f"{task.title}\nLead unit: {lead.name_en or lead.name}. Deadline: {when_en}."
    if task.demo_status:  # its stage was made up for a demonstration: said so, as on every page
        body_vi, body_en = body_vi + "\n(Tình trạng minh họa.)", body_en + "\n(Demonstration status.)"
    data = {"task": task.code, "deadline": item.deadline.isoformat(), "rule": item.rule, "days": item.days,
            "lead_unit": lead.code, "demo": task.demo_status}
    if item.rule == "due":
        data["threshold"] = item.threshold
        if item.days:
            title_vi = f"Nhiệm vụ {task.code} còn {item.days} ngày đến hạn ({when_vi})"
            title_en = f"Task {task.code} is due in {item.days} day{'s' if item.days > 1 else ''} ({when_en})"
        else:
            title_vi, title_en = f"Nhiệm vụ {task.code} đến hạn hôm nay ({when_vi})", f"Task {task.code} is due today"
        return Message(Kind.TASK_DUE, item.key, title_vi, title_en, body_vi, body_en, task_link(task.code), lead, data)
    if item.rule == "overdue":
        return Message(Kind.TASK_OVERDUE, item.key, f"Nhiệm vụ {task.code} đã quá hạn ({when_vi})",
                       f"Task {task.code} is overdue (deadline {when_en})",
                       f"{body_vi}\nQuá hạn {item.days} ngày.", f"{body_en}\n{item.days} day(s) overdue.",
                       task_link(task.code), lead, data)
    name = lead.short_name or lead.name
    return Message(Kind.TASK_ESCALATED, item.key,
                   f"Nhiệm vụ {task.code} quá hạn {item.days} ngày: {name} chưa hoàn thành",
                   f"Task {task.code} is {item.days} days overdue: {lead.name_en or name} has not completed it",
                   f"{body_vi}\nQuá hạn {item.days} ngày; báo cáo cơ quan giao nhiệm vụ.",
                   f"{body_en}\n{item.days} days overdue; reported to the assigning authority.",
                   task_link(task.code), lead, data)


def task_reminders(now: datetime.datetime) -> int:
    """Send the task reminders due at `now`: to the lead unit's task managers (the nearest unit up with some,
    below the Government), escalations to the assigning authority's. Returns how many notifications were written."""
    today = timezone.localdate(now)
    days = sorted({d for d in settings.REMIND_TASK_DAYS if d >= 0})
    horizon = today + datetime.timedelta(days=max(days, default=0))
    tasks = answerable_tasks(today, horizon)
    facts = facts_for(tasks)
    planned = [item for task in tasks for item in plan(task, facts[task.pk], today, days)]
    sent = already_sent(item.key for item in planned)
    lead_managers, assigners = Nearest(Action.MANAGE_TASKS, below_root=True), Nearest(Action.MANAGE_TASKS)

    def people(item: Planned) -> list[AbstractBaseUser]:
        found = assigners(assigner_unit(item.task)) if item.rule == "escalated" else lead_managers(item.task.lead_unit)
        return found[1]

    return send_all((message(item), people(item)) for item in planned if item.key not in sent)
