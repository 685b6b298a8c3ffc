"""Driving the reminders' clock: each step travels to a moment (09:00 in Viet Nam) and runs the job there."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from govkpi.notify.models import Notification

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def moment(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), VN)


def sent(**filters):
    """The notifications written, as (kind, key, recipient's user name, link), sorted."""
    rows = Notification.objects.filter(**filters).values_list("kind", "key", "recipient__username", "link")
    return sorted(rows)


@pytest.fixture
def at():
    """at(day, job): travel to 09:00 of the day and run job(now) there; returns what the job returned."""

    def run(day: datetime.date, job, hour: int = 9):
        now = moment(day, hour)
        with time_machine.travel(now, tick=False):
            return job(now)

    return run


@pytest.fixture
def on_day():
    """A context manager: the clock stands at 09:00 of the day (for writes that read today)."""
    return lambda day: time_machine.travel(moment(day), tick=False)
