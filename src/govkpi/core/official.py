"""When a period's figures are official: pure rules over dates and counts.

A period's figures are *provisional* while its units are still reporting: from its first day until its
reporting window is due. They become *official* when the window is due (`official_after` days after the
period's end), or earlier when every unit expected to report has reported and been approved. Official figures
are what govkpi publishes, ranks and judges by default; provisional ones are shown only to readers of the
unit, labelled with their coverage.
"""

from __future__ import annotations

import datetime
from enum import Enum


class FigureStatus(str, Enum):
    PROVISIONAL = "provisional"
    OFFICIAL = "official"


def official_from(period_end: datetime.date, official_after: int) -> datetime.date:
    """The first day on which a period's figures are official by the calendar alone."""
    return period_end + datetime.timedelta(days=official_after + 1)


def figure_status(period_end: datetime.date, today: datetime.date, official_after: int,
                  expected_units: int = 0, approved_units: int = 0) -> FigureStatus:
    """Official once the window is due, or once a period that has ended has every expected unit approved."""
    if today >= official_from(period_end, official_after):
        return FigureStatus.OFFICIAL
    if period_end < today and expected_units > 0 and approved_units >= expected_units:
        return FigureStatus.OFFICIAL
    return FigureStatus.PROVISIONAL
