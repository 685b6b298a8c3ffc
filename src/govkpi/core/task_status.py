"""A task's state on any date, derived from dated facts: never typed by hand.

Overdue is the clock's verdict: a task not done by the end of its deadline day is overdue from 00:00
the next day (dates are Asia/Ho_Chi_Minh calendar days). Done on time means done on or before the
deadline in force when it was done; an approved extension moves the deadline from the day it was
approved, and both deadlines stay on record. Because every fact carries its date, the state "as of"
any past day is reproducible, and so are per-agency figures such as "75 tasks behind schedule, held
by 9 ministries".
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum


class Stage(str, Enum):
    """What the assignee last reported (a person's statement, unlike overdue)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    PAUSED = "paused"
    CANCELLED = "cancelled"


class State(str, Enum):
    """A task's state on a day: the stage, with the clock applied."""

    NOT_YET_ASSIGNED = "not_yet_assigned"
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    PAUSED = "paused"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class TaskFacts:
    """The dated facts of one task. Lists need not be sorted by day; within a day, in the order they happened."""

    assigned_on: datetime.date
    # (day the deadline took effect, deadline): the first is the original, later ones approved extensions.
    deadlines: Sequence[tuple[datetime.date, datetime.date | None]] = ()
    # (day, stage reported that day); "done" only once accepted by the accepting authority.
    stages: Sequence[tuple[datetime.date, Stage]] = ()
    key: object = None


def deadline_on(facts: TaskFacts, day: datetime.date) -> datetime.date | None:
    """Return the deadline in force on the day (the latest one that took effect by then)."""
    # Same-day changes keep their order: the later one in the list wins.
    in_force = [(since, i, due) for i, (since, due) in enumerate(facts.deadlines) if since <= day]
    return max(in_force, key=lambda t: t[:2])[2] if in_force else None


def stage_on(facts: TaskFacts, day: datetime.date) -> tuple[Stage, datetime.date | None]:
    """Return the last stage reported by the day, and the day it was reported."""
    # Several reports on one day (progress, then acceptance) keep their order: the later one wins.
    reported = [(on, i, stage) for i, (on, stage) in enumerate(facts.stages) if on <= day]
    if not reported:
        return Stage.NOT_STARTED, None
    on, _, stage = max(reported, key=lambda t: t[:2])
    return stage, on


def state_on(facts: TaskFacts, day: datetime.date) -> State:
    """Return the task's state on the day, with overdue derived from the deadline in force."""
    if day < facts.assigned_on:
        return State.NOT_YET_ASSIGNED
    stage, since = stage_on(facts, day)
    if stage is Stage.DONE:
        due = deadline_on(facts, since)  # the deadline in force when it was done
        return State.DONE_LATE if due is not None and since > due else State.DONE_ON_TIME
    if stage is Stage.CANCELLED:
        return State.CANCELLED
    if stage is Stage.PAUSED:
        return State.PAUSED
    due = deadline_on(facts, day)
    if due is not None and day > due:
        return State.OVERDUE
    return State.IN_PROGRESS if stage is Stage.IN_PROGRESS else State.NOT_STARTED


def days_overdue(facts: TaskFacts, day: datetime.date) -> int:
    """Return how many days past its deadline an overdue task is on the day (0 if it is not overdue)."""
    if state_on(facts, day) is not State.OVERDUE:
        return 0
    due = deadline_on(facts, day)
    return (day - due).days if due is not None else 0


@dataclass
class AgencyFigures:
    """Counts for one agency on one day."""

    total: int = 0
    not_started: int = 0
    in_progress: int = 0
    overdue: int = 0
    overdue_days: list[int] = field(default_factory=list)
    done_on_time: int = 0
    done_late: int = 0
    paused: int = 0
    cancelled: int = 0
    due_within_7: int = 0
    due_within_30: int = 0


_COUNTERS = {
    State.NOT_STARTED: "not_started", State.IN_PROGRESS: "in_progress", State.OVERDUE: "overdue",
    State.DONE_ON_TIME: "done_on_time", State.DONE_LATE: "done_late", State.PAUSED: "paused",
    State.CANCELLED: "cancelled",
}


def figures_on(tasks: Iterable[TaskFacts], day: datetime.date) -> AgencyFigures:
    """Return the counts of tasks by state on the day, with days overdue and what falls due soon."""
    figures = AgencyFigures()
    for facts in tasks:
        state = state_on(facts, day)
        if state is State.NOT_YET_ASSIGNED:
            continue
        figures.total += 1
        name = _COUNTERS[state]
        setattr(figures, name, getattr(figures, name) + 1)
        if state is State.OVERDUE:
            figures.overdue_days.append(days_overdue(facts, day))
        if state in (State.NOT_STARTED, State.IN_PROGRESS):
            due = deadline_on(facts, day)
            if due is not None:
                left = (due - day).days
                figures.due_within_7 += 0 <= left <= 7
                figures.due_within_30 += 0 <= left <= 30
    return figures
