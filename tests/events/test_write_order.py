"""Change events become visible in the order of their ids: the engine and the streams read "every id after the
last one read", so a smaller id committing after a larger one would be skipped for good."""

import threading

import pytest
from django.db import close_old_connections, connection, transaction

from govkpi.events.models import ChangeEvent
from govkpi.events.outbox import emit
from govkpi.events.types import TaskChanged

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="SQLite serialises writers: ids commit in order there by construction")


@pytest.mark.django_db(transaction=True)
def test_an_event_emitted_while_another_is_uncommitted_waits_for_it():
    emitted, release = threading.Event(), threading.Event()
    first: list[int] = []

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                first.append(emit(TaskChanged(task="T-1", change="created")).id)
                emitted.set()
                release.wait(10)  # a long transaction: its event holds a smaller id, not yet committed
        finally:
            close_old_connections()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    try:
        assert emitted.wait(10)
        second: list[int] = []

        def quick_writer() -> None:
            try:
                with transaction.atomic():
                    second.append(emit(TaskChanged(task="T-2", change="created")).id)
            finally:
                close_old_connections()

        quick = threading.Thread(target=quick_writer)
        quick.start()
        quick.join(0.5)
        # The second write cannot commit (nor take its id) while the first is open ...
        assert quick.is_alive() and not second
        assert not ChangeEvent.objects.filter(payload__task="T-2").exists()
        release.set()
        quick.join(10)
        thread.join(10)
        # ... and once both have committed, the larger id is the later one: no reader could have passed it.
        assert first and second and second[0] > first[0]
    finally:
        release.set()
        thread.join(10)
