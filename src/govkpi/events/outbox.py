"""Emit change events. Callers are inside the transaction of their write: the event commits or rolls back with it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from govkpi.events.models import ChangeEvent

# A batch of a million values names its cells by batch id, not one by one: readers fetch the history rows.
MAX_LISTED = 500


def emit(kind: str, *, units: Iterable[str] = (), periods: Iterable[str] = (), **payload: Any) -> ChangeEvent:
    """Append one change event. Past MAX_LISTED units or periods the list is left empty and `payload["wide"]`
    is true: readers then treat every unit (or period) as touched."""
    unit_list, period_list = sorted(set(units)), sorted(set(periods))
    if len(unit_list) > MAX_LISTED or len(period_list) > MAX_LISTED:
        payload["wide"] = True
        unit_list = [] if len(unit_list) > MAX_LISTED else unit_list
        period_list = [] if len(period_list) > MAX_LISTED else period_list
    return ChangeEvent.objects.create(at=timezone.now(), kind=kind, units=unit_list, periods=period_list,
                                      payload=payload)

