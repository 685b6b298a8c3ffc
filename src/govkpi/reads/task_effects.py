"""How the indicators a done task should move did move: the figure before it was accepted and the latest one.

Before is the last official period ending before the day the task was done (accepted; for a task given to many
units, the day its last part was accepted); after is the latest official period ending on or after that day.
Both are read through the read door (`reads.results.series`): the public sees published indicators in official
periods only; a reader of the unit also gets, beside them, a newer provisional figure, marked as such, never
used to judge. The unit is the task's lead unit when the indicator is reported at its tier, else the country
(the Government's figure), as for a task given to "all ministries and localities".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import Enum
from typing import Any

from django.utils import timezone

from govkpi.indicators.models import Indicator
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.reference import GOVERNMENT_CODE
from govkpi.reads.results import series
from govkpi.reads.visibility import Viewer
from govkpi.tasks.models import Stage, Task


class Movement(str, Enum):
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    WORSENED = "worsened"
    NO_BEFORE = "no_before"  # no official figure before the task was done
    NO_AFTER = "no_after"  # no official figure since


NOT_MOVED = {Movement.UNCHANGED, Movement.WORSENED}  # what the list of "done, indicator did not move" shows


@dataclass(frozen=True)
class Point:
    period: str
    period_end: datetime.date
    value: float | None
    official: bool


@dataclass(frozen=True)
class Effect:
    indicator: Indicator
    unit: OrgUnit
    before: Point | None
    after: Point | None
    provisional: Point | None  # newer than `after`, for a reader of the unit only
    movement: Movement


def movement(direction: str, before: float | None, after: float | None) -> Movement:
    """Return how a figure moved, by the indicator's direction. An indicator kept within a band has no better
    side: a change counts as moved, no change as not moved."""
    if before is None:
        return Movement.NO_BEFORE
    if after is None:
        return Movement.NO_AFTER
    if after == before:
        return Movement.UNCHANGED
    if direction == "lower_is_better":
        return Movement.IMPROVED if after < before else Movement.WORSENED
    if direction == "within_band":
        return Movement.IMPROVED
    return Movement.IMPROVED if after > before else Movement.WORSENED


def done_on(task: Task) -> datetime.date | None:
    """The day the task was done: accepted (its own acceptance, or the last of its parts'), None if not done."""
    parts = [c for c in task.children.all() if not c.period]
    if parts:
        days = [_accepted_day(c) for c in parts]
        return None if any(d is None for d in days) else max(d for d in days if d is not None)
    return _accepted_day(task)


def _accepted_day(task: Task) -> datetime.date | None:
    if task.stage != Stage.DONE:
        return None
    return timezone.localdate(task.accepted_at) if task.accepted_at else task.stage_since


def _unit_for(task: Task, indicator: Indicator, government: OrgUnit) -> OrgUnit:
    lead = task.lead_unit if task.lead_unit_id else None
    return lead if lead is not None and lead.kind in (indicator.unit_kinds or []) else government


def effects(viewer: Viewer, task: Task) -> list[Effect]:
    """For a done task, each linked indicator the viewer may read, with its figure before and after ([] when
    the task is not done)."""
    day = done_on(task)
    if day is None:
        return []
    government = OrgUnit.objects.get(code=GOVERNMENT_CODE)
    found = []
    for indicator in viewer.indicators().filter(tasks=task).order_by("code"):
        unit = _unit_for(task, indicator, government)
        points = [Point(r.period, r.period_end, r.value, viewer.calendar.is_official(r.period))
                  for r in series(viewer, indicator, unit)]
        official = [p for p in points if p.official]
        before = next((p for p in reversed(official) if p.period_end < day), None)
        after = next((p for p in reversed(official) if p.period_end >= day), None)
        latest_shown = after or before
        newer = [p for p in points if not p.official and (latest_shown is None or p.period_end > latest_shown.period_end)]
        found.append(Effect(indicator, unit, before, after, newer[-1] if newer else None,
                            movement(indicator.direction, before.value if before else None,
                                     after.value if after else None)))
    return found


def done_tasks_not_moved(viewer: Viewer) -> list[dict[str, Any]]:
    """Done tasks with a linked indicator that did not move or moved the wrong way (official figures), each
    with the effects that say so, most recently done first."""
    tasks = (Task.objects.filter(parent__isnull=True, period="", indicators__isnull=False).distinct()
             .select_related("lead_unit", "directive").prefetch_related("children"))
    listed = []
    for task in tasks:
        found = [e for e in effects(viewer, task) if e.movement in NOT_MOVED]
        if found:
            listed.append({"task": task, "done_on": done_on(task), "effects": found})
    return sorted(listed, key=lambda item: (item["done_on"], item["task"].code), reverse=True)
