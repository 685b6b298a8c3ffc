"""Emit change events. Callers are inside the transaction of their write: the event commits or rolls back with it."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from govkpi.events.models import ChangeEvent
from govkpi.events.types import Change
from govkpi.events.wakeup import ring_on_commit

# A batch of a million values names its cells by batch id, not one by one: readers fetch the history rows.
MAX_LISTED = 500


def emit(change: Change, *, units: Iterable[str] = (), periods: Iterable[str] = ()) -> ChangeEvent:
    """Append one change event (the only way to write one). Past MAX_LISTED units or periods the list is left
    empty and the change is marked `wide`: readers then treat every unit (or period) as touched."""
    unit_list, period_list = sorted(set(units)), sorted(set(periods))
    if len(unit_list) > MAX_LISTED or len(period_list) > MAX_LISTED:
        change = change.model_copy(update={"wide": True})
        unit_list = [] if len(unit_list) > MAX_LISTED else unit_list
        period_list = [] if len(period_list) > MAX_LISTED else period_list
    event = ChangeEvent.objects.create(at=timezone.now(), kind=change.KIND, units=unit_list,
                                       periods=period_list, payload=change.model_dump(mode="json"))
    ring_on_commit()  # the outbox's readers wake when (and only if) the write commits
    return event
