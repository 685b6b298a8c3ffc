"""Pages: parse, authorise, call the domain, render. Nothing else lives here."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from govkpi.orgunits.models import Kind, OrgUnit, Succession
from govkpi.orgunits.reference import GOVERNMENT_CODE


def _with_child_counts(qs):
    today = timezone.localdate()
    return qs.annotate(
        child_count=Count(
            "children",
            filter=(Q(children__valid_to__isnull=True) | Q(children__valid_to__gte=today)),
        )
    )


def home(request: HttpRequest) -> HttpResponse:
    """The national view: the central agencies and the 34 provinces with their communes."""
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
    return render(request, "web/home.html", context)


def unit_page(request: HttpRequest, code: str) -> HttpResponse:
    """One unit: where it sits, what lies below it, and where it came from or went."""
    unit = OrgUnit.objects.select_related("parent").filter(code=code).first()
    if unit is None:
        raise Http404(code)
    ancestors = {u.code: u for u in OrgUnit.objects.filter(code__in=unit.ancestor_codes())}
    today = timezone.localdate()
    children = OrgUnit.objects.filter(parent=unit).valid_on(today).order_by("legal_type", "name")
    context = {
        "unit": unit,
        "ancestors": [ancestors[c] for c in unit.ancestor_codes() if c in ancestors],
        "children": children,
        "children_by_type": children.values("legal_type").annotate(n=Count("id")).order_by("legal_type"),
        "predecessors": Succession.objects.filter(successor=unit).select_related("predecessor"),
        "successors": Succession.objects.filter(predecessor=unit).select_related("successor"),
    }
    return render(request, "web/unit.html", context)
