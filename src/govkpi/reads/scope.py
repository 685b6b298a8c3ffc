"""What a signed-in reader sees, cached per change in the reader's subtree.

A reader sees provisional figures, which change with every write — but only with writes in the subtrees the
reader may read (reads.visibility), and, for everything else, with what is published (reads.publication). So a
reader's panel is kept under: the reader's scope (the units they may read), the latest change event touching
that scope, the published fingerprint and the calendar's day. Readers of the same scope share a panel; a reader
of another subtree has another key and never gets it. Every write appends its change event in the writer's
transaction (events.outbox.emit), so a reader's own write is in the outbox, and their key has moved, by the
time their next page is asked for.

The latest change in a scope is found without scanning the outbox: per scope and database, a watermark (the
last event looked at, the latest one that touched the scope) is kept in the cache, and each request reads
only the events after it. Event ids become visible in their order (events.outbox.hold_write_order), so no
event can appear later behind the watermark.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.db import router
from django.db.models import Max

from govkpi.events.models import ChangeEvent
from govkpi.reads.publication import fingerprint
from govkpi.reads.visibility import Viewer
from govkpi.shared_cache import cache

T = TypeVar("T")
# A reader's panels: their key moves with every change in the scope; the time only lets unused ones go, and
# bounds how long an edit that writes no change event (a catalog edit that judges nothing again) goes unseen.
CACHE_SECONDS = 600
# Events read after the watermark at most; past it (a long quiet spell, a bulk import) the newest one is taken
# as the scope's latest change: a panel built again for nothing, never one kept too long.
EVENTS_READ = 500
_MISSING = object()


def scope_key(viewer: Viewer) -> str:
    """A short digest of the units the viewer may read ("all" for a reader of the whole country)."""
    codes = viewer.readable_codes()
    if codes is None:
        return "all"
    return hashlib.sha256(",".join(sorted(codes)).encode()).hexdigest()[:20]


def _touches(units: list[str], readable: set[str]) -> bool:
    # An event naming no unit is a wide one (or a catalog change): it may touch every unit.
    return not units or not readable.isdisjoint(units)


def latest_change(viewer: Viewer) -> int:
    """The id of the latest change event touching the viewer's scope, or a later one (0 when none)."""
    cached = getattr(viewer, "_latest_change", None)
    if cached is not None:
        return cached
    readable = viewer.readable_codes()
    events = ChangeEvent.objects.all()
    if readable is None:  # every change touches a reader of the whole country
        latest = events.aggregate(latest=Max("id"))["latest"] or 0
    else:
        latest = _latest_in(events, readable, f"{router.db_for_read(ChangeEvent)}:{scope_key(viewer)}")
    viewer._latest_change = latest  # type: ignore[attr-defined]
    return latest


def _latest_in(events, readable: set[str], scope: str) -> int:  # noqa: ANN001 - a ChangeEvent QuerySet
    """The watermark step: read the events after the last one looked at, newest first."""
    key = f"reader:watermark:{scope}"
    watermark = cache.get(key)
    checked, latest = watermark if watermark is not None else (0, 0)
    rows = list(events.filter(id__gt=checked).order_by("-id").values_list("id", "units")[:EVENTS_READ])
    if rows and (watermark is None or len(rows) == EVENTS_READ):
        latest = rows[0][0]  # not every event after the watermark was read (or there was none): the newest
    else:
        latest = next((event_id for event_id, units in rows if _touches(units, readable)), latest)
    if rows or watermark is None:
        cache.set(key, (rows[0][0] if rows else checked, latest), None)
    return latest


def for_reader(viewer: Viewer, name: str, build: Callable[[], T]) -> T:
    """`build()` once per change in the reader's scope (and per published change and day)."""
    calendar = viewer.calendar
    key = (f"reader:{hashlib.sha256(name.encode()).hexdigest()[:32]}:{scope_key(viewer)}:{latest_change(viewer)}:{fingerprint(calendar)}:"
           f"{calendar.today.isoformat()}")
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = build()
        cache.set(key, value, CACHE_SECONDS)
    return value
