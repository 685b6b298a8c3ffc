"""Every committed change event reaches a follower of the outbox, however writers and the engine interleave.

The engine and the live streams read "every id after the last one read" (live.hub.read_after). Writers of
values, approval steps and the engine's own passes (whose `results` event is written inside a long transaction)
commit at once here on PostgreSQL, while a follower reads the outbox as the hub does; once all is committed, the
follower must have seen every event there is, none skipped by an id that committed late."""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection, connections

from govkpi.datavalues.writer import Item, write_values
from govkpi.evaluation import engine
from govkpi.events.models import ChangeEvent
from govkpi.live.hub import read_after

pytestmark = [pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="SQLite serialises writers: ids commit in order there by construction"),
              pytest.mark.django_db(transaction=True)]

UNITS = ["01", "79", "48", "31", "92", "75"]
MONTHS = ["202506", "202507", "202508"]


def test_a_follower_sees_every_event_while_writers_and_the_engine_commit_at_once(catalog):
    start = ChangeEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    done, followed = threading.Event(), threading.Event()  # writers and engine done; then the follower
    seen: list[int] = []
    errors: list[BaseException] = []

    def follow() -> None:
        last = start
        try:
            while True:
                finished = followed.is_set()  # read before the last pass, so nothing committed after it is missed
                for event in read_after(last, 1000):
                    seen.append(event.id)
                    last = event.id
                if finished:
                    return
                time.sleep(0.002)
        finally:
            connections.close_all()

    def write(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for n in range(12):
                unit, month = rng.choice(UNITS), rng.choice(MONTHS)
                items = [Item(0, "DVC_TONG", month, unit, 1000 + n), Item(1, "DVC_TOANTRINH", month, unit, n)]
                write_values(items, actor=None, channel="api", check_windows=False)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    def evaluate() -> None:
        try:
            while not done.is_set():
                engine.process_pending()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    follower, evaluator = threading.Thread(target=follow), threading.Thread(target=evaluate)
    writers = [threading.Thread(target=write, args=(seed,)) for seed in range(4)]
    follower.start()
    evaluator.start()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
    engine_events = ChangeEvent.objects.filter(id__gt=start, kind="results").count()
    done.set()
    evaluator.join(60)
    followed.set()
    follower.join(60)
    assert errors == []
    committed = list(ChangeEvent.objects.filter(id__gt=start).order_by("id").values_list("id", flat=True))
    assert len(committed) >= 24 and engine_events >= 1  # the writers' batches (a repeat changes nothing) and passes
    assert seen == committed  # each once, in order, none skipped
