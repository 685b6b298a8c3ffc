"""Problems counted per agency, as tasks are: by the agency that must act and by the agency that raised them, as
they stood at a moment (read from each problem's dated events, so a brief made again gives the same counts)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from govkpi.orgunits.models import OrgUnit
from govkpi.problems.models import Problem, ProblemState


@dataclass(frozen=True)
class Standing:
    """A problem as it stood at a moment: its state then, and whether its answer was overdue that day."""

    problem: Problem
    state: str
    overdue: bool  # open past its answer day
    days_overdue: int


def standing(problems: Iterable[Problem], moment: datetime.datetime) -> list[Standing]:
    """The problems raised by `moment`, each with its state then (prefetch "events" for one query)."""
    day = timezone.localdate(moment)
    out = []
    for problem in problems:
        if problem.raised_at > moment:
            continue
        states = [e.state for e in problem.events.all() if e.at <= moment]
        state = states[-1] if states else ProblemState.OPEN
        late = (day - problem.answer_due).days if state == ProblemState.OPEN else 0
        out.append(Standing(problem, state, late > 0, max(late, 0)))
    return out


@dataclass
class AgencyProblems:
    """One agency's problems: all but the withdrawn, waiting for an answer (and of those, past the answer day),
    answered and waiting to be cleared, resolved, turned into tasks."""

    total: int = 0
    open: int = 0
    overdue: int = 0
    answered: int = 0
    resolved: int = 0
    tasked: int = 0

    def add(self, s: Standing) -> None:
        if s.state == ProblemState.WITHDRAWN:
            return
        self.total += 1
        if s.state == ProblemState.OPEN:
            self.open += 1
            self.overdue += s.overdue
        elif s.state == ProblemState.ANSWERED:
            self.answered += 1
        elif s.state == ProblemState.RESOLVED:
            self.resolved += 1
        elif s.state == ProblemState.TASKED:
            self.tasked += 1


SIDES = {"acting": "acting_unit", "raising": "raising_unit"}


def by_agency(standings: Iterable[Standing], side: str) -> list[tuple[OrgUnit, AgencyProblems]]:
    """Counts per agency on one side ("acting" or "raising"), most overdue first, then most open."""
    field = SIDES[side]
    figures: dict[int, AgencyProblems] = defaultdict(AgencyProblems)
    units: dict[int, OrgUnit] = {}
    for s in standings:
        unit = getattr(s.problem, field)
        units[unit.pk] = unit
        figures[unit.pk].add(s)
    rows = [(units[pk], f) for pk, f in figures.items() if f.total]
    return sorted(rows, key=lambda r: (-r[1].overdue, -r[1].open, -r[1].answered, r[0].code))


def totals(standings: Iterable[Standing]) -> AgencyProblems:
    whole = AgencyProblems()
    for s in standings:
        whole.add(s)
    return whole


def all_problems() -> QuerySet[Problem]:
    return Problem.objects.select_related("acting_unit", "raising_unit", "task").prefetch_related("events")
