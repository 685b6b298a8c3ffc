"""The national dashboard, its panels (each at its own URL, so a live update re-fetches one panel), the
rankings and the published methodology. Parse, ask the read door (govkpi.reads) as the viewer, render."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from govkpi.indicators.models import Indicator
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.reference import GOVERNMENT_CODE
from govkpi.reads import rankings as ranking_reads
from govkpi.reads import results
from govkpi.reads.changes import recent_changes
from govkpi.reads.labels import COMPONENT_LABELS, STATUS_LABELS
from govkpi.reads.tasks import overdue_by_agency
from govkpi.reads.visibility import Viewer
from govkpi.web import page_tables, table_export

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
    key = ranking_reads.group_key(group, province)
    if key is None:
        raise Http404(group)
    return group, province, key


def _ranking_context(viewer: Viewer, group: str, province: str, key: str, period: str = "",
                     limit: int | None = None) -> dict:
    ranking = ranking_reads.ranking(viewer, key, period)
    province_unit = OrgUnit.objects.filter(code=province, kind="province").first() if province else None
    return {"ranking": ranking, "group": group, "province": province_unit,
            "rows": ranking.rows[:limit] if limit else ranking.rows, "limit": limit,
            "panel_id": f"panel-rankings-{group}" + (f"-{province}" if province else "")}


def _chosen_indicator(request: HttpRequest, choices: list[Indicator]) -> Indicator | None:
    code = request.GET.get("indicator", "")
    for indicator in choices:
        if indicator.code == code:
            return indicator
    return choices[0] if choices else None


def _panel_context(name: str, request: HttpRequest) -> dict[str, Any]:
    viewer = Viewer(request.user)
    if name == "headline":
        return {"headline": results.headline(viewer)}
    if name == "overdue":
        return {"overdue": overdue_by_agency(viewer.calendar.today)}
    if name == "changes":
        return {"changes": recent_changes(viewer)}
    group, province, key = _group(request)
    limit = int(request.GET["limit"]) if request.GET.get("limit", "").isdigit() else None
    context = _ranking_context(viewer, group, province, key, request.GET.get("period", ""), limit)
    context["compact"] = request.GET.get("compact") == "1"
    return context


def home(request: HttpRequest) -> HttpResponse:
    """The national dashboard: headline indicators, overdue tasks, rankings, the map, the trend, changes — the
    latest official figures, with provisional ones beside them for readers of their units."""
    viewer = Viewer(request.user)
    choices = results.map_indicators(viewer)
    chosen = _chosen_indicator(request, choices)
    government = OrgUnit.objects.filter(code=GOVERNMENT_CODE).first()
    provinces = results.province_values(viewer, chosen) if chosen else None
    context = {
        "headline": results.headline(viewer),
        "overdue": overdue_by_agency(viewer.calendar.today),
        "changes": recent_changes(viewer),
        "ministries": {**_ranking_context(viewer, "ministries", "", "ministries"), "compact": True},
        "provinces": {**_ranking_context(viewer, "provinces", "", "provinces"), "compact": True},
        "map_indicators": choices, "chosen": chosen, "province_values": provinces,
        "government": government, "status_labels": STATUS_LABELS,
    }
    context["demo"] = bool(context["headline"]["demo"] or context["ministries"]["ranking"].demo
                           or context["provinces"]["ranking"].demo or (provinces and provinces["demo"]))
    return table_export.answer(request, _home_tables(context)) or render(request, "web/dashboard.html", context)


def _home_tables(context: dict[str, Any]) -> dict[str, Any]:
    """The downloads of the dashboard's tables, each made from the context the page renders."""
    tables = {
        "headline": lambda: page_tables.headline_table(context["headline"]),
        "overdue": lambda: page_tables.overdue_table(context["overdue"]),
        "rankings-ministries": lambda: page_tables.ranking_table(context["ministries"], compact=True),
        "rankings-provinces": lambda: page_tables.ranking_table(context["provinces"], compact=True),
    }
    if context.get("province_values"):
        tables["map"] = lambda: page_tables.province_values_table(context["province_values"])
    return tables


def panel(request: HttpRequest, name: str) -> HttpResponse:
    """One dashboard panel alone (the same partial the page includes), or the download of its table."""
    if name not in PANELS:
        raise Http404(name)
    context = _panel_context(name, request)
    tables = {"headline": lambda: page_tables.headline_table(context["headline"]),
              "overdue": lambda: page_tables.overdue_table(context["overdue"]),
              f"rankings-{context.get('group')}": lambda: page_tables.ranking_table(context, context["compact"])}
    tables = {key: make for key, make in tables.items() if key.split("-")[0] == name}
    return table_export.answer(request, tables) or render(request, PANELS[name], context)


def _visible_indicator(viewer: Viewer, request: HttpRequest) -> Indicator:
    indicator = viewer.indicators().filter(code=request.GET.get("indicator", "")).first()
    if indicator is None:
        raise Http404("indicator")
    return indicator


def map_data(request: HttpRequest) -> JsonResponse:
    """Per-province values of one indicator for the choropleth (JSON)."""
    viewer = Viewer(request.user)
    indicator = _visible_indicator(viewer, request)
    values = results.province_values(viewer, indicator, request.GET.get("period", ""))
    return JsonResponse(results.map_payload(values), json_dumps_params={"ensure_ascii": False})


def series_data(request: HttpRequest) -> JsonResponse:
    """One unit's series of one indicator with its target and forecast, for the trend chart (JSON)."""
    viewer = Viewer(request.user)
    indicator = _visible_indicator(viewer, request)
    unit = OrgUnit.objects.filter(code=request.GET.get("unit", GOVERNMENT_CODE)).first()
    if unit is None:
        raise Http404("unit")
    points = results.series(viewer, indicator, unit)
    return JsonResponse(results.series_payload(viewer, indicator, unit, points),
                        json_dumps_params={"ensure_ascii": False})


def rankings(request: HttpRequest) -> HttpResponse:
    """A peer group's ranking with rank change, score and components."""
    group = request.GET.get("group", "provinces")
    if group == "communes" and not request.GET.get("province"):
        context: dict[str, Any] = {"group": group, "ranking": None, "rows": [], "province": None}
    else:
        group, province, key = _group(request)
        context = _ranking_context(Viewer(request.user), group, province, key, request.GET.get("period", ""))
    context["provinces_list"] = OrgUnit.objects.current().filter(kind="province").order_by("name")
    context["groups"] = ranking_reads.GROUPS
    tables = {f"rankings-{group}": lambda: page_tables.ranking_table(context)} if context["ranking"] else {}
    return table_export.answer(request, tables) or render(request, "web/rankings.html", context)


def methodology(request: HttpRequest) -> HttpResponse:
    """Every published version of the composite index and its weights."""
    return render(request, "web/methodology.html", {"versions": ranking_reads.methodology_versions(),
                                                     "labels": COMPONENT_LABELS})
