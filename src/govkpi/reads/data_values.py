"""Stored values as an export reads them: a filter like DHIS2's dataValueSets export, the values a viewer may
read, and — when asked — the deletions since a time, so that a copy kept elsewhere can follow.

A deletion stays known: the writer keeps the value's last state in its history (`DataValueHistory`, kind
`deleted`) when it removes it. A key deleted and not written again is a *tombstone*: exported with
`deleted: true`, its last value, who deleted it and when, as DHIS2 exports a soft-deleted value. Readers of
the unit see tombstones (a connector's account); the public never does, since only approved values are public
and approved values cannot be deleted without an unlock that withdraws them first.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from govkpi.core.periods import PeriodError, parse_period
from govkpi.datavalues.combos import DEFAULT_COMBOS
from govkpi.datavalues.models import DataValue, DataValueHistory, HistoryKind
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit
from govkpi.reads.visibility import Viewer

# One row of the export: the stored value's fields under these names (the formats in datavalues.dhis2, dxf2
# and adx read them), and `deleted`.
ROW_FIELDS = ("data_element__code", "period", "unit__code", "category_option_combo", "attribute_option_combo",
              "value", "stored_by", "created_at", "updated_at", "comment", "follow_up")


class ExportError(ValueError):
    """A filter that cannot be read, or names something that does not exist."""

    def __init__(self, status: int, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.status, self.code, self.message_vi, self.message_en = status, code, message_vi, message_en


@dataclass(frozen=True)
class ValueFilter:
    """What an export asks for; every list empty means no filter on it."""

    elements: tuple[str, ...] = ()
    # Option combo codes ("default" or "" for the default): DHIS2's categoryOptionCombo/attributeOptionCombo.
    category_option_combos: tuple[str, ...] = ()
    attribute_option_combos: tuple[str, ...] = ()
    data_sets: tuple[str, ...] = ()  # themes of the catalog: DHIS2's data sets
    periods: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    children: bool = False  # the named units' subtrees
    start: str = ""  # a date (or period) the periods start on or after
    end: str = ""  # a date (or period) the periods end on or before
    updated_since: datetime.datetime | None = None
    include_deleted: bool = False
    limit: int | None = None
    order: tuple[str, ...] = field(default=("data_element__code", "unit__code", "period_start"))


def _bound(text: str, end: bool) -> datetime.date:
    try:
        period = parse_period(text.replace("-", ""))
    except PeriodError as error:
        raise ExportError(400, error.code, error.message_vi, error.message_en) from None
    return period.end if end else period.start


def _units(wanted: ValueFilter) -> list[OrgUnit]:
    found = list(OrgUnit.objects.filter(code__in=wanted.units))
    if len(found) != len(set(wanted.units)):
        missing = ", ".join(sorted(set(wanted.units) - {u.code for u in found}))
        raise ExportError(404, "unit_not_found", f"Không có đơn vị {missing}.", f"No unit {missing}.")
    return found


def _key_filter(wanted: ValueFilter, units: list[OrgUnit], element_field: str = "data_element") -> Q:
    """The filter on element, period and unit that both live values and tombstones share."""
    where = Q()
    if wanted.elements:
        where &= Q(**{f"{element_field}__code__in": wanted.elements})
    for name, codes in (("category_option_combo", wanted.category_option_combos),
                        ("attribute_option_combo", wanted.attribute_option_combos)):
        if codes:
            where &= Q(**{f"{name}__in": sorted({"" if c in DEFAULT_COMBOS else c for c in codes})})
    if wanted.data_sets:
        where &= Q(**{f"{element_field}__in": DataElement.objects.filter(themes__code__in=wanted.data_sets)})
    if wanted.periods:
        where &= Q(period__in=wanted.periods)
    if units:
        if wanted.children:
            subtree = Q()
            for unit in units:
                subtree |= Q(unit__path__startswith=unit.path)
            where &= subtree
        else:
            where &= Q(unit__in=units)
    return where


def live_values(viewer: Viewer, wanted: ValueFilter, units: list[OrgUnit] | None = None) -> QuerySet:
    """The stored values the filter names that the viewer may read, as export rows (ROW_FIELDS)."""
    units = units if units is not None else (_units(wanted) if wanted.units else [])
    query = DataValue.objects.filter(_key_filter(wanted, units))
    if wanted.start:
        query = query.filter(period_start__gte=_bound(wanted.start, end=False))
    if wanted.end:
        query = query.filter(period_end__lte=_bound(wanted.end, end=True))
    if wanted.updated_since is not None:
        query = query.filter(updated_at__gte=wanted.updated_since)
    return query.filter(viewer.values()).order_by(*wanted.order).values(*ROW_FIELDS)


def tombstones(viewer: Viewer, wanted: ValueFilter, units: list[OrgUnit] | None = None) -> list[dict[str, Any]]:
    """Keys deleted and not written again, each once (its last deletion), as export rows with deleted=True."""
    if viewer.is_public:
        return []
    units = units if units is not None else (_units(wanted) if wanted.units else [])
    key = _key_filter(wanted, units) & Q(kind=HistoryKind.DELETED) & viewer.deletions()
    if wanted.updated_since is not None:
        key &= Q(changed_at__gte=wanted.updated_since)
    alive = DataValue.objects.filter(data_element_id=OuterRef("data_element_id"), unit_id=OuterRef("unit_id"),
                                     period=OuterRef("period"), category_option_combo=OuterRef("category_option_combo"),
                                     attribute_option_combo=OuterRef("attribute_option_combo"))
    last = (DataValueHistory.objects.filter(key).values("data_element_id", "unit_id", "period", "category_option_combo",
                                                        "attribute_option_combo")
            .annotate(last=Max("id")).values("last"))
    rows = (DataValueHistory.objects.filter(id__in=last).filter(~Exists(alive))
            .values("data_element__code", "period", "unit__code", "category_option_combo", "attribute_option_combo",
                    "previous_value", "previous_comment", "changed_by", "changed_at"))
    start = _bound(wanted.start, end=False) if wanted.start else None
    end = _bound(wanted.end, end=True) if wanted.end else None
    found = []
    for row in rows:
        period = parse_period(row["period"])
        if (start and period.start < start) or (end and period.end > end):
            continue
        found.append({"data_element__code": row["data_element__code"], "period": row["period"],
                      "unit__code": row["unit__code"], "category_option_combo": row["category_option_combo"],
                      "attribute_option_combo": row["attribute_option_combo"],
                      "value": row["previous_value"], "stored_by": row["changed_by"],
                      "created_at": row["changed_at"], "updated_at": row["changed_at"],
                      "comment": row["previous_comment"], "follow_up": False, "deleted": True,
                      "period_start": period.start})
    order = [name for name in wanted.order if name in found[0]] if found else []
    found.sort(key=lambda r: tuple(r[name] for name in order))
    return found


def export_rows(viewer: Viewer, wanted: ValueFilter) -> Iterator[dict[str, Any]]:
    """The rows of an export: live values, then the tombstones if asked, `limit` rows at most in all (as DHIS2,
    which applies its limit to one query of live and soft-deleted values). Filters are checked before the first
    row, so a bad one is an ExportError and not a broken stream."""
    units = _units(wanted) if wanted.units else []  # once, for both
    live = live_values(viewer, wanted, units)
    dead = tombstones(viewer, wanted, units) if wanted.include_deleted else []
    remaining = wanted.limit

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal remaining
        for row in (live[:remaining] if remaining is not None else live).iterator(chunk_size=5000):
            if remaining is not None:
                remaining -= 1
            yield {**row, "deleted": False}
        yield from (dead[:remaining] if remaining is not None else dead)

    return rows()
