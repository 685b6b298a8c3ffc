"""The read replica measured: its lag under a burst of single-value writes, and a page's time on it vs the primary.

    .venv/bin/python bench/replica.py [--writes 300] [--clients 4] [--reads 50]

Builds the same clusters as tests/test_replica.py (a primary and a streaming standby of its own on loopback
ports, as the `postgres` user when run as root; removed at the end), migrates and seeds govkpi's small test
data onto the primary, serves it with GOVKPI_REPLICA_URL, then:
1. posts `--writes` single values through `POST /api/v1/dataValueSets` from `--clients` threads while a sampler
   asks every 20 ms how far the standby is behind (the primary's WAL position, then the standby's replay
   position and `now() - pg_last_xact_replay_timestamp()`, as govkpi.replica measures it);
2. reads `/units/01/` (a signed-in reader's page) and `/api/v1/results` `--reads` times from the replica, stops
   the standby, and reads them as often from the primary (the fallback), timing each request at the client.
Only the standard library, psycopg and the test's harness are used; it needs no database of its own.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.test_replica import INDICATOR, JULY, Clusters, Server, _bearer, _july, _until


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return f"p50 {pick(0.5):.4g} · p95 {pick(0.95):.4g} · p99 {pick(0.99):.4g} · max {ordered[-1]:.4g}"


class Sampler(threading.Thread):
    """The standby's lag every 20 ms, as (seconds, bytes) pairs, until stopped."""

    def __init__(self, clusters: Clusters) -> None:
        super().__init__(daemon=True)
        self.clusters, self.samples, self.done = clusters, [], threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.clusters.url("primary"), autocommit=True) as primary, \
                psycopg.connect(self.clusters.url("standby"), autocommit=True) as standby:
            while not self.done.is_set():
                head = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
                behind, age = standby.execute(
                    "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())::bigint, "
                    "EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8", [str(head)]).fetchone()
                behind = max(0, behind)
                self.samples.append((0.0 if behind == 0 else age, behind))
                time.sleep(0.02)


def burst(server: Server, clusters: Clusters, writer: str, writes: int, clients: int) -> None:
    sampler = Sampler(clusters)
    sampler.start()
    time.sleep(0.5)  # a few samples at rest first
    counter = iter(range(writes))
    lock = threading.Lock()
    statuses: list[int] = []

    def post() -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            value = {"dataElement": "DVC_TOANTRINH", "period": JULY, "orgUnit": "01", "value": str(1 + n % 1999)}
            status, _headers, _body = server.request(
                "POST", "/api/v1/dataValueSets", {**_bearer(writer), "Content-Type": "application/json"},
                json.dumps({"dataValues": [value]}))
            statuses.append(status)

    started = time.monotonic()
    threads = [threading.Thread(target=post) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    head = clusters.sql("primary", "SELECT pg_current_wal_lsn()::text")[0]
    _until(lambda: clusters.replayed_past(head), "the standby catches up", timeout=60)
    caught_up = time.monotonic() - started - elapsed
    time.sleep(0.3)
    sampler.done.set()
    sampler.join()
    lags = [seconds for seconds, _bytes in sampler.samples if seconds is not None]
    sizes = [float(size) for _seconds, size in sampler.samples]
    print(f"burst: {writes} single-value POSTs from {clients} clients in {elapsed:.1f} s "
          f"({writes / elapsed:.1f} writes/s), statuses {sorted(set(statuses))}")
    print(f"  replica lag, s ({len(lags)} samples every 20 ms): {_percentiles(lags)}")
    print(f"  replica behind, bytes of WAL: {_percentiles(sizes)}")
    print(f"  the standby had replayed the primary's last position {caught_up:.3f} s after the last response")


def settle(clusters: Clusters) -> float:
    """Waits until the engine has applied the burst (no new change event for 2 s): reads timed while it
    recomputes would measure the engine's load, not the database they read. The seconds waited."""
    started, last, quiet = time.monotonic(), None, 0
    while quiet < 4:
        newest = clusters.sql("primary", "SELECT max(id) FROM events_changeevent")[0]
        quiet = quiet + 1 if newest == last else 0
        last = newest
        time.sleep(0.5)
    return time.monotonic() - started - 2.0


def timed(server: Server, path: str, headers: dict, reads: int, expect: str) -> list[float]:
    times = []
    for _ in range(reads):
        started = time.perf_counter()
        status, got, _body = server.get(path, headers)
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200 and got.get("x-govkpi-reads") == expect, (status, got)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--reads", type=int, default=50)
    args = parser.parse_args()
    clusters = Clusters()
    folder = Path(tempfile.mkdtemp(prefix="govkpi-replica-bench-"))
    server = Server(clusters, folder)
    try:
        clusters.build()
        tokens = server.seed()
        server.start()
        _until(lambda: _july(server, tokens["reader"])[1] == "replica", "reads from the replica")
        burst(server, clusters, tokens["writer"], args.writes, args.clients)
        print(f"the engine applied the burst {settle(clusters):.1f} s after it ended")
        page = ("/units/01/", {"Cookie": f"sessionid={tokens['session']}"})
        api = (f"/api/v1/results?indicator={INDICATOR}&unit=01&period={JULY}", _bearer(tokens["reader"]))
        timed(server, *page, 5, "replica")  # warm-up
        on_replica = {name: timed(server, *what, args.reads, "replica") for name, what in
                      (("page /units/01/", page), ("GET /api/v1/results", api))}
        clusters.stop("standby")
        _until(lambda: _july(server, tokens["reader"])[1] == "primary", "the fallback to the primary")
        timed(server, *page, 5, "primary")
        on_primary = {name: timed(server, *what, args.reads, "primary") for name, what in
                      (("page /units/01/", page), ("GET /api/v1/results", api))}
        for name, replica in on_replica.items():
            print(f"{name}, ms at the client, {args.reads} reads: replica "
                  f"{statistics.median(replica):.1f} p50 / {_percentiles(replica)}; primary "
                  f"(standby stopped) {statistics.median(on_primary[name]):.1f} p50 / "
                  f"{_percentiles(on_primary[name])}")
        return 0
    except BaseException:
        print(server.log()[-6000:], file=sys.stderr)  # the server's own account of what failed
        raise
    finally:
        server.stop()
        clusters.remove()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
