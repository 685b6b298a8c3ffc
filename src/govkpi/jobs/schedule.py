"""What the worker's clock runs, and how often. Each entry names a plain function taking `now`, idempotent:
running it twice, or again after a crash part-way, changes nothing the second time (its notifications are keyed
by the event, its stored briefs by their schedule and period)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Periodic:
    name: str
    function: str  # dotted path of `function(now: datetime.datetime) -> object` (a JSON-able summary)
    every_seconds: float | None = None  # None: every tick of the worker's clock (settings.WORKER_TICK)

    @property
    def every(self) -> datetime.timedelta:
        return datetime.timedelta(seconds=self.every_seconds if self.every_seconds is not None
                                  else settings.WORKER_TICK)

    def run(self, now: datetime.datetime) -> object:
        return import_string(self.function)(now)


HOUR = 3600.0
PERIODIC: tuple[Periodic, ...] = (
    # the change events since the last run: data returned, data waiting for approval (a cursor, moved with them)
    Periodic("follow-events", "govkpi.reminders.follow"),
    # the clock's rules: tasks due, overdue, escalated; windows closing; indicators off track; failed runs
    Periodic("reminders", "govkpi.reminders.scan"),
    # problems raised from below whose answer is overdue: the acting agency is told, once per problem
    Periodic("problem-reminders", "govkpi.jobs.periodic.problem_reminders", HOUR),
    # e-mails and webhooks of the notifications written so far, retries when their time has come
    Periodic("deliveries", "govkpi.notify.delivery.deliver_due"),
    # once a day per person: the digest of the day before, gathered by the first run after midnight (Viet Nam)
    Periodic("digests", "govkpi.notify.digest.send_digests"),  # every tick: a failed digest retries on time
    # the monthly and quarterly national briefs, once a month or quarter has turned official
    Periodic("briefs", "govkpi.jobs.periodic.scheduled_briefs", HOUR),
    Periodic("recurring-tasks", "govkpi.jobs.periodic.roll_recurring_tasks", HOUR),
    Periodic("prune-queue", "govkpi.jobs.periodic.prune_queue", 24 * HOUR),
)
BY_NAME = {job.name: job for job in PERIODIC}
