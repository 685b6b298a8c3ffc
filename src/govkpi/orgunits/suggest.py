"""Units whose names begin with what a person has typed so far: the autocomplete behind the forms' unit fields.

The same keys as the resolver (core.names): "Bộ Công", "bo cong an", "BCA", "TP.HCM" and "Hồ Chí" all find
their unit. The resolver's own answer, when the text is already a whole name, comes first.
"""

from __future__ import annotations

import datetime

from django.db.models import Q

from govkpi.core.names import name_keys
from govkpi.orgunits.models import OrgUnit, UnitAlias
from govkpi.orgunits.resolve import resolve_unit

SUGGESTIONS_MAX = 10
MIN_TYPED = 2  # one letter matches half the country


def suggest_units(text: str, on: datetime.date, limit: int = SUGGESTIONS_MAX) -> list[OrgUnit]:
    """Return up to `limit` units in force on the day whose name, short name or abbreviation starts with the
    text (accents optional), the highest tiers first; the unit the text resolves to exactly leads."""
    text = " ".join(text.split())
    if len(text) < MIN_TYPED:
        return []
    keys = name_keys(text)
    found: list[OrgUnit] = []
    exact = resolve_unit(text, on=on)
    if exact.found and exact.unit is not None:
        found.append(exact.unit)
    match = Q()
    for column, values in (("key", {keys.full, keys.short}), ("plain_key", {keys.full_plain, keys.short_plain})):
        for value in values - {""}:
            match |= Q(**{f"{column}__startswith": value})
    if match:
        ids = UnitAlias.objects.filter(match).values("unit_id")
        seen = {u.pk for u in found}
        for unit in OrgUnit.objects.valid_on(on).filter(pk__in=ids).select_related("parent").order_by(
                "level", "name")[:limit * 2]:
            if unit.pk not in seen:
                found.append(unit)
                seen.add(unit.pk)
    return found[:limit]


def unit_label(unit: OrgUnit) -> str:
    """How a unit is shown in a suggestion: its name, and its province for a commune."""
    parent = unit.parent.short_name if unit.parent_id and unit.level > 1 and unit.parent else ""
    return f"{unit.name} ({parent})" if parent else unit.name
