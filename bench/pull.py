"""Benchmark: a centre pulling a province's values with a connector, and the export that feeds it.

    .venv/bin/python bench/pull.py [--communes 700] [--months 120] [--changes 1000]
        [--url postgresql://postgres@127.0.0.1:5432]

Two PostgreSQL databases of its own (govkpi_bench_pull_source, govkpi_bench_pull_centre: dropped and made
again), each migrated with the same units (a province with N communes) and a two-element catalog; the source
gets communes × months × 2 values. The source is served (`govkpi serve`); then, each in a process of its own:

1. the whole export, CSV gzip, read by a plain HTTP client: seconds, bytes, the server's peak RSS;
2. the first pull (`govkpi connector run`): seconds, values a second, the puller's peak RSS, the server's;
3. `--changes` values changed at the source, then the incremental pull: seconds, values read;
4. a pull with nothing new.

Only the standard library, Django and psycopg are used. Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg

GOVKPI = str(Path(sys.executable).with_name("govkpi"))

SEED = """
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
tier, communes, months = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
from django.contrib.auth import get_user_model
from govkpi.accounts.models import Membership
from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import create_token
from govkpi.datavalues.writer import Item, write_values
from govkpi.indicators.catalog import apply_catalog
from govkpi.orgunits.models import OrgUnit, build_path
root = OrgUnit.objects.create(code="CP", name="Chính phủ", short_name="CP", kind="government", legal_type="",
                              level=0, path=build_path(None, "CP"))
province = OrgUnit.objects.create(code="01", name="Hà Nội", short_name="HN", kind="province", legal_type="",
                                  parent=root, level=1, path=build_path(root.path, "01"))
OrgUnit.objects.bulk_create([OrgUnit(code=f"{n:05d}", name=f"Xã {n}", short_name=f"X{n}", kind="commune",
                                     legal_type="", parent=province, level=2,
                                     path=build_path(province.path, f"{n:05d}")) for n in range(1, communes + 1)])
assert apply_catalog({"data_elements": [
    {"code": "DVC_TOANTRINH", "name_vi": "Số DVC toàn trình", "value_type": "count", "frequency": "monthly"},
    {"code": "DVC_TONG", "name_vi": "Tổng số DVC", "value_type": "count", "frequency": "monthly"}]}).ok
users = get_user_model().objects
answer = {}
if tier == "source":
    periods = [f"{2016 + m // 12}{m % 12 + 1:02d}" for m in range(months)]
    batch, index = [], 0
    for n in range(1, communes + 1):
        for period in periods:
            for element in ("DVC_TOANTRINH", "DVC_TONG"):
                batch.append(Item(index, element, period, f"{n:05d}", 1000 + (index * 7919) % 9000))
                index += 1
        if len(batch) >= 50000:
            assert write_values(batch, actor=None, channel="api", check_windows=False).status == "SUCCESS"
            batch = []
    if batch:
        assert write_values(batch, actor=None, channel="api", check_windows=False).status == "SUCCESS"
    reader = users.create_user("trung-uong", password=None)
    Membership.objects.create(user=reader, unit=province, role=Role.VIEWER)
    answer = {"token": create_token(reader, actions=["read"])[1], "values": index}
else:
    puller = users.create_user("keo", password=None)
    Membership.objects.create(user=puller, unit=province, role=Role.DATA_ENTRY)
print(json.dumps(answer))
"""

CHANGE = """
import sys
import django
django.setup()
from govkpi.datavalues.writer import Item, write_values
changes, communes = int(sys.argv[1]), int(sys.argv[2])
items = [Item(i, "DVC_TONG", f"{2016 + i // communes // 12}{i // communes % 12 + 1:02d}", f"{i % communes + 1:05d}",
              5000 + i % 7) for i in range(changes)]
assert write_values(items, actor=None, channel="api", check_windows=False).status != "ERROR"
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree(pid: int) -> list[int]:
    out, pending = [], [pid]
    while pending:
        current = pending.pop()
        out.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            pending.extend(int(c) for c in task.read_text().split())
    return out


def _peak_mb(pid: int) -> float:
    """Peak RSS in MB, summed over a server's processes."""
    peak = 0.0
    for member in _tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except FileNotFoundError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM"):
                peak += int(line.split()[1]) / 1024
    return peak


def _timed(command: list[str], env: dict) -> dict:
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    out, err = process.stdout.read().decode(), process.stderr.read().decode()
    return {"seconds": time.perf_counter() - started, "code": os.waitstatus_to_exitcode(status),
            "peak_mb": usage.ru_maxrss / 1024, "stdout": out, "stderr": err}


def _database(base: str, name: str) -> str:
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    return f"{base}/{name}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=700)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--url", default=os.environ.get("BENCH_URL", "postgresql://postgres@127.0.0.1:5432"))
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="govkpi-bench-pull-"))
    base = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL")}
    base.update(GOVKPI_REPORTING_CLOSES_AFTER_DAYS="100000", GOVKPI_MEDIA_ROOT=str(folder / "media"))
    source_env = {**base, "DATABASE_URL": _database(args.url, "govkpi_bench_pull_source")}
    centre_env = {**base, "DATABASE_URL": _database(args.url, "govkpi_bench_pull_centre")}
    started = time.perf_counter()
    seeded = subprocess.run([sys.executable, "-c", SEED, "source", str(args.communes), str(args.months)],
                            env={**source_env, "DJANGO_SETTINGS_MODULE": "govkpi.settings"}, capture_output=True,
                            text=True, check=True)
    source = json.loads(seeded.stdout.strip().splitlines()[-1])
    subprocess.run([sys.executable, "-c", SEED, "centre", str(args.communes), str(args.months)],
                   env={**centre_env, "DJANGO_SETTINGS_MODULE": "govkpi.settings"}, capture_output=True, text=True,
                   check=True)
    print(f"seeded {source['values']:,} values in {time.perf_counter() - started:.0f} s", flush=True)
    port = _free_port()
    with (folder / "server.log").open("wb") as log:
        server = subprocess.Popen([GOVKPI, "serve", "--port", str(port)], env=source_env, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/system/info", timeout=5).close()
                break
            except OSError:
                time.sleep(0.2)
        idle_mb = _peak_mb(server.pid)
        url = (f"http://127.0.0.1:{port}/api/dataValueSets.csv?dataElement=DVC_TOANTRINH,DVC_TONG&orgUnit=01"
               f"&children=true&lastUpdated=1970-01-01&includeDeleted=true&compression=gzip")
        request = urllib.request.Request(url, headers={"Authorization": f"ApiToken {source['token']}"})
        began, size = time.perf_counter(), 0
        with urllib.request.urlopen(request, timeout=600) as response:
            while chunk := response.read(1 << 16):
                size += len(chunk)
        export_seconds = time.perf_counter() - began
        print(f"export: {source['values']:,} values, {size / 1e6:.1f} MB gzip in {export_seconds:.1f} s "
              f"({source['values'] / export_seconds:,.0f} values/s); server peak RSS {_peak_mb(server.pid):.0f} MB "
              f"(idle {idle_mb:.0f} MB)", flush=True)
        centre = {**centre_env, "SOURCE_TOKEN": source["token"]}
        subprocess.run([GOVKPI, "connector", "add", "ha-noi", "--url", f"http://127.0.0.1:{port}", "--token-env",
                        "SOURCE_TOKEN", "--as", "keo", "--org-unit", "01", "--data-element", "DVC_TOANTRINH,DVC_TONG",
                        "--overlap", "0"], env=centre, check=True, capture_output=True)
        for label in ("first pull", "changes", "incremental pull", "nothing new"):
            if label == "changes":
                subprocess.run([sys.executable, "-c", CHANGE, str(args.changes), str(args.communes)],
                               env={**source_env, "DJANGO_SETTINGS_MODULE": "govkpi.settings"}, check=True)
                continue
            run = _timed([GOVKPI, "connector", "run", "ha-noi"], centre)
            summary = next((line for line in run["stdout"].splitlines() if line.startswith("ha-noi:")), "")
            read = int(summary.split("read=")[1].split()[0]) if "read=" in summary else 0
            rate = f"{read / run['seconds']:,.0f} values/s" if read else "-"
            print(f"{label}: {run['seconds']:.1f} s, {rate}, puller peak RSS {run['peak_mb']:.0f} MB, server "
                  f"peak {_peak_mb(server.pid):.0f} MB; {summary}", flush=True)
            if run["code"] != 0:
                print(run["stderr"], file=sys.stderr)
                return 1
    finally:
        server.terminate()
        server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
