"""An indicator turning off track: the results the engine writes (versioned rows) are followed from a cursor;
the unit's admins and viewers are told once per turn, a provisional figure is labelled provisional."""

import datetime

import pytest

from govkpi import reminders
from govkpi.accounts.roles import Role
from govkpi.core.periods import parse_period
from govkpi.evaluation.models import Result
from govkpi.indicators.models import Indicator
from govkpi.notify.models import Notification
from govkpi.orgunits.models import OrgUnit
from tests.reminders.conftest import moment, sent

pytestmark = pytest.mark.django_db
D = datetime.date
PROVISIONAL_DAY = D(2025, 10, 5)  # 202509 is not yet official (due 15 days after its end)
OFFICIAL_DAY = D(2025, 11, 3)


@pytest.fixture
def indicator(make_user):
    for name, role in [("hcm_admin", Role.UNIT_ADMIN), ("hcm_viewer", Role.VIEWER), ("hcm_clerk", Role.DATA_ENTRY),
                       ("hcm_approver", Role.APPROVER)]:
        make_user(role, "79", name)
    make_user(Role.VIEWER, "01", "hn_viewer")
    return Indicator.objects.create(code="DVC_TYLE", name_vi="Tỷ lệ DVC toàn trình", name_en="End-to-end rate",
                                    value_type="percentage", frequency="monthly")


def judge(indicator, status, period="202509", unit="79", at=None, achievement=50.0):
    """What the engine does with a new judgement: close the cell's current row, add the new one."""
    at = at or moment(D(2025, 10, 4))
    unit = OrgUnit.objects.get(code=unit)
    Result.objects.filter(indicator=indicator, unit=unit, period=period, valid_to__isnull=True).update(valid_to=at)
    return Result.objects.create(indicator=indicator, unit=unit, period=period, period_end=parse_period(period).end,
                                 status=status, achievement=achievement, valid_from=at)


READERS = ["hcm_admin", "hcm_viewer"]


def test_turning_off_track_is_told_once_to_the_units_admins_and_viewers(indicator, at):
    judge(indicator, "on_track")
    at(PROVISIONAL_DAY, reminders.scan)
    assert sent() == []
    turned = judge(indicator, "off_track", achievement=42.5)
    at(PROVISIONAL_DAY, reminders.scan)
    at(PROVISIONAL_DAY, reminders.scan)
    key = f"off-track:DVC_TYLE:79:202509:{turned.id}"
    assert sent() == [("off_track", key, user, "/units/79/") for user in READERS]
    note = Notification.objects.get(key=key, recipient__username="hcm_viewer")
    assert note.title_vi == "Tỷ lệ DVC toàn trình của Thành phố Hồ Chí Minh chậm tiến độ, kỳ Tháng 9/2025 (số liệu tạm tính)"
    assert note.body_vi == "Mức đạt so với chỉ tiêu: 42,5 %." and note.data["official"] is False
    judge(indicator, "off_track", achievement=40.0)  # still off track: no news
    at(PROVISIONAL_DAY, reminders.scan)
    assert len(sent()) == 2
    judge(indicator, "at_risk")
    again = judge(indicator, "off_track")  # back on, then off again: a new turn
    at(PROVISIONAL_DAY, reminders.scan)
    assert {key for _k, key, _u, _l in sent()} == {key, f"off-track:DVC_TYLE:79:202509:{again.id}"}


def test_an_official_period_is_not_labelled_provisional(indicator, at):
    judge(indicator, "on_track", at=moment(D(2025, 11, 1)))
    judge(indicator, "off_track", at=moment(D(2025, 11, 2)))
    at(OFFICIAL_DAY, reminders.scan)
    note = Notification.objects.get(recipient__username="hcm_admin")
    assert note.title_vi.endswith("kỳ Tháng 9/2025") and note.data["official"] is True


def test_a_new_periods_first_result_turns_only_if_the_last_period_was_not_off_track(indicator, at):
    judge(indicator, "off_track", period="202508", unit="01")
    judge(indicator, "on_track", period="202508", unit="79")
    at(PROVISIONAL_DAY, reminders.scan)
    assert [user for _k, _key, user, _l in sent()] == ["hn_viewer"]  # the first result of all counts as a turn
    judge(indicator, "off_track", period="202509", unit="01")  # still off track, month after month
    judge(indicator, "off_track", period="202509", unit="79")  # on track in August, off in September
    at(PROVISIONAL_DAY, reminders.scan)
    assert sorted((key.split(":")[2:4], user) for _k, key, user, _l in sent()) == [
        (["01", "202508"], "hn_viewer"), (["79", "202509"], "hcm_admin"), (["79", "202509"], "hcm_viewer")]


def test_a_row_already_superseded_is_not_announced(indicator, at):
    judge(indicator, "on_track")
    judge(indicator, "off_track")
    judge(indicator, "on_track")  # recomputed before the scan ran: it is on track now
    at(PROVISIONAL_DAY, reminders.scan)
    assert sent() == []
