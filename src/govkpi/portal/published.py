"""What the public portal may show: published indicators, their results and cited figures, scores and
rankings, the methodology and the tracked databases.

Every portal page and every open-data download reads through these functions, and none of them takes a
user: the portal treats every visitor as anonymous, so what it shows cannot depend on who is signed in.
It reads as `Viewer.public()` (govkpi.reads.visibility): published indicators in official periods only, so a
month still being reported never reaches the portal or open data, and an unpublished indicator's results,
figures and lines in a score's breakdown never leave this module.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from govkpi.evaluation import quality, scores
from govkpi.evaluation.models import Methodology, Result, Score
from govkpi.indicators.models import Indicator, ReportedFigure, TrackedDatabase
from govkpi.orgunits.reference import GOVERNMENT_CODE
from govkpi.reads import publication, rankings
from govkpi.reads.rankings import Ranking
from govkpi.reads.visibility import Viewer

PUBLIC_GROUPS = (scores.MINISTRIES, scores.PROVINCES)
COMPONENTS = ("indicators", "tasks", "quality")
# The fields of a score's indicator line that are public (the inputs name data elements, which may not be).
PUBLIC_ITEM_FIELDS = ("indicator", "name", "period", "value", "target", "achievement", "status", "weight",
                      "effective_weight", "demo")


def published_indicators() -> QuerySet[Indicator]:
    return Indicator.objects.filter(published=True).select_related("owner", "legal_basis").order_by("code")


def published_codes() -> set[str]:
    return set(Indicator.objects.filter(published=True).values_list("code", flat=True))


def published_results() -> QuerySet[Result]:
    """The current official results of published indicators, every unit."""
    return (Result.objects.filter(Viewer.public().results(), valid_to__isnull=True)
            .select_related("indicator", "unit"))


def cited_figures() -> QuerySet[ReportedFigure]:
    """Figures the Government published, with their source, for published indicators only."""
    return (ReportedFigure.objects.filter(indicator__published=True)
            .select_related("indicator", "unit", "source").order_by("indicator__code", "period", "id"))


@dataclass
class IndicatorSummary:
    indicator: Indicator
    national: Result | None  # the latest national result
    figures: list[ReportedFigure] = field(default_factory=list)


def indicator_summaries(public: Viewer | None = None) -> list[IndicatorSummary]:
    """Each published indicator with its latest official national result and the figures cited for it (kept
    until what is published changes; `public`: the request's public viewer, to work out that once)."""
    return publication.for_public(public or Viewer.public(), "indicator_summaries", _indicator_summaries)


def _indicator_summaries() -> list[IndicatorSummary]:
    latest: dict[int, Result] = {}
    for result in published_results().filter(unit__code=GOVERNMENT_CODE).order_by("period_end", "id"):
        latest[result.indicator_id] = result
    figures: dict[int, list[ReportedFigure]] = {}
    for figure in cited_figures():
        figures.setdefault(figure.indicator_id, []).append(figure)
    return [IndicatorSummary(i, latest.get(i.id), figures.get(i.id, [])) for i in published_indicators()]


# -- scores and rankings ---------------------------------------------------------------------------------------

def public_components(components: dict[str, Any], published: set[str]) -> dict[str, Any]:
    """A score's breakdown as the public sees it: each component's score and weights; the indicator lines of
    published indicators only (without their inputs); task counts by state but no task."""
    out: dict[str, Any] = {}
    for name in COMPONENTS:
        part = components.get(name)
        if part is None:
            continue
        public = {k: part.get(k) for k in ("score", "weight", "effective_weight", "contribution")}
        if name == "indicators":
            public["items"] = [{k: item.get(k) for k in PUBLIC_ITEM_FIELDS}
                               for item in part.get("items", []) if item.get("indicator") in published]
        elif name == "tasks":
            public.update({k: part.get(k) for k in ("as_of", "assigned", "counted", "states")})
        else:
            public.update({k: part.get(k) for k in ("du", "song", "sach", "dung")})
        out[name] = public
    return out


def _public_scores() -> QuerySet[Score]:
    return Score.objects.filter(Viewer.public().scores(), valid_to__isnull=True)


def score_periods(group: str, public: Viewer | None = None) -> list[str]:
    return publication.for_public(public or Viewer.public(), f"score_periods:{group}", lambda: list(
        _public_scores().filter(group=group).order_by("-period").values_list("period", flat=True).distinct()))


def ranking(group: str, period: str = "", public: Viewer | None = None) -> Ranking:
    """A peer group's ranking for an official month (default: the latest), as the public sees it."""
    return rankings.ranking(public or Viewer.public(), group, period)


def published_scores() -> QuerySet[Score]:
    """Current scores of ministries and provinces, every official month."""
    return (_public_scores().filter(group__in=PUBLIC_GROUPS)
            .select_related("unit", "methodology").order_by("group", "period", "rank", "unit__code"))


# -- methodology and databases ---------------------------------------------------------------------------------

def methodology_versions() -> list[Methodology]:
    return list(Methodology.objects.order_by("version"))


@dataclass
class DatabaseQuality:
    database: TrackedDatabase
    du: float | None
    song: float | None
    sach: float | None
    dung: float | None
    score: float | None


def databases(today: datetime.date | None = None) -> list[DatabaseQuality]:
    """The tracked national and sectoral databases with their đúng, đủ, sạch, sống today."""
    today = today or timezone.localdate()
    out = []
    for db in TrackedDatabase.objects.select_related("owner").order_by("code"):
        measures = quality.database_quality(db.records_expected, db.records_received, db.records_valid,
                                            db.records_verified, db.last_updated, db.update_every_days, today)
        out.append(DatabaseQuality(db, **measures))
    return out
