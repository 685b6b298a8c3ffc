"""Server-sent events at /api/v1/events: the change events, as they are written, for open dashboards.

Every write (values, approvals, targets, tasks) and every evaluation pass (results, scores) appends a row to
the outbox (events.models.ChangeEvent) in its own transaction. One reader per process (live.hub) follows the
outbox and feeds every open stream, so it works the same with one worker or several, on SQLite or PostgreSQL.

What goes out is decided by the read door (reads.visibility.Viewer.change_as_seen): the public hears only of
changes to official figures, targets and tasks, and gets no history from before it connected (beyond
REPLAY_SECONDS, so a page rendered a moment ago misses nothing); a signed-in reader also hears of every change
within its units, and a reconnecting one catches up from its `Last-Event-ID`. Only the kind, the units and
periods touched and when are sent, never a payload. Streams are capped in all and per client address.
"""

from __future__ import annotations

import asyncio
import datetime
import threading
from collections import Counter
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone

from govkpi.accounts.tokens import active_token
from govkpi.core.clientaddr import client_address
from govkpi.events.models import ChangeEvent
from govkpi.events.types import KINDS
from govkpi.live.hub import BATCH, HUB, Event, Subscriber, latest_id, read_after
from govkpi.reads.visibility import Viewer

KEEPALIVE = 15.0  # a comment line this often keeps proxies from closing an idle stream
LIFETIME = 300.0  # the stream ends after this long; EventSource reconnects and catches up
REPLAY_SECONDS = 60  # how far back the public may resume

_open: Counter[str] = Counter()  # open streams per client address, in this process
_open_lock = threading.Lock()


def format_event(event_id: int, kind: str, data: str) -> str:
    return f"id: {event_id}\nevent: {kind if kind in KINDS else 'change'}\ndata: {data}\n\n"


def _requested_start(request: HttpRequest) -> int | None:
    text = request.headers.get("Last-Event-ID") or request.GET.get("after") or ""
    # isdecimal() and isascii(): "²" is a digit to isdigit() but not to int(); past 2**63 the database refuses it.
    return int(text) if text.isascii() and text.isdecimal() and len(text) <= 18 else None


def _viewer(request: HttpRequest, user) -> Viewer:  # noqa: ANN001 - a user or AnonymousUser
    """The session's user, or a bearer token's (scripts; EventSource itself cannot send headers)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = active_token(header.removeprefix("Bearer ").strip())
        if token is not None:
            user = token.user
            user._govkpi_token = token  # read by accounts.permissions
    return Viewer(user)


def _start(viewer: Viewer, requested: int | None, latest: int) -> int:
    """Where the stream starts: after the requested id, but the public no further back than REPLAY_SECONDS."""
    if requested is None:
        return latest
    if viewer.is_public:
        since = timezone.now() - datetime.timedelta(seconds=REPLAY_SECONDS)
        recent = ChangeEvent.objects.filter(at__lt=since).order_by("-id").values_list("id", flat=True).first()
        return max(requested, recent or 0)
    return requested


def _catch_up(start: int, upto: int | None, render) -> list[tuple[int, str]]:  # noqa: ANN001 - Subscriber.render
    """The texts of the events after `start` (up to `upto`, or all there are) the listener may hear of."""
    backlog: list[tuple[int, str]] = []
    while upto is None or start < upto:
        batch = [e for e in read_after(start, BATCH) if upto is None or e.id <= upto]
        if not batch:
            break
        backlog += [(e.id, text) for e in batch if (text := render(e)) is not None]
        start = batch[-1].id
    return backlog


def renderer(viewer: Viewer):  # noqa: ANN201 - a function of an Event
    """How the viewer is told of an event: its server-sent text, or None (reads.visibility decides)."""
    readable = viewer.readable_codes()

    def render(event: Event) -> str | None:
        seen = viewer.change_as_seen(event.kind, list(event.units), list(event.periods), readable)
        return None if seen is None else format_event(event.id, event.kind, event.data(*seen))

    return render


def prepare(request: HttpRequest, user, loop: asyncio.AbstractEventLoop | None):  # noqa: ANN001, ANN201
    """What a stream needs before it starts: its subscription to the hub (none without a `loop`: `?once=1`)
    and the texts of the events to catch up on, as the caller may be told of them."""
    viewer = _viewer(request, user)
    render = renderer(viewer)
    requested = _requested_start(request)
    if loop is None:
        return None, _catch_up(_start(viewer, requested, latest_id()), None, render)
    subscriber = Subscriber(render, loop)
    hub_position = HUB.subscribe(subscriber)
    return subscriber, _catch_up(_start(viewer, requested, hub_position), hub_position, render)


def _prepare_on_a_worker(request: HttpRequest, loop: asyncio.AbstractEventLoop | None):  # noqa: ANN202
    try:
        return prepare(request, request.user, loop)  # the session's user is read here, on this thread
    finally:
        connections.close_all()  # a passing worker thread: leave no connection behind


async def _stream(subscriber: Subscriber | None, backlog: list[tuple[int, str]],
                  lifetime: float) -> AsyncIterator[str]:
    yield "retry: 1000\n\n"  # reconnect after a second when the connection drops
    last_sent = 0
    try:
        for event_id, text in backlog:
            last_sent = event_id
            yield text
        if subscriber is None:
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        while not subscriber.closed and loop.time() - started < lifetime:
            try:
                event_id, text = await asyncio.wait_for(subscriber.queue.get(), KEEPALIVE)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if event_id > last_sent:
                last_sent = event_id
                yield text
    finally:
        if subscriber is not None:
            HUB.unsubscribe(subscriber)


def _client(request: HttpRequest) -> str:
    return client_address(request) or "?"


def _take_place(client: str) -> str | None:
    """Count the stream in, or say why not (too many in all, or from this client)."""
    with _open_lock:
        if sum(_open.values()) >= settings.EVENT_STREAMS_MAX:
            return "all"
        if _open[client] >= settings.EVENT_STREAMS_PER_CLIENT:
            return "client"
        _open[client] += 1
        return None


def _leave_place(client: str) -> None:
    with _open_lock:
        _open[client] -= 1
        if _open[client] <= 0:
            del _open[client]


async def _counted(client: str, stream: AsyncIterator[str]) -> AsyncIterator[str]:
    try:
        async for chunk in stream:
            yield chunk
    finally:
        _leave_place(client)


def _refused(why: str) -> HttpResponse:
    if why == "client":
        text = "Quá nhiều luồng cập nhật mở từ địa chỉ này. / Too many open event streams from this address."
        status = 429
    else:
        text = "Máy chủ đang phục vụ tối đa số luồng cập nhật. / The server holds as many event streams as it may."
        status = 503
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = "30"
    return response


async def events(request: HttpRequest) -> HttpResponse:
    """GET /api/v1/events: `text/event-stream` of the change events the caller may hear of, from the next one
    on (or after `Last-Event-ID` / `?after=`). `?once=1` sends what is pending and ends (tests and scripts)."""
    client = _client(request)
    refused = _take_place(client)
    if refused:
        return _refused(refused)
    try:
        loop = None if request.GET.get("once") == "1" else asyncio.get_running_loop()
        subscriber, backlog = await sync_to_async(_prepare_on_a_worker, thread_sensitive=False)(request, loop)
    except BaseException:
        _leave_place(client)
        raise
    response = StreamingHttpResponse(_counted(client, _stream(subscriber, backlog, LIFETIME)),
                                     content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response
