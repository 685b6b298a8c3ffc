"""Unit pages: the list of units, a unit's dashboard with its panels, and the explanation of its score.
Parse, authorise, call the domain, render. Nothing else lives here."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from govkpi.orgunits.models import Kind, OrgUnit, Succession
from govkpi.orgunits.reference import GOVERNMENT_CODE
from govkpi.reads import explain, results
from govkpi.reads import units as unit_reads
from govkpi.reads.visibility import Viewer
from govkpi.web import page_tables, table_export

UNIT_PANELS = {
    "indicators": "web/panels/_unit_indicators.html",
    "tasks": "web/panels/_unit_tasks.html",
    "score": "web/panels/_unit_score.html",
    "communes": "web/panels/_communes.html",
}


def _with_child_counts(qs):
    today = timezone.localdate()
    return qs.annotate(
        child_count=Count(
            "children",
            filter=(Q(children__valid_to__isnull=True) | Q(children__valid_to__gte=today)),
        )
    )


def units(request: HttpRequest) -> HttpResponse:
    """The units: the central agencies and the 34 provinces with their communes."""
    today = timezone.localdate()
    current = OrgUnit.objects.valid_on(today)
    context = {
        "root": OrgUnit.objects.filter(code=GOVERNMENT_CODE).first(),
        "ministries": current.filter(kind=Kind.MINISTRY).order_by("legal_type", "name"),
        "provinces": _with_child_counts(current.filter(kind=Kind.PROVINCE)).order_by("code"),
        "counts": {
            "ministries": current.filter(kind=Kind.MINISTRY).count(),
            "provinces": current.filter(kind=Kind.PROVINCE).count(),
            "communes": current.filter(kind=Kind.COMMUNE).count(),
        },
        "dissolved_ministries": OrgUnit.objects.filter(kind=Kind.MINISTRY, valid_to__lt=today).count(),
        "historical_provinces": OrgUnit.objects.filter(kind=Kind.PROVINCE, valid_to__lt=today).count(),
    }
    tables = {"provinces": lambda: page_tables.provinces_table(context["provinces"]),
              "ministries": lambda: page_tables.ministries_table(context["ministries"])}
    return table_export.answer(request, tables) or render(request, "web/units.html", context)


def _unit(code: str) -> OrgUnit:
    unit = OrgUnit.objects.select_related("parent").filter(code=code).first()
    if unit is None:
        raise Http404(code)
    return unit


def _panel_context(name: str, viewer: Viewer, unit: OrgUnit) -> dict:
    if name == "indicators":
        return {"unit": unit, "results": results.unit_results(viewer, unit)}
    if name == "tasks":
        return {"unit": unit, "tasks": unit_reads.unit_tasks(unit, viewer.calendar.today)}
    if name == "score":
        explanation = explain.explain(viewer, unit)  # the latest official month, read once
        return {"unit": unit, "score": explanation.score if explanation else None,
                "parts": explanation.parts() if explanation else []}
    if unit.kind != Kind.PROVINCE:
        raise Http404(name)
    return {"unit": unit, "communes": unit_reads.commune_table(viewer, unit)}


def _unit_tables(context: dict) -> dict:
    """The downloads of a unit's tables (of the panels in the context), made from what the page renders."""
    unit = context["unit"]
    tables = {}
    if "results" in context:
        tables["unit-indicators"] = lambda: page_tables.unit_results_table(context["results"], unit)
    if "parts" in context:
        tables["unit-score"] = lambda: page_tables.score_parts_table(context["score"], context["parts"], unit)
    if "communes" in context:
        tables["communes"] = lambda: page_tables.communes_table(context["communes"], unit)
    return tables


def unit_page(request: HttpRequest, code: str) -> HttpResponse:
    """One unit: where it sits, what lies below it, where it came from or went; its indicators, tasks, score
    and rank among its peers; a province's communes with their scores."""
    unit = _unit(code)
    ancestors = {u.code: u for u in OrgUnit.objects.filter(code__in=unit.ancestor_codes())}
    today = timezone.localdate()
    children = OrgUnit.objects.filter(parent=unit).valid_on(today).order_by("legal_type", "name")
    context = {
        "unit": unit,
        "ancestors": [ancestors[c] for c in unit.ancestor_codes() if c in ancestors],
        "children": children,
        "predecessors": Succession.objects.filter(successor=unit).select_related("predecessor"),
        "successors": Succession.objects.filter(predecessor=unit).select_related("successor"),
        "is_province": unit.kind == Kind.PROVINCE,
    }
    viewer = Viewer(request.user)
    for name in ("indicators", "tasks", "score"):
        context.update(_panel_context(name, viewer, unit))
    if unit.kind == Kind.PROVINCE:
        context.update(_panel_context("communes", viewer, unit))
    context["demo"] = bool(context["results"]["demo"] or context["tasks"]["demo"]
                           or (context["score"] and context["score"].demo)
                           or (context.get("communes") and context["communes"]["demo"]))
    return table_export.answer(request, _unit_tables(context)) or render(request, "web/unit.html", context)


def unit_panel(request: HttpRequest, code: str, name: str) -> HttpResponse:
    """One panel of a unit's dashboard alone (the partial the page includes)."""
    if name not in UNIT_PANELS:
        raise Http404(name)
    unit = _unit(code)
    context = _panel_context(name, Viewer(request.user), unit)
    return table_export.answer(request, _unit_tables(context)) or render(request, UNIT_PANELS[name], context)


def score_explain(request: HttpRequest, code: str) -> HttpResponse:
    """Why the unit has its score and rank in a month: the /scores/{code}/explain content as a page."""
    unit = _unit(code)
    period = request.GET.get("period", "")
    explanation = explain.explain(Viewer(request.user), unit, period if period.isdigit() else "")
    if explanation is None:
        raise Http404(f"{code} {period}")
    return render(request, "web/explain.html", {
        "unit": unit, "score": explanation.score, "parts": explanation.parts(),
        "indicator_items": explanation.indicator_items(), "tasks": explanation.tasks(),
        "quality": explanation.components.get("quality") or {}, "methodology": explanation.methodology,
        "peers": explanation.peers, "periods": explanation.periods, "official": explanation.official,
        "demo": explanation.demo})
