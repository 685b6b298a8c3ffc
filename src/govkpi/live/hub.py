"""One reader of the outbox per process, feeding every open event stream.

A thread reads the change events after the last id it saw each time one commits (events.wakeup: PostgreSQL
NOTIFY, Redis or this process's own commit), and at the latest every FALLBACK seconds, while at least one
stream is open; it hands each event to the streams whose audience may hear of it. So a thousand open
dashboards cost one query per commit, not a thousand, and an idle dashboard costs nothing but the fallback.
A stream that falls too far behind (its queue full) is closed: its browser reconnects and catches up from
Last-Event-ID.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import close_old_connections, connections

from govkpi.events.models import ChangeEvent
from govkpi.events.types import parse
from govkpi.events.wakeup import BELL, FALLBACK, listen

BATCH = 500
QUEUE = 2000  # events a stream may have waiting before it is closed as too slow


@dataclass(frozen=True)
class Event:
    """A change event as the outbox holds it, without its payload (it may name an unpublished indicator)."""

    id: int
    kind: str
    units: tuple[str, ...]
    periods: tuple[str, ...]
    at: str
    wide: bool

    def data(self, units: list[str], periods: list[str]) -> str:
        """The JSON sent as the event's data, with the units and periods the listener may be told of (fields
        documented in events.types)."""
        return json.dumps({"id": self.id, "kind": self.kind, "units": units, "periods": periods, "at": self.at,
                           "wide": self.wide}, ensure_ascii=False)


def read_after(last_id: int, limit: int = BATCH) -> list[Event]:
    """The events after `last_id`, oldest first."""
    return [Event(row.id, row.kind, tuple(row.units), tuple(row.periods), row.at.isoformat(), parse(row).wide)
            for row in ChangeEvent.objects.filter(id__gt=last_id).order_by("id")[:limit]]


def latest_id() -> int:
    return ChangeEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


@dataclass(eq=False)
class Subscriber:
    """One open stream: how it sees an event (`render`, called on the hub's thread: the text to send, or None
    when it may not hear of it) and its queue of texts."""

    render: Callable[[Event], str | None]
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE))
    closed: bool = False

    def offer(self, item: tuple[int, str]) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.closed = True  # too slow: the stream ends, the browser reconnects and catches up


class Hub:
    def __init__(self, fallback: float = FALLBACK) -> None:
        self.fallback = fallback
        self._subscribers: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._last_id = 0

    def subscribe(self, subscriber: Subscriber) -> int:
        """Register a stream; every event after the returned id will be offered to it. Runs a query when the
        hub is idle, so call it off the event loop."""
        with self._lock:
            if self._thread is None:
                listen()
                self._last_id = latest_id()
                connections.close_all()  # this ran on a passing worker thread
                self._thread = threading.Thread(target=self._run, name="govkpi-event-hub", daemon=True)
                self._thread.start()
            self._subscribers.add(subscriber)
            return self._last_id

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(subscriber)

    def open_streams(self) -> int:
        return len(self._subscribers)

    def _run(self) -> None:
        seen = BELL.rung
        try:
            while True:
                with self._lock:
                    if not self._subscribers:
                        self._thread = None
                        return
                    last_id = self._last_id
                close_old_connections()
                events = read_after(last_id)
                with self._lock:
                    if events:
                        self._last_id = events[-1].id
                    subscribers = list(self._subscribers)
                for event in events:
                    for subscriber in subscribers:
                        text = None if subscriber.closed else subscriber.render(event)
                        if text is not None:
                            subscriber.loop.call_soon_threadsafe(subscriber.offer, (event.id, text))
                if len(events) < BATCH:
                    seen = BELL.wait(seen, self.fallback)
        finally:
            connections.close_all()


HUB = Hub()
