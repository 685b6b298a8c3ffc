"""A govkpi of a test's own: a fresh database (a SQLite file, or a database in a PostgreSQL cluster of the
test's own), seeded through the real code in a process of its own, and the real commands run against it
(`govkpi serve`, `evaluate --follow`, `recompute --verify`, `audit verify`) as subprocesses on loopback.

Nothing here touches a database in the test process: what a test checks, it reads back through the API or
through a process of its own. The periods are 2020-2025 months, kept open and provisional by the servers'
environment (REPORTING_CLOSES and OFFICIAL_AFTER far out), so nothing depends on the day the tests run."""

from __future__ import annotations

import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GOVKPI = [sys.executable, "-m", "govkpi.cli"]
STARTUP = 40.0  # seconds a process may take to answer on a loaded 2-core machine
PROVINCES = [f"{n:02d}" for n in range(1, 21)]  # 20 units: a month of both elements is 40 values
MONTHS = [f"{year}{month:02d}" for year in range(2020, 2026) for month in range(1, 13)]  # 72 months
SERVER_ENV = {"GOVKPI_REPORTING_CLOSES_AFTER_DAYS": "100000", "GOVKPI_OFFICIAL_AFTER_DAYS": "100000",
              # the tests and the load send thousands of requests a minute from one address and one user
              "GOVKPI_API_RATE_AUTHENTICATED": "1000000/m", "GOVKPI_API_RATE_ANONYMOUS": "1000000/m",
              "GOVKPI_PAGE_RATE_AUTHENTICATED": "1000000/m", "GOVKPI_PAGE_RATE_ANONYMOUS": "1000000/m",
              "GOVKPI_STREAM_RATE": "100000/m", "GOVKPI_SQLITE_SYNCHRONOUS": "FULL"}

# Run in a process of its own against the fresh database: migrate, the units, the small catalog (monthly),
# a writer (data entry over CP) and a reader (viewer over CP), and a signed-in reader's session cookie.
SEED = """
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
sys.path.insert(0, sys.argv[1])
from tests.conftest import SMALL_CATALOG
from django.contrib.auth import get_user_model
from django.test import Client
from govkpi.accounts.models import Membership
from govkpi.accounts.roles import Role
from govkpi.indicators.catalog import apply_catalog
from govkpi.orgunits.models import OrgUnit, build_path
made = {}
units = [("CP", "government", None), ("BCA", "ministry", "CP")] + [(c, "province", "CP") for c in sys.argv[2:]]
for code, kind, parent in units:
    above = made.get(parent)
    made[code] = OrgUnit.objects.create(
        code=code, name=f"Đơn vị {code}", short_name=code, kind=kind, legal_type="", parent=above,
        level=(above.level + 1) if above else 0, path=build_path(above.path if above else None, code))
for element in SMALL_CATALOG["data_elements"]:
    element.update(frequency="monthly")
assert apply_catalog(SMALL_CATALOG).ok
users = get_user_model().objects
for name, role in (("ghi", Role.DATA_ENTRY), ("xem", Role.VIEWER)):
    Membership.objects.create(user=users.create_user(name, password=None), unit=made["CP"], role=role)
browser = Client()
browser.force_login(users.get(username="xem"))
print(json.dumps({"session": browser.cookies["sessionid"].value}))
"""

# What is stored, read by a process of its own: {"DE|period|unit": value} of the values not deleted.
STORED = """
import json
import django
django.setup()
from govkpi.datavalues.models import DataValue
rows = DataValue.objects.values_list("data_element__code", "period", "unit__code", "value")
print(json.dumps({f"{d}|{p}|{u}": float(v) for d, p, u, v in rows}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def month_values(months: list[str], base: int = 1000) -> list[dict]:
    """Both elements for every province in these months (the part below its whole): 40 values a month."""
    values = []
    for m, month in enumerate(months):
        for u, unit in enumerate(PROVINCES):
            whole = base + 10 * m + u
            values.append({"dataElement": "DVC_TONG", "period": month, "orgUnit": unit, "value": str(whole)})
            values.append({"dataElement": "DVC_TOANTRINH", "period": month, "orgUnit": unit,
                           "value": str(whole // 2)})
    return values


def key(value: dict) -> str:
    return f"{value['dataElement']}|{value['period']}|{value['orgUnit']}"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Server:
    """One `govkpi serve` process (or `evaluate --follow`, by `args`) logging to a file of its own."""

    site: Site
    name: str
    args: tuple[str, ...]
    port: int = 0
    as_user: tuple[str, ...] = ()  # e.g. ("runuser", "-u", "nobody", "--"): the process runs as another user
    process: subprocess.Popen | None = None
    logfile: Path = field(init=False)

    def __post_init__(self) -> None:
        self.logfile = self.site.folder / f"{self.name}.log"

    def start(self, wait: bool = True) -> Server:
        if self.args[0] == "serve" and not self.port:
            self.port = free_port()
        port = ("--port", str(self.port)) if self.args[0] == "serve" else ()
        with self.logfile.open("ab") as out:
            self.process = subprocess.Popen([*self.as_user, *GOVKPI, *self.args, *port], env=self.site.env, cwd=self.site.folder,
                                            stdout=out, stderr=subprocess.STDOUT)
        self.site.started.append(self)
        if wait and self.args[0] == "serve":
            self.wait_answering()
        return self

    def wait_answering(self, timeout: float = STARTUP) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.request("GET", "/api/v1/periods/202001", timeout=5)
                return
            except OSError:
                assert self.process.poll() is None, self.log()[-4000:]
                assert time.monotonic() < deadline, f"nothing answers on port {self.port}:\n{self.log()[-4000:]}"
                time.sleep(0.2)

    def wait_for_log(self, text: str, timeout: float = STARTUP, after: int = 0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log()[after:]:
            assert self.process.poll() is None, self.log()[-4000:]
            assert time.monotonic() < deadline, f"no «{text}» in:\n{self.log()[-4000:]}"
            time.sleep(0.1)

    def log(self) -> str:
        return self.logfile.read_text(errors="replace") if self.logfile.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no goodbye, no flush, no rollback but the database's own."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def request(self, method: str, path: str, body: object = None, headers: dict | None = None,
                timeout: float = 60) -> Answer:
        http_ = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = json.dumps(body) if body is not None and not isinstance(body, str | bytes) else body
            sent = {"Content-Type": "application/json"} if data is not None else {}
            http_.request(method, path, body=data, headers={**sent, **(headers or {})})
            response = http_.getresponse()
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                          response.read().decode(errors="replace"))
        finally:
            http_.close()

    def post_values(self, token: str, values: list[dict], timeout: float = 60) -> Answer:
        return self.request("POST", "/api/v1/dataValueSets", {"dataValues": values},
                            {"Authorization": f"Bearer {token}"}, timeout=timeout)


class Site:
    """A database, its environment and the processes started on it (all ended by `end`)."""

    def __init__(self, folder: Path, database_url: str, extra_env: dict | None = None) -> None:
        self.folder = folder
        self.database_url = database_url
        self.env = {**os.environ, **SERVER_ENV, "DATABASE_URL": database_url, "GOVKPI_MEDIA_ROOT": str(folder),
                    "DJANGO_SETTINGS_MODULE": "govkpi.settings", **(extra_env or {})}
        self.env.pop("REDIS_URL", None)  # only a test that starts a Redis of its own sets it
        self.env.update(extra_env or {})
        self.started: list[Server] = []
        self.session = ""  # a signed-in reader's session cookie, and the writer's and reader's tokens
        self.writer = self.reader = ""
        self.cluster: Cluster | None = None  # the PostgreSQL cluster the database is in, if any
        self._watcher = None  # writing()'s connection on PostgreSQL

    def run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        done = subprocess.run([*GOVKPI, *args], env=self.env, cwd=self.folder, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if check:
            assert done.returncode == 0, f"govkpi {' '.join(args)}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
        return done

    def python(self, code: str, *args: str) -> str:
        done = subprocess.run([sys.executable, "-c", code, *args], env=self.env, cwd=self.folder,
                              capture_output=True, text=True, timeout=180, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip().splitlines()[-1]

    def seed(self) -> None:
        self.session = json.loads(self.python(SEED, str(REPO), *PROVINCES))["session"]

    def token(self, username: str, permissions: str) -> str:
        """`govkpi token create`: the token is on its last line."""
        return self.run("token", "create", username, "--permissions", permissions).stdout.strip().splitlines()[-1]

    def stored(self) -> dict[str, float]:
        return json.loads(self.python(STORED))

    def writing(self) -> bool:
        """True while another process holds a write transaction open: on PostgreSQL a backend with a
        transaction id (it has written), on SQLite the write lock (BEGIN IMMEDIATE cannot take it)."""
        if self.database_url.startswith("sqlite"):
            import sqlite3

            db = sqlite3.connect(self.database_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
            try:
                db.execute("BEGIN IMMEDIATE")
                db.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError:
                return True
            finally:
                db.close()
        import psycopg

        if self._watcher is None or self._watcher.closed:  # one connection for every look: a look is quick
            self._watcher = psycopg.connect(self.database_url, autocommit=True, connect_timeout=5)
        return self._watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND backend_type = 'client backend' "
            "AND pid <> pg_backend_pid() AND datname = current_database()").fetchone()[0] > 0

    def server(self, name: str = "server", *args: str) -> Server:
        return Server(self, name, ("serve", *args))

    def engine(self, name: str = "engine") -> Server:
        return Server(self, name, ("evaluate", "--follow"))

    def end(self) -> None:
        """Ask every process to end at once, then wait for each (a stuck one is killed)."""
        running = [s.process for s in self.started if s.process is not None and s.process.poll() is None]
        for process in running:
            process.terminate()
        for process in running:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._watcher is not None:
            self._watcher.close()


# --- PostgreSQL: a cluster of the session's own ---------------------------------------------------------------

def postgres_bin() -> Path | None:
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(binaries[-1]).parent if binaries else None


class Cluster:
    """A throwaway PostgreSQL cluster on a free loopback port (fsync off: durability across a power cut is the
    server's own promise; what is tested here is govkpi's behaviour around a restart)."""

    def __init__(self, bin_folder: Path) -> None:
        self.bin = bin_folder
        self.folder = Path(tempfile.mkdtemp(prefix="govkpi-faults-pg-"))
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL will not run as root
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
            self.folder.chmod(0o755)
            shutil.chown(self.folder, "postgres")
        self.port = free_port()
        self.data = self.folder / "data"

    def pg(self, tool: str, *args: str, timeout: float = 60) -> None:
        done = subprocess.run([*self.as_postgres, str(self.bin / tool), *args], capture_output=True, text=True,
                              check=False, timeout=timeout, cwd=self.folder)
        if done.returncode != 0:
            raise RuntimeError(f"{tool}: {done.stdout}{done.stderr}")

    def build(self) -> None:
        self.pg("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = "
                       f"'{self.folder}'\nmax_connections = 200\nshared_buffers = 64MB\nfsync = off\n")
        self.start()

    def start(self) -> None:
        self.pg("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "postgres.log"), "-w", "-t", "30", "start")

    def restart(self) -> None:
        self.pg("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "postgres.log"), "-m", "fast", "-w",
                "-t", "30", "restart")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=5) as db:
            db.execute(statement)

    def remove(self) -> None:
        try:
            self.pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


class Stream:
    """An open `GET /api/v1/events` read on a thread of its own: (kind, data) pairs as they arrive."""

    def __init__(self, port: int, token: str, wait: float = 20.0) -> None:
        import queue
        import threading

        self.events: queue.Queue[tuple[str, dict]] = queue.Queue()
        self._opened = threading.Event()
        self._http = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self._http.request("GET", "/api/v1/events", headers={"Authorization": f"Bearer {token}"})
        response = self._http.getresponse()
        assert response.status == 200, response.read()
        self._thread = threading.Thread(target=self._read, args=(response,), daemon=True)
        self._thread.start()
        assert self._opened.wait(wait), "the stream never started"

    def _read(self, response: http.client.HTTPResponse) -> None:
        kind = ""
        try:
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line.startswith("retry:"):
                    self._opened.set()
                elif line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    self.events.put((kind, json.loads(line.removeprefix("data: "))))
        except (OSError, ValueError):
            pass  # closed at the test's end

    def next(self, kind: str, unit: str, period: str, within: float) -> dict:
        """The next event of `kind` naming `unit` and `period` within `within` seconds (others skipped)."""
        import queue

        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            try:
                got, data = self.events.get(timeout=left)
            except queue.Empty:
                break
            if got == kind and unit in data.get("units", []) and period in data.get("periods", []):
                return data
        raise AssertionError(f"no {kind} event for {unit} {period} within {within} s")

    def close(self) -> None:
        if self._http.sock is not None:
            self._http.sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)
        self._http.close()


class Redis:
    """A redis-server of the test's own on a free loopback port, nothing kept on disk."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with (self.folder / "redis.log").open("ab") as out:
            self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
                                            stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                assert time.monotonic() < deadline and self.process.poll() is None, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
