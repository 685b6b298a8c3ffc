"""Results in the API: filters by indicator, unit, parent, period and as_of (results as they stood then)."""

import datetime

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

from govkpi.accounts.permissions import sees_unpublished, units_where
from govkpi.accounts.roles import Action
from govkpi.accounts.tokens import READ_AUTH
from govkpi.evaluation.engine import results_as_of
from govkpi.evaluation.models import Result
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
