"""What a meeting brief holds, as plain data: built by `assemble`, written out by each renderer."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scope:
    code: str
    name: str
    name_en: str
    kind: str
    national: bool


@dataclass
class CitedFigure:
    """A figure the Government published, with the meeting or document it was published in."""

    value: float
    period: str
    source: str
    subset: str = ""


@dataclass
class ProvisionalFigure:
    """A figure of a period still being reported (shown only to readers of the unit, marked provisional)."""

    period: str
    value: float | None
    status: str
    due: datetime.date


@dataclass
class Headline:
    code: str
    name_vi: str
    name_en: str
    uom: str
    decimals: int
    period: str  # the official period judged ("" when none is official yet)
    value: float | None
    target: float | None
    deadline: datetime.date | None
    achievement: float | None
    status: str
    forecast: float | None
    forecast_low: float | None
    forecast_high: float | None
    demo: bool
    provisional: ProvisionalFigure | None = None
    figures: list[CitedFigure] = field(default_factory=list)


@dataclass
class UnitBehind:
    code: str
    name: str
    kind: str
    off_track: int
    judged: int
    worst_code: str
    worst_name: str
    worst_achievement: float | None
    demo: bool


@dataclass
class TaskLine:
    agency_code: str
    agency_name: str
    code: str
    title: str
    deadline: datetime.date | None
    state: str  # overdue | due_soon
    days: int  # days overdue, or days left
    progress: int
    demo: bool


@dataclass
class ProblemLine:
    """A problem raised from below still waiting at the moment: for an answer (open) or for its clearing (answered)."""

    acting_code: str
    acting_name: str
    raising_name: str
    kind: str  # vuong_mac | kien_nghi | diem_nghen
    title: str
    task_code: str
    raised_on: datetime.date
    answer_due: datetime.date
    state: str  # open | answered
    days_overdue: int  # days past the answer day, when still open


@dataclass
class RankChange:
    group: str
    code: str
    name: str
    rank: int | None
    previous_rank: int | None
    change: int
    value: float | None
    deltas: dict[str, float]  # component → change of its contribution, in points, largest first
    link: str
    demo: bool


@dataclass
class QualityLine:
    group: str
    code: str
    name: str
    expected: int | None
    received: int | None
    du: float | None
    song: float | None
    sach: float | None
    dung: float | None
    score: float | None
    demo: bool


@dataclass
class Verdict:
    """A unit to commend or to call out, with what the methodology's score says and where it is explained."""

    group: str
    code: str
    name: str
    rank: int | None
    size: int
    value: float | None
    component: str  # the strongest component (commend) or the weakest (call out)
    part: float | None
    link: str
    demo: bool


@dataclass
class Brief:
    scope: Scope
    period: str
    period_vi: str
    period_en: str
    month: str  # the month scores and rankings are read for (the period's last month)
    as_of: datetime.datetime
    official: bool  # the month's figures were official at `as_of`
    headlines: list[Headline] = field(default_factory=list)
    behind: list[UnitBehind] = field(default_factory=list)
    tasks: list[TaskLine] = field(default_factory=list)
    soon_days: int = 0
    problems: list[ProblemLine] = field(default_factory=list)
    rank_changes: list[RankChange] = field(default_factory=list)
    quality: list[QualityLine] = field(default_factory=list)
    commend: list[Verdict] = field(default_factory=list)
    call_out: list[Verdict] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)  # group key → province name (communes' groups)
    # The scope unit's own standing in its peer group (a ministry, a province): rank, group size, score and the
    # change of rank since the month before; None nationally or when it has no score that month.
    standing: tuple[int | None, int, float | None, int | None] | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)  # (Vietnamese, English)

    @property
    def demo(self) -> bool:
        """True when any figure shown is built on synthetic demonstration values."""
        rows = [*self.headlines, *self.behind, *self.tasks, *self.rank_changes, *self.quality, *self.commend,
                *self.call_out]
        return any(r.demo for r in rows) or any(h.provisional is not None and h.demo for h in self.headlines)

    @property
    def overdue(self) -> list[TaskLine]:
        return [t for t in self.tasks if t.state == "overdue"]

    @property
    def due_soon(self) -> list[TaskLine]:
        return [t for t in self.tasks if t.state == "due_soon"]

    def quality_mean(self) -> float | None:
        scores = [q.score for q in self.quality if q.score is not None]
        return sum(scores) / len(scores) if scores else None

    def quality_short(self) -> int:
        return sum(1 for q in self.quality if q.expected and (q.received or 0) < q.expected)
