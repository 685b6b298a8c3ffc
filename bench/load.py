"""A bounded load test: N clients on 127.0.0.1 mixing dashboard pages, API reads and writes against a real
`govkpi serve`, for a fixed number of requests or seconds; error counts by status and latency percentiles.

    .venv/bin/python bench/load.py [--clients 50] [--seconds 60 | --requests 100] [--workers 1]
        [--postgresql postgresql://postgres@127.0.0.1:5432 | --sqlite]

A database of its own: on PostgreSQL `govkpi_load` (dropped and made again; never "test"), on SQLite a file
in a new temporary folder. It is seeded as the fault tests seed theirs (tests/faults/site.py: 20 provinces, the
small catalog, a writer and a reader), then 2,880 values are imported with `govkpi import` so that reads have
something to read; tokens come from `govkpi token create`. Each client holds one keep-alive connection and
loops over a fixed mix (the same for every run, seeded per client):

- page (30 %): `/`, `/units/<province>/`, `/indicators/DVC_TOANTRINH_TYLE/`, signed in;
- read (35 %): `/api/v1/results`, `/api/v1/scores`, the `/api/dataValueSets` export of a month;
- write (35 %): two in three a single value, one in three a batch of 10, through `/api/v1/dataValueSets`
  (a whole of 10,000 or more and a part below 1,000: no validation rule is broken, whichever lands first).

Every figure printed is from the client's side; the rate limits are raised for the run (one user, one address).
Exit 1 on any 5xx or connection error. Only the standard library and psycopg are used.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.faults.site import MONTHS, PROVINCES, Site, month_values

DATABASE = "govkpi_load"
KINDS = ("page", "read", "write_one", "write_batch")


@dataclass
class Figures:
    """What the clients saw: per kind, each answer's status (None: no answer) and latency in seconds."""

    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int | None, latency: float, detail: str = "") -> None:
        with self._lock:
            self.statuses[kind][status] += 1
            self.latencies[kind].append(latency)
            if (status is None or status >= 300) and len(self.errors) < 20:
                self.errors.append(f"{kind} {status}: {_why(detail)[:400]}")

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.statuses.values())

    def count(self, test: object) -> int:
        return sum(n for c in self.statuses.values() for status, n in c.items() if test(status))

    @property
    def server_errors(self) -> int:
        return self.count(lambda s: s is not None and s >= 500)

    @property
    def unanswered(self) -> int:
        return self.count(lambda s: s is None)

    def report(self) -> str:
        rate = self.total / max(self.seconds, 1e-9)
        lines = [(f"{self.total} requests in {self.seconds:.1f} s ({rate:.0f}/s); "
                  f"5xx: {self.server_errors}, no answer: {self.unanswered}"),
                 f"{'kind':<12}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}  statuses"]
        for kind in KINDS:
            values = sorted(self.latencies.get(kind, []))
            if not values:
                continue
            cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
            statuses = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses[kind].items(),
                                                                         key=lambda item: str(item[0])))
            lines.append(f"{kind:<12}{len(values):>7}{cuts[49] * 1000:>9.0f}{cuts[94] * 1000:>9.0f}"
                         f"{cuts[98] * 1000:>9.0f}{values[-1] * 1000:>9.0f}  {statuses}")
        return "\n".join(lines + [f"  {error}" for error in self.errors])


def _why(text: str) -> str:
    """The part of an answer that says why: an import's conflicts, else its start."""
    try:
        answer = json.loads(text.partition(": ")[2])
        return json.dumps(answer["response"]["conflicts"], ensure_ascii=False)
    except (ValueError, KeyError, TypeError):
        return text


class Client:
    """One simulated user: a keep-alive connection and a fixed, seeded sequence of requests."""

    def __init__(self, port: int, number: int, tokens: dict[str, str], session: str, figures: Figures) -> None:
        self.port, self.figures = port, figures
        self.random = random.Random(number)
        self.writer = {"Authorization": f"Bearer {tokens['writer']}", "Content-Type": "application/json"}
        self.reader = {"Authorization": f"Bearer {tokens['reader']}"}
        self.cookie = {"Cookie": f"sessionid={session}"}
        self.http: http.client.HTTPConnection | None = None

    def _send(self, method: str, path: str, headers: dict, body: str | None = None) -> tuple[int, str]:
        for attempt in (1, 2):  # a keep-alive connection the server closed is opened again once
            if self.http is None:
                self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.http.request(method, path, body=body, headers=headers)
                response = self.http.getresponse()
                text = response.read().decode(errors="replace")
                if response.getheader("connection", "").lower() == "close":
                    self.close()
                return response.status, text
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
            self.http = None

    def _values(self, count: int) -> list[dict]:
        """`count` values on distinct keys (a key twice in one batch is refused whole: duplicate_in_batch)."""
        keys = self.random.sample([(e, m, u) for e in ("DVC_TONG", "DVC_TOANTRINH") for m in MONTHS
                                   for u in PROVINCES], count)
        return [{"dataElement": element, "period": month, "orgUnit": unit,
                 "value": str(self.random.randrange(10_000, 11_000) if element == "DVC_TONG"
                              else self.random.randrange(0, 1000))} for element, month, unit in keys]

    def step(self) -> None:
        pick = self.random.random()
        if pick < 0.30:
            kind = "page"
            path = self.random.choice(["/", f"/units/{self.random.choice(PROVINCES)}/",
                                       "/indicators/DVC_TOANTRINH_TYLE/"])
            request = ("GET", path, self.cookie, None)
        elif pick < 0.65:
            kind = "read"
            month = self.random.choice(MONTHS)
            path = self.random.choice([f"/api/v1/results?unit={self.random.choice(PROVINCES)}&limit=50",
                                       "/api/v1/scores?limit=50",
                                       (f"/api/dataValueSets?dataElement=DVC_TONG&period={month}&orgUnit=CP"
                                        "&children=true")])
            request = ("GET", path, self.reader, None)
        else:
            kind = "write_one" if pick < 0.65 + 0.35 * 2 / 3 else "write_batch"
            body = json.dumps({"dataValues": self._values(1 if kind == "write_one" else 10)})
            request = ("POST", "/api/v1/dataValueSets", self.writer, body)
        started = time.perf_counter()
        try:
            status, text = self._send(*request)
        except OSError as error:
            self.figures.add(kind, None, time.perf_counter() - started, f"{request[1]}: {error!r}")
            return
        self.figures.add(kind, status, time.perf_counter() - started, f"{request[1]}: {text}")

    def run(self, requests: int | None, until: float | None) -> None:
        done = 0
        while (requests is None or done < requests) and (until is None or time.monotonic() < until):
            self.step()
            done += 1
        self.close()


def run_load(port: int, tokens: dict[str, str], session: str, clients: int, requests: int | None = None,
             seconds: float | None = None) -> Figures:
    """Run `clients` clients at once, each for `requests` requests or until `seconds` have passed."""
    figures = Figures()
    started = time.monotonic()
    until = started + seconds if seconds else None
    threads = [threading.Thread(target=Client(port, n, tokens, session, figures).run, args=(requests, until))
               for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    figures.seconds = time.monotonic() - started
    return figures


def fill(site: Site) -> None:
    """Import the values the reads will read (2,880: every province's 72 months), with `govkpi import`."""
    values = site.folder / "values.json"
    values.write_text(json.dumps({"dataValues": month_values(MONTHS)}))
    site.run("import", str(values), timeout=600)


def prepare(site: Site) -> dict[str, str]:
    """Seed the site's fresh database, import the values reads will read, make the tokens."""
    site.seed()
    fill(site)
    return {"writer": site.token("ghi", "read,enter"), "reader": site.token("xem", "read")}


def _postgresql_site(url: str, folder: Path) -> Site:
    import psycopg

    with psycopg.connect(f"{url.rstrip('/')}/postgres", autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {DATABASE}")
    return Site(folder, f"{url.rstrip('/')}/{DATABASE}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    bound = parser.add_mutually_exclusive_group()
    bound.add_argument("--seconds", type=float, default=None, help="run this long (default 60)")
    bound.add_argument("--requests", type=int, default=None, help="requests per client")
    parser.add_argument("--workers", type=int, default=1, help="govkpi serve --workers")
    database = parser.add_mutually_exclusive_group()
    database.add_argument("--postgresql", default="postgresql://postgres@127.0.0.1:5432", metavar="URL",
                          help="a server where the database govkpi_load may be dropped and made")
    database.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    seconds = args.seconds if args.seconds or args.requests else 60.0
    folder = Path(tempfile.mkdtemp(prefix="govkpi-load-"))
    site = (Site(folder, f"sqlite:///{folder / 'govkpi.sqlite3'}") if args.sqlite
            else _postgresql_site(args.postgresql, folder))
    print(f"database: {site.database_url}; folder {folder}", flush=True)
    tokens = prepare(site)
    server = site.server("server", "--workers", str(args.workers)).start()
    try:
        figures = run_load(server.port, tokens, site.session, args.clients, args.requests, seconds)
    finally:
        server.stop()
    bound_text = f"{args.requests} requests each" if args.requests else f"{seconds:.0f} s"
    print(f"{args.clients} clients, {bound_text}, {args.workers} worker(s)\n{figures.report()}")
    return 1 if figures.server_errors or figures.unanswered else 0


if __name__ == "__main__":
    sys.exit(main())
