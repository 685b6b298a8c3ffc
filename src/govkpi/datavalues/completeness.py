"""Completeness and timeliness of a unit's reporting for a period: expected, received, on time, late.

Expected: the data elements whose reporting tiers include the unit's kind and whose frequency is the period's
type. Received: those with a value (of any option combo). On time: first received (`created_at`, Asia/Ho_Chi_Minh day) no later
than the due date (core.windows.due_date). These feed the evaluation's "đủ" (complete) and "sống" (alive).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from govkpi.core.periods import parse_period
from govkpi.core.windows import due_date
from govkpi.datavalues.models import DataValue
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit


@dataclass(frozen=True)
class Completeness:
    unit: str
    period: str
    expected: int
    received: int
    on_time: int
    late: int
    due: datetime.date
    missing: tuple[str, ...]

    @property
    def rate(self) -> float | None:
        """Received ÷ expected, in percent (None when nothing is expected)."""
        return 100 * self.received / self.expected if self.expected else None

    @property
    def timeliness(self) -> float | None:
        """On time ÷ expected, in percent."""
        return 100 * self.on_time / self.expected if self.expected else None


def expected_elements(unit: OrgUnit, period_id: str) -> list[DataElement]:
    period = parse_period(period_id)
    return [e for e in DataElement.objects.filter(frequency=period.type.value).select_related("category_combo")
            .order_by("code")
            if not e.unit_kinds or unit.kind in e.unit_kinds]


def completeness(unit: OrgUnit, period_id: str) -> Completeness:
    period = parse_period(period_id)
    expected = expected_elements(unit, period_id)
    due = due_date(period, settings.REPORTING_DUE_AFTER_DAYS)
    # An element is received when any of its option combos is, at its first part's time (datavalues.totals).
    received = dict(DataValue.objects.filter(unit=unit, period=period.id, data_element__in=expected)
                    .values("data_element__code").annotate(first=Min("created_at"))
                    .values_list("data_element__code", "first"))
    on_time = sum(1 for at in received.values() if timezone.localdate(at) <= due)
    return Completeness(unit=unit.code, period=period.id, expected=len(expected), received=len(received),
                        on_time=on_time, late=len(received) - on_time, due=due,
                        missing=tuple(e.code for e in expected if e.code not in received))
