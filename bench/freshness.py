"""Freshness: how long after a write its recomputed results reach the open event streams, at a sustained rate.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/govkpi_national .venv/bin/python bench/freshness.py \
        [--rates 1,10,50] [--streams 50] [--seconds 20]

Starts a real `govkpi serve` on loopback (the engine in its process, as `./dev run` does) on the database a
`bench/national.py build` made, opens `--streams` event streams (`GET /api/v1/events`, a reader's token), and
for each rate posts single values (`POST /api/v1/dataValueSets`, one value per request, a writer's token) for
`--seconds`, each to another commune of the newest open month. For every write it records, on every stream,
when the write's own `datavalues` event and the first `results` event naming its commune arrived, from the
moment the request was sent. Prints p50/p95/p99 of both, the backlog (events written but not yet taken by the
engine) sampled every half second, the server's peak RSS and the refused or failed requests.
Only the standard library's HTTP client is used.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govkpi.settings")
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("DATABASE_URL must name the benchmark's database (bench/national.py build)")
    import django

    django.setup()


def _tokens() -> tuple[str, str]:
    """A reader of the whole country and a writer for it (a system administrator's membership at the root)."""
    from django.contrib.auth import get_user_model

    from govkpi.accounts.models import Membership
    from govkpi.accounts.roles import Role
    from govkpi.accounts.tokens import create_token
    from govkpi.orgunits.models import OrgUnit

    user, _created = get_user_model().objects.get_or_create(username="bench-freshness")
    for root in OrgUnit.objects.filter(parent__isnull=True):
        Membership.objects.get_or_create(user=user, unit=root, role=Role.SYSTEM_ADMIN)
    _t, reader = create_token(user, name="bench reader", actions=["read"])
    _t, writer = create_token(user, name="bench writer", actions=["read", "enter"])
    return reader, writer


def _targets() -> list[tuple[str, str, str, float]]:
    """One open value per commune of the newest month (element, unit, period, number)."""
    from govkpi.datavalues.models import DataApproval, DataValue

    newest = DataValue.objects.order_by("-period_end").values_list("period", flat=True).first()
    locked = DataApproval.objects.filter(period=newest, state="approved").values("unit_id")
    rows = (DataValue.objects.filter(period=newest, unit__kind="commune", number__isnull=False,
                                     data_element__value_type="count")
            .exclude(unit_id__in=locked).order_by("unit__code", "data_element__code")
            .values_list("data_element__code", "unit__code", "period", "number"))
    seen, out = set(), []
    for element, unit, period, number in rows:
        if unit not in seen:
            seen.add(unit)
            out.append((element, unit, period, number))
    return out


def _backlog() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT COALESCE(MAX(id), 0) FROM events_changeevent) - COALESCE((SELECT "
                       "last_event_id FROM evaluation_cursor WHERE name = 'evaluation'), 0)")
        return int(cursor.fetchone()[0])


class Streams:
    """`count` open event streams; each arrival of a unit in an event is noted with its time."""

    def __init__(self, port: int, token: str, count: int) -> None:
        self.port, self.token = port, token
        self.arrivals: list[queue.SimpleQueue] = [queue.SimpleQueue() for _ in range(count)]
        self.opened = threading.Barrier(count + 1, timeout=60)
        self.errors: list[str] = []
        for i in range(count):
            threading.Thread(target=self._read, args=(i,), daemon=True).start()
        self.opened.wait()

    def _read(self, index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        connection.request("GET", "/api/v1/events", headers={"Authorization": f"Bearer {self.token}"})
        response = connection.getresponse()
        self.opened.wait()
        if response.status != 200:
            self.errors.append(f"stream {index}: HTTP {response.status}")
            return
        kind = None
        while True:
            line = response.fp.readline()
            if not line:
                return
            text = line.decode().rstrip("\n")
            if text.startswith("event: "):
                kind = text[7:]
            elif text.startswith("data: ") and kind in ("results", "datavalues"):
                data = json.loads(text[6:])
                self.arrivals[index].put((kind, time.perf_counter(), tuple(data["units"]), data.get("wide")))


def _stored(answer: bytes) -> bool:
    """Whether the import summary counts the value as imported or updated."""
    counts = json.loads(answer).get("response", {}).get("importCount") or {}
    return bool(counts.get("imported", 0) or counts.get("updated", 0))


def _post(port: int, token: str, jobs: queue.SimpleQueue, sent: dict, failures: list, refused: set) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while True:
        job = jobs.get()
        if job is None:
            return
        element, unit, period, number = job
        body = json.dumps({"dataValues": [{"dataElement": element, "period": period, "orgUnit": unit,
                                           "value": str(int(number) + 1)}]})
        sent[unit] = time.perf_counter()
        try:
            connection.request("POST", "/api/v1/dataValueSets", body=body,
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            response = connection.getresponse()
            answer = response.read()
            if response.status != 200:
                failures.append(f"{unit}: HTTP {response.status} {answer[:200]!r}")
            elif not _stored(answer):  # refused by a rule (a part raised above its whole): no result can move
                refused.add(unit)
        except (OSError, http.client.HTTPException) as error:
            failures.append(f"{unit}: {error}")
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)


def _percentiles(samples: list[float]) -> str:
    if not samples:
        return "—"
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return f"{at(0.5):.2f} / {at(0.95):.2f} / {at(0.99):.2f} s"


def run_rate(port: int, tokens: tuple[str, str], streams: Streams, targets: list, rate: float, seconds: float,
             drain: float) -> dict:
    _reader, writer = tokens
    for arrivals in streams.arrivals:  # forget what came before this rate
        while not arrivals.empty():
            arrivals.get()
    jobs: queue.SimpleQueue = queue.SimpleQueue()
    sent: dict[str, float] = {}
    failures: list[str] = []
    refused: set[str] = set()
    workers = [threading.Thread(target=_post, args=(port, writer, jobs, sent, failures, refused), daemon=True)
               for _ in range(max(1, min(32, int(rate))))]
    for worker in workers:
        worker.start()
    count = int(rate * seconds)
    chosen = targets[:count]
    backlog: list[tuple[float, int]] = []
    started = time.perf_counter()
    for i, target in enumerate(chosen):
        due = started + i / rate
        while time.perf_counter() < due:
            if not backlog or time.perf_counter() - started - backlog[-1][0] >= 0.5:
                backlog.append((time.perf_counter() - started, _backlog()))
            time.sleep(min(0.01, max(0.0, due - time.perf_counter())))
        jobs.put(target)
    for _worker in workers:
        jobs.put(None)
    # Drain: wait until every stream has heard every stored write's results (or `drain` runs out), noting the
    # engine's backlog; a results event that arrives late is late, not lost.
    firsts: list[dict[tuple[str, str], float]] = [{} for _ in streams.arrivals]

    def take() -> None:
        for arrivals, first in zip(streams.arrivals, firsts, strict=True):
            while not arrivals.empty():
                kind, at, units, wide = arrivals.get()
                for unit in (sent if wide else units):  # a wide change names no unit: it touched them all
                    if unit in sent and at >= sent[unit] and (kind, unit) not in first:
                        first[(kind, unit)] = at

    end = time.perf_counter() + drain
    for worker in workers:
        worker.join(max(0.0, end - time.perf_counter()))
    while time.perf_counter() < end:
        backlog.append((time.perf_counter() - started, _backlog()))
        take()
        stored = [u for u in sent if u not in refused]
        if all(("results", u) in first for first in firsts for u in stored):
            break
        time.sleep(0.5)
    take()
    own, results, missing = [], [], 0
    unheard: set[str] = set()
    posted = dict(sent)  # posting clients still behind after the drain add to `sent` meanwhile
    for first in firsts:
        for unit, at in posted.items():
            if unit in refused:
                continue
            if ("datavalues", unit) in first:
                own.append(first[("datavalues", unit)] - at)
            if ("results", unit) in first:
                results.append(first[("results", unit)] - at)
            else:
                missing += 1
                unheard.add(unit)
    return {"rate": rate, "writes": len(posted), "refused": len(refused), "own": _percentiles(own),
            "results": _percentiles(results),
            "missing": missing, "unheard": sorted(unheard), "failures": failures, "backlog": backlog,
            "max_backlog": max((b for _t, b in backlog), default=0),
            "last_backlog": backlog[-1][1] if backlog else 0}


def _tree(pid: int) -> list[int]:
    """The process and its descendants (serve --workers: the supervisor, its workers and the engine)."""
    out, pending = [], [pid]
    while pending:
        current = pending.pop()
        out.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            pending.extend(int(c) for c in task.read_text().split())
    return out


def _rss(pid: int) -> tuple[float, float]:
    """RSS and peak RSS in MB, summed over the server's processes."""
    rss = peak = 0.0
    for member in _tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except FileNotFoundError:
            continue
        fields = {line.split(":")[0]: line.split()[1] for line in status.splitlines() if line.startswith("Vm")}
        if "VmRSS" in fields:  # a process that has ended but not yet been waited for has none
            rss, peak = rss + int(fields["VmRSS"]) / 1024, peak + int(fields["VmHWM"]) / 1024
    return rss, peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="1,10,50")
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--drain", type=float, default=60, help="seconds to wait for the backlog to drain")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=1,
                        help="web workers (serve --workers): past 1, the engine runs as a process of its own")
    args = parser.parse_args(argv)
    _setup_django()
    from django.db import connection

    tokens = _tokens()
    targets = _targets()
    rates = [float(r) for r in args.rates.split(",")]
    needed = int(max(rates) * args.seconds)
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {connection.vendor}, {len(targets):,} open commune values, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if len(targets) < needed:
        raise SystemExit(f"{needed} writes need as many communes with an open value; found {len(targets)}")
    env = {**os.environ, "GOVKPI_EVENT_STREAMS_PER_CLIENT": str(args.streams + 8)}
    server = subprocess.Popen([str(ROOT / ".venv/bin/govkpi"), "serve", "--port", str(args.port),
                               "--workers", str(args.workers)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(600):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", args.port, timeout=5)
                probe.request("GET", "/healthz")  # any answer, a 404 too, says the server is up
                probe.getresponse().read()
                break
            except OSError:
                time.sleep(0.1)
        streams = Streams(args.port, tokens[0], args.streams)
        if streams.errors:
            raise SystemExit("; ".join(streams.errors[:3]))
        print(f"{args.streams} streams open; server pid {server.pid}, RSS {_rss(server.pid)[0]:.0f} MB")
        print("rate w/s | writes (refused) | own event p50/p95/p99 | results on a stream p50/p95/p99 | not arrived | "
              "backlog max / at end | failed")
        offset, laps = 0, {}
        for rate in rates:
            count = int(rate * args.seconds)
            # Distinct communes within a rate (arrivals are matched by unit); the next rate takes the next ones,
            # round the list again when it runs out (the previous rate's results have all arrived or timed out).
            chosen = []
            for element, unit, period, number in (targets[offset:] + targets[:offset])[:count]:
                laps[unit] = laps.get(unit, 0) + 1  # each write of a unit a new value (an unchanged one is no write)
                chosen.append((element, unit, period, number + laps[unit] - 1))
            figures = run_rate(args.port, tokens, streams, chosen, rate, args.seconds, args.drain)
            offset = (offset + count) % len(targets)
            print(f"{rate:g} | {figures['writes']} ({figures['refused']}) | {figures['own']} | {figures['results']} | {figures['missing']} "
                  f"| {figures['max_backlog']} / {figures['last_backlog']} | {len(figures['failures'])}", flush=True)
            if figures["unheard"]:
                print(f"    no results event heard for {len(figures['unheard'])} communes, e.g. "
                      f"{', '.join(figures['unheard'][:5])}")
            for failure in figures["failures"][:3]:
                print("   ", failure)
            trace = " ".join(f"{t:.0f}s:{b}" for t, b in figures["backlog"][::4])
            print(f"    backlog over time: {trace}")
        rss, peak = _rss(server.pid)
        print(f"server RSS {rss:.0f} MB, peak {peak:.0f} MB")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()  # open streams hold a graceful shutdown
    return 0


if __name__ == "__main__":
    sys.exit(main())
