"""The calendar of official periods as of a day: the cutoff, the last official month, early official periods."""

import datetime

import pytest

from govkpi.accounts.roles import Role
from govkpi.datavalues import approval
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit
from govkpi.reads.official import Calendar

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.mark.parametrize("today, month", [
    (D(2026, 12, 1), "202610"), (D(2026, 12, 15), "202610"), (D(2026, 12, 16), "202611"),
    (D(2026, 12, 31), "202611"), (D(2027, 1, 15), "202611"), (D(2027, 1, 16), "202612"),
    (D(2027, 3, 16), "202702"),  # February's 28 days
])
def test_the_last_official_month_by_the_calendar(today, month):
    calendar = Calendar(today)
    assert calendar.last_official_month() == month
    assert calendar.is_official(month) and not Calendar(today).is_official(_next(month))


def _next(month: str) -> str:
    year, number = int(month[:4]), int(month[4:])
    return f"{year + number // 12}{number % 12 + 1:02d}"


def test_a_ministry_only_element_turns_official_once_every_ministry_is_approved(make_user):
    DataElement.objects.create(code="BO_ONLY", name_vi="Chỉ các bộ", value_type="count", frequency="monthly",
                               unit_kinds=["ministry"])
    day = D(2026, 12, 3)
    ministries = list(OrgUnit.objects.valid_on(D(2026, 11, 30)).filter(kind="ministry"))
    admin, clerk = make_user(Role.SYSTEM_ADMIN, "CP"), make_user(Role.DATA_ENTRY, "CP")  # two people
    for ministry in ministries[:-1]:
        approval.submit(ministry, "202611", clerk)
        approval.approve(ministry, "202611", admin)
    assert not Calendar(day).is_official("202611") and Calendar(day).early_official == []
    approval.submit(ministries[-1], "202611", clerk)
    approval.approve(ministries[-1], "202611", admin)
    assert Calendar(day).is_official("202611") and Calendar(day).early_official == ["202611"]
    coverage = Calendar(day).coverage(OrgUnit.objects.get(code="CP"), "202611", {"BO_ONLY"})
    assert (coverage.reporting, coverage.expected, coverage.due) == (0, len(ministries), D(2026, 12, 15))
