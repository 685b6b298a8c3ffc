"""Validation rules between values. Besides rules written by hand, the catalog implies one for every
percentage indicator computed as part ÷ whole × 100 ("#{A} / #{B} * 100"): the part cannot exceed the whole."""

from __future__ import annotations

import re

from django.db import transaction

from govkpi.datavalues.models import Operator, ValidationRule
from govkpi.indicators.models import DataElement, Indicator

_PART_OF_WHOLE = re.compile(r"^\s*#\{(\w+)\}\s*/\s*#\{(\w+)\}\s*\*\s*100\s*$")
DERIVED_SUFFIX = "__PART_LE_WHOLE"


def part_of_whole(formula: str) -> tuple[str, str] | None:
    """(part, whole) for a formula of the shape #{part} / #{whole} * 100, else None."""
    match = _PART_OF_WHOLE.match(formula or "")
    return (match[1], match[2]) if match else None


@transaction.atomic
def sync_derived_rules() -> int:
    """Create or update the rules the catalog implies and remove those it no longer does; return how many exist."""
    names = dict(DataElement.objects.values_list("code", "name_vi"))
    wanted: dict[str, tuple[str, str]] = {}
    for indicator in Indicator.objects.filter(value_type="percentage").exclude(formula=""):
        pair = part_of_whole(indicator.formula)
        if pair and all(code in names for code in pair):
            wanted[f"{indicator.code}{DERIVED_SUFFIX}"] = pair
    ValidationRule.objects.filter(code__endswith=DERIVED_SUFFIX).exclude(code__in=list(wanted)).delete()
    for code, (part, whole) in wanted.items():
        ValidationRule.objects.update_or_create(code=code, defaults={
            "left": f"#{{{part}}}", "operator": Operator.LE, "right": f"#{{{whole}}}",
            "message_vi": f"«{names[part]}» không được lớn hơn «{names[whole]}».",
            "message_en": f"{part} cannot exceed {whole}."})
    return len(wanted)
