"""The demo's synthetic values follow the calendar: up to the last ended month, the newest one left open."""

import datetime

import pytest
from django.utils import timezone

from govkpi.datavalues.models import DataApproval, DataValue
from govkpi.datavalues.synthetic import DEMO_CHANNEL, default_spans, load_synthetic_values

pytestmark = pytest.mark.django_db
D = datetime.date
VIETNAM = datetime.timezone(datetime.timedelta(hours=7))


@pytest.mark.parametrize("today, provinces, communes", [
    (D(2026, 12, 1), ("202501", "202611"), ("202609", "202611")),
    (D(2026, 12, 31), ("202501", "202611"), ("202609", "202611")),
    (D(2027, 1, 1), ("202601", "202612"), ("202610", "202612")),
    (D(2027, 2, 28), ("202601", "202701"), ("202611", "202701")),
    (D(2026, 3, 15), ("202501", "202602"), ("202512", "202602")),
])
def test_the_series_run_from_january_last_year_to_the_last_ended_month(today, provinces, communes):
    assert default_spans(today) == (provinces, communes)


def rows():
    return list(DataValue.objects.filter(channel=DEMO_CHANNEL).order_by("data_element__code", "unit__code", "period")
                .values_list("data_element__code", "unit__code", "period", "value", "created_at", "updated_at"))


def test_the_values_end_last_month_the_newest_month_open_nothing_received_in_the_future(elements, time_machine):
    # Two days after November ended: November's values are mostly not due yet (due 15 December).
    time_machine.move_to(datetime.datetime(2026, 12, 2, 10, tzinfo=VIETNAM))
    assert load_synthetic_values() > 0
    assert load_synthetic_values() == 0  # once only
    periods = sorted(set(DataValue.objects.filter(channel=DEMO_CHANNEL).values_list("period", flat=True)))
    assert periods[0] == "202501" and periods[-1] == "202611" and len(periods) == 23
    approved = set(DataApproval.objects.filter(state="approved").values_list("period", flat=True))
    assert approved and "202611" not in approved  # the newest month still awaits approval
    midnight = datetime.datetime(2026, 12, 2, tzinfo=VIETNAM)
    values = rows()
    assert all(created <= midnight and updated <= midnight for *_, created, updated in values)
    assert all(created <= timezone.now() for *_, created, _ in values)
    # The same day gives the same values, at any hour and whether the communes' span is given or not.
    DataValue.objects.filter(channel=DEMO_CHANNEL).delete()
    time_machine.move_to(datetime.datetime(2026, 12, 2, 23, 30, tzinfo=VIETNAM))
    assert load_synthetic_values(commune_months=("202609", "202611")) > 0
    assert rows() == values


def test_a_given_day_places_the_series_whatever_the_clock(elements):
    load_synthetic_values(today=D(2025, 12, 1))
    periods = set(DataValue.objects.filter(channel=DEMO_CHANNEL).values_list("period", flat=True))
    assert min(periods) == "202401" and max(periods) == "202511"
