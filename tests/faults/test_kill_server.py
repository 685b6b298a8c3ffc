"""SIGKILL of `govkpi serve` in the middle of a sequence of import POSTs: what was acknowledged is there
whole, what was cut is there whole or not at all, and re-sending everything converges."""

from __future__ import annotations

import threading
import time

import pytest

from tests.faults.site import MONTHS, key, month_values

pytestmark = pytest.mark.slow
BATCHES = [month_values(MONTHS[i:i + 6]) for i in range(0, 36, 6)]  # 6 batches of 240 values
KILL_AFTER = 2  # acknowledged batches before the kill, the third in flight


def _send_all(server, token: str, acknowledged: list[int], stop: threading.Event) -> None:
    for index, batch in enumerate(BATCHES):
        if stop.is_set():
            return
        try:
            answer = server.post_values(token, batch)
        except OSError:
            return  # the server died under this one
        if answer.status == 200 and answer.json()["response"]["status"] == "SUCCESS":
            acknowledged.append(index)


def test_a_killed_server_keeps_every_acknowledged_batch_whole_and_a_resend_converges(any_site):
    site = any_site
    server = site.server().start()
    acknowledged: list[int] = []
    stop = threading.Event()
    sender = threading.Thread(target=_send_all, args=(server, site.writer, acknowledged, stop))
    sender.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < KILL_AFTER:
        assert time.monotonic() < deadline and sender.is_alive(), server.log()[-3000:]
        time.sleep(0.01)
    time.sleep(0.15)  # into the next batch's request (each takes a few tenths of a second)
    server.kill()
    stop.set()
    sender.join(30)
    assert KILL_AFTER <= len(acknowledged) < len(BATCHES), "the kill did not land inside the sequence"

    stored = site.stored()
    for index, batch in enumerate(BATCHES):
        present = [key(value) in stored for value in batch]
        if index in acknowledged:
            assert all(present), f"acknowledged batch {index}: {present.count(False)} of {len(batch)} missing"
            assert all(stored[key(v)] == float(v["value"]) for v in batch)
        else:  # cut by the kill, or never sent: whole or nothing, never part
            assert not any(present) or all(present), f"batch {index}: {present.count(True)} of {len(batch)}"

    server = site.server("restarted").start()
    for batch in BATCHES:  # everything once more: the missing ones created, the rest ignored
        answer = server.post_values(site.writer, batch)
        assert answer.status == 200, answer.body[:2000]
        counts = answer.json()["response"]["importCount"]
        assert counts["imported"] + counts["ignored"] == len(batch) and counts["updated"] == 0, counts
    for batch in BATCHES:  # and again: nothing left to do
        counts = server.post_values(site.writer, batch).json()["response"]["importCount"]
        assert counts == {"imported": 0, "updated": 0, "ignored": len(batch), "deleted": 0}
    assert len(site.stored()) == sum(len(batch) for batch in BATCHES)
    server.stop()
    site.run("evaluate")  # the next start catches up with what the killed engine had not applied
    site.run("recompute", "--verify")
    site.run("audit", "verify")
