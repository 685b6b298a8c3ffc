"""An indicator's page: definition, target history, map and ranking of the provinces, the national series,
the data table and the figures the Government published. Parse, authorise, call the domain, render."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.reference import GOVERNMENT_CODE
from govkpi.web import dashboard_data as data
from govkpi.web import unit_data


def indicator_page(request: HttpRequest, code: str) -> HttpResponse:
    """One indicator; an unpublished one is shown only to signed-in users with read rights (404 otherwise)."""
    indicator = (data.visible_indicators(request.user).select_related("owner", "legal_basis")
                 .filter(code=code).first())
    if indicator is None:
        raise Http404(code)
    unit = OrgUnit.objects.filter(code=request.GET.get("unit", GOVERNMENT_CODE)).first()
    if unit is None:
        raise Http404("unit")
    series = data.series(request.user, indicator, unit)
    provinces = data.province_values(request.user, indicator)
    context = {"indicator": indicator, "unit": unit, "series": list(reversed(series)),
               "provinces": provinces, "status_labels": data.STATUS_LABELS,
               "demo": provinces["demo"] or any(r.demo for r in series),
               **unit_data.indicator_page(request.user, indicator)}
    return render(request, "web/indicator.html", context)
