"""Benchmark: import a DHIS2 CSV of N values through the real path, next to a plain PostgreSQL COPY.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/govkpi_bench \
        .venv/bin/python bench/import_dhis2_csv.py [--values 1000000] [--order period|shuffled] \
        [--profile DIR] [--keep-file]

See bench/README.md. The parent process prepares the database and the files; every timed step runs in a
fresh child process (this same script with --worker) so that its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import os
import pstats
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = ("dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,"
          "comment,followup,deleted")
COPY_COLUMNS = ("data_element_id", "unit_id", "period", "period_start", "period_end", "value", "number",
                "comment", "follow_up", "stored_by", "channel", "created_at", "updated_at", "batch_id")
READ_BLOCK = 64 * 1024
# A ratio formula of the catalog: #{NUMERATOR} / #{DENOMINATOR} * 100 (the numerator cannot exceed it).
_RATIO = re.compile(r"^\s*#\{(\w+)\}\s*/\s*#\{(\w+)\}\s*\*\s*100\s*$")
_REFERENCE = re.compile(r"^\s*#\{(\w+)\}\s*$")


# --------------------------------------------------------------------------- helpers

def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govkpi.settings")
    import django

    django.setup()


def _rss_mb() -> float:
    """The current resident set size of this process, in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    """ru_maxrss of this process (kB on Linux), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _sql(statement: str, params: tuple = ()) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _empty_tables() -> None:
    """Values, their history, import batches and change events (the audit trail, a hash chain, is kept)."""
    from django.db import connection

    from govkpi.datavalues.models import DataValue, DataValueHistory, ImportBatch
    from govkpi.events.models import ChangeEvent

    tables = [m._meta.db_table for m in (DataValue, DataValueHistory, ImportBatch, ChangeEvent)]
    if connection.vendor == "postgresql":
        _sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
    else:
        for model in (DataValue, DataValueHistory, ImportBatch, ChangeEvent):
            model.objects.all().delete()


def _quiet_database() -> None:
    """Flush dirty pages before a timed step so that one step does not pay for the previous one's writes."""
    from django.db import connection

    if connection.vendor == "postgresql":
        _sql("CHECKPOINT")


# --------------------------------------------------------------------------- the data

def _months_from(first: datetime.date):
    year, month = first.year, first.month
    while True:
        start = datetime.date(year, month, 1)
        following = datetime.date(year + (month == 12), month % 12 + 1, 1)
        yield f"{year}{month:02d}", start, following - datetime.timedelta(days=1)
        year, month = following.year, following.month


def _key_space(kinds: list[str]):
    """The monthly data elements units of `kinds` report, the current units of those kinds, the first month
    they all exist, the caps (part → [(whole, strict)]) and the validation rules the generator cannot honour.
    """
    from govkpi.datavalues.models import ValidationRule
    from govkpi.indicators.models import DataElement, Indicator
    from govkpi.orgunits.models import OrgUnit

    elements = [e for e in DataElement.objects.filter(frequency="monthly").order_by("code")
                if set(e.unit_kinds or []) & set(kinds)]
    units = list(OrgUnit.objects.filter(kind__in=kinds, valid_to__isnull=True).order_by("kind", "code"))
    if not elements or not units:
        raise SystemExit(f"no monthly data elements or no current units for kinds {kinds}: run `govkpi demo`")
    first_day = max((u.valid_from for u in units if u.valid_from), default=datetime.date(2025, 7, 1))
    # Parts never above their wholes: the stored rules `#{A} <= #{B}` (and <, >=, >), and the catalog's ratios
    # #{A} / #{B} * 100 whether or not a rule was derived from them.
    caps: dict[str, set[tuple[str, bool]]] = {}
    for formula in Indicator.objects.exclude(formula="").values_list("formula", flat=True):
        if match := _RATIO.match(formula):
            caps.setdefault(match[1], set()).add((match[2], False))
    codes = {e.code for e in elements}
    unhandled = []
    for rule in ValidationRule.objects.all():
        left, right = _REFERENCE.match(rule.left), _REFERENCE.match(rule.right)
        if left and right and rule.operator in ("<=", "<", ">=", ">"):
            small, big = (left[1], right[1]) if rule.operator in ("<=", "<") else (right[1], left[1])
            caps.setdefault(small, set()).add((big, rule.operator in ("<", ">")))
        elif any(f"#{{{code}}}" in rule.left + rule.right for code in codes):
            unhandled.append(rule.code)
    return elements, units, first_day.replace(day=1), caps, unhandled


def _depth(code: str, caps: dict[str, set[tuple[str, bool]]], seen: frozenset = frozenset()) -> int:
    """How many wholes stand above an element: wholes are generated before their parts."""
    if code in seen:
        raise SystemExit(f"circular validation rules around {code}")
    return max((1 + _depth(whole, caps, seen | {code}) for whole, _strict in caps.get(code, ())), default=0)


def _value(element, unit_kind: str, rng: random.Random, cap: int | None) -> tuple[str, float]:
    """A valid value of the element's type; a part never above its whole (`cap`)."""
    kind = element.value_type
    if kind == "boolean":
        flag = rng.random() < 0.7
        return ("true" if flag else "false"), float(flag)
    if kind == "percentage":
        number = round(rng.uniform(0, 100 if cap is None else min(100, cap)), 2)
        return repr(number), number
    if kind == "amount":
        number = round(rng.uniform(0, 1_000_000 if cap is None else cap), 2)
        return repr(number), number
    high = 200_000 if unit_kind != "commune" else 5_000
    low = 1  # a whole of 0 would leave its strict parts no room
    if element.minimum is not None:
        low = max(low, int(element.minimum))
    if element.maximum is not None:
        high = min(high, int(element.maximum))
    if cap is not None:
        low, high = min(low, cap), min(high, cap)
    number = rng.randint(max(low, 0), max(low, high, 0))
    return str(number), float(number)


def generate(n: int, kinds: list[str], order: str, seed: int, folder: Path) -> dict:
    """Write the DHIS2 CSV (and the same rows in COPY text format, resolved to ids) into `folder`."""
    from django.utils import timezone

    elements, units, first_day, caps, unhandled = _key_space(kinds)
    # Per unit kind, the elements it reports, wholes before their parts so that parts can be capped.
    by_kind: dict[str, list] = {}
    for kind in kinds:
        reported = [e for e in elements if kind in (e.unit_kinds or [])]
        by_kind[kind] = sorted(reported, key=lambda e: (_depth(e.code, caps), e.code))
    per_month = sum(len(by_kind[u.kind]) for u in units)
    rng = random.Random(seed)
    now = timezone.now().isoformat()
    rows: list[tuple] = []
    months = []
    for period, start, end in _months_from(first_day):
        if len(rows) >= n:
            break
        months.append(period)
        for unit in units:
            values: dict[str, float] = {}
            for element in by_kind[unit.kind]:
                if len(rows) >= n:
                    break
                limits = [int(values[whole]) - strict for whole, strict in caps.get(element.code, ())
                          if whole in values]
                text, number = _value(element, unit.kind, rng, min(limits) if limits else None)
                values[element.code] = number
                rows.append((element.code, period, unit.code, text, element.id, unit.id, start, end, number))
    if order == "shuffled":
        rng.shuffle(rows)
    csv_path, copy_path = folder / f"datavalues-{n}.csv", folder / f"datavalues-{n}.copy"
    with open(csv_path, "w", encoding="utf-8", newline="") as csv_file, \
            open(copy_path, "w", encoding="utf-8", newline="") as copy_file:
        csv_file.write(HEADER + "\n")
        csv_lines, copy_lines = [], []
        for code, period, unit_code, text, element_id, unit_id, start, end, number in rows:
            csv_lines.append(f"{code},{period},{unit_code},default,default,{text},,,,,\n")
            copy_lines.append(f"{element_id}\t{unit_id}\t{period}\t{start}\t{end}\t{text}\t{number!r}"
                              f"\t\tf\t\tdhis2\t{now}\t{now}\t\\N\n")
            if len(csv_lines) >= 50_000:
                csv_file.writelines(csv_lines)
                copy_file.writelines(copy_lines)
                csv_lines, copy_lines = [], []
        csv_file.writelines(csv_lines)
        copy_file.writelines(copy_lines)
    reported_codes = {e.code for v in by_kind.values() for e in v}
    capped = sorted(f"{part} ≤ {whole}" for part, wholes in caps.items() for whole, _s in wholes
                    if part in reported_codes and whole in reported_codes)
    return {"csv": str(csv_path), "copy": str(copy_path), "bytes": csv_path.stat().st_size,
            "elements": {k: [e.code for e in v] for k, v in by_kind.items()},
            "units": {k: sum(1 for u in units if u.kind == k) for k in kinds}, "per_month": per_month,
            "months": months, "capped": capped, "unhandled_rules": unhandled}


# --------------------------------------------------------------------------- timed steps (child processes)

def _file_chunks(path: str):
    with open(path, "rb") as handle:
        while block := handle.read(READ_BLOCK):
            yield block


def worker_import(path: str, profile_to: str | None) -> dict:
    """One import of the file through decoded_lines → items_from_csv → write_values."""
    from django.db import connection

    from govkpi.datavalues import dhis2
    from govkpi.datavalues.writer import write_values

    connection.ensure_connection()
    max_bytes = os.path.getsize(path) + 1  # the upload limit (DATA_FILE_MAX_BYTES) is not what is measured
    rss_before, peak_before = _rss_mb(), _peak_mb()
    profiler = cProfile.Profile() if profile_to else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    result = write_values(dhis2.items_from_csv(dhis2.decoded_lines(_file_chunks(path), max_bytes)),
                          actor=None, channel="dhis2", check_windows=False, filename=os.path.basename(path))
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    peak = _peak_mb()
    if profiler:
        profiler.dump_stats(profile_to)
    return {"seconds": seconds, "total": result.total, "created": result.created, "updated": result.updated,
            "unchanged": result.unchanged, "deleted": result.deleted, "rejected": result.rejected,
            "status": result.status, "conflicts": [c.as_dict() for c in result.conflicts[:5]],
            "conflict_count": len(result.conflicts), "notes": result.notes,
            "rss_before_mb": rss_before, "peak_before_mb": peak_before, "peak_mb": peak,
            "increase_mb": peak - rss_before}


SCRATCH_TABLE = "bench_copy_scratch"


def worker_copy(path: str, scratch: bool) -> dict:
    """COPY the same rows (already resolved to ids) in one transaction, into the emptied datavalues table
    (all its indexes, its unique key and its deferred foreign keys) or, with `scratch`, into a new table with
    the same columns and no index or constraint (PostgreSQL's raw ingest rate on this machine)."""
    from django.db import connection, transaction

    from govkpi.datavalues.models import DataValue

    connection.ensure_connection()
    table = DataValue._meta.db_table
    if scratch:
        _sql(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")
        _sql(f"CREATE TABLE {SCRATCH_TABLE} (LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY)")
        _sql("CHECKPOINT")
        table = SCRATCH_TABLE
    rss_before = _rss_mb()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
            for block in _file_chunks(path):
                copy.write(block)
    seconds = time.perf_counter() - started  # includes the commit (and the deferred foreign-key checks)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        count = cursor.fetchone()[0]
    if scratch:
        _sql(f"DROP TABLE {SCRATCH_TABLE}")
    return {"seconds": seconds, "rows": count, "peak_mb": _peak_mb(), "increase_mb": _peak_mb() - rss_before}


def run_worker(args: argparse.Namespace) -> int:
    _setup_django()
    if args.worker in ("copy", "copy-scratch"):
        out = worker_copy(args.file, scratch=args.worker == "copy-scratch")
    else:
        out = worker_import(args.file, args.profile_file)
    print("RESULT " + json.dumps(out, default=str), flush=True)
    return 0


def _child(kind: str, path: str, profile_file: str | None = None) -> dict:
    command = [sys.executable, os.path.abspath(__file__), "--worker", kind, "--file", path]
    if profile_file:
        command += ["--profile-file", profile_file]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"the {kind} step failed (exit {done.returncode})")
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    sys.stderr.write(done.stdout + done.stderr)
    raise SystemExit(f"the {kind} step printed no result")


def _print_profile(path: str, title: str, out: Path) -> None:
    text = io.StringIO()
    stats = pstats.Stats(path, stream=text).strip_dirs()
    for order in ("cumulative", "tottime"):
        text.write(f"\n===== {title}: top 25 by {order} =====\n")
        stats.sort_stats(order).print_stats(25)
    out.write_text(text.getvalue())
    print(text.getvalue())


# --------------------------------------------------------------------------- the run

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=1_000_000, help="how many values (default 1,000,000)")
    parser.add_argument("--kinds", default="commune,province",
                        help="unit kinds whose monthly data elements are reported (default commune,province)")
    parser.add_argument("--order", choices=["period", "shuffled"], default="period",
                        help="row order: by period, unit, element (default) or shuffled")
    parser.add_argument("--seed", type=int, default=20251)
    parser.add_argument("--skip-copy", action="store_true", help="do not time the plain COPY")
    parser.add_argument("--skip-reimport", action="store_true", help="do not time the re-import")
    parser.add_argument("--skip-demo", action="store_true", help="do not run the `govkpi demo` steps first")
    parser.add_argument("--profile", metavar="DIR",
                        help="cProfile the import and re-import; write stats to DIR")
    parser.add_argument("--keep-file", action="store_true", help="keep the generated files (path printed)")
    parser.add_argument("--generate-only", action="store_true",
                        help="write the files, time nothing (implies --keep-file)")
    parser.add_argument("--workdir", help="where to write the files (default: a new temporary folder)")
    parser.add_argument("--worker", choices=["import", "copy", "copy-scratch"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--profile-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return run_worker(args)
    if not os.environ.get("DATABASE_URL"):
        # Without it settings fall back to ./govkpi.sqlite3, someone's working database: it is emptied here.
        parser.error("set DATABASE_URL to a database made for the benchmark: "
                     "its data values and change events are emptied")

    _setup_django()
    from django.conf import settings
    from django.db import connection

    database = settings.DATABASES["default"]
    try:  # read-only: which code was measured
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).resolve().parent, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    print(f"code: {commit or 'unknown commit'}; ", end="")
    print(f"database: {connection.vendor} {database.get('NAME')} @ {database.get('HOST') or '-'}; "
          f"python {sys.version.split()[0]}; {os.cpu_count()} CPUs")
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL: the writer uses bulk INSERT instead of COPY; "
              "the COPY steps are skipped")
        args.skip_copy = True

    if not args.skip_demo:
        from govkpi.cli import cmd_demo

        started = time.perf_counter()
        print("reference data: running the `govkpi demo` steps …", flush=True)
        with open(os.devnull, "w") as devnull:
            stdout, sys.stdout = sys.stdout, devnull
            try:
                code = cmd_demo(argparse.Namespace())
            finally:
                sys.stdout = stdout
        if code:
            raise SystemExit(f"govkpi demo failed ({code})")
        print(f"reference data: ready ({time.perf_counter() - started:.1f}s)")
    _empty_tables()

    folder = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="govkpi-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    started = time.perf_counter()
    data = generate(args.values, kinds, args.order, args.seed, folder)
    from govkpi.datavalues.models import ValidationRule

    all_rules = ValidationRule.objects.count()
    limit = settings.DATA_FILE_MAX_BYTES
    over = " — this file is over it; the benchmark passes max_bytes = file size" if data["bytes"] > limit \
        else ""
    print(f"generated {args.values:,} values in {time.perf_counter() - started:.1f}s: {data['csv']} "
          f"({data['bytes'] / 1e6:.1f} MB; upload limit DATA_FILE_MAX_BYTES = {limit / 1e6:.1f} MB{over})")
    for kind in kinds:
        print(f"  {kind}: {data['units'][kind]:,} current units × {len(data['elements'][kind])} monthly "
              f"elements ({', '.join(data['elements'][kind])})")
    print(f"  {data['per_month']:,} keys per month; periods {data['months'][0]}…{data['months'][-1]} "
          f"({len(data['months'])} months; check_windows=False); order: {args.order}")
    print(f"  validation rules in the database: {all_rules}; part ≤ whole kept for the "
          f"{len(data['capped'])} pairs this file reports ({', '.join(data['capped'])})")
    if data["unhandled_rules"]:
        print(f"  warning: rules the generator does not honour (values may be refused): "
              f"{data['unhandled_rules']}")

    if args.generate_only:
        print(f"files kept in {folder}")
        return 0
    results: dict[str, dict] = {}
    if not args.skip_copy:
        print("timing: plain COPY into a bare scratch table (same columns, no index, no constraint) …",
              flush=True)
        results["scratch"] = _child("copy-scratch", data["copy"])
        print(f"  COPY (bare): {results['scratch']['rows']:,} rows in {results['scratch']['seconds']:.2f}s = "
              f"{results['scratch']['rows'] / results['scratch']['seconds']:,.0f} rows/s", flush=True)
        _quiet_database()
        print("timing: plain COPY into the emptied datavalues table (its indexes and foreign keys) …",
              flush=True)
        results["copy"] = _child("copy", data["copy"])
        print(f"  COPY: {results['copy']['rows']:,} rows in {results['copy']['seconds']:.2f}s = "
              f"{results['copy']['rows'] / results['copy']['seconds']:,.0f} rows/s", flush=True)
        _empty_tables()
        _quiet_database()

    profile_dir = Path(args.profile) if args.profile else None
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
    print("timing: import (decoded_lines → items_from_csv → write_values) …", flush=True)
    imported = results["import"] = _child("import", data["csv"],
                                          str(profile_dir / "import.prof") if profile_dir else None)
    print(f"  import: {imported['total']:,} values in {imported['seconds']:.2f}s = "
          f"{imported['total'] / imported['seconds']:,.0f} values/s; created {imported['created']:,}, "
          f"updated {imported['updated']:,}, unchanged {imported['unchanged']:,}, "
          f"rejected {imported['rejected']:,} ({imported['status']}); peak RSS {imported['peak_mb']:.0f} MB "
          f"(+{imported['increase_mb']:.0f} MB during the import)", flush=True)
    for conflict in imported["conflicts"]:
        print(f"    conflict: {conflict}")
    for vi, en in imported["notes"]:
        print(f"    note: {en}")

    if not args.skip_reimport:
        if connection.vendor == "postgresql":
            _sql("ANALYZE")  # autovacuum may be off or late; a loaded table is normally analysed
        _quiet_database()
        print("timing: re-import of the same file (every value unchanged) …", flush=True)
        again = results["reimport"] = _child("import", data["csv"],
                                             str(profile_dir / "reimport.prof") if profile_dir else None)
        print(f"  re-import: {again['total']:,} values in {again['seconds']:.2f}s = "
              f"{again['total'] / again['seconds']:,.0f} values/s; created {again['created']:,}, "
              f"updated {again['updated']:,}, unchanged {again['unchanged']:,}, "
              f"rejected {again['rejected']:,} ({again['status']}); peak RSS {again['peak_mb']:.0f} MB "
              f"(+{again['increase_mb']:.0f} MB)", flush=True)

    if profile_dir:
        _print_profile(str(profile_dir / "import.prof"), f"import of {args.values:,} values",
                       profile_dir / "import.txt")
        if not args.skip_reimport:
            _print_profile(str(profile_dir / "reimport.prof"), f"re-import of {args.values:,} values",
                           profile_dir / "reimport.txt")

    n = args.values
    copy = results.get("copy")
    scratch = results.get("scratch")
    again = results.get("reimport")
    copy_rate = copy["rows"] / copy["seconds"] if copy else None
    import_rate = imported["total"] / imported["seconds"]
    cells = [
        ("N", f"{n:,}"),
        ("import s", f"{imported['seconds']:.2f}"),
        ("values/s", f"{import_rate:,.0f}"),
        ("COPY s", f"{copy['seconds']:.2f}" if copy else "-"),
        ("rows/s", f"{copy_rate:,.0f}" if copy else "-"),
        ("ratio", f"{copy_rate / import_rate:.1f}x" if copy else "-"),
        ("bare COPY rows/s", f"{scratch['rows'] / scratch['seconds']:,.0f}" if scratch else "-"),
        ("peak RSS MB", f"{imported['peak_mb']:.0f} (+{imported['increase_mb']:.0f})"),
        ("re-import s", f"{again['seconds']:.2f}" if again else "-"),
        ("re-import values/s", f"{again['total'] / again['seconds']:,.0f}" if again else "-"),
        ("re-import peak MB", f"{again['peak_mb']:.0f} (+{again['increase_mb']:.0f})" if again else "-"),
    ]
    widths = [max(len(h), len(v)) for h, v in cells]
    print()
    print(" | ".join(h.rjust(w) for (h, _v), w in zip(cells, widths)))
    print("-+-".join("-" * w for w in widths))
    print(" | ".join(v.rjust(w) for (_h, v), w in zip(cells, widths)))
    print("(COPY = plain COPY of the same rows into the emptied datavalues table, commit included;\n"
          " ratio = COPY rows/s ÷ import values/s; bare COPY = into a table with the same columns\n"
          " and no index or constraint; peak RSS = ru_maxrss of the import's own process,\n"
          " (+…) = its rise during the import)")

    ok = imported["created"] == n and imported["rejected"] == 0 and (
        again is None or (again["unchanged"] == n and again["created"] == 0 and again["updated"] == 0))
    if args.keep_file:
        print(f"files kept in {folder}")
    elif not args.workdir:
        shutil.rmtree(folder, ignore_errors=True)
    if not ok:
        print("error: the import did not create every value, or the re-import did not find them all "
              "unchanged", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
