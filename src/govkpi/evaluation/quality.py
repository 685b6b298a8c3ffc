"""Data quality "đúng, đủ, sạch, sống" of the values units owe for a month, and of the tracked databases.

What a unit owes for a month: the monthly data elements of its tier that are in collection that month in its
peer group (some unit of the group reported them), so a catalog entry nobody collects yet does not count
against anyone, and one group's reports never change another group's scores.
The four measures and their mean are core.scoring.Quality; counts are set-based (a few queries per group of
units, whatever their number).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings
from django.utils import timezone

from govkpi.core.formulas import FormulaError, evaluate, parse_formula
from govkpi.core.periods import parse_period
from govkpi.core.scoring import Quality, freshness
from govkpi.core.windows import due_date
from govkpi.datavalues.models import ApprovalState, Channel, DataApproval, DataValue, ValidationRule
from govkpi.datavalues.synthetic import DEMO_CHANNEL
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit

SOURCE_SYSTEM_CHANNELS = (Channel.API, Channel.DHIS2)  # a value a source system sent counts as confirmed
_COMPARE = {"<=": float.__le__, "<": float.__lt__, "==": float.__eq__, ">=": float.__ge__, ">": float.__gt__}


def _rules() -> list[tuple[ValidationRule, object, object]]:
    parsed = []
    for rule in ValidationRule.objects.all():
        try:
            parsed.append((rule, parse_formula(rule.left), parse_formula(rule.right)))
        except FormulaError:
            continue
    return parsed


def _violations(values: dict[str, float | None], rules) -> set[str]:
    """The element codes involved in a rule the values break."""
    broken: set[str] = set()
    for rule, left, right in rules:
        a, b = evaluate(left, values), evaluate(right, values)
        if a is not None and b is not None and not _COMPARE[rule.operator](float(a), float(b)):
            broken |= (left.references | right.references) & values.keys()
    return broken


def quality_for(units: Sequence[OrgUnit], month: str, group: Sequence[OrgUnit] | None = None,
                today: datetime.date | None = None) -> dict[int, tuple[Quality, bool]]:
    """Each unit's Quality for the month and whether demo values are among those counted; `units` is a peer
    group, or a part of `group` (what is in collection is read from the group's reports). An element with no tiers is owed by every tier,
    as in datavalues.completeness. Until the due date (`today` on or before it) nothing is owed yet: a unit is
    judged on what it has sent, and one that has sent nothing is not counted."""
    if not units:
        return {}
    due = due_date(parse_period(month), settings.REPORTING_DUE_AFTER_DAYS)
    monthly = list(DataElement.objects.filter(frequency="monthly").values_list("id", "unit_kinds"))
    codes = dict(DataElement.objects.values_list("id", "code"))
    approved = set(DataApproval.objects.filter(unit__in=units, period=month, state=ApprovalState.APPROVED)
                   .values_list("unit_id", flat=True))
    rows: dict[int, list[tuple]] = defaultdict(list)
    for row in DataValue.objects.filter(unit__in=units, period=month).values_list(
            "unit_id", "data_element_id", "number", "created_at", "follow_up", "channel"):
        rows[row[0]].append(row)
    if group is not None and len(group) != len(units):
        reported = set(DataValue.objects.filter(unit__in=group, period=month).values_list(
            "data_element_id", flat=True).distinct())
    else:
        reported = {r[1] for unit_rows in rows.values() for r in unit_rows}
    expected = {kind: {e for e, kinds in monthly if (not kinds or kind in kinds) and e in reported}
                for kind in {u.kind for u in units}}
    rules = _rules()
    out: dict[int, tuple[Quality, bool]] = {}
    still_due = (today or timezone.localdate()) <= due
    for unit in units:
        wanted = expected[unit.kind]
        if still_due:
            wanted = wanted & {r[1] for r in rows.get(unit.id, [])}
        values = [r for r in rows.get(unit.id, []) if r[1] in wanted]
        broken = _violations({codes[r[1]]: r[2] for r in rows.get(unit.id, [])}, rules) if rules else set()
        on_time = sum(1 for r in values if timezone.localdate(r[3]) <= due)
        clean = sum(1 for r in values if not r[4] and codes[r[1]] not in broken)
        verified = sum(1 for r in values if unit.id in approved or r[5] in SOURCE_SYSTEM_CHANNELS)
        demo = any(r[5] == DEMO_CHANNEL for r in values)
        out[unit.id] = (Quality(expected=len(wanted), received=len(values), on_time=on_time, clean=clean,
                                verified=verified), demo)
    return out


def database_quality(records_expected: int | None, records_received: int | None, records_valid: int | None,
                     records_verified: int | None, last_updated: datetime.date | None, update_every_days: int,
                     today: datetime.date) -> dict[str, float | None]:
    """The four measures for a tracked database: đủ records received ÷ expected, sạch valid ÷ received,
    đúng verified ÷ received, sống freshness of the last update against the expected interval."""
    def share(part: int | None, whole: int | None) -> float | None:
        return 100.0 * min(part, whole) / whole if part is not None and whole else None

    du = share(records_received, records_expected)
    sach = share(records_valid, records_received)
    dung = share(records_verified, records_received)
    song = freshness((today - last_updated).days if last_updated else None, update_every_days)
    parts = [p for p in (du, song, sach, dung) if p is not None]
    return {"du": du, "song": song, "sach": sach, "dung": dung, "score": sum(parts) / len(parts) if parts else None}
