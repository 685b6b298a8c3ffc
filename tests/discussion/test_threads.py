"""Comment threads on a submission (officer ↔ approver) and on a task (lead unit ↔ assigning authority): read
and written by their participants only, every comment audited, the other participants notified."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from govkpi.accounts.roles import Role
from govkpi.audit.models import AuditEntry
from govkpi.discussion import threads
from govkpi.discussion.models import Comment
from govkpi.notify.kinds import Kind
from govkpi.notify.models import Notification
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks.actions import create_task
from tests.discussion.loop import DAY, MONTH

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user, time_machine):
    time_machine.move_to(DAY)
    return {"clerk": make_user(Role.DATA_ENTRY, "00004", "badinh.clerk"),
            "approver": make_user(Role.APPROVER, "01", "hanoi.approver"),
            "neighbour": make_user(Role.DATA_ENTRY, "00008", "ngocha.clerk"),
            "other_province": make_user(Role.APPROVER, "79", "hcm.approver")}


def notified(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=Kind.COMMENT))


def test_the_clerk_and_the_approver_talk_and_each_is_told_of_the_other(people):
    thread = threads.submission(OrgUnit.objects.get(code="00004"), "2026-06")
    asked = threads.post(people["clerk"], thread, "  Số hồ sơ tháng 6 giảm vì nghỉ lễ.  ")
    assert asked.body == "Số hồ sơ tháng 6 giảm vì nghỉ lễ." and asked.period == MONTH
    [notice] = notified(people["approver"])
    assert notice.key == f"comment:{asked.pk}" and notice.link == f"/data/00004/{MONTH}/#comments"
    assert "badinh.clerk" in notice.title_vi and notice.body_vi == asked.body
    assert notified(people["clerk"]) == []  # the author is not told of their own comment
    answer = threads.post(people["approver"], thread, "Đề nghị ghi chú vào số liệu.")
    assert [n.key for n in notified(people["clerk"])] == [f"comment:{answer.pk}"]
    assert [c.body for c in threads.read(people["approver"], thread)] == [asked.body, answer.body]
    for outsider in ("neighbour", "other_province"):  # another commune's clerk, another province's approver
        assert notified(people[outsider]) == []
        with pytest.raises(PermissionDenied):
            threads.read(people[outsider], thread)
        with pytest.raises(PermissionDenied):
            threads.post(people[outsider], thread, "xin chào")
    assert Comment.objects.count() == 2


def test_every_comment_is_in_the_audit_trail(people):
    thread = threads.submission(OrgUnit.objects.get(code="00004"), MONTH)
    comment = threads.post(people["clerk"], thread, "Đã bổ sung.")
    entry = AuditEntry.objects.get(action="comment.post")
    assert (entry.actor, entry.object_key, entry.unit) == ("badinh.clerk", str(comment.pk), "00004")
    assert entry.after == {"thread": f"submission:00004/{MONTH}", "body": "Đã bổ sung."}


def test_an_empty_or_too_long_comment_is_refused(people):
    thread = threads.submission(OrgUnit.objects.get(code="00004"), MONTH)
    for body, code in (("   ", "empty"), ("x" * (threads.BODY_MAX_CHARS + 1), "too_long")):
        with pytest.raises(threads.DiscussionError) as refused:
            threads.post(people["clerk"], thread, body)
        assert refused.value.code == code
    assert not Comment.objects.exists() and not AuditEntry.objects.filter(action="comment.post").exists()


@pytest.fixture
def task(db):
    # Assigned by the Government (no directive) to Hà Nội.
    return create_task(code="T-BINH-LUAN", title="Số hóa hồ sơ hộ tịch", assigned_on=datetime.date(2026, 6, 1),
                       lead=OrgUnit.objects.get(code="01"), deadline_text="31/12/2026")


def test_a_task_thread_is_for_the_lead_unit_and_the_assigner(task, make_user, people):
    lead = make_user(Role.TASK_MANAGER, "01", "hanoi.tasks")
    assigner = make_user(Role.TASK_MANAGER, "CP", "cp.tasks")
    outsider = make_user(Role.TASK_MANAGER, "79", "hcm.tasks")
    thread = threads.of_task(task)
    report = threads.post(lead, thread, "Đã hoàn thành 60%, vướng kinh phí.")
    assert [n.key for n in notified(assigner)] == [f"comment:{report.pk}"]
    assert notified(outsider) == [] and notified(lead) == []
    assert notified(people["approver"]) == []  # a reader of Hà Nội may read it, but is not a party to be told
    assert [c.body for c in threads.read(people["approver"], thread)] == [report.body]
    with pytest.raises(PermissionDenied):
        threads.read(outsider, thread)
    reply = threads.post(assigner, thread, "Đề nghị báo cáo phương án kinh phí.")
    assert [n.key for n in notified(lead)] == [f"comment:{reply.pk}"]


def test_the_pages_show_the_thread_to_participants_and_take_posts_with_csrf(client, task, people, make_user):
    client.force_login(people["clerk"])
    form = client.get(f"/data/00004/{MONTH}/").content.decode()
    assert 'id="comments"' in form and f'action="/discussion/submission/00004/{MONTH}/"' in form
    answer = client.post(f"/discussion/submission/00004/{MONTH}/", {"body": "<script>alert(1)</script> xin ý kiến"})
    assert answer.status_code == 302 and answer["Location"] == f"/data/00004/{MONTH}/#comments"
    form = client.get(f"/data/00004/{MONTH}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; xin ý kiến" in form and "<script>alert(1)" not in form
    empty = client.post(f"/discussion/submission/00004/{MONTH}/", {"body": ""})
    assert empty.status_code == 302
    assert "Ý kiến không được để trống." in client.get(f"/data/00004/{MONTH}/").content.decode()
    client.force_login(people["neighbour"])
    assert client.post(f"/discussion/submission/00004/{MONTH}/", {"body": "chen ngang"}).status_code == 403
    assert Comment.objects.count() == 1
    # The task's page: the thread for a reader of the lead unit, nothing of it for the public.
    client.force_login(make_user(Role.TASK_MANAGER, "01"))
    client.post(f"/discussion/task/{task.code}/", {"body": "Tiến độ chậm do thiếu kinh phí."})
    assert "Tiến độ chậm do thiếu kinh phí." in client.get(f"/tasks/{task.code}/").content.decode()
    client.logout()
    public = client.get(f"/tasks/{task.code}/").content.decode()
    assert 'id="comments"' not in public and "thiếu kinh phí" not in public


def test_posting_needs_a_csrf_token(people):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(people["clerk"])
    assert strict.post(f"/discussion/submission/00004/{MONTH}/", {"body": "không có mã CSRF"}).status_code == 403
    assert not Comment.objects.exists()
