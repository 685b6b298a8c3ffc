"""A PostgreSQL cluster of the test's own restarted (`pg_ctl restart -m fast`) under three writers and three
readers against a real `govkpi serve`: the server recovers by itself, every acknowledged write is stored, and
what fails during the outage fails as JSON a client can retry (503 or 409), never an HTML 500."""

from __future__ import annotations

import threading
import time

import pytest

from tests.faults.site import MONTHS, PROVINCES, Stream

pytestmark = pytest.mark.slow
WRITERS, READERS = 3, 3
RETRYABLE = {409, 503}


def _writer(server, token: str, number: int, stop: threading.Event, seen: list) -> None:
    for step, month in enumerate(MONTHS * 4):
        if stop.is_set():
            return
        value = {"dataElement": "DVC_TONG", "period": month, "orgUnit": PROVINCES[number], "value": str(1000 + step)}
        try:
            answer = server.post_values(token, [value], timeout=30)
            seen.append(("write", time.monotonic(), answer.status, answer, value))
        except OSError as error:
            seen.append(("write", time.monotonic(), None, error, value))


def _reader(server, token: str, session: str, number: int, stop: threading.Event, seen: list) -> None:
    paths = ["/api/v1/results?limit=20", "/api/v1/scores?limit=20", "/", f"/units/{PROVINCES[number]}/"]
    step = 0
    while not stop.is_set():
        path = paths[step % len(paths)]
        step += 1
        headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api") else {"Cookie": f"sessionid={session}"}
        try:
            answer = server.request("GET", path, headers=headers, timeout=30)
            seen.append(("read", time.monotonic(), answer.status, answer, path))
        except OSError as error:
            seen.append(("read", time.monotonic(), None, error, path))


def test_a_postgresql_restart_under_writers_and_readers_loses_nothing_acknowledged(pg_site):
    site = pg_site
    server = site.server().start()
    stream = Stream(server.port, site.reader)  # held open across the restart
    stop, seen = threading.Event(), []
    threads = [threading.Thread(target=_writer, args=(server, site.writer, n, stop, seen)) for n in range(WRITERS)]
    threads += [threading.Thread(target=_reader, args=(server, site.reader, site.session, n, stop, seen))
                for n in range(READERS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.5)
        site.cluster.restart()
        restarted = time.monotonic()
        time.sleep(5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(40)
    assert server.process.poll() is None, server.log()[-3000:]

    failed = [(kind, status, answer, what) for kind, _at, status, answer, what in seen if status != 200]
    unreachable = [f for f in failed if f[1] is None]
    assert not unreachable, f"connection errors: {unreachable[:3]}"

    def retryable(kind: str, status: int, answer, what: str) -> bool:
        api = kind == "write" or str(what).startswith("/api")  # a page may answer its outage in HTML
        json_ = answer.headers.get("content-type", "").startswith("application/json")
        return status in RETRYABLE and (json_ or not api) and (status != 503 or "retry-after" in answer.headers)

    not_retryable = [(kind, status, what, answer.headers.get("content-type"), answer.body[:300])
                     for kind, status, answer, what in failed if not retryable(kind, status, answer, what)]
    assert not not_retryable, f"{len(not_retryable)} not a retryable JSON answer: {not_retryable[:3]}"
    print(f"{len(seen)} requests, {len(failed)} refused during the outage:",
          sorted({(kind, status) for kind, status, _a, _w in failed}))

    # Recovered by itself: a second after the restart every request answers 200 again.
    late = [status for _kind, at, status, _a, _w in seen if at > restarted + 1.0]
    assert late and all(status == 200 for status in late), sorted(set(late))
    acknowledged = {f"DVC_TONG|{v['period']}|{v['orgUnit']}": float(v["value"])
                    for kind, _at, status, answer, v in seen if kind == "write" and status == 200
                    and answer.json()["response"]["status"] == "SUCCESS"}
    stored = site.stored()
    lost = {k: v for k, v in acknowledged.items() if stored.get(k) != v}
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged writes not stored: {list(lost.items())[:3]}"

    # The stream held across the restart still carries live updates: a new value's results reach it.
    # (01's January 2020 total was written by the first writer: the rate changes, so the engine announces it.)
    answer = server.post_values(site.writer, [{"dataElement": "DVC_TOANTRINH", "period": MONTHS[0],
                                               "orgUnit": PROVINCES[0], "value": "7"}])
    assert answer.status == 200, answer.body[:1000]
    try:
        stream.next("datavalues", PROVINCES[0], MONTHS[0], within=20)
        stream.next("results", PROVINCES[0], MONTHS[0], within=20)
    finally:
        stream.close()

    deadline = time.monotonic() + 60  # the engine reconnected too: its results catch up with the writes
    while (verify := site.run("recompute", "--verify", check=False)).returncode != 0:
        assert time.monotonic() < deadline, f"{verify.stdout[-2000:]}\n{server.log()[-3000:]}"
        time.sleep(1)
    site.run("audit", "verify")
