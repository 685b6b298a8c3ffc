"""Imports and connector runs that failed: whoever ran them is told once; old failures and successes are not."""

import datetime

import pytest

from govkpi import reminders
from govkpi.accounts.roles import Role
from govkpi.connectors.models import Connector, ConnectorRun, RunState
from govkpi.datavalues.models import ImportJob
from tests.reminders.conftest import moment, sent

pytestmark = pytest.mark.django_db
NOW = moment(datetime.date(2025, 10, 2), 15)
HOUR = datetime.timedelta(hours=1)


def job(uid, user, status, finished):
    return ImportJob.objects.create(uid=uid, user=user, created=finished - HOUR, finished=finished,
                                    summary={"status": status, "importCount": {"imported": 0, "ignored": 3},
                                             "conflicts": [{"object": "DVC_A", "value": "Giá trị không hợp lệ"}]})


def test_a_failed_import_is_told_to_who_sent_it_once(make_user, at):
    clerk, other = make_user(Role.DATA_ENTRY, "79", "hcm_clerk"), make_user(Role.DATA_ENTRY, "01", "hn_clerk")
    job("A1234567890", clerk, "ERROR", NOW - HOUR)
    job("B1234567890", clerk, "WARNING", NOW - 2 * HOUR)
    job("C1234567890", other, "SUCCESS", NOW - HOUR)
    job("D1234567890", other, "ERROR", NOW - datetime.timedelta(days=5))  # before the reminders looked
    at(NOW.date(), reminders.scan, hour=15)
    at(NOW.date(), reminders.scan, hour=16)
    assert sent() == [
        ("import_failed", "import-failed:A1234567890", "hcm_clerk", "/api/system/taskSummaries/DATAVALUE_IMPORT/A1234567890"),
        ("import_failed", "import-failed:B1234567890", "hcm_clerk", "/api/system/taskSummaries/DATAVALUE_IMPORT/B1234567890")]


def test_a_failed_pull_is_told_to_the_connectors_owners(make_user, at):
    owner, account = make_user(Role.SYSTEM_ADMIN, "CP", "admin"), make_user(Role.DATA_ENTRY, "79", "hcm_pull")
    connector = Connector.objects.create(name="hcm", url="https://hcm.example.vn", run_as=account,
                                         created_at=NOW - datetime.timedelta(days=30), created_by="admin")
    failed = ConnectorRun.objects.create(connector=connector, started_at=NOW - HOUR, finished_at=NOW - HOUR,
                                         state=RunState.FAILED, error="Máy chủ nguồn không trả lời (timeout)")
    ConnectorRun.objects.create(connector=connector, started_at=NOW - 2 * HOUR, finished_at=NOW - HOUR,
                                state=RunState.DONE)
    at(NOW.date(), reminders.scan, hour=15)
    at(NOW.date(), reminders.scan, hour=15)
    assert sent() == [("connector_failed", f"connector-failed:{failed.pk}", user, "") for user in ("admin", "hcm_pull")]
    assert owner.notifications.get().body_vi == "Máy chủ nguồn không trả lời (timeout)"
