"""The national dashboard, its panels (each at its own URL, so a live update re-fetches one panel), the
rankings and the published methodology. Parse, authorise, call dashboard_data, render."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from govkpi.indicators.models import Indicator
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.reference import GOVERNMENT_CODE
from govkpi.web import dashboard_data as data

PANELS = {
    "headline": "web/panels/_headline.html",
    "overdue": "web/panels/_overdue.html",
    "rankings": "web/panels/_rankings.html",
    "changes": "web/panels/_changes.html",
}


def _group(request: HttpRequest) -> tuple[str, str, str]:
    """The peer group asked for: (group, province, stored group key); 404 when it names no group."""
    group = request.GET.get("group", "provinces")
    province = request.GET.get("province", "") if group == "communes" else ""
    key = data.group_key(group, province)
    if key is None:
        raise Http404(group)
    return group, province, key


def _ranking_context(group: str, province: str, key: str, period: str = "", limit: int | None = None) -> dict:
    ranking = data.ranking(key, period)
    province_unit = OrgUnit.objects.filter(code=province, kind="province").first() if province else None
    return {"ranking": ranking, "group": group, "province": province_unit,
            "rows": ranking["rows"][:limit] if limit else ranking["rows"], "limit": limit,
            "panel_id": f"panel-rankings-{group}" + (f"-{province}" if province else "")}


def _chosen_indicator(request: HttpRequest, choices: list[Indicator]) -> Indicator | None:
    code = request.GET.get("indicator", "")
    for indicator in choices:
        if indicator.code == code:
            return indicator
    return choices[0] if choices else None


def _panel_context(name: str, request: HttpRequest) -> dict[str, Any]:
    if name == "headline":
        return {"headline": data.headline(request.user)}
    if name == "overdue":
        return {"overdue": data.overdue_by_agency(timezone.localdate())}
    if name == "changes":
        return {"changes": data.recent_changes(request.user)}
    group, province, key = _group(request)
    limit = int(request.GET["limit"]) if request.GET.get("limit", "").isdigit() else None
    context = _ranking_context(group, province, key, request.GET.get("period", ""), limit)
    context["compact"] = request.GET.get("compact") == "1"
    return context


def home(request: HttpRequest) -> HttpResponse:
    """The national dashboard: headline indicators, overdue tasks, rankings, the map, the trend, changes."""
    choices = data.map_indicators(request.user)
    chosen = _chosen_indicator(request, choices)
    government = OrgUnit.objects.filter(code=GOVERNMENT_CODE).first()
    provinces = data.province_values(request.user, chosen) if chosen else None
    context = {
        "headline": data.headline(request.user),
        "overdue": data.overdue_by_agency(timezone.localdate()),
        "changes": data.recent_changes(request.user),
        "ministries": {**_ranking_context("ministries", "", "ministries"), "compact": True},
        "provinces": {**_ranking_context("provinces", "", "provinces"), "compact": True},
        "map_indicators": choices, "chosen": chosen, "province_values": provinces,
        "government": government, "status_labels": data.STATUS_LABELS,
    }
    context["demo"] = any(part and part.get("demo") for part in (
        context["headline"], context["ministries"]["ranking"], context["provinces"]["ranking"], provinces))
    return render(request, "web/dashboard.html", context)


def panel(request: HttpRequest, name: str) -> HttpResponse:
    """One dashboard panel alone (the same partial the page includes)."""
    if name not in PANELS:
        raise Http404(name)
    return render(request, PANELS[name], _panel_context(name, request))


def _visible_indicator(request: HttpRequest) -> Indicator:
    indicator = data.visible_indicators(request.user).filter(code=request.GET.get("indicator", "")).first()
    if indicator is None:
        raise Http404("indicator")
    return indicator


def map_data(request: HttpRequest) -> JsonResponse:
    """Per-province values of one indicator for the choropleth (JSON)."""
    indicator = _visible_indicator(request)
    values = data.province_values(request.user, indicator, request.GET.get("period", ""))
    return JsonResponse(data.map_payload(values), json_dumps_params={"ensure_ascii": False})


def series_data(request: HttpRequest) -> JsonResponse:
    """One unit's series of one indicator with its target and forecast, for the trend chart (JSON)."""
    indicator = _visible_indicator(request)
    unit = OrgUnit.objects.filter(code=request.GET.get("unit", GOVERNMENT_CODE)).first()
    if unit is None:
        raise Http404("unit")
    results = data.series(request.user, indicator, unit)
    return JsonResponse(data.series_payload(indicator, unit, results), json_dumps_params={"ensure_ascii": False})


def rankings(request: HttpRequest) -> HttpResponse:
    """A peer group's ranking with rank change, score and components."""
    group = request.GET.get("group", "provinces")
    if group == "communes" and not request.GET.get("province"):
        context: dict[str, Any] = {"group": group, "ranking": None, "rows": [], "province": None}
    else:
        group, province, key = _group(request)
        context = _ranking_context(group, province, key, request.GET.get("period", ""))
    context["provinces_list"] = OrgUnit.objects.current().filter(kind="province").order_by("name")
    context["groups"] = data.GROUPS
    return render(request, "web/rankings.html", context)


def methodology(request: HttpRequest) -> HttpResponse:
    """Every published version of the composite index and its weights."""
    return render(request, "web/methodology.html", {"versions": data.methodology_versions(),
                                                     "labels": data.COMPONENT_LABELS})
