"""Webhooks to a real receiving server on loopback: signed bodies, one per event per endpoint, retries with their
backoff driven by the clock, given up after WEBHOOK_ATTEMPTS, and an endpoint never told of what its scope may
not see."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from govkpi.notify.delivery import deliver_due
from govkpi.notify.kinds import Kind
from govkpi.notify.models import State, WebhookAttempt, WebhookDelivery, WebhookEndpoint

from .conftest import T0

pytestmark = pytest.mark.django_db
SECOND = datetime.timedelta(seconds=1)
SECRET = "a-shared-secret-between-govkpi-and-the-receiver"


class Receiver:
    """An HTTP server in a thread answering POSTs with the statuses it is given in turn (the last one again)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses, self.received = list(statuses), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/govkpi"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver():
    made = []

    def make(statuses: list[int]) -> Receiver:
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SITE_URL = "https://kpi.example.gov.vn"
    settings.WEBHOOK_ATTEMPTS, settings.WEBHOOK_RETRY_SECONDS, settings.WEBHOOK_TIMEOUT = 4, 30, 2


def verified(headers: dict, body: bytes, secret: str = SECRET) -> dict:
    """What a receiver does (docs/notifications.md): check the signature over the raw body, then read it."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Govkpi-Signature"], expected)
    event = json.loads(body)
    assert str(event["sent_at"]) == headers["X-Govkpi-Timestamp"]
    return event


def test_a_signed_webhook_is_retried_with_backoff_until_it_succeeds(receiver, person, send):
    server = receiver([500, 500, 200])
    WebhookEndpoint.objects.create(name="tong-hop", url=server.url, secret=SECRET)
    people = [person(), person()]
    send("task-due:NV-1:2026-03-13:3", people, body_vi="Còn 3 ngày", data={"task": "NV-1", "days": 3})
    # Two people told, one event: one webhook delivery.
    [row] = WebhookDelivery.objects.all()
    assert deliver_due(T0)["webhook"] == 1  # 500
    assert deliver_due(T0 + 29 * SECOND)["webhook"] == 0  # the first retry waits 30 s
    assert deliver_due(T0 + 30 * SECOND)["webhook"] == 1  # 500
    assert deliver_due(T0 + 89 * SECOND)["webhook"] == 0  # the second waits 60 s
    assert deliver_due(T0 + 90 * SECOND)["webhook"] == 1  # 200
    assert deliver_due(T0 + 3600 * SECOND)["webhook"] == 0  # sent: never again

    assert len(server.received) == 3
    events = [verified(h, b) for h, b in server.received]
    assert [e["sent_at"] for e in events] == [int((T0 + s * SECOND).timestamp()) for s in (0, 30, 90)]
    headers = server.received[0][0]
    assert headers["X-Govkpi-Event"] == "task_due"
    assert {h["X-Govkpi-Delivery"] for h, _ in server.received} == {str(row.uuid)}  # stable across retries
    event = events[-1]
    assert {k: event[k] for k in ("kind", "key", "title_vi", "title_en", "link", "data")} == {
        "kind": "task_due", "key": "task-due:NV-1:2026-03-13:3", "title_vi": "Nhiệm vụ task-due:NV-1:2026-03-13:3 sắp đến hạn",
        "title_en": "Task task-due:NV-1:2026-03-13:3 is due soon",
        "link": "https://kpi.example.gov.vn/tasks/task-due:NV-1:2026-03-13:3/", "data": {"task": "NV-1", "days": 3}}
    assert event["unit"]["code"] == "01" and datetime.datetime.fromisoformat(event["created_at"]) == T0
    assert {e["id"] for e in events} == {event["id"]}

    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_status, row.sent_at) == (State.SENT, 3, 200, T0 + 90 * SECOND)
    log = list(WebhookAttempt.objects.filter(delivery=row).values_list("number", "at", "status_code"))
    assert log == [(1, T0, 500), (2, T0 + 30 * SECOND, 500), (3, T0 + 90 * SECOND, 200)]


def test_a_tampered_body_fails_the_check(receiver, person, send):
    server = receiver([200])
    WebhookEndpoint.objects.create(name="a", url=server.url, secret=SECRET)
    send("E", [person()])
    deliver_due(T0)
    headers, body = server.received[0]
    with pytest.raises(AssertionError):
        verified(headers, body.replace(b"01", b"79"))
    with pytest.raises(AssertionError):
        verified(headers, body, secret="another secret")


def test_an_endpoint_answering_500_always_is_given_up_after_the_last_attempt(receiver, person, send):
    server = receiver([500])
    WebhookEndpoint.objects.create(name="hong", url=server.url, secret=SECRET)
    send("E", [person()])
    now = T0
    for number in range(1, 5):
        assert deliver_due(now)["webhook"] == 1
        now += 30 * SECOND * 2 ** (number - 1)  # 30 s, 60 s, 120 s
    assert deliver_due(now + datetime.timedelta(days=1))["webhook"] == 0
    row = WebhookDelivery.objects.get()
    assert (row.state, row.attempts, row.last_status) == (State.GAVE_UP, 4, 500)
    assert "HTTP 500" in row.last_error and len(server.received) == 4
    assert list(row.attempt_log.values_list("status_code", flat=True)) == [500] * 4


def test_an_endpoint_that_never_answers_is_retried_then_given_up(person, send, settings):
    settings.WEBHOOK_TIMEOUT = 0.5
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts the connection, never answers
    try:
        WebhookEndpoint.objects.create(name="im-lang", url=f"http://127.0.0.1:{silent.getsockname()[1]}/",
                                       secret=SECRET)
        send("E", [person()])
        now = T0
        for number in range(1, 5):
            assert deliver_due(now)["webhook"] == 1
            now += 30 * SECOND * 2 ** (number - 1)
    finally:
        silent.close()
    row = WebhookDelivery.objects.get()
    assert (row.state, row.attempts, row.last_status) == (State.GAVE_UP, 4, None)
    assert "timed out" in row.last_error
    assert list(row.attempt_log.values_list("status_code", flat=True)) == [None] * 4


def test_an_endpoint_scoped_to_a_province_never_hears_of_another(receiver, person, send, unit):
    hanoi, everyone = receiver([200]), receiver([200])
    WebhookEndpoint.objects.create(name="ha-noi", url=hanoi.url, secret=SECRET, unit=unit("01"))
    WebhookEndpoint.objects.create(name="toan-quoc", url=everyone.url, secret=SECRET)
    commune = unit("01").children.order_by("code").first()
    people = [person("01"), person("79")]
    send("hn", people[:1], unit_code="01")
    send("hn-commune", people[:1], unit_code=commune.code)
    send("hcm", people[1:], unit_code="79")
    send("national", people, unit_code=None)
    deliver_due(T0)
    assert sorted(json.loads(b)["key"] for _, b in hanoi.received) == ["hn", "hn-commune"]
    assert sorted(json.loads(b)["key"] for _, b in everyone.received) == ["hcm", "hn", "hn-commune", "national"]


def test_an_endpoint_gets_only_the_kinds_it_asked_for_and_nothing_when_inactive(receiver, person, send):
    server = receiver([200])
    WebhookEndpoint.objects.create(name="tra-lai", url=server.url, secret=SECRET, kinds=[Kind.VALUES_RETURNED])
    WebhookEndpoint.objects.create(name="tat", url=server.url, secret=SECRET, active=False)
    send("due", [person()], kind=Kind.TASK_DUE)
    send("returned", [person()], kind=Kind.VALUES_RETURNED)
    deliver_due(T0)
    assert [json.loads(b)["key"] for _, b in server.received] == ["returned"]


def test_a_scope_narrowed_after_the_event_stops_the_delivery(receiver, person, send, unit):
    server = receiver([200])
    endpoint = WebhookEndpoint.objects.create(name="a", url=server.url, secret=SECRET)
    send("hcm", [person("79")], unit_code="79")
    endpoint.unit = unit("01")
    endpoint.save()
    deliver_due(T0)
    assert server.received == [] and WebhookDelivery.objects.get().state == State.SKIPPED


def test_the_receiver_example_in_the_docs_verifies_a_real_request(receiver, person, send):
    import re
    from pathlib import Path

    import time_machine

    docs = Path(__file__).parents[2] / "docs" / "notifications.md"
    example = re.search(r"### Verifying a webhook.*?```python\n(.*?)```", docs.read_text(encoding="utf-8"), re.DOTALL)[1]
    namespace: dict = {}
    exec(example.replace("b\"the endpoint's secret, as shown in govkpi's admin\"", repr(SECRET.encode())), namespace)
    server = receiver([200])
    WebhookEndpoint.objects.create(name="a", url=server.url, secret=SECRET)
    send("E", [person()])
    deliver_due(T0)
    headers, body = server.received[0]
    with time_machine.travel(T0 + 60 * SECOND, tick=False):
        assert namespace["verify"](body, headers)["key"] == "E"
        with pytest.raises(ValueError, match="bad signature"):
            namespace["verify"](body + b" ", headers)
    with time_machine.travel(T0 + 301 * SECOND, tick=False), pytest.raises(ValueError, match="too old"):
        namespace["verify"](body, headers)


def test_an_endpoint_answering_garbage_is_a_failed_attempt_and_the_others_are_still_sent(receiver, person, send):
    """A receiver that does not speak HTTP (http.client raises BadStatusLine, not an OSError) fails its own
    delivery, logged and retried; it does not stop the run before the other endpoints' deliveries."""
    garbage = socket.socket()
    garbage.bind(("127.0.0.1", 0))
    garbage.listen()

    def answer() -> None:
        connection, _address = garbage.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"NOT HTTP AT ALL\r\n\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    good = receiver([200])
    try:
        WebhookEndpoint.objects.create(name="a-garbage", url=f"http://127.0.0.1:{garbage.getsockname()[1]}/",
                                       secret=SECRET)
        WebhookEndpoint.objects.create(name="b-good", url=good.url, secret=SECRET)
        send("E", [person()])
        assert deliver_due(T0)["webhook"] == 2
        thread.join(5)
    finally:
        garbage.close()
    bad = WebhookDelivery.objects.get(endpoint__name="a-garbage")
    assert (bad.state, bad.attempts, bad.last_status) == (State.FAILED, 1, None)
    assert "BadStatusLine" in bad.last_error
    assert list(bad.attempt_log.values_list("number", "status_code")) == [(1, None)]
    assert WebhookDelivery.objects.get(endpoint__name="b-good").state == State.SENT
    assert len(good.received) == 1
