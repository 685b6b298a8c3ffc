"""The clock moves past deadlines while the server is down: a month reported as provisional turns official, and
then closes, with no process running on the days it happened. Each `govkpi serve` runs on a day of its own
(tests/faults/at_date.py: time-machine in the server's process only), against one SQLite file, with the
calendar's real settings (official 15 days after a month ends, closed for entry 90 days after)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from tests.faults.site import Server

pytestmark = pytest.mark.slow
AT_DATE = Path(__file__).with_name("at_date.py")
MONTH, UNIT, INDICATOR = "202506", "01", "DVC_TOANTRINH_TYLE"
ARRIVAL = 30.0  # the engine's first pass after a start, on a loaded 2-core machine


def _serve_on(site, day: str, name: str) -> Server:
    return Server(site, name, ("serve",), as_user=(sys.executable, str(AT_DATE), day)).start()


def _results(server: Server, token: str | None, unit: str) -> list[dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = server.request("GET", f"/api/v1/results?indicator={INDICATOR}&unit={unit}", headers=headers)
    assert answer.status == 200, answer.body[:2000]
    return [r for r in answer.json()["items"] if r["period"] == MONTH]


def _until(check, what: str) -> None:
    deadline = time.monotonic() + ARRIVAL
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.3)


APPROVER = """
import django
django.setup()
from govkpi.accounts.models import Membership
from govkpi.accounts.roles import Role
from django.contrib.auth import get_user_model
from govkpi.orgunits.models import OrgUnit
Membership.objects.create(user=get_user_model().objects.create_user("duyet", password=None),
                          unit=OrgUnit.objects.get(code="CP"), role=Role.APPROVER)
print("ok")
"""


def test_a_month_turns_official_then_closes_while_no_server_runs(sqlite_site):
    """Official figures are made of approved values only (docs/adr/0001-one-read-door.md): the approved province
    is published once June turns official, on a day no server saw; a province that sends June late, unapproved,
    is accepted but never published; past the closing day June takes no value at all."""
    site = sqlite_site
    site.env.update({"GOVKPI_OFFICIAL_AFTER_DAYS": "15", "GOVKPI_REPORTING_CLOSES_AFTER_DAYS": "90",
                     "GOVKPI_OFFICIAL_WHEN_ALL_APPROVED": "0"})
    site.python(APPROVER)
    approver = site.token("duyet", "read,approve")
    values = [{"dataElement": "DVC_TOANTRINH", "period": MONTH, "orgUnit": UNIT, "value": "600"},
              {"dataElement": "DVC_TONG", "period": MONTH, "orgUnit": UNIT, "value": "800"}]

    reporting = _serve_on(site, "2025-07-05", "reporting")  # June is being reported: provisional
    written = reporting.post_values(site.writer, values)
    assert written.status == 200 and written.json()["response"]["status"] == "SUCCESS", written.body[:2000]
    _until(lambda: [r["value"] for r in _results(reporting, site.reader, UNIT)] == [75.0],
           "the reader never saw June's provisional result")
    assert _results(reporting, None, UNIT) == []  # provisional: not for the public
    for token, action in ((site.writer, "submit"), (approver, "approve")):
        step = reporting.request("POST", "/api/v1/approvals", {"unit": UNIT, "period": MONTH, "action": action},
                                 {"Authorization": f"Bearer {token}"})
        assert step.status == 200, step.body[:2000]
    reporting.stop()

    official = _serve_on(site, "2025-07-20", "official")  # five days past June's due date; nobody was up
    _until(lambda: [r["value"] for r in _results(official, None, UNIT)] == [75.0],
           "June turned official while the server was down, and the public never saw it")
    seen = len(official.log())
    late = official.post_values(site.writer, [{**values[0], "orgUnit": "02", "value": "100"},
                                              {**values[1], "orgUnit": "02"}])  # still open for entry
    assert late.status == 200 and late.json()["response"]["importCount"]["imported"] == 2, late.body[:2000]
    official.wait_for_log(" events, ", after=seen)  # a pass of the engine that ended after the write was sent
    assert _results(official, None, "02") == []  # official, but not approved: never published
    national = [r["value"] for r in _results(official, None, "CP")]
    assert national == [75.0], national  # 01's alone: 02's 100 of 800 would make it 43.75
    official.stop()

    closed = _serve_on(site, "2025-10-05", "closed")  # more than 90 days after June ended
    refused = closed.post_values(site.writer, [{**values[0], "orgUnit": "02", "value": "700"}])
    assert refused.status == 409 and "period_closed" in refused.body, refused.body[:2000]
    assert [r["value"] for r in _results(closed, None, UNIT)] == [75.0]
