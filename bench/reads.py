"""Reads at national scale: server time and queries per request of the pages and answers most people read.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/govkpi_national .venv/bin/python bench/reads.py \
        [--requests 30] [--warmup 3] [--empty postgresql://postgres@127.0.0.1:5432/govkpi_reads_empty]

Each read is asked in-process through Django's test Client (the whole request: middleware, the read door, the
queries and the rendering, the body read to its end; no network, no server), as an anonymous visitor. Per read:
the first request (a cold cache), then `--warmup` requests not counted, then `--requests` timed ones: p50, p95,
the queries of one request and the body's size. The same reads are measured in the same run against an empty
database (migrated, the reference units and catalog, no value; created when missing) as the baseline. Reads only: the national
database is never written (the empty one is, once, when it is made). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EMPTY = "postgresql://postgres@127.0.0.1:5432/govkpi_reads_empty"
PROVINCE = "01"  # Hà Nội: 126 communes, the largest drill-down


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govkpi.settings")
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("DATABASE_URL must name the database to read (bench/README.md)")
    import django

    django.setup()


def _reads() -> list[tuple[str, str]]:
    """The reads measured, (name, path); the indicator is the first the map offers, as on the dashboard."""
    from govkpi.reads import results
    from govkpi.reads.visibility import Viewer

    from govkpi.orgunits.models import OrgUnit

    choices = results.map_indicators(Viewer.public())
    indicator = choices[0].code if choices else "DVC_TOANTRINH_TYLE"
    # The province's first current commune by code (a commune page: its results, tasks, score and rank).
    commune = (OrgUnit.objects.filter(parent__code=PROVINCE, kind="commune").current().order_by("code")
               .values_list("code", flat=True).first())
    return [
        ("national dashboard /", "/"),
        ("rankings /rankings/", "/rankings/"),
        ("map data", f"/panels/map-data/?indicator={indicator}"),
        (f"province /units/{PROVINCE}/", f"/units/{PROVINCE}/"),
        (f"commune /units/{commune}/", f"/units/{commune}/"),
        ("indicator series", f"/panels/series/?indicator={indicator}&unit=CP"),
        ("indicator page", f"/indicators/{indicator}/"),
        ("portal /public/", "/public/"),
        ("/api/v1/scores", "/api/v1/scores"),
        ("open data results.csv", "/public/data/results.csv"),
    ]


def _one(client, path: str) -> tuple[float, int, int, int]:  # noqa: ANN001 - django.test.Client
    """One request: seconds, queries, body bytes, status."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(path)
        size = sum(len(chunk) for chunk in response.streaming_content) if response.streaming else len(
            response.content)
        elapsed = time.perf_counter() - start
    return elapsed, len(queries), size, response.status_code


def measure(requests: int, warmup: int, reader: str = "") -> list[dict]:
    """Every read against this process's database (DATABASE_URL), as the public or as `reader`."""
    _setup_django()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from govkpi.evaluation.models import Score

    client = Client()
    if reader:
        client.force_login(get_user_model().objects.get(username=reader))  # writes a session row
    out = []
    for name, path in _reads():
        first, queries, size, status = _one(client, path)
        for _ in range(warmup):
            _one(client, path)
        times = []
        for _ in range(requests):
            elapsed, queries, size, status = _one(client, path)
            times.append(elapsed * 1000)
        times.sort()
        out.append({"name": name, "path": path, "status": status, "first_ms": first * 1000,
                    "p50_ms": statistics.median(times), "p95_ms": times[max(0, int(len(times) * 0.95) - 1)],
                    "queries": queries, "bytes": size})
    out.append({"scores": Score.objects.count()})
    return out


def ensure_empty(url: str) -> None:
    """The baseline database: migrated, the reference units and catalog, no value (made once)."""
    import psycopg

    name = url.rsplit("/", 1)[-1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        conn.execute(f'CREATE DATABASE "{name}"')
    code = ("import django; django.setup();"
            "from django.core.management import call_command; call_command('migrate', verbosity=0);"
            "from govkpi.orgunits.reference import reference_hierarchy;"
            "from govkpi.orgunits.sync import sync_reference_hierarchy;"
            "sync_reference_hierarchy(reference_hierarchy());"
            "from govkpi.indicators.catalog import REFERENCE_CATALOG, apply_catalog, load_yaml;"
            "apply_catalog(load_yaml(REFERENCE_CATALOG))")
    subprocess.run([sys.executable, "-c", code], check=True,
                   env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "govkpi.settings"})


def _child(url: str, requests: int, warmup: int, reader: str = "") -> list[dict]:
    result = subprocess.run([sys.executable, __file__, "--measure", "--requests", str(requests), "--warmup",
                             str(warmup), "--reader", reader], env={**os.environ, "DATABASE_URL": url},
                            check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _table(national: list[dict], empty: list[dict]) -> str:
    head = ("read", "first ms", "p50 ms", "p95 ms", "queries", "KB", "empty p50", "empty p95", "empty queries")
    rows = [head]
    for big, small in zip(national, empty, strict=True):
        rows.append((big["name"], f"{big['first_ms']:,.0f}", f"{big['p50_ms']:,.1f}", f"{big['p95_ms']:,.1f}",
                     str(big["queries"]), f"{big['bytes'] / 1024:,.0f}", f"{small['p50_ms']:,.1f}",
                     f"{small['p95_ms']:,.1f}", str(small["queries"])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [" | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--empty", default=DEFAULT_EMPTY, help="the baseline database (made when missing)")
    parser.add_argument("--reader", default="", help="read as this existing user (its session is written to the "
                        "database: not for govkpi_national); the baseline reads as the public")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # the child's part
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.requests, args.warmup, args.reader)))
        return 0
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("DATABASE_URL must name the database to read (bench/README.md)")
    ensure_empty(args.empty)
    empty = _child(args.empty, args.requests, args.warmup)
    national = _child(url, args.requests, args.warmup, args.reader)
    print(f"{url.rsplit('/', 1)[-1]} as {args.reader or 'the public'}: {national[-1]['scores']:,} scores; baseline "
          f"{args.empty.rsplit('/', 1)[-1]}: {empty[-1]['scores']:,}; {args.requests} requests after "
          f"{args.warmup} warm-up, load average {os.getloadavg()[0]:.2f}")
    print(_table(national[:-1], empty[:-1]))
    bad = [r["name"] for r in national[:-1] + empty[:-1] if r["status"] != 200]
    if bad:
        print("not 200: " + ", ".join(bad), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
