"""The engine as it runs beside the server: woken by the commit of a change event, one leader at a time."""

import threading
import time

import pytest
from django.db import connection

from govkpi.datavalues.writer import Item, write_values
from govkpi.evaluation.models import Result
from govkpi.evaluation.runner import Leadership, follow
from govkpi.events.wakeup import BELL

JULY = "202507"


def _national():
    return Result.objects.filter(indicator__code="DVC_TOANTRINH_TYLE", unit__code="CP", period=JULY,
                                 valid_to__isnull=True).values_list("value", flat=True).first()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_committed_write_wakes_the_engine_long_before_its_fallback_poll(catalog):
    stop = threading.Event()
    follower = threading.Thread(target=follow, args=(stop,), kwargs={"fallback": 60}, daemon=True)
    follower.start()
    try:
        time.sleep(0.5)  # the follower has made its first pass and waits on the bell
        rung = BELL.rung
        started = time.monotonic()
        write_values([Item(0, "DVC_TOANTRINH", JULY, "01", 1500), Item(1, "DVC_TONG", JULY, "01", 2000)],
                     actor=None, channel="api", check_windows=False)
        assert BELL.rung > rung  # the commit rang
        while _national() is None and time.monotonic() - started < 10:
            time.sleep(0.05)
        assert _national() == 75.0
        assert time.monotonic() - started < 10  # far below the 60 s fallback: the wake-up did it
    finally:
        stop.set()
        BELL.ring()
        follower.join(timeout=10)
    assert not follower.is_alive()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_second_engine_waits_while_the_first_leads():
    if connection.vendor != "postgresql":
        pytest.skip("the leader lock is PostgreSQL's advisory lock; SQLite serves one process")
    first, second = Leadership(), Leadership()
    assert first.acquire(threading.Event())
    try:
        stop = threading.Event()
        threading.Timer(1.5, stop.set).start()
        started = time.monotonic()
        assert not second.acquire(stop)  # waited, never led
        assert time.monotonic() - started >= 1.4 and first.held()
    finally:
        first.release()
    assert second.acquire(threading.Event())  # the lock passed on when the leader ended
    assert second.held()
    second.release()
