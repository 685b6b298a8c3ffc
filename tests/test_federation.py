"""Two tiers that sync, for real: a province runs its own govkpi, the centre runs another, and the centre pulls
the province's values with `govkpi connector run` — two servers on loopback, each with a SQLite database of
this test's own, and every step through the processes an operator would start.

Shown: a first pull interrupted halfway (a loopback relay cuts the province's answer after part of its bytes)
keeps the batches it wrote, fails, and leaves the watermark; the next pull completes and converges to the
province's values, counting what was already there as unchanged; a change and a deletion at the province reach
the centre with the next pull, which asks only for what changed since the watermark; a value the centre cannot
take (a commune it does not have) is reported as refused, with its row. The centre's own export then equals the
province's, deletions included. The test does not depend on the day it runs: the values are of 2022–2025 and
the province's reporting windows are held open through its environment.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
GOVKPI = str(Path(sys.executable).with_name("govkpi"))
REPO = Path(__file__).resolve().parents[1]
STARTUP = 60.0  # seconds a server may take to answer on a loaded 2-core machine
COMMUNES = 30
MONTHS = [f"{year}{month:02d}" for year in range(2022, 2026) for month in range(1, 13)]
ELEMENTS = ("DVC_TOANTRINH", "DVC_TONG")

# Run in each tier's own process: migrate, the units (Hà Nội with its communes, and Hồ Chí Minh City), the
# small catalog, and the accounts. The province also gets its values; the centre lacks the last commune.
SEED = """
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
sys.path.insert(0, sys.argv[1])
tier, communes, months = sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
from tests.conftest import SMALL_CATALOG
from django.contrib.auth import get_user_model
from govkpi.accounts.models import Membership
from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import create_token
from govkpi.datavalues.writer import Item, write_values
from govkpi.indicators.catalog import apply_catalog
from govkpi.orgunits.models import OrgUnit, build_path
made = {}
units = [("CP", "government", None), ("BCA", "ministry", "CP"), ("01", "province", "CP"), ("79", "province", "CP")]
units += [(f"{n:05d}", "commune", "01") for n in range(1, communes + 1)]
if tier == "centre":
    units = units[:-1]
for code, kind, parent in units:
    above = made.get(parent)
    made[code] = OrgUnit.objects.create(
        code=code, name=f"Đơn vị {code}", short_name=code, kind=kind, legal_type="", parent=above,
        level=(above.level + 1) if above else 0, path=build_path(above.path if above else None, code))
for element in SMALL_CATALOG["data_elements"]:
    element.update(frequency="monthly")
assert apply_catalog(SMALL_CATALOG).ok
users = get_user_model().objects
answer = {}
if tier == "province":
    items = [Item(i, element, month, code, 1000 + (i * 7919) % 9000)
             for i, (element, month, code) in enumerate(
                 (e, m, c) for c, _, _ in units if c not in ("CP", "BCA", "79") for m in months
                 for e in ("DVC_TOANTRINH", "DVC_TONG"))]
    items.append(Item(len(items), "DVC_TONG", months[0], "79", 5))  # outside the pulled subtree
    assert write_values(items, actor=None, channel="api", check_windows=False).status == "SUCCESS"
    clerk = users.create_user("nhap", password=None)
    Membership.objects.create(user=clerk, unit=made["01"], role=Role.DATA_ENTRY)
    centre = users.create_user("trung-uong", password=None)
    Membership.objects.create(user=centre, unit=made["01"], role=Role.VIEWER)
    answer = {"clerk": create_token(clerk, actions=["read", "enter"])[1],
              "centre": create_token(centre, actions=["read"])[1]}
else:
    puller = users.create_user("keo-ha-noi", password=None)
    Membership.objects.create(user=puller, unit=made["01"], role=Role.DATA_ENTRY)
    reader = users.create_user("xem", password=None)
    Membership.objects.create(user=reader, unit=made["CP"], role=Role.VIEWER)
    answer = {"reader": create_token(reader, actions=["read"])[1]}
print(json.dumps(answer))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Tier:
    """One govkpi: its database file, its environment, its server."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder / name
        self.folder.mkdir()
        self.env = {**os.environ, "DATABASE_URL": f"sqlite:///{self.folder / 'govkpi.sqlite3'}",
                    "GOVKPI_REPORTING_CLOSES_AFTER_DAYS": "100000", "GOVKPI_OFFICIAL_AFTER_DAYS": "100000",
                    "GOVKPI_MEDIA_ROOT": str(self.folder / "media")}
        for name_ in ("DJANGO_SETTINGS_MODULE", "REDIS_URL"):
            self.env.pop(name_, None)
        self.server: subprocess.Popen | None = None
        self.port = 0

    def seed(self, tier: str) -> dict:
        done = subprocess.run([sys.executable, "-c", SEED, str(REPO), tier, str(COMMUNES), json.dumps(MONTHS)],
                              env={**self.env, "DJANGO_SETTINGS_MODULE": "govkpi.settings"}, cwd=self.folder,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    def serve(self) -> None:
        self.port = _free_port()
        with (self.folder / "server.log").open("wb") as log:
            self.server = subprocess.Popen([GOVKPI, "serve", "--port", str(self.port)], env=self.env,
                                           cwd=self.folder, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/api/system/info", timeout=5).close()
                return
            except OSError:
                assert self.server.poll() is None, (self.folder / "server.log").read_text(errors="replace")
                assert time.monotonic() < deadline, "the server does not answer"
                time.sleep(0.3)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def govkpi(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([GOVKPI, *args], env={**self.env, **(env or {})}, cwd=self.folder,
                              capture_output=True, text=True, timeout=600)

    def get(self, path: str, token: str) -> bytes:
        request = urllib.request.Request(f"{self.url}{path}", headers={"Authorization": f"ApiToken {token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read()

    def post(self, path: str, token: str, body: dict) -> dict:
        request = urllib.request.Request(f"{self.url}{path}", data=json.dumps(body).encode(), method="POST",
                                         headers={"Authorization": f"ApiToken {token}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        if self.server and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()


class CuttingRelay:
    """A TCP relay on loopback in front of a server: each answer to a dataValueSets request is cut after
    `limit` bytes (None: passed whole), as a broken network would cut it."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port, self.limit = upstream_port, None
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        with client, socket.create_connection(("127.0.0.1", self.upstream_port)) as upstream:
            head = b""
            while b"\r\n\r\n" not in head:
                part = client.recv(65536)
                if not part:
                    return
                head += part
            upstream.sendall(head)
            limit = self.limit if b"dataValueSets" in head.split(b"\r\n", 1)[0] else None
            sent = 0
            while True:
                part = upstream.recv(65536)
                if not part:
                    return
                if limit is not None and sent + len(part) >= limit:
                    client.sendall(part[:limit - sent])
                    return  # both connections close: the answer is cut
                client.sendall(part)
                sent += len(part)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def tiers(tmp_path):
    made = {name: Tier(tmp_path, name) for name in ("province", "centre")}
    yield made
    for tier in made.values():
        tier.stop()


def _export(tier: Tier, token: str, org_unit: str = "01") -> dict[tuple[str, str, str], tuple[str, bool]]:
    body = tier.get(f"/api/dataValueSets?dataElement={','.join(ELEMENTS)}&orgUnit={org_unit}&children=true"
                    f"&lastUpdated=1970-01-01&includeDeleted=true", token)
    return {(r["dataElement"], r["orgUnit"], r["period"]): (r["value"], bool(r.get("deleted")))
            for r in json.loads(body)["dataValues"]}


def _counts(output: str) -> dict[str, int]:
    line = next(line for line in output.splitlines() if line.startswith("ha-noi:"))
    return {name: int(figure) for name, figure in (part.split("=") for part in line.split() if "=" in part)
            if figure.isdigit()}


def test_the_centre_pulls_a_province_through_an_interruption_changes_and_deletions(tiers):
    province, centre = tiers["province"], tiers["centre"]
    tokens = province.seed("province")
    reader = centre.seed("centre")["reader"]
    province.serve()
    centre.serve()
    relay = CuttingRelay(province.port)
    try:
        wanted = _export(province, tokens["centre"])
        total = len(wanted)
        assert total == (COMMUNES + 1) * len(MONTHS) * len(ELEMENTS)
        missing_commune = f"{COMMUNES:05d}"
        takeable = {key: v for key, v in wanted.items() if key[1] != missing_commune}

        added = centre.govkpi("connector", "add", "ha-noi", "--url", f"http://127.0.0.1:{relay.port}",
                              "--token-env", "HANOI_TOKEN", "--as", "keo-ha-noi", "--org-unit", "01",
                              "--data-element", ",".join(ELEMENTS), "--overlap", "0")
        assert added.returncode == 0, added.stderr
        token_env = {"HANOI_TOKEN": tokens["centre"]}

        # 1. The answer cut after three quarters of its compressed bytes: batches before the cut are written,
        # the run fails and says why, the watermark stays unset.
        whole = len(province.get(f"/api/dataValueSets.csv?dataElement={','.join(ELEMENTS)}&orgUnit=01"
                                 f"&children=true&lastUpdated=1970-01-01&includeDeleted=true&compression=gzip",
                                 tokens["centre"]))
        assert len(gzip.decompress(province.get(
            f"/api/dataValueSets.csv?dataElement={','.join(ELEMENTS)}&orgUnit=01&children=true"
            f"&lastUpdated=1970-01-01&compression=gzip", tokens["centre"]))) > whole  # it is compressed
        relay.limit = whole * 3 // 4
        cut = centre.govkpi("connector", "run", "ha-noi", "--batch-size", "200", env=token_env)
        assert cut.returncode == 1, cut.stdout + cut.stderr
        assert "source_cut_off" in cut.stderr
        halfway = _export(centre, reader)
        assert 0 < len(halfway) < len(takeable), len(halfway)
        assert all(wanted[key] == value for key, value in halfway.items())
        assert "watermark=-" in centre.govkpi("connector", "list").stdout

        # 2. Whole again: the pull completes, what the cut pull wrote comes back unchanged, the commune the
        # centre lacks is refused with its row, and the centre holds what the province holds.
        relay.limit = None
        done = centre.govkpi("connector", "run", "ha-noi", "--batch-size", "200", env=token_env)
        assert done.returncode == 0, done.stdout + done.stderr
        counts = _counts(done.stdout)
        assert counts["read"] == total and counts["unchanged"] == len(halfway)
        assert counts["created"] == len(takeable) - len(halfway)
        assert counts["rejected"] == len(MONTHS) * len(ELEMENTS)
        assert missing_commune in done.stderr and "dòng/row" in done.stderr
        assert _export(centre, reader) == takeable

        # 3. At the province: one value changed, one deleted, through its DHIS2 API. The next pull asks only
        # for what changed since the watermark, and the centre follows, deletion included.
        changed, deleted = ("DVC_TONG", "00001", "202512"), ("DVC_TOANTRINH", "00002", "202511")
        answer = province.post("/api/dataValueSets", tokens["clerk"], {"dataValues": [
            {"dataElement": changed[0], "orgUnit": changed[1], "period": changed[2], "value": "4321"},
            {"dataElement": deleted[0], "orgUnit": deleted[1], "period": deleted[2], "value": "",
             "deleted": True}]})
        assert answer["response"]["importCount"] == {"imported": 0, "updated": 1, "ignored": 0, "deleted": 1}
        again = centre.govkpi("connector", "run", "ha-noi", env=token_env)
        assert again.returncode == 0, again.stdout + again.stderr
        counts = _counts(again.stdout)
        assert counts["read"] == 2 and counts["updated"] == 1 and counts["deleted"] == 1
        held = _export(centre, reader)
        assert held[changed] == ("4321", False)
        assert held[deleted] == (wanted[deleted][0], True)  # a tombstone at the centre too, for whoever pulls it
        source_now = {k: v for k, v in _export(province, tokens["centre"]).items() if k[1] != missing_commune}
        assert held == source_now

        # 4. Nothing new: a pull reads nothing and changes nothing; the record of pulls says what happened.
        quiet = centre.govkpi("connector", "run", "ha-noi", env=token_env)
        assert quiet.returncode == 0 and _counts(quiet.stdout)["read"] == 0, quiet.stdout + quiet.stderr
        runs = centre.govkpi("connector", "runs", "ha-noi").stdout.splitlines()
        assert [line.split()[2] for line in runs] == ["done", "done", "done", "failed"]
    finally:
        relay.close()
