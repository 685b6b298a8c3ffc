"""How the indicators a done task should move did move: before and after with their periods, through the read door
(official figures for the public; nothing unpublished or provisional shown to it)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from govkpi.accounts.roles import Role
from govkpi.core.periods import parse_period
from govkpi.evaluation.models import Result
from govkpi.indicators.models import Indicator
from govkpi.orgunits.models import OrgUnit
from govkpi.reads.official import Calendar
from govkpi.reads.task_effects import Movement, done_tasks_not_moved, effects, movement
from govkpi.reads.visibility import Viewer
from govkpi.tasks import actions

pytestmark = pytest.mark.django_db
D = datetime.date
VN = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = D(2026, 1, 10)  # 202511 is official (due 15 days after its end); 202512 is still being reported


def test_movement_minds_the_indicators_direction():
    assert movement("higher_is_better", 40, 45) is Movement.IMPROVED
    assert movement("higher_is_better", 45, 44) is Movement.WORSENED
    assert movement("lower_is_better", 45, 44) is Movement.IMPROVED
    assert movement("lower_is_better", 40, 45) is Movement.WORSENED
    assert movement("higher_is_better", 45, 45) is Movement.UNCHANGED
    assert movement("higher_is_better", None, 45) is Movement.NO_BEFORE
    assert movement("higher_is_better", 45, None) is Movement.NO_AFTER


def _indicator(code, direction="higher_is_better", published=True):
    return Indicator.objects.create(code=code, name_vi=f"Chỉ tiêu {code}", value_type="percentage",
                                    frequency="monthly", direction=direction, unit_kinds=["ministry"],
                                    published=published)


def _result(indicator, unit, period, value, at=datetime.datetime(2026, 1, 5, tzinfo=VN)):
    return Result.objects.create(indicator=indicator, unit=OrgUnit.objects.get(code=unit), period=period,
                                 period_end=parse_period(period).end, value=value, status="on_track",
                                 valid_from=at)


@pytest.fixture
def done_task(make_user):
    """A BCA task linked to two indicators (one internal), done on 20/08/2025, and the figures around it."""
    rate = _indicator("DVC_TYLE")
    internal = _indicator("NOI_BO_TYLE", published=False)
    waiting = _indicator("CHO_TYLE", direction="lower_is_better")
    for period, value in [("202506", 40.0), ("202507", 45.0), ("202508", 45.5), ("202511", 44.0), ("202512", 60.0)]:
        _result(rate, "BCA", period, value)
        _result(internal, "BCA", period, value)
    _result(waiting, "BCA", "202507", 12.0)
    task = actions.create_task(code="T-DVC", title="Nâng tỷ lệ DVC toàn trình", assigned_on=D(2025, 7, 1),
                               lead=OrgUnit.objects.get(code="BCA"), deadline_text="tháng 8/2025",
                               indicators=[rate, internal, waiting])
    bca, government = make_user(Role.TASK_MANAGER, "BCA"), make_user(Role.TASK_MANAGER, "CP")
    with time_machine.travel(datetime.datetime(2025, 8, 20, 10, tzinfo=VN), tick=False):
        actions.submit_product(task, bca, "https://vanban.example.vn/de-an.pdf")
        actions.accept_product(task, government)
    task.refresh_from_db()
    return task


def _public():
    return Viewer.public(Calendar(today=TODAY))


def test_before_is_the_last_official_period_before_acceptance_and_after_the_latest_official(done_task):
    found = {e.indicator.code: e for e in effects(_public(), done_task)}
    rate = found["DVC_TYLE"]
    assert rate.unit.code == "BCA"
    assert (rate.before.period, rate.before.value) == ("202507", 45.0)  # ends 31/07, before 20/08
    assert (rate.after.period, rate.after.value) == ("202511", 44.0)  # 202512 is not official yet
    assert rate.movement is Movement.WORSENED and rate.provisional is None
    assert found["CHO_TYLE"].movement is Movement.NO_AFTER
    assert "NOI_BO_TYLE" not in found  # unpublished: the public is not even told of it


def test_a_reader_of_the_unit_also_sees_the_newer_provisional_figure_never_used_to_judge(done_task, make_user):
    reader = Viewer(make_user(Role.VIEWER, "BCA"), Calendar(today=TODAY))
    found = {e.indicator.code: e for e in effects(reader, done_task)}
    assert (found["DVC_TYLE"].provisional.period, found["DVC_TYLE"].provisional.value) == ("202512", 60.0)
    assert found["DVC_TYLE"].movement is Movement.WORSENED
    assert found["NOI_BO_TYLE"].after.period == "202511"


def test_a_task_not_done_has_no_effects(done_task):
    task = actions.create_task(code="T-OPEN", title="Việc chưa xong", assigned_on=D(2025, 7, 1),
                               lead=OrgUnit.objects.get(code="BCA"), deadline_text="tháng 8/2025",
                               indicators=list(done_task.indicators.all()))
    assert effects(_public(), task) == []


def test_done_tasks_whose_indicators_did_not_move_are_listed_and_improved_ones_are_not(done_task, make_user):
    listed = done_tasks_not_moved(_public())
    assert [(item["task"].code, item["done_on"], [e.indicator.code for e in item["effects"]]) for item in listed] == [
        ("T-DVC", D(2025, 8, 20), ["DVC_TYLE"])]
    # A late correction, as the engine stores one: the current row closed, a new one added.
    Result.objects.filter(indicator__code="DVC_TYLE", period="202511").update(
        valid_to=datetime.datetime(2026, 1, 6, tzinfo=VN))
    _result(Indicator.objects.get(code="DVC_TYLE"), "BCA", "202511", 50.0)
    assert done_tasks_not_moved(_public()) == []


def test_pages_show_the_periods_and_nothing_unpublished_or_provisional_to_the_public(done_task):
    with time_machine.travel(datetime.datetime(2026, 1, 10, 10, tzinfo=VN), tick=False):
        client = Client()
        page = client.get("/tasks/T-DVC/").content.decode()
        listing = client.get("/tasks/effects/").content.decode()
    assert 'id="task-effects"' in page and "(202507)" in page and "(202511)" in page
    assert "Xấu đi" in page and "Hoàn thành ngày 20/08/2025" in page
    for text in (page, listing):
        assert "NOI_BO_TYLE" not in text and "Chỉ tiêu NOI_BO_TYLE" not in text
        assert "(202512)" not in text and "60%" not in text
    assert "T-DVC" in listing and "45% <span" in listing and "44% <span" in listing


def test_a_reader_of_the_unit_sees_the_provisional_figure_on_the_task_page_marked_as_such(done_task, make_user):
    client, reader = Client(), make_user(Role.VIEWER, "BCA")
    with time_machine.travel(datetime.datetime(2026, 1, 10, 10, tzinfo=VN), tick=False):
        client.force_login(reader)  # signed in that day: a session does not outlive the suite's own clock
        page = client.get("/tasks/T-DVC/").content.decode()
    assert "tạm tính" in page and "(202512)" in page and "60%" in page
    assert "Chỉ tiêu NOI_BO_TYLE" in page  # a reader of the unit reads its internal indicator
