"""Validation rules between values. Besides rules written by hand, the catalog implies one for every
percentage indicator computed as part ÷ whole × 100 ("#{A} / #{B} * 100"): the part cannot exceed the whole."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from govkpi.core.formulas import FormulaError, evaluate, parse_formula
from govkpi.datavalues.models import Operator, ValidationRule
from govkpi.indicators.models import DataElement, Indicator

_PART_OF_WHOLE = re.compile(r"^\s*#\{(\w+)\}\s*/\s*#\{(\w+)\}\s*\*\s*100\s*$")
DERIVED_SUFFIX = "__PART_LE_WHOLE"
COMPARE = {"<=": float.__le__, "<": float.__lt__, "==": float.__eq__, ">=": float.__ge__, ">": float.__gt__}


@dataclass(frozen=True)
class Rule:
    """A validation rule with both sides parsed; `position` orders the conflicts of a batch."""

    position: int
    rule: ValidationRule
    left: Any
    right: Any
    references: frozenset[str]

    def simple(self) -> tuple[str, str] | None:
        """(A, B) for `#{A} op #{B}`, the rules the writer checks for a whole batch in one query; else None."""
        if self.left.tree[0] == "ref" and self.right.tree[0] == "ref":
            return self.left.tree[1], self.right.tree[1]
        return None

    def broken(self, values: Mapping[str, float | None]) -> tuple[float, float] | None:
        """Both sides' values where the cell's values (element code -> total) break the rule; None where it holds
        or a side has no value."""
        a, b = evaluate(self.left, values), evaluate(self.right, values)
        if a is None or b is None or COMPARE[self.rule.operator](float(a), float(b)):
            return None
        return float(a), float(b)


def parsed_rules() -> list[Rule]:
    """Every validation rule, parsed (the catalog refuses a rule that does not parse on the way in)."""
    found = []
    for rule in ValidationRule.objects.all():
        try:
            left, right = parse_formula(rule.left), parse_formula(rule.right)
        except FormulaError:
            continue
        found.append(Rule(len(found), rule, left, right, left.references | right.references))
    return found


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


def broken_in_store() -> list[str]:
    """Every stored cell (unit, period) that breaks a validation rule, a line each, as `recompute --verify`
    reports it. The writer refuses such values; a cell listed here got past it (a race before the cells' locks,
    a script writing to the tables, a rule added over older values). Elements' totals, as the writer checks."""
    from govkpi.datavalues import totals
    from govkpi.orgunits.models import OrgUnit

    codes = dict(DataElement.objects.values_list("id", "code"))
    ids = {code: element_id for element_id, code in codes.items()}
    unit_codes: dict[int, str] | None = None
    problems: list[str] = []
    for rule in parsed_rules():
        wanted = sorted(ids[code] for code in rule.references if code in ids)
        if not wanted:
            continue
        listed = ", ".join(str(i) for i in wanted)  # ids from the database: integers
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT unit_id, period, data_element_id, number FROM "
                           f"({totals.select([f't.data_element_id IN ({listed})'], False)}) s ORDER BY unit_id, period")
            rows = cursor.fetchall()
        cell: tuple | None = None
        values: dict[str, float | None] = {}
        for unit_id, period, element_id, number in [*rows, (None, None, None, None)]:
            if (unit_id, period) != cell:
                broken = rule.broken(values) if cell else None
                if broken is not None:
                    unit_codes = unit_codes or dict(OrgUnit.objects.values_list("id", "code"))
                    problems.append(f"rule {rule.rule.code} {unit_codes.get(cell[0], cell[0])}/{cell[1]}: "
                                    f"{rule.rule.left} = {broken[0]:g}, {rule.rule.right} = {broken[1]:g}")
                cell, values = (unit_id, period), {}
            if element_id is not None:
                values[codes[element_id]] = number
    return problems
