"""Units in the API: list with filters, one unit with its history, and name resolution."""


import datetime

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from govkpi.api.paging import Page
from govkpi.orgunits.models import Kind, OrgUnit, Succession
from govkpi.orgunits.resolve import Outcome, resolve_unit
from govkpi.api.schemas.orgunits import AmbiguousOut, ResolveOut, UnitDetailOut, UnitOut
from govkpi.api.schemas.problem import Problem

router = Router()


class UnitFilters(Schema):
    kind: Kind | None = None
    parent: str | None = None
    valid_on: datetime.date | None = None
    current: bool | None = None
    q: str | None = None


def filter_units(filters: UnitFilters) -> QuerySet[OrgUnit]:
    """The one filter set for units, shared by the API and the pages."""
    qs = OrgUnit.objects.select_related("parent")
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.parent:
        qs = qs.filter(parent__code=filters.parent)
    if filters.valid_on:
        qs = qs.valid_on(filters.valid_on)
    elif filters.current is not False:
        # Today's structure unless asked otherwise: current=false lists every unit, historical included.
        qs = qs.valid_on(timezone.localdate())
    if filters.q:
        text = filters.q.strip()
        qs = qs.filter(Q(name__icontains=text) | Q(short_name__icontains=text) | Q(code=text))
    return qs.order_by("level", "code")


@router.get("", response=list[UnitOut], summary="List units")
@paginate(Page)
def list_units(request: HttpRequest, filters: Query[UnitFilters]) -> QuerySet[OrgUnit]:
    """Units by kind, parent, validity date (`valid_on`) and text (`q`); current ones by default."""
    return filter_units(filters)


def problem(status: int, code: str, message_vi: str, message_en: str, **extra) -> Status:
    """An error answer: a code, a message in Vietnamese and in English, and any details."""
    return Status(status, {"code": code, "message": message_vi, "message_en": message_en, **extra})


@router.get(
    "/resolve",
    response={200: ResolveOut, 404: Problem, 409: AmbiguousOut, 400: Problem},
    summary="Resolve a unit name",
)
def resolve(
    request: HttpRequest,
    name: str,
    kind: Kind | None = None,
    parent: str | None = None,
    on: datetime.date | None = None,
) -> Status:
    """The unit a written name denotes ("TP.HCM", "Tỉnh Hà Giang"…); 404 unknown, 409 ambiguous.

    `parent` narrows the search to a unit's subtree and may be a code or a name.
    """
    parent_unit = None
    if parent:
        parent_unit = OrgUnit.objects.filter(code=parent).first()
        if parent_unit is None:
            found = resolve_unit(parent, on=on)
            if not found.found:
                return problem(400, "parent_" + found.outcome.value, found.message_vi, found.message_en)
            parent_unit = found.unit
    result = resolve_unit(name, kind=kind, parent=parent_unit, on=on)
    if result.outcome is Outcome.NOT_FOUND:
        return problem(404, result.outcome.value, result.message_vi, result.message_en)
    if result.outcome is Outcome.AMBIGUOUS:
        return problem(409, result.outcome.value, result.message_vi, result.message_en,
                       candidates=result.candidates)
    return Status(200, {
        "query": name,
        "unit": result.unit,
        "notice": result.message_vi or None,
        "notice_en": result.message_en or None,
        "matched": result.matched,
    })


def _links(links, side: str) -> list[dict]:
    return [
        {"unit": getattr(link, side), "kind": link.kind, "effective": link.effective, "is_main": link.is_main,
         "note": link.note}
        for link in links
    ]


@router.get("/{code}", response={200: UnitDetailOut, 404: Problem}, summary="One unit")
def get_unit(request: HttpRequest, code: str) -> Status:
    """A unit with its ancestors, number of children, predecessors and successors."""
    unit = OrgUnit.objects.select_related("parent").annotate(n=Count("children")).filter(code=code).first()
    if unit is None:
        return problem(404, "unit_not_found", f"Không có đơn vị mã «{code}».", f"No unit has the code «{code}».")
    ancestors = {u.code: u for u in OrgUnit.objects.filter(code__in=unit.ancestor_codes())}
    unit.ancestors = [ancestors[c] for c in unit.ancestor_codes() if c in ancestors]
    unit.children_count = unit.n
    unit.predecessors = _links(
        Succession.objects.filter(successor=unit).select_related("predecessor"), "predecessor")
    unit.successors = _links(Succession.objects.filter(predecessor=unit).select_related("successor"), "successor")
    return Status(200, unit)
