"""Reporting windows closing: 3 and 1 days before the last day, units that have not submitted are reminded
through their data entry people, and the approvers above them get one summary; once each."""

import datetime

import pytest

from govkpi import reminders
from govkpi.accounts.roles import Role
from govkpi.datavalues import approval
from govkpi.datavalues.models import ReportingWindow
from govkpi.datavalues.writer import Item, write_values
from govkpi.indicators.models import DataElement
from govkpi.notify.models import Notification
from govkpi.orgunits.models import OrgUnit
from govkpi.reminders.windows import window_reminders
from tests.reminders.conftest import moment, sent


def write(clerk, unit, **values):
    """Write the unit's values for 202509 through the one writer, as the clerk; they must all be stored."""
    items = [Item(index=i, data_element=code, unit=unit, period="202509", value=str(value))
             for i, (code, value) in enumerate(values.items())]
    result = write_values(items, actor=clerk, channel="web")
    assert result.created == len(items), result.conflicts

pytestmark = pytest.mark.django_db
D = datetime.date
LAST_DAY = D(2025, 10, 10)  # 202509 ends on 30/09; closes 10 days later (the setting below)


@pytest.fixture
def september(settings, make_user, on_day):
    """Two monthly elements owed by provinces; Hà Nội entered both and submitted, Hồ Chí Minh City entered one,
    Hải Phòng nothing, Đà Nẵng has its window opened explicitly."""
    settings.REPORTING_CLOSES_AFTER_DAYS = 10
    for code in ("DVC_A", "DVC_B"):
        DataElement.objects.create(code=code, name_vi=code, value_type="count", frequency="monthly",
                                   unit_kinds=["province"])
    users = {name: make_user(role, code, name) for name, role, code in [
        ("hn_clerk", Role.DATA_ENTRY, "01"), ("hcm_clerk", Role.DATA_ENTRY, "79"), ("hp_clerk", Role.DATA_ENTRY, "31"),
        ("hp_admin", Role.UNIT_ADMIN, "31"), ("hp_viewer", Role.VIEWER, "31"), ("dn_clerk", Role.DATA_ENTRY, "48"),
        ("cp_approver", Role.APPROVER, "CP"), ("hn_approver", Role.APPROVER, "01")]}
    with on_day(D(2025, 10, 2)):
        write(users["hn_clerk"], "01", DVC_A=5, DVC_B=9)
        approval.submit(OrgUnit.objects.get(code="01"), "202509", users["hn_clerk"])
        write(users["hcm_clerk"], "79", DVC_A=3)
        ReportingWindow.objects.create(period="202509", unit=OrgUnit.objects.get(code="48"), state="open",
                                       reason="Gia hạn do bão", set_by="cp_approver", set_at=moment(D(2025, 10, 2)))
    return users


def test_the_clock_through_a_closing_window(september, at):
    expected = {
        D(2025, 10, 6): [],
        D(2025, 10, 7): [("window-closing:202509:31:2025-10-10:3", ["hp_admin", "hp_clerk"], "/data/31/202509/"),
                         ("window-closing:202509:79:2025-10-10:3", ["hcm_clerk"], "/data/79/202509/"),
                         ("window-summary:202509:CP:2025-10-10:3", ["cp_approver"], "/data/approvals/")],
        D(2025, 10, 8): [],
        D(2025, 10, 9): [("window-closing:202509:31:2025-10-10:1", ["hp_admin", "hp_clerk"], "/data/31/202509/"),
                         ("window-closing:202509:79:2025-10-10:1", ["hcm_clerk"], "/data/79/202509/"),
                         ("window-summary:202509:CP:2025-10-10:1", ["cp_approver"], "/data/approvals/")],
        D(2025, 10, 10): [], D(2025, 10, 11): [],
    }
    for day, messages in expected.items():
        before = set(sent())
        at(day, reminders.scan)
        at(day, reminders.scan, hour=16)
        assert sorted(set(sent()) - before) == sorted(
            ("window_closing", key, user, link) for key, users, link in messages for user in users), day
    assert not Notification.objects.filter(recipient__username__in=["hn_clerk", "dn_clerk", "hp_viewer",
                                                                    "hn_approver"]).exists()


def test_what_each_unit_and_the_summary_say(september, at):
    at(D(2025, 10, 7), window_reminders)
    hcm = Notification.objects.get(key="window-closing:202509:79:2025-10-10:3")
    assert hcm.title_vi == ("Kỳ báo cáo Tháng 9/2025 đóng sau 3 ngày (10/10/2025): Thành phố Hồ Chí Minh "
                            "mới nhập 1/2 chỉ tiêu, chưa gửi phê duyệt")
    assert (hcm.data["expected"], hcm.data["received"], hcm.unit.code) == (2, 1, "79")
    summary = Notification.objects.get(key="window-summary:202509:CP:2025-10-10:3")
    provinces = set(OrgUnit.objects.valid_on(D(2025, 9, 30)).filter(kind="province").values_list("code", flat=True))
    assert len(provinces) == 34
    assert set(summary.data["units"]) == provinces - {"01", "48"}  # submitted; window opened explicitly
    assert summary.title_vi.startswith("Kỳ báo cáo Tháng 9/2025 đóng sau 3 ngày: 32 đơn vị")


def test_a_unit_that_submits_before_the_last_reminder_is_not_reminded_again(september, at, on_day):
    at(D(2025, 10, 7), window_reminders)
    with on_day(D(2025, 10, 8)):
        write(september["hcm_clerk"], "79", DVC_B=4)
        approval.submit(OrgUnit.objects.get(code="79"), "202509", september["hcm_clerk"])
    at(D(2025, 10, 9), window_reminders)
    assert not Notification.objects.filter(key__startswith="window-closing:202509:79:2025-10-10:1").exists()
    assert Notification.objects.filter(key="window-closing:202509:31:2025-10-10:1").count() == 2
    summary = Notification.objects.get(key="window-summary:202509:CP:2025-10-10:1")
    assert "79" not in summary.data["units"] and len(summary.data["units"]) == 31


def test_the_reminder_days_are_read_from_settings(september, at, settings):
    settings.REMIND_WINDOW_DAYS = (2,)
    for day in (D(2025, 10, 7), D(2025, 10, 8), D(2025, 10, 9)):
        at(day, window_reminders)
    assert {key.rsplit(":", 1)[1] for _k, key, _u, _l in sent()} == {"2"}
    assert Notification.objects.filter(key="window-closing:202509:31:2025-10-10:2").count() == 2


def test_thousands_of_communes_cost_the_same_few_queries(settings, make_user, at, django_assert_max_num_queries):
    settings.REPORTING_CLOSES_AFTER_DAYS = 10
    DataElement.objects.create(code="TYLE_XA", name_vi="Tỷ lệ của xã", value_type="percentage", frequency="monthly",
                               unit_kinds=["commune"])
    commune = OrgUnit.objects.filter(kind="commune", parent__code="01").order_by("code").first()
    make_user(Role.DATA_ENTRY, commune.code, "xa_clerk")
    make_user(Role.APPROVER, "01", "hn_approver")
    make_user(Role.APPROVER, "CP", "cp_approver")  # approves provinces' data, not 33 provinces' communes
    communes = OrgUnit.objects.valid_on(D(2025, 9, 30)).filter(kind="commune").count()
    assert communes > 3000
    # 37 today: a few per period, and lookups of 500 units at a time (7 for 3,321 communes), not one per unit.
    with django_assert_max_num_queries(45):
        at(D(2025, 10, 7), window_reminders)
    assert sent(key__startswith="window-closing") == [
        ("window_closing", f"window-closing:202509:{commune.code}:2025-10-10:3", "xa_clerk", f"/data/{commune.code}/202509/")]
    hanoi = Notification.objects.get(recipient__username="hn_approver")
    assert hanoi.key == "window-summary:202509:01:2025-10-10:3"
    assert len(hanoi.data["units"]) == OrgUnit.objects.valid_on(D(2025, 9, 30)).filter(
        kind="commune", parent__code="01").count()
    with django_assert_max_num_queries(45):
        at(D(2025, 10, 7), window_reminders)  # the rerun: nothing new, as few queries
    assert Notification.objects.count() == 2
    assert not Notification.objects.filter(recipient__username="cp_approver").exists()


def test_windows_kept_open_for_centuries_never_close(september, at, settings):
    settings.REPORTING_CLOSES_AFTER_DAYS = 100_000  # as some test set-ups and installations keep every period open
    assert at(D(2025, 10, 7), window_reminders) == 0
