"""Redis stopped and started under a server and an engine in processes of their own (SQLite: Redis carries the
wake-ups between them, and is the shared cache): while it is down, writes, reads and the engine keep working
(wake-ups fall back to the readers' poll), and live updates go on after it is back."""

from __future__ import annotations

import shutil
import time

import pytest

from tests.faults.site import Redis, Stream

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server on this machine")]
MONTH, UNIT, INDICATOR = "202001", "01", "DVC_TOANTRINH_TYLE"
ARRIVAL = 15.0  # the fallback poll is 2 s; a loaded 2-core machine adds a few


def _write(server, token: str, element: str, value: int) -> None:
    answer = server.post_values(token, [{"dataElement": element, "period": MONTH, "orgUnit": UNIT,
                                         "value": str(value)}], timeout=30)
    assert answer.status == 200 and answer.json()["response"]["status"] == "SUCCESS", answer.body[:2000]


def _result(server, token: str) -> float | None:
    answer = server.request("GET", f"/api/v1/results?indicator={INDICATOR}&unit={UNIT}&period={MONTH}",
                            headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200, answer.body[:2000]
    items = answer.json()["items"]
    return items[0]["value"] if items else None


def _until_result(server, token: str, expected: float) -> None:
    deadline = time.monotonic() + ARRIVAL
    while (got := _result(server, token)) != expected:
        assert time.monotonic() < deadline, f"result {got}, not {expected}"
        time.sleep(0.3)


def test_writes_and_the_engine_go_on_while_redis_is_down_and_live_updates_resume(sqlite_site, tmp_path):
    site = sqlite_site
    redis = Redis(tmp_path)
    redis.start()
    try:
        site.env["REDIS_URL"] = redis.url
        server = site.server("server", "--no-evaluation").start()
        engine = site.engine().start()
        stream = Stream(server.port, site.reader)
        try:
            _write(server, site.writer, "DVC_TONG", 2000)
            _write(server, site.writer, "DVC_TOANTRINH", 1000)
            stream.next("results", UNIT, MONTH, ARRIVAL)
            _until_result(server, site.writer, 50.0)

            redis.stop()
            _write(server, site.writer, "DVC_TOANTRINH", 1500)  # the cache and the wake-up are gone
            _until_result(server, site.writer, 75.0)  # the engine found it by its poll
            stream.next("results", UNIT, MONTH, ARRIVAL)  # and so did the stream's hub
            assert server.request("GET", "/", headers={"Cookie": f"sessionid={site.session}"}).status == 200

            redis.start()  # the same port: the listeners reconnect
            time.sleep(2)
            _write(server, site.writer, "DVC_TOANTRINH", 500)
            stream.next("results", UNIT, MONTH, ARRIVAL)
            _until_result(server, site.writer, 25.0)
            assert engine.process.poll() is None and server.process.poll() is None
        finally:
            stream.close()
    finally:
        redis.stop()
