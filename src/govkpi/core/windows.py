"""When a period may be reported: pure rules over dates, overridden by explicit openings and closings.

- A period that has not started is refused (no reporting the future).
- A period is open from its first day until `closes_after` days after its last day, then closed.
- A value received within `due_after` days of the period's end is on time, later ones are late.
"""

from __future__ import annotations

import datetime
from enum import Enum

from govkpi.core.periods import Period


class Window(str, Enum):
    FUTURE = "future"
    OPEN = "open"
    CLOSED = "closed"


def default_window(period: Period, today: datetime.date, closes_after: int) -> Window:
    """The window of a period by the calendar alone."""
    if period.start > today:
        return Window.FUTURE
    if today > period.end + datetime.timedelta(days=closes_after):
        return Window.CLOSED
    return Window.OPEN


def due_date(period: Period, due_after: int) -> datetime.date:
    """The last day a value for the period counts as on time."""
    return period.end + datetime.timedelta(days=due_after)
