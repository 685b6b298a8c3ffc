"""Benchmark: what the cells' locks (datavalues/cells.py) cost concurrent writers on PostgreSQL.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/govkpi_bench .venv/bin/python bench/cell_locks.py \
        [--threads 8] [--writes 50]

After `govkpi demo` on that database. Each of --threads threads writes --writes single values through the one
writer (`write_values`, the light path a form field or an API call takes), in three patterns: every thread its
own cells (provinces' months), all threads one cell (one province's month), and batches of 200 values over
many cells (the set-based path) beside single writes. Prints writes per second and the slowest write.
Values are written as the system (no scope check) with windows unchecked; approvals of the months used are
cleared first so that nothing is refused as locked.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govkpi.settings")
    import django

    django.setup()


def _run(threads: int, work) -> tuple[float, list[float]]:  # noqa: ANN001 - work(thread index) -> latencies
    from django.db import connections

    latencies: list[float] = []
    lock = threading.Lock()

    def body(n: int) -> None:
        try:
            mine = work(n)
            with lock:
                latencies.extend(mine)
        finally:
            connections.close_all()

    started = time.perf_counter()
    pool = [threading.Thread(target=body, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.perf_counter() - started, latencies


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--writes", type=int, default=50)
    args = parser.parse_args()
    _setup()
    from govkpi.datavalues.models import DataApproval
    from govkpi.datavalues.writer import Item, write_values
    from govkpi.orgunits.models import OrgUnit

    provinces = list(OrgUnit.objects.filter(kind="province", valid_to__isnull=True).order_by("code")
                     .values_list("code", flat=True))
    months = [f"2026{m:02d}" for m in range(1, 11)]
    DataApproval.objects.filter(period__in=months).delete()

    def single(unit: str, month: str, value: int) -> float:
        started = time.perf_counter()
        result = write_values([Item(0, "DVC_TONG", month, unit, value)], actor=None, channel="api",
                              check_windows=False)
        assert not result.conflicts, result.conflicts[0].as_dict()
        return time.perf_counter() - started

    def own_cells(n: int) -> list[float]:
        unit = provinces[n % len(provinces)]
        return [single(unit, months[i % len(months)], 10_000 + i * 7 + n) for i in range(args.writes)]

    def one_cell(n: int) -> list[float]:
        return [single(provinces[0], months[0], 20_000 + i * args.threads + n) for i in range(args.writes)]

    def batches_and_singles(n: int) -> list[float]:
        if n:  # the others write single values while thread 0 sends batches over every province
            return own_cells(n)
        out = []
        for i in range(max(1, args.writes // 10)):
            items = [Item(j, "DVC_TONG", month, unit, 30_000 + i + j) for j, (unit, month) in
                     enumerate((u, m) for u in provinces for m in months[:6])][:200]
            started = time.perf_counter()
            write_values(items, actor=None, channel="api", check_windows=False)
            out.append(time.perf_counter() - started)
        return out

    print(f"{args.threads} threads × {args.writes} writes, PostgreSQL", file=sys.stderr)
    for name, work in (("own cells", own_cells), ("one cell", one_cell), ("batches + singles", batches_and_singles)):
        elapsed, latencies = _run(args.threads, work)
        print(f"{name:18} {len(latencies) / elapsed:8.1f} writes/s  median {statistics.median(latencies) * 1000:6.1f} ms"
              f"  slowest {max(latencies) * 1000:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
