"""Server-sent events at /api/v1/events: the change events, as they are written, for open dashboards.

Every write (values, approvals, targets, tasks) and every evaluation pass (results, scores) appends a row to
the outbox (events.models.ChangeEvent) in its own transaction. The stream reads the outbox after the last
id it sent, every POLL seconds: this works the same with one worker or several, on SQLite or PostgreSQL, and
a client that lost its connection catches up from its `Last-Event-ID` (EventSource sends it by itself).
Only what is safe to publish goes out: the kind, the units and periods touched, and when; never a payload
(which may name an unpublished indicator).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.db import connections
from django.http import HttpRequest, StreamingHttpResponse

from govkpi.events.models import ChangeEvent

POLL = 0.1  # seconds between reads of the outbox: the dashboards' delay after a write
KEEPALIVE = 15.0  # a comment line this often keeps proxies from closing an idle stream
LIFETIME = 300.0  # the stream ends after this long; EventSource reconnects and catches up
BATCH = 200
PUBLISHED_KINDS = ("datavalues", "approval", "targets", "task", "results", "scores")


def _latest_id() -> int:
    return ChangeEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _after(last_id: int) -> list[tuple[int, str, str]]:
    """(id, kind, data) of the published events after `last_id`, oldest first."""
    rows = ChangeEvent.objects.filter(id__gt=last_id).order_by("id").values_list(
        "id", "kind", "units", "periods", "at", "payload")[:BATCH]
    out = []
    for event_id, kind, units, periods, at, payload in rows:
        data = {"id": event_id, "kind": kind, "units": units, "periods": periods, "at": at.isoformat(),
                "wide": bool((payload or {}).get("wide"))}
        out.append((event_id, kind, json.dumps(data, ensure_ascii=False)))
    return out


def format_event(event_id: int, kind: str, data: str) -> str:
    return f"id: {event_id}\nevent: {kind if kind in PUBLISHED_KINDS else 'change'}\ndata: {data}\n\n"


def _start_id(request: HttpRequest) -> int | None:
    text = request.headers.get("Last-Event-ID") or request.GET.get("after") or ""
    return int(text) if text.isdigit() else None


async def _stream(last_id: int, once: bool, poll: float, lifetime: float) -> AsyncIterator[str]:
    yield "retry: 1000\n\n"  # reconnect after a second when the connection drops
    loop = asyncio.get_running_loop()
    # One thread per stream does its reads, so the stream holds one database connection, closed at the end.
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="govkpi-events")
    started = quiet_since = loop.time()
    try:
        while True:
            rows = await loop.run_in_executor(reader, _after, last_id)
            for event_id, kind, data in rows:
                last_id = event_id
                yield format_event(event_id, kind, data)
            now = loop.time()
            if rows:
                quiet_since = now
            elif now - quiet_since >= KEEPALIVE:
                yield ": keep-alive\n\n"
                quiet_since = now
            if once and len(rows) < BATCH:
                return
            if now - started >= lifetime:
                return
            await asyncio.sleep(poll)
    finally:
        await loop.run_in_executor(reader, connections.close_all)
        reader.shutdown(wait=False)


def _latest_id_closing() -> int:
    try:
        return _latest_id()
    finally:
        connections.close_all()  # this runs on a passing worker thread: leave no connection behind


async def events(request: HttpRequest) -> StreamingHttpResponse:
    """GET /api/v1/events: `text/event-stream` of change events from the next one on (or after `Last-Event-ID`
    / `?after=`). `?once=1` sends what is pending and ends (for tests and scripts)."""
    start = _start_id(request)
    if start is None:
        start = await sync_to_async(_latest_id_closing, thread_sensitive=False)()
    once = request.GET.get("once") == "1"
    response = StreamingHttpResponse(_stream(start, once, POLL, LIFETIME), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response
