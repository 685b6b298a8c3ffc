"""Emit change events. Callers are inside the transaction of their write: the event commits or rolls back with it."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from govkpi.events.models import ChangeEvent
from govkpi.events.types import Change
from govkpi.events.wakeup import ring_on_commit

# A batch of a million values names its cells by batch id, not one by one: readers fetch the history rows.
MAX_LISTED = 500
# Event ids must become visible in their order: the engine and the streams read "every id after the last one
# read", so an id that commits after a larger one would be skipped for good. On PostgreSQL a transaction takes
# this lock before its event takes an id and keeps it until it commits; the audit trail's appends take the same
# lock, so a write that audits and emits holds one lock, never two in either order (no deadlock between them).
# SQLite serialises writers already.
WRITE_ORDER_LOCK = 0x60_4B_91_A0


def hold_write_order() -> None:
    """Take the write-order lock for the rest of the current transaction (PostgreSQL only; re-entrant). Asked
    again by each caller rather than remembered: Django reuses one atomic block object for every call of an
    @atomic function, so no marker in Python can tell one transaction from the next."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_ORDER_LOCK])


def emit(change: Change, *, units: Iterable[str] = (), periods: Iterable[str] = ()) -> ChangeEvent:
    """Append one change event (the only way to write one). Past MAX_LISTED units or periods the list is left
    empty and the change is marked `wide`: readers then treat every unit (or period) as touched."""
    unit_list, period_list = sorted(set(units)), sorted(set(periods))
    if len(unit_list) > MAX_LISTED or len(period_list) > MAX_LISTED:
        change = change.model_copy(update={"wide": True})
        unit_list = [] if len(unit_list) > MAX_LISTED else unit_list
        period_list = [] if len(period_list) > MAX_LISTED else period_list
    with transaction.atomic(savepoint=False):  # outside a transaction too, the lock lasts until the commit
        hold_write_order()
        event = ChangeEvent.objects.create(at=timezone.now(), kind=change.KIND, units=unit_list,
                                           periods=period_list, payload=change.model_dump(mode="json"))
    ring_on_commit()  # the outbox's readers wake when (and only if) the write commits
    return event
