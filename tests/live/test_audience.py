"""The event stream's audience and bounds: what the public and a reader hear of, how far back each may resume,
the caps on open streams, and one shared reader of the outbox feeding every stream."""

import asyncio
import datetime
import threading

import pytest
import time_machine
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import AsyncClient, Client

from govkpi.accounts.roles import Role
from govkpi.events.models import ChangeEvent
from govkpi.events.outbox import emit
from govkpi.events.types import ApprovalChanged, ResultsChanged, ValuesWritten
from govkpi.live.hub import HUB
from tests.live.conftest import DAY

pytestmark = pytest.mark.django_db(transaction=True)  # the stream reads on its own threads' connections
OFFICIAL, PROVISIONAL = "202610", "202611"  # on 2 December 2026 November is still being reported (due 15/12)


def written(unit: str, period: str) -> ChangeEvent:
    return emit(ValuesWritten(elements=("DVC_TONG",), batch=None, imported=1, updated=0, deleted=0, ignored=0,
                              channel="api"), units=[unit], periods=[period])


def emit_and_close(change, **where) -> ChangeEvent:
    """Emit from a worker thread as a writer would, leaving no connection open there."""
    try:
        return emit(change, **where)
    finally:
        connections.close_all()


def read(path: str, user=None, headers=None) -> str:
    cookies = None
    if user is not None:  # signed in on this thread: an async sign-in would leave a connection on another
        signed_in = Client()
        signed_in.force_login(user)
        cookies = signed_in.cookies

    async def fetch():
        client = AsyncClient()
        if cookies is not None:
            client.cookies = cookies
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, response.content
        body = b"".join([chunk async for chunk in response.streaming_content]).decode()
        # The middleware read the signed-in user on the thread-sensitive thread; the test client does not
        # close connections at the end of a request as a server does.
        await sync_to_async(connections.close_all)()
        return body

    return asyncio.run(fetch())


def ids(body: str) -> list[int]:
    return [int(line[4:]) for line in body.splitlines() if line.startswith("id: ")]


def test_the_public_hears_only_of_official_figures_and_never_of_writes():
    start = ChangeEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    values = written("01", PROVISIONAL)
    approval = emit(ApprovalChanged(state="approved", action="approve"), units=["01"], periods=[OFFICIAL])
    provisional = emit(ResultsChanged(changed=1), units=["01", "CP"], periods=[PROVISIONAL])
    official = emit(ResultsChanged(changed=1), units=["01", "CP"], periods=[OFFICIAL])
    body = read(f"/api/v1/events?once=1&after={start}")
    assert ids(body) == [official.id]
    assert values.id not in ids(body) and approval.id not in ids(body) and provisional.id not in ids(body)


def test_a_reader_hears_of_every_change_within_its_units_and_of_official_figures_elsewhere(make_user):
    start = ChangeEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    hanoi = written("01", PROVISIONAL)
    commune = written("00004", PROVISIONAL)  # Phường Ba Đình, in Hà Nội
    saigon = written("79", PROVISIONAL)
    saigon_result = emit(ResultsChanged(changed=1), units=["79", "CP"], periods=[PROVISIONAL])
    official = emit(ResultsChanged(changed=1), units=["79", "CP"], periods=[OFFICIAL])
    body = read(f"/api/v1/events?once=1&after={start}", make_user(Role.VIEWER, "01"))
    assert ids(body) == [hanoi.id, commune.id, official.id]
    assert saigon.id not in ids(body) and saigon_result.id not in ids(body)
    national = read(f"/api/v1/events?once=1&after={start}", make_user(Role.VIEWER, "CP"))
    assert ids(national) == [hanoi.id, commune.id, saigon.id, saigon_result.id, official.id]


def test_the_public_gets_no_history_from_before_it_connected_but_a_reader_catches_up(make_user):
    with time_machine.travel(DAY - datetime.timedelta(hours=2), tick=False):
        old = emit(ResultsChanged(changed=1), units=["CP"], periods=[OFFICIAL])
    recent = emit(ResultsChanged(changed=1), units=["CP"], periods=[OFFICIAL])
    assert ids(read(f"/api/v1/events?once=1&after={old.id - 1}")) == [recent.id]  # a page rendered just now
    assert ids(read("/api/v1/events?once=1", headers={"Last-Event-ID": "0"})) == [recent.id]
    reader = make_user(Role.VIEWER, "CP")
    assert ids(read(f"/api/v1/events?once=1&after={old.id - 1}", reader)) == [old.id, recent.id]


def test_open_streams_are_capped_per_client_and_in_all(settings):
    async def status(path: str) -> tuple[int, str]:
        response = await AsyncClient().get(path)
        if response.streaming:  # read to the end, so the stream gives its place back
            b"".join([chunk async for chunk in response.streaming_content])
        return response.status_code, response.get("Retry-After", "")

    settings.EVENT_STREAMS_PER_CLIENT = 0
    assert asyncio.run(status("/api/v1/events?once=1")) == (429, "30")
    settings.EVENT_STREAMS_PER_CLIENT, settings.EVENT_STREAMS_MAX = 8, 0
    assert asyncio.run(status("/api/v1/events?once=1")) == (503, "30")
    settings.EVENT_STREAMS_MAX = 500
    assert asyncio.run(status("/api/v1/events?once=1"))[0] == 200  # places are given back when a stream ends


def test_one_reader_of_the_outbox_feeds_every_open_stream():
    async def two_streams() -> tuple[list[str], int, int]:
        responses = [await AsyncClient().get("/api/v1/events") for _ in range(2)]
        streams = [r.streaming_content.__aiter__() for r in responses]
        for stream in streams:
            assert (await stream.__anext__()).startswith(b"retry:")
        readers = sum(1 for t in threading.enumerate() if t.name == "govkpi-event-hub")
        open_streams = HUB.open_streams()
        event = await sync_to_async(emit_and_close, thread_sensitive=False)(
            ResultsChanged(changed=1), units=["CP"], periods=[OFFICIAL])
        got = [(await asyncio.wait_for(stream.__anext__(), 5)).decode() for stream in streams]
        for stream in streams:
            await stream.aclose()
        return got, readers, open_streams, event.id

    got, readers, open_streams, event_id = asyncio.run(two_streams())
    assert readers == 1 and open_streams == 2
    assert all(text.startswith(f"id: {event_id}\nevent: results\n") for text in got)
