"""When a period's figures turn official: on the day after the due date, or earlier once every expected unit is
approved, never before the period has ended."""

import datetime

import pytest

from govkpi.core.official import FigureStatus, figure_status, official_from

D = datetime.date
NOVEMBER_END = D(2026, 11, 30)
P, O = FigureStatus.PROVISIONAL, FigureStatus.OFFICIAL


@pytest.mark.parametrize("today, expected", [
    (D(2026, 11, 15), P),  # the month in progress
    (D(2026, 12, 1), P),  # ended, reports coming in
    (D(2026, 12, 15), P),  # the due date itself: still on time to report
    (D(2026, 12, 16), O),  # the day after
    (D(2027, 3, 1), O),
])
def test_a_month_turns_official_the_day_after_its_due_date(today, expected):
    assert official_from(NOVEMBER_END, 15) == D(2026, 12, 16)
    assert figure_status(NOVEMBER_END, today, 15) is expected


def test_every_expected_unit_approved_makes_an_ended_period_official_early():
    assert figure_status(NOVEMBER_END, D(2026, 12, 3), 15, expected_units=51, approved_units=51) is O
    assert figure_status(NOVEMBER_END, D(2026, 12, 3), 15, expected_units=51, approved_units=50) is P
    assert figure_status(NOVEMBER_END, D(2026, 11, 30), 15, expected_units=51, approved_units=51) is P  # not ended
    assert figure_status(NOVEMBER_END, D(2026, 12, 3), 15, expected_units=0, approved_units=0) is P  # nobody owes
