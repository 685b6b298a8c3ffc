"""E-mail: at once, once per notification whatever runs twice; a daily digest once per person per day; the
person's choice per kind (at once, daily, off); no address, inbox only. Django's own locmem backend."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail

from govkpi.notify.delivery import deliver_due
from govkpi.notify.digest import send_digests
from govkpi.notify.kinds import Frequency, Kind
from govkpi.notify.models import Delivery, Digest, Notification, State
from govkpi.notify.preferences import set_frequencies

from .conftest import T0, VN

pytestmark = pytest.mark.django_db
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://kpi.example.gov.vn"


def test_an_instant_email_is_sent_exactly_once_even_when_deliver_due_runs_twice(person, send):
    me = person()
    send("T1:2026-03-13:3", [me], body_vi="Còn 3 ngày", body_en="3 days left")
    assert deliver_due(T0 + MINUTE) == {"email": 1, "webhook": 0}
    assert deliver_due(T0 + MINUTE) == {"email": 0, "webhook": 0}
    assert deliver_due(T0 + 10 * MINUTE) == {"email": 0, "webhook": 0}
    [message] = mail.outbox
    assert message.to == [me.email]
    assert message.subject == "[govkpi] Nhiệm vụ T1:2026-03-13:3 sắp đến hạn"
    assert "Còn 3 ngày" in message.body and "3 days left" in message.body
    assert "https://kpi.example.gov.vn/tasks/T1:2026-03-13:3/" in message.body
    notification = Notification.objects.get(recipient=me)
    assert message.extra_headers["Message-ID"] == f"<notification-{notification.pk}@kpi.example.gov.vn>"
    row = Delivery.objects.get(notification=notification)
    assert (row.state, row.attempts, row.sent_at) == (State.SENT, 1, T0 + MINUTE)


def test_a_producer_running_twice_writes_and_sends_nothing_twice(person, send):
    me = person()
    assert len(send("E", [me])) == 1
    assert send("E", [me], at=T0 + MINUTE) == []
    deliver_due(T0 + 2 * MINUTE)
    assert len(mail.outbox) == 1 and Delivery.objects.count() == 1


def test_a_delivery_is_not_sent_before_it_is_due(person, send):
    me = person()
    send("E", [me], at=T0)
    assert deliver_due(T0 - MINUTE) == {"email": 0, "webhook": 0} and mail.outbox == []


def test_without_an_address_the_inbox_only(person, send):
    me = person(email=False)
    [row] = send("E", [me])
    deliver_due(T0 + MINUTE)
    assert mail.outbox == [] and not Delivery.objects.exists()
    assert Notification.objects.get(pk=row.pk).read_at is None  # in the inbox, unread


def test_off_stops_email_but_the_inbox_keeps_the_notification(person, send):
    me = person()
    set_frequencies(me, {Kind.TASK_DUE: Frequency.OFF})
    send("E", [me], kind=Kind.TASK_DUE)
    send("R", [me], kind=Kind.VALUES_RETURNED, title_vi="Số liệu bị trả lại")
    deliver_due(T0 + MINUTE)
    assert [m.subject for m in mail.outbox] == ["[govkpi] Số liệu bị trả lại"]
    assert set(Notification.objects.filter(recipient=me).values_list("key", flat=True)) == {"E", "R"}


def test_turning_a_kind_off_before_the_email_leaves_stops_it(person, send):
    me = person()
    send("E", [me])
    set_frequencies(me, {Kind.TASK_DUE: Frequency.OFF})
    deliver_due(T0 + MINUTE)
    assert mail.outbox == [] and Delivery.objects.get().state == State.SKIPPED


def test_the_preferences_page_changes_how_the_next_notification_is_delivered(client, person, send):
    me = person()
    client.force_login(me)
    html = client.get("/inbox/preferences/").content.decode()
    assert re.search(r'name="task_due" value="instant"[^>]* checked', html)  # the default: at once
    choices = {kind: Frequency.INSTANT for kind in Kind.values} | {Kind.TASK_DUE: Frequency.DAILY,
                                                                    Kind.COMMENT: Frequency.OFF}
    response = client.post("/inbox/preferences/", choices)
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "Đã lưu lựa chọn." in html and re.search(r'name="task_due" value="daily"[^>]* checked', html)
    assert client.post("/inbox/preferences/", {**choices, "comment": "sometimes"}).status_code == 400
    send("E", [me], kind=Kind.TASK_DUE)
    send("C", [me], kind=Kind.COMMENT)
    send("W", [me], kind=Kind.SUBMISSION_WAITING)
    assert dict(Delivery.objects.values_list("notification__key", "channel")) == {"E": "digest", "W": "email"}
    deliver_due(T0 + MINUTE)
    assert len(mail.outbox) == 1 and "Nhiệm vụ W" in mail.outbox[0].subject


def test_a_daily_digest_once_per_person_per_day(person, send):
    me, other = person(), person()
    for user in (me, other):
        set_frequencies(user, {Kind.TASK_DUE: Frequency.DAILY})
    send("D1", [me, other], at=T0)
    send("D2", [me], at=T0.replace(hour=23, minute=59))
    send("next-day", [me], at=T0 + datetime.timedelta(days=1))  # 11 March: tomorrow's digest
    assert deliver_due(T0 + MINUTE)["email"] == 0 and mail.outbox == []  # no instant e-mail

    evening = T0.replace(hour=23, minute=59, second=30)
    assert send_digests(evening) == 0 and mail.outbox == []  # the day has not ended
    after_midnight = datetime.datetime(2026, 3, 11, 0, 5, tzinfo=VN)
    assert send_digests(after_midnight) == 2
    assert send_digests(after_midnight + MINUTE) == 0
    assert send_digests(after_midnight + datetime.timedelta(hours=5)) == 0
    mine = [m for m in mail.outbox if m.to == [me.email]]
    assert len(mail.outbox) == 2 and len(mine) == 1
    assert mine[0].subject == "[govkpi] Tổng hợp thông báo ngày 10/03/2026 / Digest of 10/03/2026 (2)"
    assert mine[0].body.index("Nhiệm vụ D1") < mine[0].body.index("Nhiệm vụ D2")
    assert "next-day" not in mine[0].body
    assert mine[0].extra_headers["Message-ID"] == f"<digest-{me.pk}-20260310@kpi.example.gov.vn>"
    assert Digest.objects.filter(user=me).count() == 1

    send_digests(datetime.datetime(2026, 3, 12, 0, 5, tzinfo=VN))
    assert [m.subject for m in mail.outbox[2:]] == ["[govkpi] Tổng hợp thông báo ngày 11/03/2026 / Digest of 11/03/2026 (1)"]
    assert set(Delivery.objects.values_list("state", flat=True)) == {State.SENT}


def test_a_notification_committed_after_its_days_digest_goes_into_the_next_one(person, send):
    me = person()
    set_frequencies(me, {Kind.TASK_DUE: Frequency.DAILY})
    send("early", [me], at=T0)
    send_digests(datetime.datetime(2026, 3, 11, 0, 5, tzinfo=VN))
    send("late", [me], at=T0.replace(hour=23, minute=59))  # written before midnight, seen after the digest
    send_digests(datetime.datetime(2026, 3, 11, 0, 6, tzinfo=VN))
    assert len(mail.outbox) == 1
    send_digests(datetime.datetime(2026, 3, 12, 0, 5, tzinfo=VN))
    assert len(mail.outbox) == 2 and "Nhiệm vụ late" in mail.outbox[1].body


def test_a_failing_mail_server_is_retried_with_backoff_then_given_up(person, send, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 2
    settings.WEBHOOK_ATTEMPTS, settings.WEBHOOK_RETRY_SECONDS = 3, 30
    me = person()
    send("E", [me])
    row = Delivery.objects.get()
    second = datetime.timedelta(seconds=1)
    start = T0  # due from the moment it was written
    # Attempts at 0 s, 30 s and 90 s after the first (30 s, then doubling); nothing in between.
    for number, at in enumerate([start, start + 30 * second, start + 90 * second], 1):
        assert deliver_due(at - second)["email"] == 0
        assert deliver_due(at)["email"] == 1
        row.refresh_from_db()
        assert row.attempts == number and "ConnectionRefusedError" in row.last_error
        assert row.state == (State.GAVE_UP if number == 3 else State.FAILED)
    assert deliver_due(T0 + datetime.timedelta(days=1))["email"] == 0 and mail.outbox == []


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_worker_dying_mid_send_loses_nothing_and_the_copy_is_recognisable(person, send, settings):
    """The at-least-once window: a run that claimed a delivery and died before storing the outcome (the message
    may or may not have left) leaves it leased; once the lease is over it is sent, with the same Message-ID."""
    from govkpi.notify import delivery

    me = person()
    [notification] = send("E", [me])
    [claimed] = delivery.claim(Delivery.objects.all(), T0)  # …and the worker is killed here
    assert claimed.attempts == 1
    after_lease = T0 + delivery.lease()
    assert deliver_due(after_lease - MINUTE)["email"] == 0  # leased: no second worker sends it meanwhile
    assert deliver_due(after_lease)["email"] == 1
    assert deliver_due(after_lease + MINUTE)["email"] == 0
    [message] = mail.outbox
    assert message.extra_headers["Message-ID"] == f"<notification-{notification.pk}@kpi.example.gov.vn>"
    row = Delivery.objects.get()
    assert (row.state, row.attempts) == (State.SENT, 2)


def test_a_title_on_several_lines_is_sent_with_a_one_line_subject(person, send):
    """A title may carry a line break (a comment's title quotes the task's title, which an import or the API can
    write on two lines); a subject with one is refused by Django (BadHeaderError), so the e-mail would be retried
    and given up, never sent."""
    me = person()
    send("E", [me], title_vi="Ý kiến về nhiệm vụ «Báo cáo\r\nquý I»", title_en="A comment on\ntask X")
    assert deliver_due(T0 + MINUTE)["email"] == 1
    [message] = mail.outbox
    assert message.subject == "[govkpi] Ý kiến về nhiệm vụ «Báo cáo quý I»"
    assert Delivery.objects.get().state == State.SENT
