"""A read replica for real: a PostgreSQL primary and a streaming standby of this test's own (initdb,
pg_basebackup -R on loopback ports), govkpi migrated onto the primary and served with GOVKPI_REPLICA_URL set.

It shows, with the standby's replay paused and resumed so that the two databases really differ: the pages and
API GETs read the replica and say so (the footer's lag line, the X-Govkpi-Reads header); a write goes to the
primary; its writer reads the primary until the replica has replayed that write (read your writes) while
everyone else still sees the replica's older figure; a replica lagging past GOVKPI_REPLICA_MAX_LAG, or
stopped, is not read. The clusters are removed at the end whatever happens.

PostgreSQL refuses to run as root: as root (CI), the clusters run as the `postgres` OS user through runuser.
July 2025 stays open and provisional through the server's environment, as in tests/test_server.py, so the test
does not depend on the day it runs."""

from __future__ import annotations

import glob
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.slow
GOVKPI = str(Path(sys.executable).with_name("govkpi"))
REPO = Path(__file__).resolve().parents[1]
JULY, INDICATOR = "202507", "DVC_TOANTRINH_TYLE"
MAX_LAG = 8.0  # GOVKPI_REPLICA_MAX_LAG for the server: short, so that the test sees a lagging replica dropped
WAIT = 30.0  # seconds anything this test waits for may take on a loaded 2-core machine
BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))

# Run by the test against the primary (its own process: the test's own database is another one): migrate,
# the units, the small catalog, July's values for Hà Nội (1000 of 2000: 50 %), a writer's and a reader's
# token, and a signed-in reader's session cookie.
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
from govkpi.accounts.tokens import create_token
from govkpi.datavalues.writer import Item, write_values
from govkpi.indicators.catalog import apply_catalog
from govkpi.orgunits.models import OrgUnit, build_path
made = {}
for code, kind, parent in (("CP", "government", None), ("BCA", "ministry", "CP"), ("01", "province", "CP")):
    above = made.get(parent)
    made[code] = OrgUnit.objects.create(
        code=code, name=code, short_name=code, kind=kind, legal_type="", parent=above,
        level=(above.level + 1) if above else 0, path=build_path(above.path if above else None, code))
for element in SMALL_CATALOG["data_elements"]:
    element.update(frequency="monthly")
assert apply_catalog(SMALL_CATALOG).ok
write_values([Item(0, "DVC_TONG", "202507", "01", 2000), Item(1, "DVC_TOANTRINH", "202507", "01", 1000)],
             actor=None, channel="api", check_windows=False)
users = get_user_model().objects
writer = users.create_user("ghi", password=None)
Membership.objects.create(user=writer, unit=made["CP"], role=Role.DATA_ENTRY)
reader = users.create_user("xem", password=None)
Membership.objects.create(user=reader, unit=made["CP"], role=Role.VIEWER)
browser = Client()
browser.force_login(reader)
print(json.dumps({"writer": create_token(writer, actions=["read", "enter"])[1],
                  "reader": create_token(reader, actions=["read"])[1],
                  "session": browser.cookies["sessionid"].value}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Clusters:
    """A primary and its streaming standby in a folder of their own, on free loopback ports."""

    def __init__(self) -> None:
        self.bin = Path(BINARIES[-1]).parent
        self.folder = Path(tempfile.mkdtemp(prefix="govkpi-replica-"))
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL will not run as root; the folder must be the postgres user's
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
            self.folder.chmod(0o755)
            shutil.chown(self.folder, "postgres")
        self.ports = {"primary": _free_port()}
        while (standby := _free_port()) == self.ports["primary"]:  # a port just closed may be handed out again
            continue
        self.ports["standby"] = standby
        self.running: set[str] = set()

    def run(self, tool: str, *args: str) -> None:
        command = [*self.as_postgres, str(self.bin / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60,
                              cwd=self.folder)
        if done.returncode != 0:
            raise RuntimeError(f"{tool}: {done.stdout}{done.stderr}")

    def url(self, name: str, database: str = "govkpi") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.ports[name]}/{database}"

    def start(self, name: str) -> None:
        self.run("pg_ctl", "-D", str(self.folder / name), "-l", str(self.folder / f"{name}.log"), "-w",
                 "-t", "30", "start")
        self.running.add(name)

    def stop(self, name: str) -> None:
        self.run("pg_ctl", "-D", str(self.folder / name), "-m", "fast", "-w", "stop")
        self.running.discard(name)

    def build(self) -> None:
        primary = self.folder / "primary"
        self.run("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                 "--locale=C.UTF-8")
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(f"listen_addresses = '127.0.0.1'\nport = {self.ports['primary']}\n"
                       f"unix_socket_directories = '{self.folder}'\nwal_level = replica\n"
                       "max_wal_senders = 4\n"
                       "max_connections = 60\nshared_buffers = 32MB\nhot_standby_feedback = on\n"
                       "fsync = off\n")  # a throwaway cluster: durability costs time and proves nothing here
        with (primary / "pg_hba.conf").open("a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        self.start("primary")
        self.sql("primary", "CREATE DATABASE govkpi", database="postgres")
        # The standby: a base backup of the primary that streams from it (-R writes primary_conninfo and
        # standby.signal), on a port of its own.
        self.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.ports["primary"]), "-U", "postgres",
                 "-D", str(self.folder / "standby"), "-R", "-X", "stream", "-c", "fast")
        with (self.folder / "standby" / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.ports['standby']}\n")
        self.start("standby")

    def sql(self, name: str, statement: str, database: str = "govkpi") -> tuple:
        with psycopg.connect(self.url(name, database), autocommit=True, connect_timeout=5) as db:
            cursor = db.execute(statement)
            return cursor.fetchone() if cursor.description else ()

    def replayed_past(self, position: str) -> bool:
        return self.sql("standby", f"SELECT pg_last_wal_replay_lsn() >= '{position}'::pg_lsn")[0]

    def remove(self) -> None:
        for name in list(self.running):
            try:
                self.run("pg_ctl", "-D", str(self.folder / name), "-m", "immediate", "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def clusters() -> Iterator[Clusters]:
    if connection.vendor != "postgresql":
        pytest.skip("a streaming replica is PostgreSQL's; this run is on SQLite")
    if not BINARIES:
        pytest.skip("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin")
    made = Clusters()
    try:
        try:
            made.build()
        except (RuntimeError, OSError, subprocess.TimeoutExpired, psycopg.Error) as error:
            logs = "".join(p.read_text(errors="replace")[-800:] for p in made.folder.glob("*.log"))
            pytest.skip(f"the test's PostgreSQL clusters could not start: {error}\n{logs}")
        yield made
    finally:
        made.remove()


class Server:
    """`govkpi serve` (one worker, the engine in it) on the primary, reading from the standby."""

    def __init__(self, clusters: Clusters, folder: Path, check: float = 0.2) -> None:
        self.env = {**os.environ, "DATABASE_URL": clusters.url("primary"),
                    "GOVKPI_REPLICA_URL": clusters.url("standby"),
                    "GOVKPI_REPLICA_MAX_LAG": str(MAX_LAG), "GOVKPI_REPLICA_CHECK": str(check),
                    "GOVKPI_REPORTING_CLOSES_AFTER_DAYS": "100000", "GOVKPI_OFFICIAL_AFTER_DAYS": "100000",
                    "DJANGO_SETTINGS_MODULE": "govkpi.settings"}
        self.env.pop("REDIS_URL", None)  # the process's own cache: the writer and reader use one server
        self.folder = folder
        self.port = _free_port()
        self.logfile = folder / f"serve-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def seed(self) -> dict:
        done = subprocess.run([sys.executable, "-c", SEED, str(REPO)], env=self.env, capture_output=True,
                              check=False, text=True, timeout=120, cwd=self.folder)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start(self) -> None:
        with self.logfile.open("wb") as out:
            self.process = subprocess.Popen([GOVKPI, "serve", "--port", str(self.port)], env=self.env,
                                            cwd=self.folder, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WAIT
        while True:
            try:
                self.get(f"/api/v1/periods/{JULY}")
                return
            except OSError:
                assert self.process.poll() is None, self.log()
                assert time.monotonic() < deadline, f"the server never answered:\n{self.log()}"
                time.sleep(0.2)

    def log(self) -> str:
        return self.logfile.read_text(errors="replace")

    def request(self, method: str, path: str, headers: dict | None = None, body: str | None = None
                ) -> tuple[int, dict[str, str], str]:
        http_ = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
        try:
            http_.request(method, path, body=body, headers=headers or {})
            response = http_.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
        finally:
            http_.close()

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path, headers)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _july(server: Server, token: str) -> tuple[float | None, str]:
    """Hà Nội's July result as the API gives it to `token`, and which database the request read."""
    status, headers, body = server.get(f"/api/v1/results?indicator={INDICATOR}&unit=01&period={JULY}",
                                       _bearer(token))
    assert status == 200, body
    items = json.loads(body)["items"]
    return (items[0]["value"] if items else None), headers.get("x-govkpi-reads", "")


def _page(server: Server, cookies: str) -> tuple[str, str]:
    """Hà Nội's page as a signed-in reader sees it, and which database the request read."""
    status, headers, html = server.get("/units/01/", {"Cookie": cookies})
    assert status == 200, html
    return html, headers.get("x-govkpi-reads", "")


def _switch_to_english(server: Server, cookies: str) -> str:
    """The language switch, as a browser posts it (a POST of the session's own, with its CSRF token): the
    cookies to send afterwards."""
    status, headers, html = server.get("/units/01/", {"Cookie": cookies})
    csrf = headers["set-cookie"].split("csrftoken=", 1)[1].split(";", 1)[0]
    form = html.split('class="lang-switch"', 1)[1]
    token = form.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    cookies = f"{cookies}; csrftoken={csrf}"
    status, headers, _body = server.request(
        "POST", "/i18n/setlang/", {"Cookie": cookies, "Content-Type": "application/x-www-form-urlencoded",
                                   "Referer": f"http://127.0.0.1:{server.port}/units/01/"},
        f"language=en&next=/units/01/&csrfmiddlewaretoken={token}")
    assert status == 302, _body
    return f"{cookies}; django_language=en"


def _until(check: Callable[[], object], what: str, timeout: float = WAIT) -> object:
    deadline = time.monotonic() + timeout
    while not (answer := check()):
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.1)
    return answer


def test_reads_go_to_the_replica_writes_to_the_primary_and_a_writer_reads_their_own_write(clusters, tmp_path):
    server = Server(clusters, tmp_path)
    # A second server that measures the lag only every 10 minutes: when the standby goes, it still believes
    # it up, and its requests meet the dead replica.
    unaware = Server(clusters, tmp_path, check=600)
    tokens = server.seed()
    writer, reader = tokens["writer"], tokens["reader"]
    session = f"sessionid={tokens['session']}"
    try:
        server.start()
        # The engine computes July from the seeded values; the standby replays it: the reader sees 50 % there.
        assert _until(lambda: _july(server, reader) == (50.0, "replica"), "50 % read from the replica")
        html, reads = _page(server, session)
        assert reads == "replica" and "50,00%" in html
        assert "Số liệu từ bản sao, trễ " in html and " giây" in html
        english, reads = _page(server, f"{session}; django_language=en")
        assert reads == "replica" and "Figures from the replica, " in english and " s behind" in english

        # Replay paused after a fresh commit: from now on the standby holds what the primary had then.
        clusters.sql("primary", "SELECT txid_current()")  # a commit: the replica's lag starts from now
        position = clusters.sql("primary", "SELECT pg_current_wal_lsn()::text")[0]
        _until(lambda: clusters.replayed_past(position), "the standby replays the primary")
        clusters.sql("standby", "SELECT pg_wal_replay_pause()")
        paused = time.monotonic()
        value = {"dataElement": "DVC_TOANTRINH", "period": JULY, "orgUnit": "01", "value": "1500"}
        body = {"dataValues": [value]}
        status, headers, answer = server.request(
            "POST", "/api/v1/dataValueSets", {**_bearer(writer), "Content-Type": "application/json"},
            json.dumps(body))
        assert status == 200 and json.loads(answer)["response"]["importCount"]["updated"] == 1, answer
        assert headers["x-govkpi-reads"] == "primary"  # a write reads and writes the primary only
        written = "SELECT count(*) FROM datavalues_datavalue WHERE number = 1500"
        assert clusters.sql("primary", written) == (1,) and clusters.sql("standby", written) == (0,)
        # Everyone else reads the paused replica: the figure from before the write, and the replica behind.
        assert _july(server, reader) == (50.0, "replica")
        # Behind by more than 0 s once the probe has measured after the write (it measures every 0.2 s here).
        headers = _until(lambda: (got := server.get("/api/v1/orgunits/01", _bearer(reader))[1])
                         and float(got["x-govkpi-replica-lag"]) > 0 and got, "a lag above 0 s while paused")
        assert headers["x-govkpi-reads"] == "replica" and float(headers["x-govkpi-replica-lag"]) <= MAX_LAG
        # The writer reads the primary until the replica has replayed their write: 75 % once the engine ran.
        assert _until(lambda: _july(server, writer) == (75.0, "primary"), "the writer reads 75 % (primary)")
        assert _july(server, reader) == (50.0, "replica")
        html, reads = _page(server, session)
        assert reads == "replica" and "50,00%" in html and "75,00%" not in html
        # A browser's own POST (here the language switch) sends its session's next pages to the primary too.
        english = _switch_to_english(server, session)
        html, reads = _page(server, english)
        assert reads == "primary" and "75.00%" in html and "Figures from the replica" not in html
        assert time.monotonic() - paused < MAX_LAG, "too slow to show a replica within MAX_LAG; raise MAX_LAG"

        # Still paused: past MAX_LAG the replica is dropped and every reader reads the primary.
        assert _until(lambda: _july(server, reader) == (75.0, "primary"), "a lagging replica is not read")
        assert time.monotonic() - paused > MAX_LAG - 1
        html, reads = _page(server, session)
        assert reads == "primary" and "75,00%" in html and "Số liệu từ bản sao" not in html

        # Replay resumed: the replica catches up and is read again, by the writer too (their write is in it),
        # long before their remembered position would expire (MAX_LAG after the write).
        clusters.sql("standby", "SELECT pg_wal_replay_resume()")
        assert _until(lambda: _july(server, reader) == (75.0, "replica"), "the replica read again, resumed")
        assert _july(server, writer) == (75.0, "replica")
        html, reads = _page(server, session)
        assert reads == "replica" and "75,00%" in html and "Số liệu từ bản sao, trễ" in html

        # The standby stopped: the reads fall back to the primary, the pages still answer. The unaware
        # server's next GET fails on the replica and is answered again from the primary, in seconds.
        unaware.start()
        assert _july(unaware, reader) == (75.0, "replica")
        clusters.stop("standby")
        started = time.monotonic()
        assert _july(unaware, reader) == (75.0, "primary")
        assert time.monotonic() - started < 10, "a dead replica held the request (the pool's wait)"
        html, reads = _page(unaware, session)
        assert reads == "primary" and "75,00%" in html
        assert _until(lambda: _july(server, reader) == (75.0, "primary"), "a stopped replica is not read")
        html, reads = _page(server, session)
        assert reads == "primary" and "75,00%" in html and "Số liệu từ bản sao" not in html
    finally:
        server.stop()
        unaware.stop()


def test_without_a_replica_url_nothing_changes():
    """The default (./dev run, the suite): one database, no router, no replica middleware."""
    from django.conf import settings

    assert list(settings.DATABASES) == ["default"]
    assert settings.DATABASE_ROUTERS == []
    assert "govkpi.replica.ReplicaMiddleware" not in settings.MIDDLEWARE


def test_a_replica_is_refused_on_sqlite(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "govkpi.settings",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
           "GOVKPI_REPLICA_URL": "postgresql://r@127.0.0.1/x"}
    done = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env,
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode != 0
    assert "cần DATABASE_URL và bản sao đều là PostgreSQL" in done.stderr and "needs both" in done.stderr


def test_wal_positions_compare_as_numbers():
    from govkpi.replica import lsn

    assert lsn("0/35F5A58") == 0x35F5A58
    assert lsn("0/10") > lsn("0/9")  # as text, "0/9" comes after "0/10"
    assert lsn("1/0") == 2**32 > lsn("0/FFFFFFFF")
    assert lsn(None) == 0
