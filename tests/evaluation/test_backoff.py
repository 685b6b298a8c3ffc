"""A failing engine pass is retried with capped, jittered exponential backoff, its traceback logged once per
distinct error, its failure and recovery recorded for the health endpoint."""

import logging
import threading
import time

import pytest

from govkpi.evaluation import runner, status
from govkpi.evaluation.models import EngineStatus
from govkpi.evaluation.runner import Backoff
from govkpi.events.wakeup import BELL


def test_the_wait_doubles_per_failure_up_to_its_ceiling_each_drawn_from_its_upper_half():
    backoff = Backoff(first=1, ceiling=60)
    waits = [backoff.failed(OSError(28, "No space left on device")) for _ in range(10)]
    for failures, wait in enumerate(waits, start=1):
        ceiling = min(60, 2 ** (failures - 1))
        assert ceiling / 2 <= wait <= ceiling
    assert max(waits) <= 60 and sum(waits) > 100  # ten failures wait minutes, not ten seconds


def test_only_a_new_error_counts_as_new_and_a_success_starts_over():
    backoff = Backoff(first=1, ceiling=60)
    backoff.failed(OSError("disk full"))
    assert backoff.new_error
    backoff.failed(OSError("disk full"))
    assert not backoff.new_error
    backoff.failed(RuntimeError("other"))
    assert backoff.new_error and backoff.failures == 3
    backoff.succeeded()
    assert backoff.failures == 0 and backoff.failed(OSError("disk full")) <= 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_pass_is_not_retried_in_a_tight_loop_and_its_failure_is_recorded(monkeypatch, caplog):
    monkeypatch.setattr(runner, "BACKOFF_FIRST", 0.1)
    monkeypatch.setattr(runner, "BACKOFF_MAX", 0.4)
    calls, stop = [], threading.Event()

    def step() -> int:  # a pass that fails four times on a full disk, then succeeds
        calls.append(1)
        if len(calls) <= 4:
            raise OSError(28, "No space left on device")
        stop.set()
        BELL.ring()  # as `govkpi evaluate --follow` does on SIGTERM: the loop's wait ends
        return 0

    with caplog.at_level(logging.INFO, logger="govkpi.evaluation.runner"):
        loop = threading.Thread(target=runner._loop, args=(stop, 60.0, step, None, "results"))
        loop.start()
        loop.join(timeout=5)
    assert not loop.is_alive() and len(calls) == 5
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1  # once for the one distinct error; the repeats are one line each
    assert sum("failed again" in r.getMessage() for r in caplog.records) == 3
    assert any("recovered after 4 failures" in r.getMessage() for r in caplog.records)
    row = EngineStatus.objects.get(name="results")
    assert row.failures == 0 and "No space left on device" in row.last_error
    assert row.recovered_at >= row.last_error_at
    assert status.failures()["results"].failures == 0


@pytest.mark.django_db(transaction=True)
def test_an_engine_that_cannot_start_keeps_trying_instead_of_ending(monkeypatch, caplog):
    from django.db import OperationalError, connection

    monkeypatch.setattr(runner, "BACKOFF_FIRST", 0.05)
    refused, stop = [], threading.Event()

    def full_disk(execute, sql, params, many, context):  # noqa: ANN001, ANN202 - the database's own failure
        if "evaluation_cursor" in sql and len(refused) < 3:  # the start's cursors, not the failure's record
            refused.append(sql)
            raise OperationalError("database or disk is full")
        return execute(sql, params, many, context)

    def engine() -> None:
        with connection.execute_wrapper(full_disk):
            runner.follow(stop, fallback=60)
        connection.close()

    with caplog.at_level(logging.INFO, logger="govkpi.evaluation.runner"):
        thread = threading.Thread(target=engine)
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while not any("started after 3 failures" in r.getMessage() for r in caplog.records):
                assert thread.is_alive(), "the engine ended instead of retrying its start"
                assert time.monotonic() < deadline, [r.getMessage() for r in caplog.records]
                time.sleep(0.05)
        finally:
            stop.set()
            BELL.ring()
            thread.join(timeout=10)
    assert not thread.is_alive() and len(refused) == 3
    # one traceback for the start's one error (the test database in memory may add a "table is locked" of its own
    # once the loops run side by side: a different error, with its own traceback)
    assert sum(bool(r.exc_info) and "could not start" in r.getMessage() for r in caplog.records) == 1
    assert EngineStatus.objects.get(name="results").failures == 0
