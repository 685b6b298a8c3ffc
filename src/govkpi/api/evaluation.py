"""Results, scores, rankings, quality and explanations in the API: filters by indicator, unit, parent, group,
period and as_of (as they stood at the end of that day)."""

import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from govkpi.accounts.tokens import READ_AUTH
from govkpi.core.official import FigureStatus
from govkpi.evaluation import quality
from govkpi.evaluation.models import Methodology, Score
from govkpi.indicators.models import TrackedDatabase
from govkpi.orgunits.models import OrgUnit
from govkpi.api.paging import Page, Rows, filters
from govkpi.api.schemas.problem import Problem
from govkpi.reads import publication, rankings, results
from govkpi.reads.explain import explain as explain_score
from govkpi.reads.visibility import Viewer

router = Router()


class ResultOut(Schema):
    indicator: str
    unit: str
    unit_name: str
    period: str
    figures: str
    value: float | None
    inputs: dict
    target_value: float | None
    target_set_on: datetime.date | None
    deadline: datetime.date | None
    achievement: float | None
    achievement_raw: float | None
    expected: float | None
    status: str
    forecast: float | None
    forecast_low: float | None
    forecast_high: float | None
    csi: float | None
    escap_ratio: float | None
    escap_category: str
    demo: bool
    computed_at: datetime.datetime


@router.get("/results", auth=READ_AUTH, response=list[ResultOut], tags=["evaluation"])
@paginate(Page)
def list_results(request: HttpRequest, indicator: str = "", unit: str = "", parent: str = "", period: str = "",
                 as_of: datetime.date | None = None) -> Rows:
    """Results per indicator × unit × period, newest periods first: value, target in force, achievement,
    trajectory, status, forecast, ESCAP measures; `figures` says official or provisional. `as_of`: as they stood
    at the end of that day. Callers who read no unit see published indicators in official periods only."""
    viewer = Viewer(request.user)
    query = results.api_results(viewer, indicator=indicator, unit=unit, parent=parent, period=period, as_of=as_of)
    return Rows(query, lambda result: results.api_row(viewer, result),
                lambda: publication.public_count(viewer, f"results?{filters(request)}", query))


# -- scores, rankings, quality, explanations ----------------------------------------------------------------

class ScoreOut(Schema):
    unit: str
    unit_name: str
    group: str
    period: str
    figures: str
    value: float | None
    rank: int | None
    group_size: int
    previous_rank: int | None
    rank_change: int | None
    methodology_version: int
    components: dict
    demo: bool
    computed_at: datetime.datetime


def _score_out(score: Score, viewer: Viewer, components: dict) -> dict:
    return {"unit": score.unit.code, "unit_name": score.unit.name, "group": score.group, "period": score.period,
            "figures": viewer.calendar.status(score.period).value,
            "value": score.value, "rank": score.rank, "group_size": score.group_size,
            "previous_rank": score.previous_rank, "rank_change": score.rank_change,
            "methodology_version": score.methodology.version, "components": components, "demo": score.demo,
            "computed_at": score.valid_from}


def _filtered(query, unit: str, parent: str, group: str, period: str):  # noqa: ANN001, ANN202 - Score querysets
    if unit:
        query = query.filter(unit__code__in=unit.split(","))
    if parent:
        query = query.filter(unit__parent__code=parent)
    if group:
        query = query.filter(group=group)
    if period:
        query = query.filter(period__in=period.split(","))
    return query


@router.get("/scores", auth=READ_AUTH, response=list[ScoreOut], tags=["evaluation"])
@paginate(Page)
def list_scores(request: HttpRequest, unit: str = "", parent: str = "", group: str = "", period: str = "",
                as_of: datetime.date | None = None) -> Rows:
    """Composite scores per unit and month with their components, rank and rank change, newest months first.
    `as_of`: as they stood at the end of that day. Official months for everyone; provisional ones for readers
    of the unit."""
    viewer = Viewer(request.user)
    query = _filtered(rankings.visible_scores(viewer, as_of), unit, parent, group, period)
    return Rows(query.order_by(*rankings.NEWEST_FIRST), lambda s: _score_out(s, viewer, rankings.score_summary(s)),
                lambda: publication.public_count(viewer, f"scores?{filters(request)}", query))


class RankingItem(Schema):
    rank: int | None
    unit: str
    unit_name: str
    value: float | None
    previous_rank: int | None
    rank_change: int | None
    components: dict
    demo: bool


class RankingOut(Schema):
    group: str
    period: str | None
    figures: str | None
    as_of: datetime.date | None
    methodology_version: int | None
    demo: bool
    items: list[RankingItem]


@router.get("/rankings", auth=READ_AUTH, response={200: RankingOut, 400: Problem}, tags=["evaluation"])
def list_rankings(request: HttpRequest, group: str = "provinces", province: str = "", period: str = "",
                  as_of: datetime.date | None = None) -> Status:
    """A peer group's ranking for a month (default: the latest official month): ministries, provinces, or the
    communes of one province (`group=communes&province=01`)."""
    key = rankings.group_key(group, province)
    if key is None:
        if group == "communes":
            return Status(400, {"code": "province_required",
                                "message": "Cần mã tỉnh: group=communes&province=01. / Give the province."})
        return Status(400, {"code": "unknown_group",
                            "message": "group: ministries | provinces | communes. / Unknown group."})
    viewer = Viewer(request.user)
    table = rankings.ranking(viewer, key, period, as_of)
    return Status(200, {
        "group": key, "period": table.period, "as_of": as_of, "methodology_version": table.methodology_version,
        "figures": (FigureStatus.OFFICIAL if table.official else FigureStatus.PROVISIONAL).value if table.period else None,
        "demo": table.demo, "items": [rankings.ranking_line(s) for s in table.rows]})


class ExplainOut(Schema):
    score: ScoreOut
    methodology: dict
    peers: list[RankingItem]
    sources: dict


@router.get("/scores/{code}/explain", auth=READ_AUTH, response={200: ExplainOut, 404: Problem},
            tags=["evaluation"])
def explain(request: HttpRequest, code: str, period: str = "", as_of: datetime.date | None = None) -> Status:
    """Why a unit has its score and rank: each component with its weight and contribution, the indicator
    results (value, target, achievement; inputs for readers of the unit), the tasks that cost it, the quality
    counts, the methodology version, and its peers in the same month."""
    viewer = Viewer(request.user)
    unit = OrgUnit.objects.filter(code=code).first()
    explanation = explain_score(viewer, unit, period, as_of) if unit else None
    if explanation is None:
        return Status(404, {"code": "no_score", "message": f"Chưa có điểm cho {code} kỳ {period or '—'}. / No score."})
    score, methodology = explanation.score, explanation.methodology
    return Status(200, {
        "score": _score_out(score, viewer, explanation.components),
        "methodology": {"version": methodology.version, "in_force_from": methodology.in_force_from,
                        "definition": methodology.definition, "notes": methodology.notes},
        "peers": [rankings.ranking_line(s) for s in explanation.peers],
        "sources": {
            "results": f"/api/v1/results?unit={code}",
            "values": f"/api/v1/dataValueSets?orgUnit={code}&period={score.period}",
            "tasks": f"/api/v1/tasks?lead={code}",
            "methodology": "/api/v1/methodology",
        }})


class MethodologyOut(Schema):
    version: int
    in_force_from: datetime.date
    definition: dict
    notes: str
    published_by: str
    created_at: datetime.datetime


@router.get("/methodology", auth=READ_AUTH, response=list[MethodologyOut], tags=["evaluation"])
@paginate(Page)
def methodology_versions(request: HttpRequest) -> Rows:
    """Every published version of the composite index; each score names the version it was computed with."""
    return Rows(Methodology.objects.order_by("version").values(
        "version", "in_force_from", "definition", "notes", "published_by", "created_at"))


class QualityOut(Schema):
    unit: str
    unit_name: str
    period: str
    expected: int
    received: int
    on_time: int
    clean: int
    verified: int
    du: float | None
    song: float | None
    sach: float | None
    dung: float | None
    score: float | None
    demo: bool


def _quality_out(s: Score) -> dict:
    q = s.components["quality"]
    return {"unit": s.unit.code, "unit_name": s.unit.name, "period": s.period, "demo": s.demo,
            **{k: q.get(k) for k in ("expected", "received", "on_time", "clean", "verified", "du", "song", "sach",
                                     "dung", "score")}}


@router.get("/quality", auth=READ_AUTH, response=list[QualityOut], tags=["evaluation"])
@paginate(Page)
def list_quality(request: HttpRequest, unit: str = "", parent: str = "", group: str = "", period: str = "",
                 as_of: datetime.date | None = None) -> Rows:
    """Data quality per unit and month, newest months first: đủ (complete), sống (on time), sạch (clean), đúng
    (approved or from a source system), each 0–100, and their mean; definitions in docs/methodology.md."""
    viewer = Viewer(request.user)
    query = _filtered(rankings.visible_scores(viewer, as_of), unit, parent, group, period)
    measured = query.filter(components__quality__expected__isnull=False).exclude(components__quality__expected=None)
    return Rows(measured.order_by(*rankings.NEWEST_FIRST), _quality_out,
                lambda: publication.public_count(viewer, f"quality?{filters(request)}", measured))


class DatabaseOut(Schema):
    code: str
    name_vi: str
    name_en: str
    kind: str
    owner: str | None
    in_decree_47_2024: bool
    priority: str
    status: str
    status_as_of: datetime.date | None
    last_updated: datetime.date | None
    du: float | None
    song: float | None
    sach: float | None
    dung: float | None
    score: float | None
    demo: bool
    sources: list


@router.get("/quality/databases", auth=READ_AUTH, response=list[DatabaseOut], tags=["evaluation"])
@paginate(Page)
def database_quality(request: HttpRequest, owner: str = "") -> list[dict]:
    """The tracked national and sectoral databases with their "đúng, đủ, sạch, sống" today."""
    today = timezone.localdate()
    query = TrackedDatabase.objects.select_related("owner").order_by("code")
    if owner:
        query = query.filter(owner__code=owner)
    out = []
    for db in query:
        measures = quality.database_quality(db.records_expected, db.records_received, db.records_valid,
                                            db.records_verified, db.last_updated, db.update_every_days, today)
        out.append({"code": db.code, "name_vi": db.name_vi, "name_en": db.name_en, "kind": db.kind,
                    "owner": db.owner.code if db.owner else None, "in_decree_47_2024": db.in_decree_47_2024,
                    "priority": db.priority, "status": db.status, "status_as_of": db.status_as_of,
                    "last_updated": db.last_updated, "demo": db.demo, "sources": db.sources, **measures})
    return out
