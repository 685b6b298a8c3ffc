"""Task reminders driven through a deadline: 7, 3 and 1 days before, overdue the day after, escalated to the
assigning authority ESCALATE_AFTER_DAYS later; each sent once, whatever the number of runs."""

import datetime

import pytest

from govkpi import reminders
from govkpi.accounts.roles import Role
from govkpi.notify.models import Notification
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks import actions
from govkpi.tasks.models import Directive, Task
from tests.reminders.conftest import sent

pytestmark = pytest.mark.django_db
D = datetime.date
DEADLINE = D(2025, 8, 31)  # "tháng 8/2025"


def days(n: int) -> datetime.date:
    return DEADLINE + datetime.timedelta(days=n)


@pytest.fixture
def people(make_user):
    """The lead unit's task managers (a task manager and a unit admin), its data entry clerk, the Government's
    task manager (the assigner), another ministry's task manager."""
    return {name: make_user(role, code, name) for name, role, code in [
        ("bca_tm", Role.TASK_MANAGER, "BCA"), ("bca_admin", Role.UNIT_ADMIN, "BCA"),
        ("bca_clerk", Role.DATA_ENTRY, "BCA"), ("cp_tm", Role.TASK_MANAGER, "CP"),
        ("byt_tm", Role.TASK_MANAGER, "BYT")]}


@pytest.fixture
def task(people, on_day):
    with on_day(D(2025, 7, 20)):
        return actions.create_task(code="T1", title="Xây dựng kiến trúc dữ liệu quốc gia", assigned_on=D(2025, 7, 20),
                                   lead=OrgUnit.objects.get(code="BCA"), deadline_text="tháng 8/2025")


LEAD = ["bca_admin", "bca_tm"]


def test_the_clock_through_a_deadline_sends_each_alert_once_to_the_right_people(task, at):
    assert task.deadline == DEADLINE
    steps = {
        -8: [], -7: [("task_due", "task-due:T1:2025-08-31:7", LEAD)], -6: [],
        -3: [("task_due", "task-due:T1:2025-08-31:3", LEAD)], -2: [],
        -1: [("task_due", "task-due:T1:2025-08-31:1", LEAD)], 0: [],
        1: [("task_overdue", "task-overdue:T1:2025-08-31", LEAD)], 6: [],
        7: [("task_escalated", "task-escalated:T1:2025-08-31", ["cp_tm"])], 8: [], 30: [],
    }
    for offset, expected in steps.items():
        before = set(sent())
        at(days(offset), reminders.scan)
        at(days(offset), reminders.scan, hour=17)  # a second run the same day adds nothing
        new = sorted(set(sent()) - before)
        assert new == sorted((kind, key, user, "/tasks/T1/") for kind, key, users in expected for user in users), \
            offset
    # Nobody else was ever told: not the clerk, not the other ministry; the assigner only of the escalation.
    assert not Notification.objects.filter(recipient__username__in=["bca_clerk", "byt_tm"]).exists()
    assert set(Notification.objects.filter(recipient__username="cp_tm").values_list("kind", flat=True)) == {
        "task_escalated"}


def test_the_texts_say_the_days_left_and_the_deadline(task, at):
    at(days(-7), reminders.scan)
    due = Notification.objects.get(key="task-due:T1:2025-08-31:7", recipient__username="bca_tm")
    assert due.title_vi == "Nhiệm vụ T1 còn 7 ngày đến hạn (31/08/2025)"
    assert due.title_en == "Task T1 is due in 7 days (31/08/2025)"
    assert "Xây dựng kiến trúc dữ liệu quốc gia" in due.body_vi and due.unit.code == "BCA"
    assert due.data == {"task": "T1", "deadline": "2025-08-31", "rule": "due", "days": 7, "lead_unit": "BCA",
                        "demo": False, "threshold": 7}
    at(days(9), reminders.scan)
    escalated = Notification.objects.get(key="task-escalated:T1:2025-08-31")
    assert escalated.title_vi.startswith("Nhiệm vụ T1 quá hạn 9 ngày") and escalated.recipient.username == "cp_tm"


def test_a_missed_reminder_day_is_caught_up_once_with_the_days_really_left(task, at):
    at(days(-5), reminders.scan)  # the worker was down on D-7 and D-6
    assert sent() == [("task_due", "task-due:T1:2025-08-31:7", user, "/tasks/T1/") for user in LEAD]
    assert Notification.objects.filter(key="task-due:T1:2025-08-31:7").first().title_vi.startswith(
        "Nhiệm vụ T1 còn 5 ngày")
    at(days(-4), reminders.scan)
    assert len(sent()) == 2


def test_a_task_done_before_its_deadline_gets_no_overdue_alert(task, people, at, on_day):
    at(days(-3), reminders.scan)
    with on_day(days(-2)):
        actions.submit_product(task, people["bca_tm"], "https://vanban.chinhphu.vn/kien-truc-du-lieu")
        actions.accept_product(task, people["cp_tm"])
    for offset in (-1, 0, 1, 7, 20):
        at(days(offset), reminders.scan)
    # The first run was on D-3: only the 3-day reminder (a missed 7-day one is not sent as well).
    assert {key for _k, key, _u, _l in sent()} == {"task-due:T1:2025-08-31:3"}


def test_an_extended_deadline_reminds_again_for_the_new_date(task, people, at, on_day):
    at(days(-1), reminders.scan)
    at(days(1), reminders.scan)
    with on_day(days(2)):
        change = actions.request_deadline_change(task, people["bca_tm"], "tháng 10/2025", "Chờ ý kiến các bộ")
        actions.decide_deadline_change(change, people["cp_tm"], approve=True)
    at(days(2), reminders.scan)
    at(days(8), reminders.scan)  # overdue by the old deadline, but that is no longer in force: no escalation
    assert not Notification.objects.filter(kind="task_escalated").exists()
    at(D(2025, 10, 24), reminders.scan)
    keys = {key for _k, key, _u, _l in sent()}
    assert keys == {"task-due:T1:2025-08-31:1", "task-overdue:T1:2025-08-31", "task-due:T1:2025-10-31:7"}


def test_the_rules_are_read_from_settings(task, at, settings):
    settings.REMIND_TASK_DAYS = (5,)
    settings.ESCALATE_AFTER_DAYS = 2
    for offset in (-7, -5, -3, -1, 1, 2):
        at(days(offset), reminders.scan)
    assert sorted({(kind, key) for kind, key, _u, _l in sent()}) == [
        ("task_due", "task-due:T1:2025-08-31:5"), ("task_escalated", "task-escalated:T1:2025-08-31"),
        ("task_overdue", "task-overdue:T1:2025-08-31")]
    assert Notification.objects.get(kind="task_escalated").data["days"] == 2


def test_the_issuing_body_of_the_directive_is_the_assigning_authority(people, make_user, at, on_day):
    make_user(Role.TASK_MANAGER, "BTC", "btc_tm")
    directive = Directive.objects.create(code="KH-BTC", kind="ke_hoach", issued_on=D(2025, 7, 1), title="Kế hoạch",
                                         issuing_body=OrgUnit.objects.get(code="BTC"))
    with on_day(D(2025, 7, 20)):
        actions.create_task(code="T2", title="Chuẩn hóa dữ liệu thu ngân sách", assigned_on=D(2025, 7, 20),
                            lead=OrgUnit.objects.get(code="BCA"), deadline_text="tháng 8/2025", directive=directive)
    at(days(7), reminders.scan)
    assert [(k, u) for k, key, u, _l in sent() if k == "task_escalated"] == [("task_escalated", "btc_tm")]


def test_a_fanned_out_task_reminds_each_part_never_the_parent(make_user, at, on_day):
    make_user(Role.TASK_MANAGER, "01", "hanoi_tm")
    make_user(Role.TASK_MANAGER, "79", "hcm_tm")
    make_user(Role.TASK_MANAGER, "CP", "cp_tm")
    with on_day(D(2025, 8, 1)):
        parent = actions.create_task(code="FAN", title="Rà soát thủ tục hành chính", assigned_on=D(2025, 8, 1),
                                     lead=None, assignees="all_provinces", deadline_text="tháng 8/2025")
    assert parent.children.count() == 34
    at(days(-1), reminders.scan)
    # Only the provinces with a task manager of their own are told; the Government is not told of the 32 others.
    assert sent() == [("task_due", "task-due:FAN/01:2025-08-31:1", "hanoi_tm", "/tasks/FAN/01/"),
                      ("task_due", "task-due:FAN/79:2025-08-31:1", "hcm_tm", "/tasks/FAN/79/")]
    assert not Notification.objects.filter(key__contains="FAN:").exists()


def test_a_commune_without_a_task_manager_is_reminded_through_its_province(make_user, at, on_day):
    commune = OrgUnit.objects.filter(kind="commune", parent__code="01").order_by("code").first()
    make_user(Role.TASK_MANAGER, "01", "hanoi_tm")
    with on_day(D(2025, 8, 1)):
        actions.create_task(code="XA", title="Số hóa hồ sơ", assigned_on=D(2025, 8, 1), lead=commune,
                            deadline_text="tháng 8/2025")
    at(days(-3), reminders.scan)
    assert sent() == [("task_due", "task-due:XA:2025-08-31:3", "hanoi_tm", "/tasks/XA/")]


def test_a_recurring_task_reminds_each_occurrence_by_its_own_deadline(make_user, at, on_day):
    make_user(Role.TASK_MANAGER, "BCA", "bca_tm")
    with on_day(D(2025, 9, 2)):
        task = actions.create_task(code="GB", title="Giao ban hằng tháng", assigned_on=D(2025, 8, 1),
                                   lead=OrgUnit.objects.get(code="BCA"), deadline_text="hằng tháng")
    assert set(Task.objects.filter(parent=task).values_list("code", "deadline")) == {
        ("GB@202508", D(2025, 8, 31)), ("GB@202509", D(2025, 9, 30))}
    at(D(2025, 9, 2), reminders.scan)
    assert sent() == [("task_overdue", "task-overdue:GB@202508:2025-08-31", "bca_tm", "/tasks/GB@202508/")]
    at(D(2025, 9, 27), reminders.scan)
    assert ("task_due", "task-due:GB@202509:2025-09-30:3", "bca_tm", "/tasks/GB@202509/") in sent()
    assert not Notification.objects.filter(key__contains=":GB:").exists()


def test_alerts_missed_for_longer_than_the_catch_up_are_not_sent(task, at):
    at(days(31), reminders.scan)  # overdue for a month and a day when the reminders first look
    assert [kind for kind, _key, _u, _l in sent()] == ["task_escalated"]  # 24 days past its escalation day
    at(days(38), reminders.scan)
    assert len(sent()) == 1
    Notification.objects.all().delete()
    at(days(40), reminders.scan)  # past both: nothing
    assert sent() == []
