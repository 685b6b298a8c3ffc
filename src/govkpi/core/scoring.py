"""Scoring units: data quality ("đúng, đủ, sạch, sống"), task credit, the composite index and rankings.

Pure functions; each formula is written out with worked examples in docs/methodology.md.

- Quality: four shares of the values a unit owes for a period, each 0–100:
  đủ (complete) = received ÷ expected; sống (alive) = received on time ÷ expected;
  sạch (clean) = received values passing every validation rule and not flagged as an unexplained outlier
  ÷ received; đúng (correct) = received values approved by the parent unit or sent by a source system
  ÷ received. The quality score is their mean over those that are defined.
- Tasks: each task that has fallen due (or is done) earns a credit between 0 and 1 — done on time 1; done
  late max(½, 1 − days late ÷ 180); still open and overdue max(0, ½ × (1 − days overdue ÷ 90)) — so an
  overdue task loses more the longer it stays open; the score is the mean credit × 100. Tasks not yet due,
  paused or cancelled do not count.
- Composite: a weighted mean of the components that are defined, the weights of missing components
  spread over the others (renormalised), so a unit with no tasks is judged on what it has.
- Ranking: competition ranking ("1224") by score, highest first; equal scores share a rank.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

LATE_HORIZON_DAYS = 180
OVERDUE_HORIZON_DAYS = 90


@dataclass(frozen=True)
class Quality:
    expected: int
    received: int
    on_time: int
    clean: int
    verified: int

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return 100.0 * part / whole if whole else None

    @property
    def du(self) -> float | None:
        """Complete: received ÷ expected."""
        return self._share(min(self.received, self.expected), self.expected)

    @property
    def song(self) -> float | None:
        """Alive: received on time ÷ expected."""
        return self._share(min(self.on_time, self.expected), self.expected)

    @property
    def sach(self) -> float | None:
        """Clean: passing the rules and not an unexplained outlier ÷ received."""
        return self._share(self.clean, self.received)

    @property
    def dung(self) -> float | None:
        """Correct: approved or confirmed by the source system ÷ received."""
        return self._share(self.verified, self.received)

    @property
    def score(self) -> float | None:
        """The mean of the four measures that are defined (None when nothing is expected or received)."""
        parts = [p for p in (self.du, self.song, self.sach, self.dung) if p is not None]
        return sum(parts) / len(parts) if parts else None

    def as_dict(self) -> dict[str, float | int | None]:
        return {"expected": self.expected, "received": self.received, "on_time": self.on_time, "clean": self.clean,
                "verified": self.verified, "du": self.du, "song": self.song, "sach": self.sach, "dung": self.dung,
                "score": self.score}


def freshness(days_since_update: int | None, expected_every_days: int) -> float | None:
    """Alive, for a database: 100 while updated within its expected interval, falling linearly to 0 at three
    intervals late (None when it was never updated)."""
    if days_since_update is None:
        return None
    if days_since_update <= expected_every_days:
        return 100.0
    late = days_since_update - expected_every_days
    return max(0.0, 100.0 * (1 - late / (2 * expected_every_days)))


@dataclass(frozen=True)
class TaskOutcome:
    """What a task counts for on the scoring day."""

    key: str
    state: str  # core.task_status.State value
    days: int = 0  # days late (done late) or days overdue (open)


def task_credit(outcome: TaskOutcome, late_horizon: int = LATE_HORIZON_DAYS,
                overdue_horizon: int = OVERDUE_HORIZON_DAYS) -> float | None:
    """A task's credit in [0, 1], or None when it does not count (not yet due, paused, cancelled)."""
    if outcome.state == "done_on_time":
        return 1.0
    if outcome.state == "done_late":
        return max(0.5, 1 - outcome.days / late_horizon)
    if outcome.state == "overdue":
        return max(0.0, 0.5 * (1 - outcome.days / overdue_horizon))
    return None


def task_score(outcomes: Iterable[TaskOutcome], late_horizon: int = LATE_HORIZON_DAYS,
               overdue_horizon: int = OVERDUE_HORIZON_DAYS) -> tuple[float | None, int]:
    """(mean credit × 100 over the tasks that count, how many counted)."""
    credits = [c for o in outcomes if (c := task_credit(o, late_horizon, overdue_horizon)) is not None]
    return (100.0 * sum(credits) / len(credits) if credits else None), len(credits)


def weighted_mean(parts: Mapping[str, float | None], weights: Mapping[str, float],
                  default_weight: float = 0.0) -> tuple[float | None, dict[str, float]]:
    """The mean of the defined parts by weight, renormalised over them; also each part's effective weight."""
    present = {k: v for k, v in parts.items() if v is not None and weights.get(k, default_weight) > 0}
    total = sum(weights.get(k, default_weight) for k in present)
    if not present or total <= 0:
        return None, {}
    effective = {k: weights.get(k, default_weight) / total for k in present}
    return sum(present[k] * effective[k] for k in present), effective


@dataclass
class Component:
    name: str
    score: float | None
    weight: float  # as declared by the methodology
    effective_weight: float = 0.0  # after renormalising over the defined components
    details: dict = field(default_factory=dict)

    @property
    def contribution(self) -> float | None:
        return None if self.score is None else self.score * self.effective_weight


def composite(components: Sequence[Component]) -> float | None:
    """Fill each component's effective weight and return the composite score (None when nothing is defined)."""
    score, effective = weighted_mean({c.name: c.score for c in components}, {c.name: c.weight for c in components})
    for c in components:
        c.effective_weight = effective.get(c.name, 0.0)
    return score


def rank(scores: Mapping[str, float | None], digits: int = 6) -> dict[str, int | None]:
    """Competition ranking by score, highest first; scores equal to `digits` decimals share a rank; None is unranked."""
    ordered = sorted(((round(s, digits), k) for k, s in scores.items() if s is not None), key=lambda p: (-p[0], p[1]))
    ranks: dict[str, int | None] = {k: None for k, s in scores.items() if s is None}
    previous, position = None, 0
    for i, (score, key) in enumerate(ordered, start=1):
        if score != previous:
            position, previous = i, score
        ranks[key] = position
    return ranks


def rank_change(rank_now: int | None, rank_before: int | None) -> int | None:
    """Places gained since the previous period (positive: moved up)."""
    if rank_now is None or rank_before is None:
        return None
    return rank_before - rank_now
