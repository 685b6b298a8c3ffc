"""Benchmark: one value change against a full recompute of every result and score, at the national scale.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/govkpi_bench_eval \
        .venv/bin/python bench/evaluation_incremental.py [--commune-months 202511:202610] [--changes 5]

The database is the reference dataset (3,443 units, the catalog, the seed tasks) with the synthetic demo
values (datavalues/synthetic.py), communes reporting for the months asked. Prints the time of a full
`recompute` (results, then scores and ranks), then for a few single-value changes, the time of the write and
of the engine's incremental pass, with the cells and scores each touched, and the ratio. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govkpi.settings")
    import django

    django.setup()


def prepare(commune_months: tuple[str, str]) -> int:
    from django.core.management import call_command

    from govkpi.datavalues.models import DataApproval, DataValue, DataValueHistory, ImportBatch
    from govkpi.datavalues.rules import sync_derived_rules
    from govkpi.datavalues.synthetic import load_synthetic_values
    from govkpi.evaluation.models import Cursor, Result, Score
    from govkpi.events.models import ChangeEvent
    from govkpi.indicators.catalog import REFERENCE_CATALOG, apply_catalog, load_yaml
    from govkpi.orgunits.reference import reference_hierarchy
    from govkpi.orgunits.sync import sync_reference_hierarchy
    from govkpi.tasks.reference import load_reference_tasks

    call_command("migrate", interactive=False, verbosity=0)
    sync_reference_hierarchy(reference_hierarchy())
    apply_catalog(load_yaml(REFERENCE_CATALOG))
    sync_derived_rules()
    load_reference_tasks()
    for model in (Score, Result, Cursor, DataApproval, DataValueHistory, DataValue, ImportBatch, ChangeEvent):
        model.objects.all().delete()
    return load_synthetic_values(commune_months=commune_months)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commune-months", default="202511:202610", help="first:last month of commune values")
    parser.add_argument("--changes", type=int, default=5, help="single-value changes to time")
    args = parser.parse_args(argv)
    _setup_django()
    from django.db import connection

    from govkpi.datavalues.models import DataApproval, DataValue
    from govkpi.datavalues.writer import Item, write_values
    from govkpi.evaluation import engine
    from govkpi.evaluation.models import Result, Score

    first, last = args.commune_months.split(":")
    started = time.perf_counter()
    values = prepare((first, last))
    print(f"database: {connection.vendor}; synthetic values: {values:,} (prepared in "
          f"{time.perf_counter() - started:.1f} s)")

    started = time.perf_counter()
    run = engine.recompute()
    full = time.perf_counter() - started
    results = Result.objects.filter(valid_to__isnull=True).count()
    scores = Score.objects.filter(valid_to__isnull=True).count()
    print(f"full recompute: {full:.2f} s — {run.cells:,} result cells ({results:,} current results), "
          f"{scores:,} current scores")

    # Single changes: a commune's value in the latest month (it moves the commune, its province and the
    # nation; its ranking among the province's communes; the provinces' ranking), then a province's.
    locked = DataApproval.objects.filter(period=last).values("unit_id")  # approved data cannot change
    open_values = DataValue.objects.filter(period=last).exclude(unit_id__in=locked).select_related(
        "unit", "data_element").order_by("unit__code")
    targets = list(open_values.filter(unit__kind="commune", data_element__code="HOSO_TTHC_CO_DINHDANH")
                   [: args.changes])
    targets += list(open_values.filter(unit__kind="province", data_element__code="DVC_TOANTRINH")[:2])
    timings = []
    for value in targets:
        new = str(max(0, int(value.number) - 1))
        t0 = time.perf_counter()
        written = write_values([Item(0, value.data_element.code, value.period, value.unit.code, new,
                                     comment="bench")], actor=None, channel="api", check_windows=False)
        t1 = time.perf_counter()
        step = engine.process_pending()
        t2 = time.perf_counter()
        assert not written.conflicts, written.conflicts
        timings.append(t2 - t1)
        print(f"  change {value.unit.kind} {value.unit.code} {value.data_element.code} {value.period}: "
              f"write {1000 * (t1 - t0):.0f} ms, evaluate {1000 * (t2 - t1):.0f} ms — {step.cells} cells looked at, "
              f"{step.changed} results changed, {step.scores_changed} scores changed")
    median = statistics.median(timings)
    print(f"one change (median of {len(timings)}): {1000 * median:.0f} ms; full recompute {full:.2f} s; "
          f"ratio {full / median:,.0f}×")
    started = time.perf_counter()
    problems = engine.verify()
    print(f"verify: {len(problems)} differences ({time.perf_counter() - started:.1f} s)")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
