"""The server-sent event stream: what pending events it sends, from where, and that it never leaks payloads."""

import asyncio

import pytest
from django.test import AsyncClient

from govkpi.events.models import ChangeEvent
from govkpi.events.outbox import emit
from govkpi.events.types import ResultsChanged, TaskChanged, ValuesWritten
from govkpi.live.stream import format_event

pytestmark = pytest.mark.django_db(transaction=True)  # the stream reads from its own thread's connection


def read(path, headers=None):
    async def fetch():
        response = await AsyncClient().get(path, headers=headers)
        chunks = [chunk async for chunk in response.streaming_content]
        return response, b"".join(chunks).decode()

    return asyncio.run(fetch())


def test_the_stream_sends_the_events_after_the_last_one_seen_without_payloads():
    written = ValuesWritten(elements=("NOI_BO_SECRET",), batch=None, imported=1, updated=0, deleted=0, ignored=0,
                            channel="api")
    first = emit(written, units=["01"], periods=["202510"])
    second = emit(ResultsChanged(changed=2), units=["01", "CP"], periods=["202510"])
    response, body = read(f"/api/v1/events?once=1&after={first.id - 1}")
    assert response["Content-Type"] == "text/event-stream" and response["Cache-Control"] == "no-cache"
    assert body.startswith("retry: 1000")
    # The public hears of the official result, not of the write (tests/live/test_audience.py).
    assert f"id: {second.id}\nevent: results\n" in body and f"id: {first.id}\n" not in body
    assert '"units": ["01", "CP"]' in body and "NOI_BO_SECRET" not in body  # payloads never go out
    # A reconnecting browser sends Last-Event-ID and gets only what it missed.
    _response, body = read("/api/v1/events?once=1", {"Last-Event-ID": str(second.id)})
    assert "id: " not in body


def test_a_new_connection_starts_from_now():
    emit(TaskChanged(task="T1", change="progress"), units=["BCA"])
    _response, body = read("/api/v1/events?once=1")
    assert "event:" not in body
    assert ChangeEvent.objects.count() == 1


def test_unknown_kinds_go_out_as_plain_changes():
    assert format_event(7, "internal", "{}") == "id: 7\nevent: change\ndata: {}\n\n"
