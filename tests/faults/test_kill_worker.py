"""SIGKILL of `govkpi worker` while its reminders job runs: the next worker takes the job back (the dead
process is seen at once), runs it again, and every reminder exists exactly once — none lost, none repeated —
with exactly one e-mail delivery each, sent once."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from tests.faults.site import PROVINCES, Server

pytestmark = pytest.mark.slow

TASKS = 500  # 500 tasks of 20 provinces, two task managers each: 1,000 reminders in one scan (~10 s)
# Tasks due in three days, by the seed process's own clock; the worker reminds on any of days 1-5, so a
# midnight between the seed and the scan changes nothing.
SEED_TASKS = """
import datetime, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone
from govkpi.accounts.models import Membership
from govkpi.accounts.roles import Role
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks.models import Task
today = timezone.localdate()
provinces = list(OrgUnit.objects.filter(kind="province").order_by("code"))
users = get_user_model().objects
for unit in provinces:
    for n in (1, 2):
        person = users.create_user(f"nv{unit.code}_{n}", email=f"nv{unit.code}_{n}@example.gov.vn", password=None)
        Membership.objects.create(user=person, unit=unit, role=Role.TASK_MANAGER)
Task.objects.bulk_create(
    Task(code=f"KILL-{i:04d}", title=f"Nhiệm vụ thử {i}", lead_unit=provinces[i % len(provinces)],
         assigned_on=today - datetime.timedelta(days=10), deadline=today + datetime.timedelta(days=3),
         original_deadline=today + datetime.timedelta(days=3))
    for i in range(int(sys.argv[1])))
print("ok")
"""
COUNTS = """
import json
import django
django.setup()
from django.db.models import Count
from django_tasks_db.models import DBTaskResult
from govkpi.notify.models import Delivery, Notification
rows = Notification.objects.filter(kind="task_due")
per_key = rows.values("key", "recipient").annotate(n=Count("id")).filter(n__gt=1).count()
jobs = {str(j.id): [j.status, len(j.worker_ids)] for j in DBTaskResult.objects.all()
        if j.args_kwargs["args"] == ["reminders"]}
deliveries = Delivery.objects.filter(notification__kind="task_due", channel="email")
print(json.dumps({"reminders": rows.count(), "keys": rows.values("key").distinct().count(), "twice": per_key,
                  "recipients": sorted(set(rows.values_list("recipient__username", flat=True))),
                  "emails": deliveries.count(), "emails_sent": deliveries.filter(state="sent").count(),
                  "email_per_reminder": deliveries.values("notification").annotate(n=Count("id"))
                                          .filter(n__gt=1).count(),
                  "jobs": jobs}))
"""
WORKER_ENV = {"GOVKPI_REMIND_TASK_DAYS": "1,2,3,4,5", "GOVKPI_WORKER_TICK": "0.5",
              "GOVKPI_EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}


def _reminders_job_status(database: str) -> str | None:
    db = sqlite3.connect(database, timeout=5)
    try:
        row = db.execute("SELECT status FROM django_tasks_database_dbtaskresult WHERE args_kwargs LIKE '%\"reminders\"%'"
                         ).fetchone()
    except sqlite3.OperationalError:  # the table is being written: look again
        return None
    finally:
        db.close()
    return row[0] if row else None


def test_a_worker_killed_mid_scan_loses_no_reminder_and_sends_none_twice(sqlite_site):
    site = sqlite_site
    site.env.update(WORKER_ENV)
    assert site.python(SEED_TASKS, str(TASKS)) == "ok"
    database = site.database_url.removeprefix("sqlite:///")

    first = Server(site, "worker", ("worker",)).start()
    deadline = time.monotonic() + 60
    while _reminders_job_status(database) != "RUNNING":
        assert time.monotonic() < deadline and first.process.poll() is None, first.log()[-3000:]
        time.sleep(0.005)
    first.kill()
    before = json.loads(site.python(COUNTS))
    (killed, state), = before["jobs"].items()
    assert state == ["RUNNING", 1], before  # claimed by the dead worker, never finished
    assert before["reminders"] < 2 * TASKS, "the scan had finished before the kill"

    again = Server(site, "worker-again", ("worker",)).start()
    deadline = time.monotonic() + 120
    while (after := json.loads(site.python(COUNTS)))["emails_sent"] < 2 * TASKS:
        assert time.monotonic() < deadline and again.process.poll() is None, (after, again.log()[-3000:])
        time.sleep(1)
    again.stop()
    assert "given back to the queue" in again.log()
    assert after["jobs"][killed] == ["SUCCESSFUL", 2]  # taken back by the second worker and run again, once
    assert (after["reminders"], after["keys"], after["twice"]) == (2 * TASKS, TASKS, 0)
    assert after["recipients"] == sorted(f"nv{p}_{n}" for p in PROVINCES for n in (1, 2))
    assert (after["emails"], after["email_per_reminder"]) == (2 * TASKS, 0)
    time.sleep(2)  # a few more ticks of a third worker change nothing
    third = Server(site, "worker-third", ("worker",)).start()
    time.sleep(4)
    third.stop()
    final = json.loads(site.python(COUNTS))
    assert (final["reminders"], final["emails"], final["emails_sent"]) == (2 * TASKS, 2 * TASKS, 2 * TASKS)
