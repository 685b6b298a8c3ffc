"""Task lifecycle rules, fan-out and roll-up, succession, as-of figures, through the action functions."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from govkpi.accounts.roles import Role
from govkpi.audit.models import AuditEntry
from govkpi.core.task_status import State
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks import actions
from govkpi.tasks.figures import figures_by_unit, state_of
from govkpi.tasks.models import Stage, Task, TaskEvent

pytestmark = pytest.mark.django_db
D = datetime.date


def unit(code):
    return OrgUnit.objects.get(code=code)


def make(code="T1", lead="BCA", deadline_text="tháng 8/2025", assigned_on=D(2025, 7, 20), **fields):
    return actions.create_task(code=code, title="Xây dựng kiến trúc dữ liệu tổng thể quốc gia",
                               assigned_on=assigned_on, lead=unit(lead) if lead else None,
                               deadline_text=deadline_text, **fields)


def test_deadline_words_are_kept_with_the_date_they_mean():
    task = make()
    assert (task.deadline_text, task.deadline, task.original_deadline) == ("tháng 8/2025", D(2025, 8, 31),
                                                                           D(2025, 8, 31))
    assert make("T2", deadline_text="trước ngày 20/7/2024", assigned_on=D(2024, 7, 10)).deadline == D(2024, 7, 19)
    assert make("T3", deadline_text="quý IV/2025").deadline == D(2025, 12, 31)


def test_nonsense_deadline_is_refused_naming_it():
    with pytest.raises(actions.TaskRuleError) as caught:
        make(deadline_text="khi nào xong thì thôi")
    assert caught.value.code == "deadline_unreadable"
    assert not Task.objects.exists()


def test_overdue_appears_at_midnight_after_the_deadline():
    task = make()
    assert state_of(task, D(2025, 8, 31)) is State.NOT_STARTED
    assert state_of(task, D(2025, 9, 1)) is State.OVERDUE


def test_done_needs_the_product_and_the_assigners_acceptance(make_user):
    task = make()
    bca = make_user(Role.TASK_MANAGER, "BCA")
    government = make_user(Role.TASK_MANAGER, "CP")
    actions.report_progress(task, bca, percent=60, narrative="Đã có dự thảo")
    assert task.stage == Stage.IN_PROGRESS
    with pytest.raises(actions.TaskRuleError):
        actions.report_progress(task, bca, stage=Stage.DONE)
    with pytest.raises(actions.TaskRuleError):
        actions.accept_product(task, government)  # no product yet
    with pytest.raises(actions.TaskRuleError):
        actions.submit_product(task, bca, "  ")
    actions.submit_product(task, bca, "https://vanban.chinhphu.vn/kien-truc-du-lieu")
    with pytest.raises(PermissionDenied):
        actions.accept_product(task, bca)  # the lead unit cannot accept its own product
    actions.accept_product(task, government)
    task.refresh_from_db()
    assert task.stage == Stage.DONE and task.progress == 100
    today = timezone.localdate()
    assert state_of(task, today) is (State.DONE_LATE if today > D(2025, 8, 31) else State.DONE_ON_TIME)
    kinds = list(TaskEvent.objects.filter(task=task).values_list("kind", flat=True))
    assert kinds == ["created", "progress", "product_submitted", "stage"]
    assert AuditEntry.objects.filter(object_key="T1", action="task.accepted").exists()


def test_other_units_may_not_update_a_task(make_user):
    task = make()
    with pytest.raises(PermissionDenied):
        actions.report_progress(task, make_user(Role.TASK_MANAGER, "BKHCN"), percent=10)


def test_extension_requested_and_approved_keeps_both_deadlines(make_user):
    task = make()
    bca, government = make_user(Role.TASK_MANAGER, "BCA"), make_user(Role.TASK_MANAGER, "CP")
    with pytest.raises(actions.TaskRuleError):
        actions.request_deadline_change(task, bca, "tháng 10/2025", reason="")
    change = actions.request_deadline_change(task, bca, "tháng 10/2025", reason="Chờ ý kiến các bộ")
    with pytest.raises(PermissionDenied):
        actions.decide_deadline_change(change, bca, True)
    actions.decide_deadline_change(change, government, True)
    task.refresh_from_db()
    assert (task.original_deadline, task.deadline) == (D(2025, 8, 31), D(2025, 10, 31))
    with pytest.raises(actions.TaskRuleError):
        actions.decide_deadline_change(change, government, False)


def test_pause_and_cancel_need_a_reason_and_the_assigner(make_user):
    task = make()
    government = make_user(Role.TASK_MANAGER, "CP")
    with pytest.raises(actions.TaskRuleError):
        actions.set_stage_by_assigner(task, government, Stage.PAUSED, "")
    with pytest.raises(PermissionDenied):
        actions.set_stage_by_assigner(task, make_user(Role.TASK_MANAGER, "BCA"), Stage.CANCELLED, "Không cần nữa")
    actions.set_stage_by_assigner(task, government, Stage.PAUSED, "Chờ luật sửa đổi")
    assert state_of(task, timezone.localdate()) is State.PAUSED  # paused today, as the timeline says


def test_a_task_for_all_ministries_and_localities_fans_out_and_rolls_up():
    parent = make("CSDL", lead=None, deadline_text="quý IV/2025", assignees="all_ministries_and_provinces")
    children = Task.objects.filter(parent=parent)
    assert children.count() == 17 + 34
    assert set(children.values_list("deadline", flat=True)) == {D(2025, 12, 31)}
    assert children.filter(lead_unit__code="79").exists() and children.filter(lead_unit__code="BCA").exists()
    children.filter(lead_unit__code__in=["BCA", "79"]).update(progress=100)
    assert actions.rolled_up_progress(parent) == round(200 / 51)


def test_a_task_of_a_dissolved_ministry_passes_to_its_main_successor():
    task = make("TTTT-2024", lead="BTTTT", deadline_text="trong tháng 7/2024", assigned_on=D(2024, 7, 10))
    assert task.assigned_unit.code == "BTTTT" and task.lead_unit.code == "BKHCN"


def test_overdue_figures_per_agency_as_of_a_day():
    make("A1", lead="BCA")
    make("A2", lead="BCA", deadline_text="quý IV/2025")
    make("A3", lead="BNV", deadline_text="tháng 7/2025")
    figures = {u.code: f for u, f in figures_by_unit(D(2025, 9, 15))}
    assert (figures["BCA"].total, figures["BCA"].overdue, figures["BCA"].overdue_days) == (2, 1, [15])
    assert figures["BNV"].overdue_days == [46]
    before = {u.code: f for u, f in figures_by_unit(D(2025, 8, 1))}
    assert before["BCA"].overdue == 0 and before["BNV"].overdue == 1
