"""The national-scale dataset and the engine's benchmarks against it.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/govkpi_national .venv/bin/python bench/national.py \
        build --scale national          # the reference dataset, then ~1,000,000 values (deterministic, --seed)
    DATABASE_URL=... .venv/bin/python bench/national.py recompute        # full recompute, verify, one change
    DATABASE_URL=... .venv/bin/python bench/national.py freshness --rates 1,10,50 --streams 50

Scales (every monthly data element of each tier, for every unit in force of that tier):
- `ci`: the 17 ministries and 34 provinces, the communes of three provinces, 6 months (seconds);
- `national`: the 3,443 reference units, 47 months ending with the last ended month (17 ministries × 27
  elements, 34 provinces × 28, 3,321 communes × 6: about 1,000,000 values), the shape issue 22 measured.
Values honour every "part ≤ whole" rule; 95% of unit-months before the newest are approved, as in the demo.
They are written with COPY (PostgreSQL) or bulk INSERT (SQLite), not through the writer: this is the data a
benchmark starts from, and the import benchmark measures the writer. See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

SCALES = {"ci": {"months": 6, "commune_provinces": 3}, "national": {"months": 47, "commune_provinces": None}}
APPROVED_SHARE = 0.95


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govkpi.settings")
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("DATABASE_URL must name a database of its own: this script empties its values")
    import django

    django.setup()


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _months(count: int, today: datetime.date) -> list[tuple[str, datetime.date, datetime.date]]:
    from govkpi.core.periods import PeriodType, period_of

    period = period_of(PeriodType.MONTHLY, today).previous()
    out = []
    for _ in range(count):
        out.append((period.id, period.start, period.end))
        period = period.previous()
    return out[::-1]


def build(scale: str, seed: int, today: datetime.date) -> dict:
    """Load the reference dataset and replace every value with the scale's synthetic values."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from govkpi.datavalues.models import DataApproval, DataValue, DataValueHistory, ImportBatch
    from govkpi.datavalues.rules import sync_derived_rules
    from govkpi.evaluation.models import Aggregate, Cursor, Result, Score
    from govkpi.events.models import ChangeEvent
    from govkpi.indicators.catalog import REFERENCE_CATALOG, apply_catalog, load_yaml
    from govkpi.orgunits.reference import reference_hierarchy
    from govkpi.orgunits.sync import sync_reference_hierarchy
    from govkpi.tasks.reference import load_reference_tasks
    from import_dhis2_csv import _depth, _key_space, _value

    call_command("migrate", interactive=False, verbosity=0)
    sync_reference_hierarchy(reference_hierarchy())
    apply_catalog(load_yaml(REFERENCE_CATALOG))
    sync_derived_rules()
    load_reference_tasks()
    models = (Score, Result, Aggregate, Cursor, DataApproval, DataValueHistory, DataValue, ImportBatch, ChangeEvent)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(m._meta.db_table for m in models)} RESTART IDENTITY")
    else:
        for model in models:
            model.objects.all().delete()
    shape = SCALES[scale]
    kinds = ["ministry", "province", "commune"]
    elements, units, _first, caps, _unhandled = _key_space(kinds)
    if shape["commune_provinces"] is not None:
        provinces = sorted({u.path.strip("/").split("/")[-2] for u in units if u.kind == "commune"})
        keep = set(provinces[:shape["commune_provinces"]])
        units = [u for u in units if u.kind != "commune" or u.path.strip("/").split("/")[-2] in keep]
    by_kind = {kind: sorted([e for e in elements if kind in (e.unit_kinds or [])],
                            key=lambda e: (_depth(e.code, caps), e.code)) for kind in kinds}
    months = _months(shape["months"], today)
    rng = random.Random(seed)
    now = timezone.now()
    stamp = now.isoformat()
    rows = io.StringIO()
    count = 0
    approvals = []
    for period, start, end in months:
        newest = period == months[-1][0]
        for unit in units:
            values: dict[str, float] = {}
            for element in by_kind[unit.kind]:
                limits = [int(values[whole]) - strict for whole, strict in caps.get(element.code, ())
                          if whole in values]
                text, number = _value(element, unit.kind, rng, min(limits) if limits else None)
                values[element.code] = number
                rows.write(f"{element.id}\t{unit.id}\t{period}\t{start}\t{end}\t{text}\t{number!r}\t\tf\tbench\t"
                           f"dhis2\t{stamp}\t{stamp}\t\\N\n")
                count += 1
            if values and not newest and rng.random() < APPROVED_SHARE:
                approvals.append(DataApproval(unit_id=unit.id, period=period, state="approved", submitted_by="bench",
                                              submitted_at=now, decided_by="bench", decided_at=now))
    columns = ("data_element_id, unit_id, period, period_start, period_end, value, number, comment, follow_up, "
               "stored_by, channel, created_at, updated_at, batch_id")
    started = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            rows.seek(0)
            with connection.cursor() as cursor:
                with cursor.cursor.copy(f"COPY {DataValue._meta.db_table} ({columns}) FROM STDIN") as copy:
                    while chunk := rows.read(1 << 20):
                        copy.write(chunk)
        else:
            rows.seek(0)
            batch = []
            for line in rows:
                e, u, p, s, en, text, number, _c, _f, by, channel, _a, _b, _n = line.rstrip("\n").split("\t")
                batch.append(DataValue(data_element_id=int(e), unit_id=int(u), period=p, period_start=s,
                                       period_end=en, value=text, number=float(number), stored_by=by,
                                       channel=channel, created_at=now, updated_at=now))
                if len(batch) >= 5000:
                    DataValue.objects.bulk_create(batch)
                    batch = []
            DataValue.objects.bulk_create(batch)
        DataApproval.objects.bulk_create(approvals, batch_size=5000)
    _analyze()
    return {"values": count, "approvals": len(approvals), "months": f"{months[0][0]}–{months[-1][0]}",
            "units": {k: sum(1 for u in units if u.kind == k) for k in kinds},
            "elements": {k: len(v) for k, v in by_kind.items()}, "load_s": round(time.perf_counter() - started, 1)}


def _analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def time_recompute(changes: int, skip_verify: bool, skip_full: bool = False, profile: str = "") -> int:
    """A full recompute, one commune change and one province change through the writer and a pass, verify.
    `profile`: a cProfile of the change passes is written there (for `python -m pstats`)."""
    from govkpi.datavalues.models import DataApproval, DataValue
    from govkpi.datavalues.writer import Item, write_values
    from govkpi.evaluation import engine
    from govkpi.evaluation.models import Aggregate, Result, Score

    if not skip_full:
        started = time.perf_counter()
        run = engine.recompute()
        full = time.perf_counter() - started
        _analyze()
        print(f"full recompute: {full:.1f} s — {run.cells:,} cells judged, "
              f"{Aggregate.objects.count():,} aggregates, {Result.objects.filter(valid_to__isnull=True).count():,} "
              f"results, {Score.objects.filter(valid_to__isnull=True).count():,} scores; peak RSS {_peak_mb():.0f} MB")
    profiler = cProfile.Profile() if profile else None
    last = DataValue.objects.order_by("-period_end").values_list("period", flat=True).first()
    locked = DataApproval.objects.filter(period=last).values("unit_id")
    open_values = DataValue.objects.filter(period=last).exclude(unit_id__in=locked).select_related(
        "unit", "data_element").order_by("unit__code")
    targets = list(open_values.filter(unit__kind="commune")[:changes])
    targets += list(open_values.filter(unit__kind="province")[:2])
    timings = []
    for value in targets:
        new = str(max(0, int(value.number or 0) - 1)) if value.data_element.value_type != "boolean" else value.value
        t0 = time.perf_counter()
        written = write_values([Item(0, value.data_element.code, value.period, value.unit.code, new,
                                     comment="bench")], actor=None, channel="api", check_windows=False)
        t1 = time.perf_counter()
        if profiler:
            profiler.enable()
        step = engine.process_pending()
        if profiler:
            profiler.disable()
        t2 = time.perf_counter()
        timings.append(t2 - t1)
        print(f"  change {value.unit.kind} {value.unit.code} {value.data_element.code} {value.period}: write "
              f"{1000 * (t1 - t0):.0f} ms, pass {1000 * (t2 - t1):.0f} ms — {step.aggregates_changed} aggregates, "
              f"{step.cells} cells judged, {step.changed} results and {step.scores_changed} scores changed"
              f"{'' if not written.conflicts else f' (refused: {written.conflicts[0]})'}")
    if timings:
        print(f"one change (median of {len(timings)}): {1000 * statistics.median(timings):.0f} ms")
    if profiler:
        profiler.dump_stats(profile)
    if skip_verify:
        return 0
    started = time.perf_counter()
    problems = engine.verify()
    print(f"verify: {len(problems)} differences ({time.perf_counter() - started:.1f} s)")
    for problem in problems[:10]:
        print("  ", problem)
    return 0 if not problems else 1


def _catch_up() -> tuple[float, int, int, int]:
    """Engine passes until nothing is pending: seconds, passes, cells judged, scores changed."""
    from govkpi.evaluation import engine
    from govkpi.evaluation.models import Cursor
    from govkpi.events.models import ChangeEvent

    started, passes, cells, scores = time.perf_counter(), 0, 0, 0
    while True:
        step = engine.process_pending()
        passes, cells, scores = passes + 1, cells + step.cells, scores + step.scores_changed
        last = ChangeEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        behind = Cursor.objects.filter(name__in=(engine.ENGINE, engine.SCORES), last_event_id__lt=last).exists()
        if not behind:
            return time.perf_counter() - started, passes, cells, scores


def time_import(values: int, profile: str = "") -> int:
    """A bulk import of `values` changed values over the newest months (the approvals that lock them unlocked
    first, through the approval path, and the engine caught up before the clock starts), then the engine's
    catch-up: every affected aggregate, result and score current. `profile`: a cProfile of the catch-up."""
    from django.contrib.auth import get_user_model

    from govkpi.accounts.models import Membership
    from govkpi.accounts.roles import Role
    from govkpi.datavalues import approval
    from govkpi.datavalues.models import ApprovalState, DataApproval, DataValue
    from govkpi.datavalues.writer import Item, write_values
    from govkpi.orgunits.models import OrgUnit

    admin, _created = get_user_model().objects.get_or_create(username="bench-import")
    for root in OrgUnit.objects.filter(parent__isnull=True):
        Membership.objects.get_or_create(user=admin, unit=root, role=Role.SYSTEM_ADMIN)
    months = list(DataValue.objects.order_by("-period").values_list("period", flat=True).distinct())
    rows, chosen = [], []
    for month in months:
        chosen.append(month)
        rows += list(DataValue.objects.filter(period=month, number__isnull=False, data_element__value_type="count")
                     .order_by("unit__code", "data_element__code")
                     .values_list("data_element__code", "period", "unit__code", "number"))
        if len(rows) >= values:
            break
    # Whole unit-months only: a part raised without its whole would break "part ≤ whole" on a later run.
    while len(rows) > values and rows[values - 1][1:3] == rows[values][1:3]:
        values -= 1
    rows = rows[:values]
    locked = DataApproval.objects.filter(period__in=chosen, state=ApprovalState.APPROVED).select_related("unit")
    started = time.perf_counter()
    count = 0
    for row in locked:
        approval.unlock(row.unit, row.period, admin, "bench/national.py import: open the months it rewrites")
        count += 1
    unlocked_in = time.perf_counter() - started
    settle = _catch_up()
    print(f"setup: {count:,} unit-months unlocked in {unlocked_in:.1f} s, engine settled in {settle[0]:.1f} s "
          f"({settle[2]:,} cells judged, {settle[3]:,} scores changed)")
    # Every part and whole raised by one: a rule "part ≤ whole" still holds.
    items = [Item(i, element, period, unit, str(int(number) + 1)) for i, (element, period, unit, number)
             in enumerate(rows)]
    started = time.perf_counter()
    written = write_values(items, actor=None, channel="dhis2", check_windows=False)
    imported = time.perf_counter() - started
    print(f"import: {len(items):,} values over {', '.join(sorted(chosen))} in {imported:.1f} s "
          f"({len(items) / imported:,.0f} values/s; {written.updated:,} updated, {len(written.conflicts)} refused)")
    for conflict in written.conflicts[:3]:
        print(f"  refused: {conflict}")
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    seconds, passes, cells, scores = _catch_up()
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    print(f"engine caught up {seconds:.1f} s after the import returned: {passes} passes, {cells:,} cells judged, "
          f"{scores:,} scores changed; peak RSS {_peak_mb():.0f} MB")
    return 0 if not written.conflicts else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    built = sub.add_parser("build")
    built.add_argument("--scale", choices=sorted(SCALES), default="ci")
    built.add_argument("--seed", type=int, default=22)
    built.add_argument("--today", type=datetime.date.fromisoformat, default=None)
    timed = sub.add_parser("recompute")
    timed.add_argument("--changes", type=int, default=5)
    timed.add_argument("--skip-verify", action="store_true")
    timed.add_argument("--skip-full", action="store_true", help="time the changes (and verify) only")
    timed.add_argument("--profile", default="", help="write a cProfile of the change passes to this file")
    bulk = sub.add_parser("import", help="a bulk import of changed values, then the engine's catch-up")
    bulk.add_argument("--values", type=int, default=100_000)
    bulk.add_argument("--profile", default="", help="write a cProfile of the engine's catch-up to this file")
    args = parser.parse_args(argv)
    _setup_django()
    from django.db import connection
    from django.utils import timezone

    print(f"{datetime.datetime.now():%Y-%m-%d %H:%M}, {connection.vendor}, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.command == "build":
        started = time.perf_counter()
        facts = build(args.scale, args.seed, args.today or timezone.localdate())
        print(f"built {args.scale} in {time.perf_counter() - started:.1f} s: {facts}")
        return 0
    if args.command == "import":
        return time_import(args.values, args.profile)
    return time_recompute(args.changes, args.skip_verify, args.skip_full, args.profile)


if __name__ == "__main__":
    sys.exit(main())
