"""Units in the API: list with filters, one unit with its history, and name resolution."""


import datetime

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from govkpi.api.paging import Page
from govkpi.orgunits.models import Kind, OrgUnit, Succession, UnitCode
from govkpi.orgunits.resolve import Outcome, resolve_unit, units_by_code
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
    qs = OrgUnit.objects.select_related("parent").prefetch_related("codes")
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
        qs = qs.filter(Q(name__icontains=text) | Q(short_name__icontains=text) | Q(code=text)
                       | Q(pk__in=UnitCode.objects.filter(code=text).values("unit_id")))
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
def get_unit(request: HttpRequest, code: str, on: datetime.date | None = None) -> Status:
    """A unit with its ancestors, number of children, predecessors and successors.

    `code` is a unit's code or an official code as of `on` (default today): `02` with on=2025-05-31 is
    P63-02 Tỉnh Hà Giang; `08` is new Tuyên Quang today and old Tuyên Quang (P63-08) before 2025-07-01.
    """
    day = on or timezone.localdate()
    found = units_by_code([code], on=day).get(code)
    if found is None:
        return _no_unit_with_code(code, day)
    unit = OrgUnit.objects.select_related("parent").prefetch_related("codes").annotate(
        n=Count("children")).get(pk=found.pk)
    ancestors = {u.code: u for u in OrgUnit.objects.filter(code__in=unit.ancestor_codes())}
    unit.ancestors = [ancestors[c] for c in unit.ancestor_codes() if c in ancestors]
    unit.children_count = unit.n
    unit.predecessors = _links(
        Succession.objects.filter(successor=unit).select_related("predecessor"), "predecessor")
    unit.successors = _links(Succession.objects.filter(predecessor=unit).select_related("successor"), "successor")
    return Status(200, unit)


def _no_unit_with_code(code: str, day: datetime.date) -> Status:
    """404, naming the units the code belonged to on other dates, so the caller can add `on`."""
    held = list(UnitCode.objects.filter(code=code).select_related("unit").order_by("valid_from", "valid_to"))
    if not held:
        return problem(404, "unit_not_found", f"Không có đơn vị mã «{code}».", f"No unit has the code «{code}».")
    spans_vi = "; ".join(f"{c.unit.name} ({c.unit.code}) {_span(c, 'vi')}" for c in held)
    spans_en = "; ".join(f"{c.unit.name} ({c.unit.code}) {_span(c, 'en')}" for c in held)
    return problem(
        404, "unit_not_found",
        f"Mã «{code}» không ứng với đơn vị nào vào ngày {day:%d/%m/%Y}; mã này từng là: {spans_vi}. "
        f"Thêm tham số on=YYYY-MM-DD hoặc dùng mã đơn vị.",
        f"The code «{code}» names no unit on {day.isoformat()}; it was: {spans_en}. "
        f"Add on=YYYY-MM-DD or use the unit's code.",
    )


def _span(code: UnitCode, language: str) -> str:
    if language == "vi":
        start = f"từ {code.valid_from:%d/%m/%Y} " if code.valid_from else ""
        return start + (f"đến {code.valid_to:%d/%m/%Y}" if code.valid_to else "đến nay")
    start = f"from {code.valid_from.isoformat()} " if code.valid_from else ""
    return start + (f"until {code.valid_to.isoformat()}" if code.valid_to else "until now")
