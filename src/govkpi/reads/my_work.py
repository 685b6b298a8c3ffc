"""A person's "my work" page: the forms they owe, what was returned to them, what waits for their approval, the
tasks of their units, their units' rank and what moved it, and their unread notifications.

Everything is read through the same rules as elsewhere: `can` and `units_where` for whose work it is,
`reads.approvals` for the approval loop, `reads.explain` (official months only) for ranks.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language

from govkpi.accounts.permissions import can, scope_units, units_where
from govkpi.accounts.roles import Action
from govkpi.core.periods import PeriodType, parse_period, period_of
from govkpi.core.task_status import State
from govkpi.datavalues import approval as approval_rule
from govkpi.datavalues.completeness import completeness
from govkpi.notify.models import Notification
from govkpi.orgunits.models import OrgUnit
from govkpi.reads import approvals
from govkpi.reads.explain import Explanation, explain
from govkpi.reads.labels import COMPONENT_LABELS, TASK_STATE_LABELS
from govkpi.reads.task_rows import rows as task_rows
from govkpi.reads.visibility import Viewer
from govkpi.tasks.models import Task

TASKS_SHOWN = 20
RANKED_UNITS = 3  # a person with memberships at many units sees the first few units' ranks
CLOSED_STATES = frozenset({State.DONE_ON_TIME.value, State.DONE_LATE.value, State.CANCELLED.value})


@dataclass(frozen=True)
class FormDue:
    unit: OrgUnit
    period: str
    period_label: str
    state: str  # open | submitted | approved | returned | unlocked
    received: int
    expected: int
    due: datetime.date

    @property
    def submitted(self) -> bool:
        return self.state in ("submitted", "approved")


@dataclass(frozen=True)
class RankMove:
    """A unit's official rank, the month before's, and each component's change of contribution."""

    unit: OrgUnit
    explanation: Explanation
    moves: list[tuple[str, float | None, float | None]]  # (label, contribution now, change since the month before)

    @property
    def score(self) -> Any:
        return self.explanation.score


@dataclass
class MyWork:
    forms: list[FormDue] = field(default_factory=list)
    returned: list[tuple[Any, str]] = field(default_factory=list)
    waiting: int = 0
    tasks: list[dict[str, Any]] = field(default_factory=list)
    tasks_total: int = 0
    overdue: int = 0
    ranks: list[RankMove] = field(default_factory=list)
    unread: int = 0


def open_period(day: datetime.date) -> str:
    """The month units report now: last month (as the data form opens by default)."""
    return period_of(PeriodType.MONTHLY, day).previous().id


def forms_due(user: Any, day: datetime.date) -> list[FormDue]:
    """The units at the top of the user's memberships where they enter data, with the open month's state."""
    period = open_period(day)
    parsed = parse_period(period)
    label = parsed.label_en if get_language() == "en" else parsed.label_vi
    found = []
    for unit in sorted({u.pk: u for u in scope_units(user)}.values(), key=lambda u: u.code):
        if not can(user, Action.ENTER, unit):
            continue
        counted = completeness(unit, period)
        found.append(FormDue(unit, period, label, approval_rule.state_of(unit, period), counted.received,
                             counted.expected, counted.due))
    return found


def my_tasks(user: Any, day: datetime.date, limit: int = TASKS_SHOWN) -> tuple[list[dict[str, Any]], int, int]:
    """Tasks led by units where the user manages tasks: open ones first (overdue first among them, then by
    deadline), at most `limit`; with how many there are and how many are overdue."""
    tasks = list(Task.objects.filter(children__isnull=True)
                 .filter(lead_unit__in=OrgUnit.objects.filter(units_where(user, Action.MANAGE_TASKS)))
                 .select_related("lead_unit", "assigned_unit", "directive", "parent")
                 .prefetch_related("coordinating_units").order_by("deadline", "code"))
    lines = task_rows(tasks, day)
    for line in lines:
        line["status_label"] = TASK_STATE_LABELS.get(line["status"], line["status"])
        line["overdue"] = line["status"] == State.OVERDUE.value
        line["open"] = line["status"] not in CLOSED_STATES
    lines.sort(key=lambda r: (not r["open"], not r["overdue"], r["deadline"] or datetime.date.max, r["code"]))
    return lines[:limit], len(lines), sum(1 for r in lines if r["overdue"])


def rank_moves(user: Any) -> list[RankMove]:
    """The official rank of the user's units (their memberships' units that are ranked), and how each component's
    contribution changed since the month before."""
    viewer = Viewer(user)
    found = []
    for unit in sorted({u.pk: u for u in scope_units(user)}.values(), key=lambda u: u.code):
        now = explain(viewer, unit)
        if now is None or not now.official:
            continue
        before_period = parse_period(now.score.period).previous().id
        before = explain(viewer, unit, before_period) if before_period in now.periods else None
        was = {p["name"]: p.get("contribution") for p in before.parts()} if before and before.official else {}
        moves = []
        for part in now.parts():
            value, old = part.get("contribution"), was.get(part["name"])
            moves.append((str(COMPONENT_LABELS.get(part["name"], part["name"])), value,
                          value - old if value is not None and old is not None else None))
        found.append(RankMove(unit, now, moves))
        if len(found) == RANKED_UNITS:
            break
    return found


def my_work(user: Any, day: datetime.date) -> MyWork:
    """Everything of the "my work" page for the user on the day."""
    tasks, total, overdue = my_tasks(user, day)
    return MyWork(forms=forms_due(user, day), returned=approvals.returned_to(user),
                  waiting=approvals.waiting_count(user), tasks=tasks, tasks_total=total, overdue=overdue,
                  ranks=rank_moves(user),
                  unread=Notification.objects.filter(recipient=user, read_at__isnull=True).count())
