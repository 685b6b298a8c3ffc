"""Two workers at once: each delivery is claimed by one of them (FOR UPDATE SKIP LOCKED on PostgreSQL, SQLite's
writers in turn), so every e-mail leaves exactly once."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection

from govkpi.notify.delivery import deliver_due
from govkpi.notify.models import Delivery, State

from .conftest import T0


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite lets one writer in at a time (its in-memory test database refuses the second)")
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_at_once_send_each_email_once(person, send, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    people = [person() for _ in range(30)]
    for i in range(0, 30, 3):
        send(f"E{i}", people[i:i + 3])
    barrier, handled, errors = threading.Barrier(3), [], []

    def worker() -> None:
        try:
            barrier.wait()
            handled.append(deliver_due(T0 + datetime.timedelta(minutes=1))["email"])
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(handled) == 30
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert set(Delivery.objects.values_list("state", flat=True)) == {State.SENT}
