"""Results, scores, rankings, quality and explanations in the API: filters by indicator, unit, parent, group,
period and as_of (as they stood at the end of that day)."""

import datetime

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

from govkpi.accounts.permissions import sees_unpublished, units_where
from govkpi.accounts.roles import Action
from govkpi.accounts.tokens import READ_AUTH
from govkpi.evaluation import quality, scores
from govkpi.evaluation.engine import results_as_of
from govkpi.evaluation.models import Methodology, Result, Score
from govkpi.indicators.models import Indicator, TrackedDatabase
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.schemas import Problem

router = Router()
LIMIT = 5000


class ResultOut(Schema):
    indicator: str
    unit: str
    unit_name: str
    period: str
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
    computed_at: datetime.datetime


def _out(result: Result) -> dict:
    return {"indicator": result.indicator.code, "unit": result.unit.code, "unit_name": result.unit.name,
            "period": result.period, "value": result.value, "inputs": result.inputs,
            "target_value": result.target_value, "target_set_on": result.target.set_on if result.target else None,
            "deadline": result.deadline, "achievement": result.achievement, "achievement_raw": result.achievement_raw,
            "expected": result.expected, "status": result.status, "forecast": result.forecast,
            "forecast_low": result.forecast_low, "forecast_high": result.forecast_high, "csi": result.csi,
            "escap_ratio": result.escap_ratio, "escap_category": result.escap_category,
            "computed_at": result.valid_from}


@router.get("/results", auth=READ_AUTH, response={200: list[ResultOut], 400: Problem}, tags=["evaluation"])
def list_results(request: HttpRequest, indicator: str = "", unit: str = "", parent: str = "", period: str = "",
                 as_of: datetime.date | None = None) -> Status:
    """Results per indicator × unit × period: value, target in force, achievement, trajectory, status, forecast,
    ESCAP measures. `as_of`: as they stood at the end of that day. Anonymous callers see published indicators."""
    if as_of is not None:
        moment = datetime.datetime.combine(as_of, datetime.time.max, tzinfo=timezone.get_current_timezone())
        query = results_as_of(moment)
    else:
        query = Result.objects.filter(valid_to__isnull=True)
    query = query.select_related("indicator", "unit", "target")
    if indicator:
        query = query.filter(indicator__code__in=indicator.split(","))
    if unit:
        query = query.filter(unit__code__in=unit.split(","))
    if parent:
        query = query.filter(unit__parent__code=parent)
    if period:
        query = query.filter(period__in=period.split(","))
    if sees_unpublished(request.user):
        query = query.filter(Q(indicator__published=True) |
                             Q(unit__in=OrgUnit.objects.filter(units_where(request.user, Action.READ))))
    else:
        query = query.filter(indicator__published=True)
    return Status(200, [_out(r) for r in query.order_by("indicator__code", "period_end", "unit__code")[:LIMIT]])


# -- scores, rankings, quality, explanations ----------------------------------------------------------------

def _moment(as_of: datetime.date | None) -> datetime.datetime | None:
    if as_of is None:
        return None
    return datetime.datetime.combine(as_of, datetime.time.max, tzinfo=timezone.get_current_timezone())


def _scores(as_of: datetime.date | None):
    moment = _moment(as_of)
    query = scores.scores_as_of(moment) if moment else Score.objects.filter(valid_to__isnull=True)
    return query.select_related("unit", "methodology")


def _latest_period(query) -> str | None:
    return query.order_by("-period").values_list("period", flat=True).first()


def _hide_unpublished(components: dict, request: HttpRequest) -> dict:
    """Anonymous callers see the composite and its parts, but not the values of unpublished indicators."""
    if sees_unpublished(request.user):
        return components
    published = set(Indicator.objects.filter(published=True).values_list("code", flat=True))
    out = dict(components)
    if "indicators" in out:
        items = []
        for item in out["indicators"].get("items", []):
            if item["indicator"] in published:
                items.append(item)
            else:
                items.append({"indicator": item["indicator"], "hidden": True, "achievement": item["achievement"],
                              "weight": item["weight"], "effective_weight": item["effective_weight"]})
        out["indicators"] = {**out["indicators"], "items": items}
    return out


class ScoreOut(Schema):
    unit: str
    unit_name: str
    group: str
    period: str
    value: float | None
    rank: int | None
    group_size: int
    previous_rank: int | None
    rank_change: int | None
    methodology_version: int
    components: dict
    demo: bool
    computed_at: datetime.datetime


def _score_out(score: Score, request: HttpRequest, detail: bool = False) -> dict:
    components = _hide_unpublished(score.components, request) if detail else {
        name: {k: part.get(k) for k in ("score", "weight", "effective_weight", "contribution")}
        for name, part in score.components.items()}
    return {"unit": score.unit.code, "unit_name": score.unit.name, "group": score.group, "period": score.period,
            "value": score.value, "rank": score.rank, "group_size": score.group_size,
            "previous_rank": score.previous_rank, "rank_change": score.rank_change,
            "methodology_version": score.methodology.version, "components": components, "demo": score.demo,
            "computed_at": score.valid_from}


@router.get("/scores", auth=READ_AUTH, response={200: list[ScoreOut]}, tags=["evaluation"])
def list_scores(request: HttpRequest, unit: str = "", parent: str = "", group: str = "", period: str = "",
                as_of: datetime.date | None = None) -> Status:
    """Composite scores per unit and month with their components, rank and rank change. `as_of`: as they stood
    at the end of that day. Scores are published; anonymous callers see no unpublished indicator's values."""
    query = _scores(as_of)
    if unit:
        query = query.filter(unit__code__in=unit.split(","))
    if parent:
        query = query.filter(unit__parent__code=parent)
    if group:
        query = query.filter(group=group)
    if period:
        query = query.filter(period__in=period.split(","))
    rows = query.order_by("period", "group", "rank", "unit__code")[:LIMIT]
    return Status(200, [_score_out(s, request) for s in rows])


class RankingItem(Schema):
    rank: int | None
    unit: str
    unit_name: str
    value: float | None
    previous_rank: int | None
    rank_change: int | None
    components: dict
    demo: bool


def _ranking_item(score: Score) -> dict:
    """One line of a ranking (the rankings endpoint and the peers of an explanation)."""
    return {"rank": score.rank, "unit": score.unit.code, "unit_name": score.unit.name, "value": score.value,
            "previous_rank": score.previous_rank, "rank_change": score.rank_change,
            "components": {n: p.get("score") for n, p in score.components.items()}, "demo": score.demo}


class RankingOut(Schema):
    group: str
    period: str | None
    as_of: datetime.date | None
    methodology_version: int | None
    demo: bool
    items: list[RankingItem]


@router.get("/rankings", auth=READ_AUTH, response={200: RankingOut, 400: Problem}, tags=["evaluation"])
def rankings(request: HttpRequest, group: str = "provinces", province: str = "", period: str = "",
             as_of: datetime.date | None = None) -> Status:
    """A peer group's ranking for a month (default: the latest month scored): ministries, provinces, or the
    communes of one province (`group=communes&province=01`)."""
    if group == "communes":
        if not province:
            return Status(400, {"code": "province_required",
                                "message": "Cần mã tỉnh: group=communes&province=01. / Give the province."})
        group = f"communes:{province}"
    elif group not in ("ministries", "provinces"):
        return Status(400, {"code": "unknown_group",
                            "message": "group: ministries | provinces | communes. / Unknown group."})
    query = _scores(as_of).filter(group=group)
    period = period or _latest_period(query) or ""
    rows = list(query.filter(period=period).order_by("rank", "unit__code"))
    return Status(200, {
        "group": group, "period": period or None, "as_of": as_of,
        "methodology_version": rows[0].methodology.version if rows else None,
        "demo": any(s.demo for s in rows),
        "items": [_ranking_item(s) for s in rows]})


class ExplainOut(Schema):
    score: ScoreOut
    methodology: dict
    peers: list[RankingItem]
    sources: dict


@router.get("/scores/{code}/explain", auth=READ_AUTH, response={200: ExplainOut, 404: Problem},
            tags=["evaluation"])
def explain(request: HttpRequest, code: str, period: str = "", as_of: datetime.date | None = None) -> Status:
    """Why a unit has its score and rank: each component with its weight and contribution, the indicator
    results (value, target, achievement, inputs), the tasks that cost it, the quality counts, the methodology
    version, and its peers in the same month."""
    query = _scores(as_of).filter(unit__code=code)
    period = period or _latest_period(query) or ""
    score = query.filter(period=period).first()
    if score is None:
        return Status(404, {"code": "no_score", "message": f"Chưa có điểm cho {code} kỳ {period or '—'}. / No score."})
    peers = _scores(as_of).filter(group=score.group, period=score.period).order_by("rank", "unit__code")
    methodology = score.methodology
    return Status(200, {
        "score": _score_out(score, request, detail=True),
        "methodology": {"version": methodology.version, "in_force_from": methodology.in_force_from,
                        "definition": methodology.definition, "notes": methodology.notes},
        "peers": [_ranking_item(s) for s in peers],
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


@router.get("/methodology", auth=READ_AUTH, response={200: list[MethodologyOut]}, tags=["evaluation"])
def methodology_versions(request: HttpRequest) -> Status:
    """Every published version of the composite index; each score names the version it was computed with."""
    return Status(200, list(Methodology.objects.order_by("version").values(
        "version", "in_force_from", "definition", "notes", "published_by", "created_at")))


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


@router.get("/quality", auth=READ_AUTH, response={200: list[QualityOut]}, tags=["evaluation"])
def list_quality(request: HttpRequest, unit: str = "", parent: str = "", group: str = "", period: str = "",
                 as_of: datetime.date | None = None) -> Status:
    """Data quality per unit and month: đủ (complete), sống (on time), sạch (clean), đúng (approved or from
    a source system), each 0–100, and their mean; definitions in docs/methodology.md."""
    query = _scores(as_of)
    if unit:
        query = query.filter(unit__code__in=unit.split(","))
    if parent:
        query = query.filter(unit__parent__code=parent)
    if group:
        query = query.filter(group=group)
    if period:
        query = query.filter(period__in=period.split(","))
    out = []
    for s in query.order_by("period", "unit__code")[:LIMIT]:
        q = s.components.get("quality") or {}
        if q.get("expected") is None:
            continue
        out.append({"unit": s.unit.code, "unit_name": s.unit.name, "period": s.period, "demo": s.demo,
                    **{k: q.get(k) for k in ("expected", "received", "on_time", "clean", "verified", "du",
                                             "song", "sach", "dung", "score")}})
    return Status(200, out)


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


@router.get("/quality/databases", auth=READ_AUTH, response={200: list[DatabaseOut]}, tags=["evaluation"])
def database_quality(request: HttpRequest, owner: str = "") -> Status:
    """The tracked national and sectoral databases with their "đúng, đủ, sạch, sống" today."""
    today = timezone.localdate()
    query = TrackedDatabase.objects.select_related("owner")
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
    return Status(200, out)
