"""The approval loop's alerts, from the change events: a submission reaches the approvers above the unit, a
return the unit's data entry people with the reason; the cursor moves with the notifications, so a rerun or
a run killed half-way neither repeats nor loses one."""

import datetime

import pytest
from django.db import transaction

from govkpi import reminders
from govkpi.accounts.roles import Role
from govkpi.datavalues import approval
from govkpi.datavalues.writer import Item, write_values
from govkpi.events.models import ChangeEvent
from govkpi.indicators.models import DataElement
from govkpi.notify.models import Notification
from govkpi.orgunits.models import OrgUnit
from govkpi.reminders.models import Cursor
from tests.reminders.conftest import sent

pytestmark = pytest.mark.django_db
D = datetime.date
DAY = D(2025, 10, 2)
REASON = "Số thủ tục toàn trình lớn hơn tổng số thủ tục; đề nghị rà soát phường Bến Thành."


@pytest.fixture
def people(make_user):
    return {name: make_user(role, code, name) for name, role, code in [
        ("hcm_clerk", Role.DATA_ENTRY, "79"), ("hcm_admin", Role.UNIT_ADMIN, "79"), ("hcm_viewer", Role.VIEWER, "79"),
        ("hcm_approver", Role.APPROVER, "79"), ("cp_approver", Role.APPROVER, "CP"), ("hn_clerk", Role.DATA_ENTRY, "01"),
        ("hn_approver", Role.APPROVER, "01")]}


@pytest.fixture
def submitted(people, on_day):
    """Hồ Chí Minh City's September, entered and submitted."""
    DataElement.objects.create(code="DVC_A", name_vi="DVC_A", value_type="count", frequency="monthly",
                               unit_kinds=["province"])
    hcm = OrgUnit.objects.get(code="79")
    with on_day(DAY):
        result = write_values([Item(index=0, data_element="DVC_A", unit="79", period="202509", value="3")],
                              actor=people["hcm_clerk"], channel="web")
        assert result.created == 1
        approval.submit(hcm, "202509", people["hcm_clerk"])
    return hcm


def last_approval_event() -> int:
    return ChangeEvent.objects.filter(kind="approval").order_by("-id").values_list("id", flat=True).first()


def test_a_submission_reaches_the_approvers_above_the_unit_once(submitted, at):
    event = last_approval_event()
    assert at(DAY, reminders.follow) == {"approvals": 1}
    assert sent() == [("submission_waiting", f"submitted:79:202509:{event}", "cp_approver", "/data/approvals/")]
    assert at(DAY, reminders.follow) == {"approvals": 0}
    assert Cursor.objects.get(name="events").last_id == event


def test_a_return_reaches_exactly_the_units_data_entry_people_with_the_reason(submitted, people, at, on_day):
    at(DAY, reminders.follow)
    with on_day(DAY):
        approval.return_to_unit(submitted, "202509", people["cp_approver"], REASON)
    returned = last_approval_event()
    at(DAY, reminders.follow)
    at(DAY, reminders.follow)
    assert sent(kind="values_returned") == [
        ("values_returned", f"returned:79:202509:{returned}", user, "/data/79/202509/")
        for user in ("hcm_admin", "hcm_clerk")]
    note = Notification.objects.get(kind="values_returned", recipient__username="hcm_clerk")
    assert note.body_vi == f"Lý do: {REASON}" and note.body_en == f"Reason: {REASON}"
    assert note.data["reason"] == REASON and note.data["returned_by"] == "cp_approver"
    assert note.title_vi == "Số liệu kỳ Tháng 9/2025 của Thành phố Hồ Chí Minh bị trả lại"


def test_the_reason_survives_a_resubmission_before_the_follower_runs(submitted, people, at, on_day):
    with on_day(DAY):
        approval.return_to_unit(submitted, "202509", people["cp_approver"], REASON)
        approval.submit(submitted, "202509", people["hcm_clerk"])  # clears the approval row's reason
    at(DAY, reminders.follow)
    assert Notification.objects.get(kind="values_returned", recipient__username="hcm_clerk").data["reason"] == REASON
    assert Notification.objects.filter(kind="submission_waiting", recipient__username="cp_approver").count() == 2


def test_a_run_killed_before_its_commit_leaves_nothing_and_the_next_sends_once(submitted, at):
    event = last_approval_event()
    before = Cursor.objects.get(name="events").last_id
    with pytest.raises(RuntimeError), transaction.atomic():
        at(DAY, reminders.follow)
        assert Notification.objects.count() == 1
        raise RuntimeError("the worker is killed before its transaction commits")
    assert Notification.objects.count() == 0 and Cursor.objects.get(name="events").last_id == before
    assert at(DAY, reminders.follow) == {"approvals": 1}
    assert Cursor.objects.get(name="events").last_id == event


def test_a_communes_submission_goes_to_its_province(make_user, at, on_day):
    commune = OrgUnit.objects.filter(kind="commune", parent__code="01").order_by("code").first()
    clerk = make_user(Role.DATA_ENTRY, commune.code, "xa_clerk")
    make_user(Role.APPROVER, "01", "hn_approver")
    make_user(Role.APPROVER, "CP", "cp_approver")
    with on_day(DAY):
        approval.submit(commune, "202509", clerk)
    at(DAY, reminders.follow)
    assert [user for _k, _key, user, _l in sent()] == ["hn_approver"]


def test_the_first_run_on_a_database_without_a_cursor_starts_at_the_present(submitted, at):
    Cursor.objects.all().delete()  # as after a test that emptied the tables, or a database older than the app
    assert at(DAY, reminders.follow) == {"approvals": 0}
    assert Cursor.objects.get(name="events").last_id == last_approval_event()


def test_a_return_also_reaches_the_officer_above_who_submitted_for_a_commune(make_user, at, on_day):
    commune = OrgUnit.objects.filter(kind="commune", parent__code="01").order_by("code").first()
    officer = make_user(Role.DATA_ENTRY, "01", "hn_clerk")  # reports for communes with no account of their own
    approver = make_user(Role.APPROVER, "01", "hn_approver")
    make_user(Role.DATA_ENTRY, "79", "hcm_clerk")
    with on_day(DAY):
        approval.submit(commune, "202509", officer)
        approval.return_to_unit(commune, "202509", approver, REASON)
    at(DAY, reminders.follow)
    assert [(kind, user) for kind, _key, user, _l in sent()] == [("submission_waiting", "hn_approver"),
                                                                  ("values_returned", "hn_clerk")]


def test_a_decided_submission_and_resubmitted_values_leave_no_inbox_waiting(submitted, people, at, on_day, client):
    """Once the approver returns the submission, its "waiting" alert is settled (read) in every approver's inbox;
    once the unit resubmits, its "returned" alert is settled too; the new submission's alert is unread."""
    at(DAY, reminders.follow)
    with on_day(DAY):
        approval.return_to_unit(submitted, "202509", people["cp_approver"], REASON)
    at(DAY, reminders.follow)
    waiting = Notification.objects.get(kind="submission_waiting")
    returned = Notification.objects.filter(kind="values_returned")
    assert waiting.read_at is not None and {n.read_at for n in returned} == {None}
    with on_day(DAY):
        approval.submit(submitted, "202509", people["hcm_clerk"])
    at(DAY, reminders.follow)
    assert {n.read_at is not None for n in returned.all()} == {True}
    again = Notification.objects.filter(kind="submission_waiting", read_at__isnull=True).get()
    assert again.key != waiting.key and again.recipient.username == "cp_approver"
    # Opening a notification from the inbox marks it read and leads to its page; another's is not found.
    client.force_login(people["cp_approver"])
    response = client.get(f"/inbox/{again.pk}/open/")
    assert (response.status_code, response["Location"]) == (302, "/data/approvals/")
    again.refresh_from_db()
    assert again.read_at is not None
    client.force_login(people["hcm_clerk"])
    assert client.get(f"/inbox/{again.pk}/open/").status_code == 404
