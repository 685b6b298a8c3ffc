"""Several processes on one PostgreSQL database: web workers that share nothing but the database (and Redis
where REDIS_URL is set), one engine among them, a write through one worker seen on a stream held by another.

Real processes on loopback (`govkpi serve`, `govkpi evaluate --follow`) against the test database: the tests
run in real transactions so that what they set up is committed and the processes see it. They do not depend on
the day they run: July 2025 stays open and provisional through the servers' environment (REPORTING_CLOSES and
OFFICIAL_AFTER set far out), as the engine's tests do with `all_provisional`."""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from govkpi.accounts.models import Membership
from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import create_token
from govkpi.datavalues.writer import Item, write_values
from govkpi.evaluation.models import Result
from govkpi.indicators.catalog import apply_catalog
from govkpi.orgunits.models import OrgUnit, build_path
from govkpi.portal.opendata_files import BUILD_ORDER

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
GOVKPI = str(Path(sys.executable).with_name("govkpi"))
JULY = "202507"
INDICATOR = "DVC_TOANTRINH_TYLE"
STARTUP = 40.0  # seconds a process may take to answer on a loaded 2-core machine
ARRIVAL = 20.0  # seconds an event may take to reach a stream (the fallback poll is 2 s; a wake-up is far less)
REDIS_DB = "redis://127.0.0.1:6379/11"  # a database of Redis' own for these tests


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("several processes share one database through PostgreSQL (LISTEN/NOTIFY, the leader lock); "
                    "the SQLite test database lives in the test process's memory")


@pytest.fixture
def tokens(small_catalog):
    """The units, the small catalog and July's total for Hà Nội, committed; a writer's and a reader's token."""
    made: dict[str, OrgUnit] = {}
    for code, kind, parent in (("CP", "government", None), ("BCA", "ministry", "CP"), ("01", "province", "CP")):
        above = made.get(parent)
        made[code] = OrgUnit.objects.filter(code=code).first() or OrgUnit.objects.create(
            code=code, name=code, short_name=code, kind=kind, legal_type="", parent=above,
            level=(above.level + 1) if above else 0, path=build_path(above.path if above else None, code))
    for element in small_catalog["data_elements"]:
        element.update(frequency="monthly")
    assert apply_catalog(small_catalog).ok
    write_values([Item(0, "DVC_TONG", JULY, "01", 2000)], actor=None, channel="api", check_windows=False)
    from django.contrib.auth import get_user_model

    writer = get_user_model().objects.create_user("ghi", password=None)
    Membership.objects.create(user=writer, unit=made["CP"], role=Role.DATA_ENTRY)
    reader = get_user_model().objects.create_user("xem", password=None)
    Membership.objects.create(user=reader, unit=made["CP"], role=Role.VIEWER)
    return create_token(writer, actions=["read", "enter"])[1], create_token(reader, actions=["read"])[1]


class Processes:
    """The processes a test starts, each logging to a file; all ended (and waited for) at the test's end,
    before the test database is emptied."""

    def __init__(self, folder: Path, redis: bool) -> None:
        settings = connection.settings_dict
        self.folder = folder
        self.env = {**os.environ, "DATABASE_URL": f"postgresql://{settings['USER'] or 'postgres'}@"
                    f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}",
                    "GOVKPI_REPORTING_CLOSES_AFTER_DAYS": "100000", "GOVKPI_OFFICIAL_AFTER_DAYS": "100000"}
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        if redis:
            self.env["REDIS_URL"] = REDIS_DB
        else:
            self.env.pop("REDIS_URL", None)
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen([GOVKPI, *args], env=self.env, cwd=self.folder, stdout=out,
                                       stderr=subprocess.STDOUT)
        self.started.append((process, log))
        return process

    def serve(self, name: str, *args: str) -> int:
        port = _free_port()
        self.start(name, "serve", "--port", str(port), *args)
        return port

    def log(self, process: subprocess.Popen) -> str:
        return next(log for p, log in self.started if p is process).read_text(errors="replace")

    def wait_for_log(self, process: subprocess.Popen, text: str, timeout: float = STARTUP) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log(process):
            assert process.poll() is None, self.log(process)
            assert time.monotonic() < deadline, f"no «{text}» in:\n{self.log(process)}"
            time.sleep(0.1)

    def end(self) -> None:
        for process, _log in self.started:
            if process.poll() is None:
                process.terminate()
        for process, _log in self.started:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path, redis=False)
    yield started
    started.end()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_answering(port: int) -> None:
    deadline = time.monotonic() + STARTUP
    while True:
        try:
            connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection_.request("GET", f"/api/v1/periods/{JULY}")
            assert connection_.getresponse().status == 200
            connection_.close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing answers on port {port}"
            time.sleep(0.2)


class Stream:
    """An open `GET /api/v1/events` read on a thread of its own: (kind, data) pairs as they arrive."""

    def __init__(self, port: int, token: str) -> None:
        self.events: queue.Queue[tuple[str, dict]] = queue.Queue()
        self._opened = threading.Event()
        self._http = http.client.HTTPConnection("127.0.0.1", port, timeout=ARRIVAL + 30)
        self._http.request("GET", "/api/v1/events", headers={"Authorization": f"Bearer {token}"})
        response = self._http.getresponse()
        assert response.status == 200, response.read()
        self._thread = threading.Thread(target=self._read, args=(response,), daemon=True)
        self._thread.start()
        assert self._opened.wait(ARRIVAL), "the stream never started"  # subscribed to its process's hub

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
        except OSError:
            pass  # closed at the test's end

    def next(self, kind: str, unit: str) -> dict:
        """The next event of `kind` naming `unit`, within ARRIVAL seconds (others are skipped)."""
        deadline = time.monotonic() + ARRIVAL
        while (left := deadline - time.monotonic()) > 0:
            try:
                got, data = self.events.get(timeout=left)
            except queue.Empty:
                break
            if got == kind and unit in data["units"]:
                return data
        raise AssertionError(f"no {kind} event for {unit} within {ARRIVAL} s")

    def close(self) -> None:
        """End the stream as a browser leaving would: the reader sees the end of its input and stops."""
        if self._http.sock is not None:
            self._http.sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)
        self._http.close()


@pytest.fixture
def streams() -> Iterator[list[Stream]]:
    opened: list[Stream] = []
    yield opened
    for stream in opened:
        stream.close()


def _post_value(port: int, token: str, value: int) -> dict:
    http_ = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = {"dataValues": [{"dataElement": "DVC_TOANTRINH", "period": JULY, "orgUnit": "01", "value": str(value)}]}
    http_.request("POST", "/api/v1/dataValueSets", body=json.dumps(body),
                  headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = http_.getresponse()
    answer = json.loads(response.read())
    http_.close()
    assert response.status == 200, answer
    return answer


def _result(unit: str) -> float | None:
    connection.close()  # a fresh look at what the other processes committed
    return Result.objects.filter(indicator__code=INDICATOR, unit__code=unit, period=JULY,
                                 valid_to__isnull=True).values_list("value", flat=True).first()


@pytest.mark.parametrize("redis", [False, True], ids=["postgresql", "postgresql+redis"])
def test_a_write_through_one_worker_reaches_a_stream_held_by_another(tokens, tmp_path, streams, redis):
    writer, reader = tokens
    if redis:
        import redis as redis_client

        shared = redis_client.Redis.from_url(REDIS_DB)
        shared.flushdb()  # this test's own Redis database
    started = Processes(tmp_path, redis=redis)
    try:
        engine = started.start("engine", "evaluate", "--follow")
        first = started.serve("worker1", "--no-evaluation")
        second = started.serve("worker2", "--no-evaluation")
        started.wait_for_log(engine, "this engine leads")
        _wait_until_answering(first)
        _wait_until_answering(second)
        stream = Stream(second, reader)
        streams.append(stream)
        sent = time.monotonic()
        answer = _post_value(first, writer, 1500)
        assert answer["response"]["importCount"]["imported"] == 1
        written = stream.next("datavalues", "01")
        assert written["periods"] == [JULY]
        recomputed = stream.next("results", "01")
        assert JULY in recomputed["periods"] and recomputed["id"] > written["id"]
        assert time.monotonic() - sent < ARRIVAL
        assert _result("01") == 75.0  # what the engine process committed: 1500 / 2000
        # Once more, the other way round: a change written through the stream's own worker, read on the first.
        other = Stream(first, reader)
        streams.append(other)
        _post_value(second, writer, 1000)
        assert other.next("results", "01")["id"] > recomputed["id"]
        assert _result("01") == 50.0
        if redis:  # both workers counted the writer's requests in one place: the rate limit holds across them
            assert [key for key in shared.keys("*govkpi:rate:api-user:user:*")]  # per user, not per address
    finally:
        started.end()


def test_a_second_engine_waits_while_the_first_leads_and_takes_over_when_it_is_killed(tokens, processes):
    first = processes.start("engine1", "evaluate", "--follow")
    processes.wait_for_log(first, "this engine leads")
    second = processes.start("engine2", "evaluate", "--follow")
    processes.wait_for_log(second, "another engine leads; waiting")
    time.sleep(1.5)  # a few of its tries (one a second): still waiting
    assert "this engine leads" not in processes.log(second) and second.poll() is None
    first.send_signal(signal.SIGKILL)  # no goodbye: the lock ends with the dead engine's connection
    first.wait(10)
    processes.wait_for_log(second, "this engine leads", timeout=15)
    write_values([Item(0, "DVC_TOANTRINH", JULY, "01", 500)], actor=None, channel="api", check_windows=False)
    deadline = time.monotonic() + ARRIVAL
    while _result("01") != 25.0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _result("01") == 25.0  # the new leader applies the changes: 500 / 2000


def _children(pid: int) -> list[tuple[int, str]]:
    """The processes whose parent is `pid`, with their command lines (Linux's /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append((int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()))
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
    return found


def test_serve_with_two_workers_runs_the_engine_once_beside_them(tokens, processes, streams):
    writer, reader = tokens
    port = processes.serve("server", "--workers", "2")
    server = processes.started[-1][0]
    _wait_until_answering(port)
    children = _children(server.pid)
    engines = [pid for pid, command in children if "evaluate --follow" in command]
    workers = [pid for pid, command in children if "multiprocessing.spawn" in command]
    assert len(engines) == 1 and len(workers) == 2, children
    stream = Stream(port, reader)
    streams.append(stream)
    _post_value(port, writer, 1800)
    # The engine's first pass over the fixture's values may announce July for 01 before the write's pass does
    # (seen on a loaded CI machine): take results events until one shows the written value's result.
    deadline = time.monotonic() + ARRIVAL
    while True:
        assert JULY in stream.next("results", "01")["periods"]
        if _result("01") == 90.0:
            break
        assert time.monotonic() < deadline, f"results for 01 stayed at {_result('01')}"
    stream.close()
    server.terminate()
    server.wait(30)
    assert not Path(f"/proc/{engines[0]}").exists(), "the engine outlived its server"


SERVER_APP = "govkpi-crowd-server"  # the server's connections say so (libpq's PGAPPNAME): the test process's
# own pooled connections, left idle by earlier tests' threads, are not the server's


def _server_connections(database: str, test_process: int) -> int:
    """Connections of the server under test to the test database (named by PGAPPNAME in its environment)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                       "AND pid <> %s AND application_name = %s", [database, test_process, SERVER_APP])
        return cursor.fetchone()[0]


def test_a_crowd_of_writers_waits_in_line_instead_of_exhausting_the_database(tokens, processes):
    """40 clients at once, all writing the same value, against one worker holding at most 4 requests and 6
    connections: every write is answered, one after the other (the key's lock), and the server never holds
    more connections than its pool (before: a thread and a connection per request, HTTP 500 "too many
    clients" once PostgreSQL ran out, and HTTP 500 on the unique key when two wrote a new value at once)."""
    writer, _reader = tokens
    processes.env.update(GOVKPI_REQUEST_THREADS="4", GOVKPI_DB_POOL_MAX="6", GOVKPI_DB_POOL_MIN="1",
                         PGAPPNAME=SERVER_APP)
    port = processes.serve("worker", "--no-evaluation")
    _wait_until_answering(port)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        test_process = cursor.fetchone()[0]
    database = connection.settings_dict["NAME"]
    statuses: list[int] = []
    peak = [0]
    done = threading.Event()

    def watch() -> None:
        try:
            while not done.is_set():
                peak[0] = max(peak[0], _server_connections(database, test_process))
                time.sleep(0.02)
        finally:
            connection.close()  # this thread's own, before the test database is dropped

    def post(n: int) -> None:
        http_ = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        body = {"dataValues": [{"dataElement": "DVC_TOANTRINH", "period": JULY, "orgUnit": "01", "value": str(n)}]}
        http_.request("POST", "/api/v1/dataValueSets", body=json.dumps(body),
                      headers={"Authorization": f"Bearer {writer}", "Content-Type": "application/json"})
        statuses.append(http_.getresponse().status)
        http_.close()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    clients = [threading.Thread(target=post, args=(n,)) for n in range(1, 41)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(90)
    done.set()
    watcher.join(5)
    assert statuses == [200] * 40, processes.log(processes.started[-1][0])[:6000]
    assert 1 <= peak[0] <= 6, peak[0]  # the pool's bound; no engine and no stream in this process


def test_the_engine_builds_the_open_data_files_ahead_and_not_again_for_a_write_in_an_open_month(tokens,
                                                                                                 processes):
    engine = processes.start("engine", "evaluate", "--follow")
    folder = processes.folder / "media" / "opendata"
    deadline = time.monotonic() + STARTUP * 2
    while len(_files(folder)) < len(BUILD_ORDER) and time.monotonic() < deadline:
        assert engine.poll() is None, processes.log(engine)
        time.sleep(0.2)
    built = _files(folder)
    assert len(built) == len(BUILD_ORDER), built
    write_values([Item(0, "DVC_TOANTRINH", JULY, "01", 500)], actor=None, channel="api", check_windows=False)
    deadline = time.monotonic() + ARRIVAL
    while _result("01") != 25.0 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _result("01") == 25.0
    time.sleep(2)  # a builder started by that pass would have written by now
    assert _files(folder) == built  # July is open: what is published did not change, so no file was rebuilt


def _files(folder: Path) -> list[str]:
    """The finished open-data files (not the lock files nor a file being written, whose names start with a dot)."""
    return sorted(p.name for p in folder.glob("*.*") if not p.name.startswith("."))
