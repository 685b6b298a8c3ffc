"""The reminders' two periodic jobs, as the worker calls them: plain functions of the moment, safe to run twice."""

from __future__ import annotations

import datetime
import logging

from govkpi.reminders.approvals import approval_alerts
from govkpi.reminders.deadlines import task_reminders
from govkpi.reminders.failures import failure_reminders
from govkpi.reminders.off_track import off_track_reminders
from govkpi.reminders.windows import window_reminders

log = logging.getLogger(__name__)


def scan(now: datetime.datetime) -> dict[str, int]:
    """Run every clock-driven rule at `now`; returns the notifications each wrote (0 everywhere on a rerun)."""
    written = {"tasks": task_reminders(now), "windows": window_reminders(now), "off_track": off_track_reminders(now),
               "failures": failure_reminders(now)}
    (log.info if any(written.values()) else log.debug)("reminders scan at %s: %s", now.isoformat(), written)
    return written


def follow(now: datetime.datetime) -> dict[str, int]:
    """Send the alerts the change events since the last run call for; `now` is the worker's clock (the events
    carry their own moments), taken for the same shape as scan."""
    written = {"approvals": approval_alerts(now)}
    (log.info if any(written.values()) else log.debug)("reminders follow at %s: %s", now.isoformat(), written)
    return written
