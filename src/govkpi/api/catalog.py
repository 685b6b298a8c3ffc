"""The catalog in the API: read for everyone (internal entries for signed-in users), write for catalog managers."""

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Body, Router, Status
from ninja.pagination import paginate

from govkpi.api.paging import Page
from govkpi.accounts.tokens import SESSION_AUTH, READ_AUTH, BearerToken

from govkpi.accounts.permissions import require
from govkpi.accounts.roles import Action
from govkpi.indicators.catalog import CatalogReport, apply_catalog, apply_target
from govkpi.indicators.models import DataElement, Indicator, Target
from govkpi.api.schemas.catalog import (
    CatalogWriteOut,
    DataElementOut,
    IndicatorDetailOut,
    IndicatorOut,
    TargetOut,
)
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.reference import GOVERNMENT_CODE
from govkpi.api.schemas.problem import Problem
from govkpi.reads.visibility import Viewer

router = Router()
WRITE_AUTH = [BearerToken(), SESSION_AUTH]
DATE_FIELDS = ("deadline", "set_on")


def visible(qs: QuerySet, request: HttpRequest) -> QuerySet:
    """Only published entries for callers who read no unit (the read door's rule for the catalog)."""
    return qs if not Viewer(request.user).is_public else qs.filter(published=True)


def _search(qs: QuerySet, theme: str | None, q: str | None) -> QuerySet:
    if theme:
        qs = qs.filter(themes__code=theme)
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name_vi__icontains=q) | Q(name_en__icontains=q))
    return qs.select_related("owner", "legal_basis").prefetch_related("themes").distinct()


def _as_dates(item: dict[str, Any]) -> dict[str, Any]:
    """JSON has no dates: read ISO strings in the date fields of targets (left as they are when unreadable)."""
    targets = item.get("targets") if isinstance(item, dict) else None
    for target in targets if isinstance(targets, list) else []:  # another shape: validate_catalog names it
        for name in DATE_FIELDS:
            if isinstance(target, dict) and isinstance(target.get(name), str):
                try:
                    target[name] = datetime.date.fromisoformat(target[name])
                except ValueError:
                    pass  # validation reports it with its place
    return item


def _answer(report: CatalogReport) -> Status:
    body = {"ok": report.ok, "created": report.created, "updated": report.updated,
            "problems": [p.__dict__ for p in report.problems]}
    return Status(200 if report.ok else 400, body)


def _write(request: HttpRequest, document: dict[str, Any]) -> Status:
    require(request.user, Action.MANAGE_CATALOG, OrgUnit.objects.get(code=GOVERNMENT_CODE))
    return _answer(apply_catalog(document, actor=request.user))


@router.get("/indicators", auth=READ_AUTH, response=list[IndicatorOut], tags=["catalog"])
@paginate(Page)
def list_indicators(request: HttpRequest, theme: str | None = None, q: str | None = None) -> QuerySet:
    """Indicators, filtered by theme (KHCN, DMST, CDS, DA06) and text."""
    return _search(visible(Indicator.objects.all(), request), theme, q)


@router.get("/indicators/{code}", auth=READ_AUTH, response={200: IndicatorDetailOut, 404: Problem}, tags=["catalog"])
def get_indicator(request: HttpRequest, code: str) -> Status:
    """One indicator with every version of its targets and the figures published for it."""
    indicator = _search(visible(Indicator.objects.filter(code=code), request), None, None).first()
    if indicator is None:
        return Status(404, {"code": "indicator_not_found", "message": f"Không có chỉ tiêu «{code}».",
                            "message_en": f"No indicator «{code}»."})
    return Status(200, indicator)


@router.post("/indicators", auth=WRITE_AUTH, response={200: CatalogWriteOut, 400: CatalogWriteOut, 403: Problem},
             tags=["catalog"])
def write_indicator(request: HttpRequest, payload: dict[str, Any] = Body(...)) -> Status:
    """Create or update one indicator (with its targets) in the catalog's own shape; catalog managers only."""
    return _write(request, {"indicators": [_as_dates(payload)]})


@router.get("/dataelements", auth=READ_AUTH, response=list[DataElementOut], tags=["catalog"])
@paginate(Page)
def list_data_elements(request: HttpRequest, theme: str | None = None, q: str | None = None) -> QuerySet:
    """Data elements: what units report."""
    return _search(visible(DataElement.objects.all(), request), theme, q)


@router.post("/dataelements", auth=WRITE_AUTH,
             response={200: CatalogWriteOut, 400: CatalogWriteOut, 403: Problem}, tags=["catalog"])
def write_data_element(request: HttpRequest, payload: dict[str, Any] = Body(...)) -> Status:
    """Create or update one data element; catalog managers only."""
    return _write(request, {"data_elements": [payload]})


@router.get("/targets", auth=READ_AUTH, response=list[TargetOut], tags=["catalog"])
@paginate(Page)
def list_targets(request: HttpRequest, indicator: str | None = None, on: datetime.date | None = None) -> QuerySet:
    """Every target version; with `on=DATE`, only the versions in force on that date."""
    qs = Target.objects.select_related("indicator", "scope_unit", "directive", "superseded_by")
    qs = qs.filter(indicator__in=visible(Indicator.objects.all(), request))
    if indicator:
        qs = qs.filter(indicator__code=indicator)
    if on:
        qs = qs.filter(set_on__lte=on).exclude(superseded_by__set_on__lte=on)
    return qs.order_by("indicator__code", "set_on")


@router.post("/targets", auth=WRITE_AUTH, response={200: CatalogWriteOut, 400: CatalogWriteOut, 403: Problem},
             tags=["catalog"])
def write_target(request: HttpRequest, payload: dict[str, Any] = Body(...)) -> Status:
    """Add a target version: `{"indicator", "value", "deadline", "set_on", "scope", "set_by", "supersedes"}`."""
    require(request.user, Action.MANAGE_CATALOG, OrgUnit.objects.get(code=GOVERNMENT_CODE))
    item = _as_dates({"targets": [dict(payload)]})["targets"][0]
    return _answer(apply_target(str(payload.get("indicator", "")), item, actor=request.user))
