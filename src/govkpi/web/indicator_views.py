"""An indicator's page: definition, target history, map and ranking of the provinces, the national series,
the data table and the figures the Government published. Parse, authorise, call the domain, render."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.reference import GOVERNMENT_CODE
from govkpi.reads import results, units
from govkpi.reads.labels import STATUS_LABELS
from govkpi.reads.visibility import Viewer
from govkpi.web import page_tables, table_export


def indicator_page(request: HttpRequest, code: str) -> HttpResponse:
    """One indicator; an unpublished one is shown only to signed-in users with read rights (404 otherwise)."""
    viewer = Viewer(request.user)
    indicator = (viewer.indicators().select_related("owner", "legal_basis")
                 .filter(code=code).first())
    if indicator is None:
        raise Http404(code)
    unit = OrgUnit.objects.filter(code=request.GET.get("unit", GOVERNMENT_CODE)).first()
    if unit is None:
        raise Http404("unit")
    series = results.series(viewer, indicator, unit)
    provinces = results.province_values(viewer, indicator)
    context = {"indicator": indicator, "unit": unit, "series": list(reversed(series)),
               "provinces": provinces, "status_labels": STATUS_LABELS, "calendar": viewer.calendar,
               "demo": provinces["demo"] or any(r.demo for r in series),
               **units.indicator_page(indicator)}
    tables = {
        "targets": lambda: page_tables.targets_table(context["targets"], context["superseded"], indicator),
        "data": lambda: page_tables.series_table(context["series"], indicator, unit, viewer.calendar),
        "map": lambda: page_tables.province_values_table(provinces),
    }
    return table_export.answer(request, tables) or render(request, "web/indicator.html", context)
