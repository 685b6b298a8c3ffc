"""The embedded default, SQLite, as `govkpi serve` runs it on a file: WAL and synchronous=FULL; 20 concurrent
writers get no 500 (each write stored, or a retryable 503/409 in JSON); a read-only file still serves a
dashboard page and API reads, and answers writes a 503. Real processes on loopback, one migrated file."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
GOVKPI = str(Path(sys.executable).with_name("govkpi"))
ROOT = Path(__file__).resolve().parent.parent
MONTH = "202507"

SETUP = """
import django; django.setup()
from django.contrib.auth import get_user_model
from govkpi.accounts.models import Membership
from govkpi.accounts.tokens import create_token
from govkpi.indicators.catalog import apply_catalog
from govkpi.orgunits.models import OrgUnit, build_path
from tests.conftest import SMALL_CATALOG
cp = OrgUnit.objects.create(code="CP", name="CP", short_name="CP", kind="government", legal_type="", level=0,
                            path=build_path(None, "CP"))
for code, kind in (("BCA", "ministry"), ("01", "province"), ("79", "province"), ("31", "province"),
                   ("48", "province")):
    OrgUnit.objects.create(code=code, name=code, short_name=code, kind=kind, legal_type="", parent=cp, level=1,
                           path=build_path(cp.path, code))
catalog = dict(SMALL_CATALOG, data_elements=[dict(e, frequency="monthly") for e in SMALL_CATALOG["data_elements"]])
applied = apply_catalog(catalog)
assert applied.ok, applied.problems
user = get_user_model().objects.create_user("ghi", password=None)
Membership.objects.create(user=user, unit=cp, role="data_entry")
print(create_token(user, actions=["read", "enter"])[1])
"""


def _env(path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVKPI_", "DATABASE_URL", "REDIS_URL"))}
    # July 2025 stays open and provisional whatever day the tests run (as tests/test_server.py does).
    env.update(DATABASE_URL=f"sqlite:///{path}", GOVKPI_REPORTING_CLOSES_AFTER_DAYS="100000",
               GOVKPI_OFFICIAL_AFTER_DAYS="100000", GOVKPI_OPENDATA_BUILD_AHEAD="0", PYTHONPATH=str(ROOT), **extra)
    return env


def _python(path: Path, code: str, **extra: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], env=_env(path, **extra), cwd=path.parent,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> tuple[Path, str]:
    """A migrated SQLite file with four provinces, the small catalog and a writer's token."""
    path = tmp_path_factory.mktemp("sqlite") / "govkpi.sqlite3"
    subprocess.run([GOVKPI, "manage", "migrate", "-v0"], env=_env(path), cwd=path.parent, check=True, timeout=120)
    return path, _python(path, SETUP).splitlines()[-1]


def _copy(database: tuple[Path, str], folder: Path) -> Path:
    folder.mkdir()
    copy = folder / "govkpi.sqlite3"
    _python(database[0], f"import sqlite3; sqlite3.connect({str(database[0])!r}).backup(sqlite3.connect({str(copy)!r}))")
    return copy


def test_the_file_is_written_with_wal_full_synchronous_and_a_busy_timeout(database, tmp_path):
    path = database[0]
    show = ("import django; django.setup(); from django.db import connection; c = connection.cursor(); "
            "print([c.execute(f'PRAGMA {p}').fetchone()[0] for p in ('journal_mode', 'synchronous', 'busy_timeout')])")
    assert _python(path, show) == "['wal', 2, 10000]"  # 2: FULL
    assert _python(path, show, GOVKPI_SQLITE_SYNCHRONOUS="NORMAL") == "['wal', 1, 10000]"


def test_a_read_only_file_serves_a_dashboard_and_api_reads_and_refuses_writes_with_a_503(database, tmp_path):
    path = _copy(database, tmp_path / "ro")
    session = _python(path, """
import django; django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
from govkpi.accounts.models import Membership
from govkpi.orgunits.models import OrgUnit
viewer = get_user_model().objects.create_user("xem", password=None)
Membership.objects.create(user=viewer, unit=OrgUnit.objects.get(code="01"), role="viewer")
client = Client()
client.force_login(viewer)
print(client.cookies["sessionid"].value)
""")  # signed in while the file could be written
    before = path.read_bytes()
    ask = f"""
import django, json; django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
auth = {{"HTTP_AUTHORIZATION": "Bearer {database[1]}"}}
write = client.post("/api/v1/datavalues", {{"values": [{{"data_element": "DVC_TONG", "unit": "01",
                    "period": "{MONTH}", "value": 5}}]}}, content_type="application/json", **auth)
answers = [client.get("/").status_code, client.get("/api/v1/orgunits").status_code,
           client.get("/api/v1/results", **auth).status_code, write.status_code, write.json()["code"],
           write.json()["retryable"]]
client.cookies["sessionid"] = "{session}"
signed_in = client.get("/units/01/")
print(json.dumps(answers + [signed_in.status_code, "xem" in signed_in.content.decode()]))
"""
    assert json.loads(_python(path, ask, GOVKPI_SQLITE_READ_ONLY="1")) == [
        200, 200, 200, 503, "database_read_only", True, 200, True]
    assert path.read_bytes() == before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(port: int, token: str, body: dict) -> tuple[int, str, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/api/v1/datavalues", json.dumps(body),
                     {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type", ""), json.loads(response.read() or b"{}")
    finally:
        conn.close()


@pytest.mark.parametrize("busy_timeout", ["10", "0.005"])  # the default, and one that makes writers give up
def test_twenty_concurrent_writers_get_no_500(database, tmp_path, busy_timeout):
    path, token = _copy(database, tmp_path / "rw"), database[1]
    port = _free_port()
    server = subprocess.Popen([GOVKPI, "serve", "--port", str(port)],
                              env=_env(path, GOVKPI_SQLITE_BUSY_TIMEOUT=busy_timeout), cwd=path.parent,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 40
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.2)
        answers: list[tuple[int, str, dict]] = []

        def writer(n: int) -> None:
            for i in range(4):  # eight keys among twenty writers: SQLite serialises them behind its one write lock
                unit = ("01", "79", "31", "48")[n % 4]
                element = ("DVC_TONG", "DVC_TOANTRINH")[(n // 4) % 2]
                value = 10_000 + n * 10 + i if element == "DVC_TONG" else 1 + i
                answers.append(_post(port, token, {"values": [
                    {"data_element": element, "unit": unit, "period": MONTH, "value": value}], "atomic": False}))

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=20)
    statuses = [status for status, _type, _body in answers]
    assert len(answers) == 80 and 500 not in statuses, statuses
    for status, content_type, body in answers:
        assert content_type.startswith("application/json")
        assert status == 200 or (status == 503 and body["code"] == "database_unavailable" and body["retryable"]), body
    if busy_timeout == "10":
        assert statuses.count(200) == 80  # ten seconds is enough for twenty writers in line
    else:
        assert 503 in statuses  # "database is locked": a retryable 503 in JSON, not an HTML 500
