"""Tasks counted as the Government reports them ("N nhiệm vụ chậm tiến độ thuộc trách nhiệm của M bộ, ngành").

Two counts, always named when shown (docs/tasks.md, "Counting"):

- **per original task** (theo nhiệm vụ gốc, the official count): a task given to "all ministries and localities"
  is ONE task with N assignees. Each assignee's part is tracked on its own and rolls up: the task is behind
  schedule (chậm tiến độ) on a day when any of its parts is overdue then. Per agency, each holder of an overdue
  part counts the task once, so the agencies' lines add up to more than the total when a fan-out is late at
  several of them; M is the number of agencies holding at least one overdue part.
- **per assignment** (theo lượt giao): every part counts, as the board lists them.

Recurring tasks ("hằng tháng") are never in the task count: their occurrences are counted apart, as "K lượt
định kỳ quá hạn". Tiers come from the holder's kind: the Government and the ministries and ministry-level
agencies (bộ, ngành), the provinces (tỉnh, thành phố), the communes (xã, phường, đặc khu). A tier filter keeps
only the parts that tier holds (a fan-out late only at provinces is not late in the ministries' view).

The functions below are pure (dated facts in, counts out); `originals_from_db` reads the facts in three queries.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from govkpi.core.task_status import State, TaskFacts, days_overdue, state_on


class Tier(str, Enum):
    MINISTRIES = "ministries"
    PROVINCES = "provinces"
    COMMUNES = "communes"


TIER_OF_KIND = {"government": Tier.MINISTRIES, "ministry": Tier.MINISTRIES, "province": Tier.PROVINCES,
                "commune": Tier.COMMUNES}


class CountBasis(str, Enum):
    ORIGINAL = "original"  # one per task the directive gave (the official count)
    ASSIGNMENT = "assignment"  # one per assignee's part


@dataclass(frozen=True)
class Holder:
    """The unit answerable for a part (its lead unit today)."""

    code: str
    name: str
    kind: str

    @property
    def tier(self) -> Tier | None:
        return TIER_OF_KIND.get(self.kind)


@dataclass(frozen=True)
class Part:
    """One assignee's part of an original task (the task itself when it was given to one unit)."""

    code: str
    holder: Holder | None
    facts: TaskFacts
    occurrences: Sequence[tuple[str, TaskFacts]] = ()  # (code, facts) of a recurring part's periods


@dataclass(frozen=True)
class Original:
    """A task as the directive gave it, with its parts."""

    code: str
    title: str
    parts: Sequence[Part]
    recurring: bool = False


@dataclass
class AgencyCount:
    """One agency's lines on the day."""

    holder: Holder
    tasks: int = 0  # original tasks it holds a part of
    late: int = 0  # original tasks in which its part is overdue
    late_parts: int = 0  # its overdue parts (equal to `late` unless one task was given to it twice)
    recurring: int = 0  # recurring tasks it holds a part of
    late_occurrences: int = 0


@dataclass
class TierCount:
    tasks: int = 0
    late: int = 0
    agencies: int = 0
    late_parts: int = 0
    late_occurrences: int = 0


@dataclass
class Count:
    """The counts on one day, for one tier or all."""

    day: datetime.date
    tier: Tier | None
    tasks: int = 0  # original (non-recurring) tasks assigned by the day
    late: int = 0  # of which behind schedule
    late_agencies: int = 0  # agencies holding at least one overdue part
    late_parts: int = 0  # overdue parts (the per-assignment count)
    late_unheld: int = 0  # late tasks with an overdue part no agency holds (no lead unit named)
    states: Counter = field(default_factory=Counter)  # rolled-up state of each original task
    recurring: int = 0  # recurring tasks assigned by the day
    occurrences_due: int = 0  # their occurrences whose deadline has passed or that are done
    late_occurrences: int = 0
    late_occurrence_agencies: int = 0
    agencies: list[AgencyCount] = field(default_factory=list)  # most overdue first
    tiers: dict[Tier, TierCount] = field(default_factory=dict)
    late_codes: list[str] = field(default_factory=list)

    def headline(self, basis: CountBasis = CountBasis.ORIGINAL) -> int:
        return self.late if basis is CountBasis.ORIGINAL else self.late_parts


_FINISHED = {State.DONE_ON_TIME, State.DONE_LATE, State.CANCELLED}


def rolled_up(states: Iterable[State]) -> State:
    """Return an original task's state from its parts' states on the same day.

    Overdue if any part is; done when every part is done or cancelled (late if any was done late; cancelled when
    all were); paused when every unfinished part is paused; in progress once any part started or finished."""
    states = [s for s in states if s is not State.NOT_YET_ASSIGNED]
    if not states:
        return State.NOT_YET_ASSIGNED
    if State.OVERDUE in states:
        return State.OVERDUE
    if all(s is State.CANCELLED for s in states):
        return State.CANCELLED
    if all(s in _FINISHED for s in states):
        return State.DONE_LATE if State.DONE_LATE in states else State.DONE_ON_TIME
    open_states = [s for s in states if s not in _FINISHED]
    if all(s is State.PAUSED for s in open_states):
        return State.PAUSED
    if any(s in (State.IN_PROGRESS, State.DONE_ON_TIME, State.DONE_LATE) for s in states):
        return State.IN_PROGRESS
    return State.NOT_STARTED


def _in_tier(part: Part, tier: Tier | None) -> bool:
    return tier is None or (part.holder is not None and part.holder.tier is tier)


def count_tasks(originals: Iterable[Original], day: datetime.date, tier: Tier | None = None) -> Count:
    """Return the counts on the day, per original task, per agency and per tier (see the module's docstring)."""
    count = Count(day=day, tier=tier)
    agencies: dict[str, AgencyCount] = {}
    tiers: dict[Tier, TierCount] = defaultdict(TierCount)
    tier_holders: dict[Tier, set[str]] = defaultdict(set)
    occurrence_holders: set[str] = set()

    def agency(holder: Holder) -> AgencyCount:
        return agencies.setdefault(holder.code, AgencyCount(holder))

    for original in originals:
        parts = [p for p in original.parts if _in_tier(p, tier)
                 and state_on(p.facts, day) is not State.NOT_YET_ASSIGNED]
        if not parts:
            continue
        if original.recurring:
            count.recurring += 1
            for part in parts:
                late = _count_occurrences(part, day, count)
                if part.holder is not None:
                    line = agency(part.holder)
                    line.recurring += 1
                    line.late_occurrences += late
                    if late:
                        occurrence_holders.add(part.holder.code)
                        if part.holder.tier:
                            tiers[part.holder.tier].late_occurrences += late
            continue
        states = {p.code: state_on(p.facts, day) for p in parts}
        state = rolled_up(states.values())
        count.tasks += 1
        count.states[state] += 1
        seen_tiers: set[Tier] = set()
        late_tiers: set[Tier] = set()
        for part in parts:
            part_late = states[part.code] is State.OVERDUE
            count.late_parts += part_late
            if part.holder is None:
                continue
            line = agency(part.holder)
            line.tasks += 1
            line.late_parts += part_late
            if part.holder.tier:
                seen_tiers.add(part.holder.tier)
                tiers[part.holder.tier].late_parts += part_late
                if part_late:
                    late_tiers.add(part.holder.tier)
                    tier_holders[part.holder.tier].add(part.holder.code)
        if state is State.OVERDUE:
            count.late += 1
            count.late_codes.append(original.code)
            if any(p.holder is None and states[p.code] is State.OVERDUE for p in parts):
                count.late_unheld += 1
            for holder_code in {p.holder.code for p in parts if p.holder and states[p.code] is State.OVERDUE}:
                agencies[holder_code].late += 1
        for t in seen_tiers:
            tiers[t].tasks += 1
        for t in late_tiers:
            tiers[t].late += 1
    for t, holders in tier_holders.items():
        tiers[t].agencies = len(holders)
    count.agencies = sorted(agencies.values(), key=lambda a: (-a.late, -a.late_occurrences, a.holder.code))
    count.late_agencies = sum(1 for a in agencies.values() if a.late)
    count.late_occurrence_agencies = len(occurrence_holders)
    count.tiers = {t: tiers[t] for t in Tier if t in tiers and (tier is None or t is tier)}
    return count


def _count_occurrences(part: Part, day: datetime.date, count: Count) -> int:
    """Add a recurring part's occurrences to the count; return how many are overdue on the day."""
    late = 0
    for _code, facts in part.occurrences:
        state = state_on(facts, day)
        if state is State.OVERDUE:
            late += 1
        if state is State.OVERDUE or state in _FINISHED:
            count.occurrences_due += 1
    count.late_occurrences += late
    return late


def overdue_days(part: Part, day: datetime.date) -> int:
    """How many days past its deadline a part is on the day (0 when it is not overdue)."""
    return days_overdue(part.facts, day)


# -- reading the facts ------------------------------------------------------------------------------------------

def originals_from_db(tasks: Iterable[object] | None = None) -> list[Original]:
    """Return every original task with its parts and occurrences, from the database (three queries for the
    facts, one for the tasks). `tasks`: the rows to use (Task objects with lead_unit loaded), default all."""
    from govkpi.tasks.figures import facts_for
    from govkpi.tasks.models import Task

    rows = list(tasks if tasks is not None else Task.objects.select_related("lead_unit").only(
        "id", "code", "title", "parent_id", "period", "recurrence", "assigned_on", "original_deadline",
        "lead_unit__code", "lead_unit__name", "lead_unit__kind"))
    facts = facts_for(rows)
    children: dict[int, list] = defaultdict(list)
    for row in rows:
        if row.parent_id:
            children[row.parent_id].append(row)

    def holder(row: Task) -> Holder | None:
        unit = row.lead_unit if row.lead_unit_id else None
        return Holder(unit.code, unit.name, unit.kind) if unit else None

    def part(row: Task) -> Part:
        occurrences = sorted((c for c in children[row.pk] if c.period), key=lambda c: c.period)
        return Part(row.code, holder(row), facts[row.pk], [(c.code, facts[c.pk]) for c in occurrences])

    originals = []
    for row in rows:
        if row.parent_id or row.period:
            continue
        fanned = sorted((c for c in children[row.pk] if not c.period), key=lambda c: c.code)
        parts = [part(c) for c in fanned] or [part(row)]
        originals.append(Original(row.code, row.title, parts, recurring=bool(row.recurrence)))
    return sorted(originals, key=lambda o: o.code)


# -- the board: one line per assignment --------------------------------------------------------------------------

@dataclass(frozen=True)
class AssignmentSummary:
    """What the board's header says of the rows it lists (each an assignment or an occurrence)."""

    rows: int = 0
    overdue: int = 0  # overdue rows, occurrences included
    overdue_occurrences: int = 0
    agencies: int = 0  # lead units holding at least one overdue row
    unheld: int = 0  # overdue rows with no lead unit named


def summarise_assignments(rows: Iterable[tuple[str | None, bool, State]]) -> AssignmentSummary:
    """Return the board's header from the rows it lists: (lead unit code or None, is an occurrence, state)."""
    total = overdue = occurrences = unheld = 0
    holders: set[str] = set()
    for lead, occurrence, state in rows:
        total += 1
        if state is not State.OVERDUE:
            continue
        overdue += 1
        occurrences += occurrence
        if lead is None:
            unheld += 1
        else:
            holders.add(lead)
    return AssignmentSummary(total, overdue, occurrences, len(holders), unheld)
