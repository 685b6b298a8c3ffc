"""Benchmark: import a DHIS2 CSV of N values through the real path, next to a plain PostgreSQL COPY.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/govkpi_bench \
        .venv/bin/python bench/import_dhis2_csv.py [--values 100000] [--order period|shuffled] \
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
    """Values, their history, approvals, import batches and change events (the audit trail, a hash chain, is
    kept). The approvals go too: `govkpi demo` approves 95% of past unit-months, which locks them, and the
    file's months would all be refused as `approved_locked`."""
    from django.db import connection

    from govkpi.datavalues.models import DataApproval, DataValue, DataValueHistory, ImportBatch
    from govkpi.events.models import ChangeEvent

    models = (DataValue, DataValueHistory, DataApproval, ImportBatch, ChangeEvent)
    if connection.vendor == "postgresql":
        # CONTINUE IDENTITY: the engine's cursor holds the last change event it applied; restarting the ids
        # would hide the import's event from `govkpi evaluate`.
        _sql(f"TRUNCATE {', '.join(m._meta.db_table for m in models)} CONTINUE IDENTITY")
    else:
        for model in models:
            model.objects.all().delete()
    from govkpi.evaluation.models import Cursor

    # New events must come after every reader's cursor: a database an earlier run restarted the ids of would
    # otherwise hide the import's event from `govkpi evaluate`. The cursors themselves are the engine's.
    highest = max(Cursor.objects.values_list("last_event_id", flat=True), default=0)
    if connection.vendor == "postgresql" and highest:
        _sql(f"SELECT setval(pg_get_serial_sequence('{ChangeEvent._meta.db_table}', 'id'), "
             f"GREATEST(%s, (SELECT last_value FROM pg_sequences WHERE sequencename = "
             f"'{ChangeEvent._meta.db_table}_id_seq')))", (highest,))


def _quiet_database() -> None:
    """Flush dirty pages before a timed step so that one step does not pay for the previous one's writes."""
    from django.db import connection

    if connection.vendor == "postgresql":
        _sql("CHECKPOINT")


# --------------------------------------------------------------------------- the data

def _months_back(today: datetime.date, count: int) -> list[tuple[str, datetime.date, datetime.date]]:
    """The `count` months that ended last before `today`, oldest first: (id, first day, last day)."""
    months = []
    end = today.replace(day=1) - datetime.timedelta(days=1)
    for _ in range(count):
        start = end.replace(day=1)
        months.append((f"{start.year}{start.month:02d}", start, end))
        end = start - datetime.timedelta(days=1)
    return months[::-1]


BENCH_ACTOR = "bench"  # set_by of the reporting windows the benchmark opens, and its own account


def open_months(months: list[str]) -> list[str]:
    """Open (explicit reporting window, every unit) the months the default window has closed, so that every
    path a user takes, windows checked, accepts the file; returns the months opened."""
    from django.conf import settings
    from django.utils import timezone

    from govkpi.core.periods import parse_period
    from govkpi.core.windows import Window, default_window
    from govkpi.datavalues.models import ReportingWindow

    ReportingWindow.objects.filter(set_by=BENCH_ACTOR).delete()
    today = timezone.localdate()
    opened = [m for m in months if default_window(parse_period(m), today, settings.REPORTING_CLOSES_AFTER_DAYS)
              is Window.CLOSED]
    ReportingWindow.objects.bulk_create(ReportingWindow(period=m, unit=None, state="open", set_by=BENCH_ACTOR,
                                                        reason="benchmark", set_at=timezone.now()) for m in opened)
    return opened


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
    # The newest ended months (open for reporting, or opened by `open_months`), none before the units exist.
    span = _months_back(timezone.localdate(), -(-n // per_month))
    if span[0][1] < first_day:
        raise SystemExit(f"{n:,} values need {len(span)} months back from today, before {first_day} when the "
                         f"current units came into force: ask for fewer values")
    for period, start, end in span:
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
                          actor=None, channel="dhis2", filename=os.path.basename(path))
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


def worker_copy(path: str, scratch: str) -> dict:
    """COPY the same rows (already resolved to ids) in one transaction, into the emptied datavalues table
    (all its indexes, its unique key and its deferred foreign keys) or, with `scratch`, into a new table with
    the same columns and no index or constraint (PostgreSQL's raw ingest rate on this machine)."""
    from django.db import connection, transaction

    from govkpi.datavalues.models import DataValue
    from govkpi.indicators.models import DataElement
    from govkpi.orgunits.models import OrgUnit

    connection.ensure_connection()
    table = DataValue._meta.db_table
    if scratch:
        _sql(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")
        if scratch == "fk":  # the values table as it was before migration datavalues 0003: indexes and both FKs
            _sql(f"CREATE TABLE {SCRATCH_TABLE} (LIKE {table} INCLUDING ALL)")
            for column, model in (("data_element_id", DataElement), ("unit_id", OrgUnit)):
                _sql(f"ALTER TABLE {SCRATCH_TABLE} ADD FOREIGN KEY ({column}) REFERENCES "
                     f"{model._meta.db_table} (id) DEFERRABLE INITIALLY DEFERRED")
        else:
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
    if args.worker in ("copy", "copy-scratch", "copy-fk"):
        out = worker_copy(args.file, scratch={"copy": "", "copy-scratch": "bare", "copy-fk": "fk"}[args.worker])
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


# --------------------------------------------------------------------------- the paths users take

GOVKPI = [sys.executable, "-c", "import sys; from govkpi.cli import main; sys.exit(main())"]  # `govkpi …`


def _timed_process(command: list[str], folder: Path, name: str) -> dict:
    """Run a command to its end: wall seconds, exit code, peak RSS (ru_maxrss of that process), its output."""
    out, err = folder / f"{name}.out", folder / f"{name}.err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=os.environ.copy())
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "code": os.waitstatus_to_exitcode(status), "peak_mb": usage.ru_maxrss / 1024,
            "stdout": out.read_text(encoding="utf-8", errors="replace"),
            "stderr": err.read_text(encoding="utf-8", errors="replace")}


_SUMMARY = re.compile(r"(\d+) mới/created, (\d+) sửa/updated, (\d+) không đổi/unchanged, (\d+) xóa/deleted, "
                      r"(\d+) từ chối/rejected")


def cli_import(path: str, folder: Path, name: str, *options: str) -> dict:
    """`govkpi import FILE [options]` in its own process, as an operator runs it (startup included)."""
    run = _timed_process([*GOVKPI, "import", path, *options], folder, name)
    found = _SUMMARY.search(run["stdout"])
    if not found:
        sys.stderr.write(run["stdout"][-2000:] + run["stderr"][-2000:])
        raise SystemExit(f"`govkpi import` ({name}) printed no summary (exit {run['code']})")
    run.update(zip(("created", "updated", "unchanged", "deleted", "rejected"), map(int, found.groups())))
    run["refusal_lines"] = sum(1 for line in run["stderr"].splitlines() if line.startswith("dòng/row"))
    run["first_refusal"] = next((line for line in run["stderr"].splitlines() if line.startswith("dòng/row")), "")
    return run


def lock_some(months: list[str], every: int) -> int:
    """Approve (and so lock) every `every`-th commune for the newest month: the per-value runs then keep the
    good values and report these as refused, row by row. Returns the codes of the communes locked."""
    from django.utils import timezone

    from govkpi.datavalues.models import DataApproval
    from govkpi.orgunits.models import OrgUnit

    communes = list(OrgUnit.objects.filter(kind="commune", valid_to__isnull=True).order_by("code")[::every])
    DataApproval.objects.bulk_create(DataApproval(unit=u, period=months[-1], state="approved", decided_by=BENCH_ACTOR,
                                                  decided_at=timezone.now()) for u in communes)
    return {u.code for u in communes}


def bench_token() -> str:
    """A data-entry account for the whole country (membership at the Government) and an API token of it."""
    from django.contrib.auth import get_user_model

    from govkpi.accounts.models import Membership
    from govkpi.accounts.roles import Role
    from govkpi.accounts.tokens import create_token
    from govkpi.orgunits.models import OrgUnit

    user, _created = get_user_model().objects.get_or_create(username=BENCH_ACTOR, defaults={"first_name": "Benchmark"})
    Membership.objects.get_or_create(user=user, unit=OrgUnit.objects.get(code="CP"), role=Role.DATA_ENTRY)
    _token, text = create_token(user, name="bench", actions=["enter"])
    return text


class Server:
    """`govkpi serve` on a free loopback port, without the evaluation engine (timed apart, see `evaluate`)."""

    def __init__(self, folder: Path) -> None:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = open(folder / "serve.log", "wb")
        self.process = subprocess.Popen([*GOVKPI, "serve", "--port", str(self.port), "--no-evaluation"],
                                        stdout=self.log, stderr=subprocess.STDOUT, env=os.environ.copy())
        import http.client

        for _ in range(300):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/api/v1/periods/202501")
                connection.getresponse().read()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"govkpi serve did not answer on port {self.port}; see {folder / 'serve.log'}")

    def post(self, path: str, body: bytes, token: str, content_type: str) -> dict:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        started = time.perf_counter()
        connection.request("POST", path, body=body, headers={"Authorization": f"Bearer {token}",
                                                             "Content-Type": content_type})
        response = connection.getresponse()
        answer = json.loads(response.read())
        answer = answer.get("response", answer)  # DHIS2 2.38+'s WebMessage around the ImportSummary
        seconds = time.perf_counter() - started
        counts = answer.get("importCount", {})
        return {"seconds": seconds, "status": response.status, "summary": answer.get("status"),
                "created": counts.get("imported", 0), "updated": counts.get("updated", 0),
                "rejected": len({i for c in answer.get("conflicts", []) for i in c.get("indexes", [])}),
                "first_conflict": (answer.get("conflicts") or [{}])[0].get("value", "")}

    def peak_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def time_user_paths(data: dict, folder: Path, lock_every: int) -> list[dict]:
    """`govkpi import` (all-or-nothing, per value), `govkpi evaluate` after the first, then
    `POST /api/v1/dataValueSets` to a real server (atomicMode ALL, NONE). Each starts from emptied tables; the
    per-value runs find some unit-months locked and must report exactly those rows."""
    from govkpi.datavalues.models import DataValue

    path = data["csv"]
    with open(path, encoding="utf-8") as lines:
        n = sum(1 for _ in lines) - 1
    rows: list[dict] = []

    def fresh(locked: bool) -> int:
        """Empty the tables (and lock some unit-months); how many rows of the file must then be refused."""
        _empty_tables()
        codes = lock_some(data["months"], lock_every) if locked else set()
        _quiet_database()
        newest = data["months"][-1]
        with open(path, encoding="utf-8") as lines:
            return sum(1 for line in lines if (cells := line.split(","))[1] == newest and cells[2] in codes)

    header_only = folder / "header-only.csv"
    header_only.write_text(HEADER + "\n", encoding="utf-8")
    startup = _timed_process([*GOVKPI, "import", str(header_only)], folder, "startup")["seconds"]
    print(f"timing: `govkpi import` of a header-only file (process start, Django, nothing to write): {startup:.2f}s")
    for mode, options in (("all-or-nothing", ()), ("per value", ("--per-value",))):
        expected_refused = fresh(mode == "per value")
        print(f"timing: `govkpi import` {mode} …", flush=True)
        run = cli_import(path, folder, f"cli-{mode.replace(' ', '-')}", *options)
        ok = run["rejected"] == expected_refused and run["created"] == n - expected_refused \
            and run["refusal_lines"] == expected_refused
        rows.append({"path": "govkpi import", "mode": mode, **run, "expected_refused": expected_refused, "ok": ok})
        print(f"  {run['seconds']:.2f}s (exit {run['code']}), created {run['created']:,}, refused {run['rejected']:,} "
              f"(expected {expected_refused:,}; {run['refusal_lines']:,} rows reported on stderr), "
              f"peak RSS {run['peak_mb']:.0f} MB", flush=True)
        if run["first_refusal"]:
            print(f"    e.g. {run['first_refusal']}")
        if mode == "all-or-nothing":
            stored = DataValue.objects.count()
            print(f"timing: `govkpi evaluate` once after the import of {stored:,} values …", flush=True)
            evaluated = _timed_process([*GOVKPI, "evaluate"], folder, "evaluate")
            rows.append({"path": "govkpi evaluate", "mode": "one pass", "seconds": evaluated["seconds"],
                         "created": 0, "rejected": 0, "peak_mb": evaluated["peak_mb"], "ok": evaluated["code"] == 0,
                         "note": evaluated["stdout"].strip().splitlines()[-1:] or [""]})
            print(f"  {evaluated['seconds']:.2f}s (exit {evaluated['code']}): {rows[-1]['note'][0]}; peak RSS "
                  f"{evaluated['peak_mb']:.0f} MB", flush=True)
    token = bench_token()
    server = Server(folder)
    body = Path(path).read_bytes()
    try:
        for mode, atomic in (("all-or-nothing", "ALL"), ("per value", "NONE")):
            expected_refused = fresh(mode == "per value")
            print(f"timing: POST /api/v1/dataValueSets (text/csv, atomicMode={atomic}) …", flush=True)
            run = server.post(f"/api/v1/dataValueSets?atomicMode={atomic}", body, token, "text/csv")
            ok = run["rejected"] == expected_refused and run["created"] == n - expected_refused
            rows.append({"path": "POST dataValueSets", "mode": mode, **run, "peak_mb": server.peak_mb(),
                         "expected_refused": expected_refused, "ok": ok})
            print(f"  {run['seconds']:.2f}s (HTTP {run['status']}, {run['summary']}), created {run['created']:,}, "
                  f"refused {run['rejected']:,} (expected {expected_refused:,}); server peak RSS so far "
                  f"{rows[-1]['peak_mb']:.0f} MB", flush=True)
            if run["first_conflict"]:
                print(f"    e.g. {run['first_conflict']}")
    finally:
        server.stop()
    return rows


def print_paths(paths: list[dict], n: int, scratch: dict | None) -> None:
    bare = scratch["rows"] / scratch["seconds"] if scratch else None
    print()
    print("path               | mode           |      s | values/s | created | refused | ÷ bare COPY | peak RSS MB")
    print("-------------------+----------------+--------+----------+---------+---------+-------------+------------")
    for p in paths:
        rate = n / p["seconds"] if p["path"] != "govkpi evaluate" else None
        share = f"{rate / bare:.2f}" if rate and bare else "-"
        print(f"{p['path']:<18} | {p['mode']:<14} | {p['seconds']:6.2f} | {f'{rate:,.0f}' if rate else '-':>8} | "
              f"{p['created']:>7,} | {p['rejected']:>7,} | {share:>11} | {p['peak_mb']:>10.0f}")
    print("(values/s = rows of the file ÷ wall seconds: for `govkpi import` the whole process, startup included;\n"
          " for the API from sending the request to reading the answer. ÷ bare COPY: that rate over the bare\n"
          " COPY's rows/s in this run — the goal is ≥ 0.5, or ≥ 100,000 values/s)")


# --------------------------------------------------------------------------- the run

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=100_000,
                        help="how many values (default 100,000; at most ~20,878 a month since 2025-07)")
    parser.add_argument("--kinds", default="commune,province",
                        help="unit kinds whose monthly data elements are reported (default commune,province)")
    parser.add_argument("--order", choices=["period", "shuffled"], default="period",
                        help="row order: by period, unit, element (default) or shuffled")
    parser.add_argument("--seed", type=int, default=20251)
    parser.add_argument("--skip-copy", action="store_true", help="do not time the plain COPY")
    parser.add_argument("--skip-reimport", action="store_true", help="do not time the re-import")
    parser.add_argument("--skip-demo", action="store_true", help="do not run the `govkpi demo` steps first")
    parser.add_argument("--skip-paths", action="store_true",
                        help="do not time `govkpi import`, the HTTP API and `govkpi evaluate`")
    parser.add_argument("--lock-every", type=int, default=20,
                        help="per-value runs: lock every N-th commune of the newest month (default 20)")
    parser.add_argument("--profile", metavar="DIR",
                        help="cProfile the import and re-import; write stats to DIR")
    parser.add_argument("--keep-file", action="store_true", help="keep the generated files (path printed)")
    parser.add_argument("--generate-only", action="store_true",
                        help="write the files, time nothing (implies --keep-file)")
    parser.add_argument("--workdir", help="where to write the files (default: a new temporary folder)")
    parser.add_argument("--worker", choices=["import", "copy", "copy-scratch", "copy-fk"], help=argparse.SUPPRESS)
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
        started = time.perf_counter()
        print("reference data: running the `govkpi demo` steps …", flush=True)
        # In a process of its own: a child's peak RSS (ru_maxrss) starts from its parent's at the fork, so this
        # process must stay small for the peaks printed below to be the children's own.
        done = subprocess.run([*GOVKPI, "demo"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env=os.environ.copy(), check=False)
        if done.returncode:
            sys.stderr.write(done.stderr[-3000:])
            raise SystemExit(f"govkpi demo failed ({done.returncode})")
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
          f"({len(data['months'])} months); order: {args.order}")
    opened = open_months(data["months"])
    print(f"  reporting windows opened for the months the default window has closed: {', '.join(opened) or 'none'} "
          f"(windows are checked on every path)")
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
        print("timing: plain COPY into a copy of the values table with its two foreign keys (before 0003) …",
              flush=True)
        results["copy_fk"] = _child("copy-fk", data["copy"])
        print(f"  COPY (indexes + foreign keys): {results['copy_fk']['rows']:,} rows in "
              f"{results['copy_fk']['seconds']:.2f}s = "
              f"{results['copy_fk']['rows'] / results['copy_fk']['seconds']:,.0f} rows/s", flush=True)
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

    paths = [] if args.skip_paths else time_user_paths(data, folder, args.lock_every)

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

    if paths:
        print_paths(paths, n, scratch)
    print(f"(peak RSS of a child includes this process's own at the time it was started: at most "
          f"{_peak_mb():.0f} MB)")
    ok = all(p["ok"] for p in paths) and imported["created"] == n and imported["rejected"] == 0 and (
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
