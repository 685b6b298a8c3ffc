"""Rankings and scores as every face reads them: one peer-group key, one ranking query, one ranking line.

A ranking defaults to the latest official month. A provisional month is shown only to a viewer who reads the
units, and only their lines: a commune's clerk does not see the provisional ranking of ministries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from govkpi.evaluation import scores as scoring
from govkpi.evaluation.models import Methodology, Score
from govkpi.reads import publication
from govkpi.reads.visibility import Viewer

GROUPS = ("ministries", "provinces", "communes")
PERIODS_LISTED = 24
# The order lists of scores are read in: newest months first, then as ranked. Ids, not codes, last: the order an
# index holds (score_current_newest_idx), so a page is read from the index instead of sorting every score.
NEWEST_FIRST = ("-period", "group", "rank", "unit_id")


def group_key(group: str, province: str = "") -> str | None:
    """The stored group of a peer group asked for by name (the communes of one province need the province)."""
    if group == "communes":
        return f"communes:{province}" if province else None
    return group if group in (scoring.MINISTRIES, scoring.PROVINCES) else None


def _moment(as_of: datetime.date | None) -> datetime.datetime | None:
    if as_of is None:
        return None
    return datetime.datetime.combine(as_of, datetime.time.max, tzinfo=timezone.get_current_timezone())


def visible_scores(viewer: Viewer, as_of: datetime.date | None = None) -> QuerySet[Score]:
    """Current scores (or as they stood at the end of `as_of`) that the viewer may see."""
    moment = _moment(as_of)
    query = scoring.scores_as_of(moment) if moment else Score.objects.filter(valid_to__isnull=True)
    return query.filter(viewer.scores()).select_related("unit", "methodology")


def latest_official_month(query: QuerySet[Score], viewer: Viewer) -> str | None:
    return (query.filter(viewer.calendar.official_q(end_field="")).order_by("-period")
            .values_list("period", flat=True).first())


@dataclass
class Ranking:
    group: str
    period: str | None
    official: bool
    rows: list[Score]
    periods: list[str] = field(default_factory=list)
    methodology: Methodology | None = None

    @property
    def demo(self) -> bool:
        return any(s.demo for s in self.rows)

    @property
    def methodology_version(self) -> int | None:
        return self.methodology.version if self.methodology else None


def ranking(viewer: Viewer, group: str, period: str = "", as_of: datetime.date | None = None) -> Ranking:
    """A peer group's ranking for a month (default: the latest official month)."""
    if as_of is not None:
        return _ranking(viewer, group, period, as_of)
    return publication.for_public(viewer, f"ranking:{group}:{period}", lambda: _ranking(viewer, group, period))


def _ranking(viewer: Viewer, group: str, period: str, as_of: datetime.date | None = None) -> Ranking:
    query = visible_scores(viewer, as_of).filter(group=group)
    period = period or latest_official_month(query, viewer) or ""
    rows = list(query.filter(period=period).order_by("rank", "unit__code")) if period else []
    periods = list(query.order_by("-period").values_list("period", flat=True).distinct()[:PERIODS_LISTED])
    return Ranking(group, period or None, bool(period) and viewer.calendar.is_official(period), rows, periods,
                   rows[0].methodology if rows else None)


def ranking_line(score: Score) -> dict[str, Any]:
    """One line of a ranking (rankings and the peers of an explanation, in the API)."""
    return {"rank": score.rank, "unit": score.unit.code, "unit_name": score.unit.name, "value": score.value,
            "previous_rank": score.previous_rank, "rank_change": score.rank_change,
            "components": {n: p.get("score") for n, p in score.components.items()}, "demo": score.demo}


def score_summary(score: Score) -> dict[str, Any]:
    """A score's components reduced to their score, weights and contribution (lists)."""
    return {name: {k: part.get(k) for k in ("score", "weight", "effective_weight", "contribution")}
            for name, part in score.components.items()}


def methodology_versions() -> list[Methodology]:
    return list(Methodology.objects.order_by("-version"))
