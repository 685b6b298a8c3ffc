"""Raising, answering, resolving, withdrawing and turning a problem into a task: who may, the states, the audit
trail, the notices with their exact recipients, and the overdue reminder sent once."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from govkpi.audit.models import AuditEntry
from govkpi.notify.kinds import Kind
from govkpi.notify.models import Notification
from govkpi.problems import actions
from govkpi.problems.models import ProblemKind, ProblemState
from govkpi.problems.reminders import problem_reminders
from govkpi.tasks.actions import assigner_unit
from govkpi.tasks.models import Task

from .conftest import RAISED, TZ

pytestmark = pytest.mark.django_db


def _raise(people, task, on_day, **fields):
    with on_day(RAISED):
        return actions.raise_problem(people["hanoi"], kind=ProblemKind.OBSTACLE, task=task,
                                     title=fields.pop("title", "Thiếu quyền truy cập CSDL dân cư"),
                                     blocks="Chưa được cấp tài khoản khai thác dữ liệu.",
                                     since=datetime.date(2026, 2, 10), proposal="Cấp tài khoản cho 30 phường.",
                                     **fields)


def _notified(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_a_lead_unit_raises_a_problem_to_the_task_assigner_who_is_told(people, task, on_day, unit):
    problem = _raise(people, task, on_day)
    assert assigner_unit(task) == unit("BCA")
    assert (problem.raising_unit.code, problem.acting_unit.code, problem.state) == ("01", "BCA", ProblemState.OPEN)
    assert problem.answer_due == datetime.date(2026, 3, 17)  # 15 days (PROBLEM_ANSWER_DAYS) after 02/03
    # The acting unit's task managers: its task manager and its unit admin; nobody of Hà Nội, the CP or BTC.
    assert _notified(Kind.PROBLEM_RAISED) == ["bca.nv", "bca.qt"]
    note = Notification.objects.filter(kind=Kind.PROBLEM_RAISED).first()
    assert note.link == f"/problems/{problem.pk}/" and "BCA-LS-1" in note.title_vi
    entry = AuditEntry.objects.filter(action="problem.raise").get()
    assert (entry.actor, entry.object_key, entry.unit) == ("hanoi.nv", str(problem.pk), "01")
    assert entry.after["acting_unit"] == "BCA" and entry.after["task"] == "BCA-LS-1"
    assert [(e.kind, e.state) for e in problem.events.all()] == [("raised", "open")]


def test_only_the_lead_units_task_managers_raise_on_a_task(people, task, on_day):
    with on_day(RAISED):
        for who in ("hanoi_viewer", "bca", "hue"):
            with pytest.raises((PermissionDenied, actions.ProblemRuleError)):
                actions.raise_problem(people[who], kind=ProblemKind.OBSTACLE, task=task, title="x", blocks="y")
        with pytest.raises(actions.ProblemRuleError) as refused:  # Huế is not the task's lead unit
            actions.raise_problem(people["hue"], kind=ProblemKind.OBSTACLE, task=task, title="x", blocks="y",
                                  raising_unit=task.lead_unit.__class__.objects.get(code="46"))
    assert refused.value.code == "not_lead"
    assert not Notification.objects.exists() and not AuditEntry.objects.filter(action="problem.raise").exists()


def test_a_problem_on_its_own_goes_to_the_named_agency_and_needs_one(people, on_day, unit):
    with on_day(RAISED):
        with pytest.raises(actions.ProblemRuleError) as refused:
            actions.raise_problem(people["hue"], kind=ProblemKind.BOTTLENECK, raising_unit=unit("46"),
                                  title="Chưa có hướng dẫn thu phí", blocks="Thông tư chưa ban hành.")
        assert refused.value.code == "acting_unit"
        problem = actions.raise_problem(people["hue"], kind=ProblemKind.BOTTLENECK, raising_unit=unit("46"),
                                        acting_unit=unit("BTC"), title="Chưa có hướng dẫn thu phí",
                                        blocks="Thông tư chưa ban hành.")
    assert problem.task is None and problem.acting_unit.code == "BTC"
    assert _notified(Kind.PROBLEM_RAISED) == ["btc.nv"]


def test_empty_words_a_future_date_and_oneself_are_refused(people, task, on_day, unit):
    with on_day(RAISED):
        for fields, code in (({"title": " "}, "required"), ({"since": datetime.date(2026, 3, 3)}, "since_future"),
                             ({"acting_unit": unit("01")}, "self"), ({"kind": "other"}, "kind")):
            arguments = {"kind": ProblemKind.OBSTACLE, "title": "Tiêu đề", "blocks": "Nội dung", **fields}
            with pytest.raises(actions.ProblemRuleError) as refused:
                actions.raise_problem(people["hanoi"], task=task, **arguments)
            assert refused.value.code == code


def test_the_assigner_answers_and_the_raising_unit_is_told(people, task, on_day):
    problem = _raise(people, task, on_day)
    with on_day(RAISED + datetime.timedelta(days=3)):
        for who in ("hanoi", "btc", "cp_viewer"):
            with pytest.raises(PermissionDenied):
                actions.answer(problem, people[who], "Đã cấp.")
        actions.answer(problem, people["bca"], "Đã cấp tài khoản cho 30 phường từ 05/03/2026.")
        with pytest.raises(actions.ProblemRuleError):  # answered once
            actions.answer(problem, people["bca"], "Lần nữa.")
    problem.refresh_from_db()
    assert (problem.state, problem.answered_by) == (ProblemState.ANSWERED, "bca.nv")
    assert _notified(Kind.PROBLEM_ANSWERED) == ["hanoi.nv", "hanoi.nv2"]
    entry = AuditEntry.objects.filter(action="problem.answer").get()
    assert entry.before == {"state": "open"} and entry.after["late"] is False


def test_resolve_by_either_side_withdraw_by_the_raiser_only(people, task, on_day):
    first = _raise(people, task, on_day)
    second = _raise(people, task, on_day, title="Thiếu kinh phí")
    with on_day(RAISED + datetime.timedelta(days=1)):
        with pytest.raises(PermissionDenied):
            actions.withdraw(first, people["bca"], "Không cần nữa")
        with pytest.raises(actions.ProblemRuleError):
            actions.withdraw(first, people["hanoi"], " ")
        actions.withdraw(first, people["hanoi"], "Đã tự xử lý")
        actions.resolve(second, people["bca"], "Đã bố trí kinh phí")
        with pytest.raises(actions.ProblemRuleError):
            actions.resolve(first, people["hanoi"])
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (ProblemState.WITHDRAWN, ProblemState.RESOLVED)
    assert set(AuditEntry.objects.filter(action__in=["problem.withdrawn", "problem.resolved"])
               .values_list("action", "actor")) == {("problem.withdrawn", "hanoi.nv"), ("problem.resolved", "bca.nv")}


def test_the_acting_agency_turns_it_into_a_task_through_the_tasks_write_path(people, task, on_day, unit):
    problem = _raise(people, task, on_day)
    with on_day(RAISED + datetime.timedelta(days=2)):
        with pytest.raises(PermissionDenied):
            actions.turn_into_task(problem, people["hanoi"], deadline_text="tháng 4/2026")
        with pytest.raises(actions.ProblemRuleError) as refused:
            actions.turn_into_task(problem, people["bca"], deadline_text="ngày 45/13/2026")
        assert refused.value.code == "deadline_unreadable"
        made = actions.turn_into_task(problem, people["bca"], title="Cấp tài khoản khai thác CSDL cho Hà Nội",
                                      deadline_text="tháng 4/2026")
    problem.refresh_from_db()
    assert problem.state == ProblemState.TASKED and problem.outcome_task == made
    made = Task.objects.get(pk=made.pk)
    assert (made.lead_unit, made.deadline) == (unit("BCA"), datetime.date(2026, 4, 30))
    assert made.directive.issuing_body == unit("BCA") and assigner_unit(made) == unit("BCA")
    assert made.code.startswith(made.directive.code)
    assert made.content == "Cấp tài khoản cho 30 phường." and f"#{problem.pk}" in made.notes
    assert AuditEntry.objects.filter(action="task.create", object_key=made.code).exists()
    assert AuditEntry.objects.filter(action="problem.tasked").get().after["task"] == made.code
    assert list(made.from_problems.all()) == [problem]


def test_an_overdue_answer_is_told_to_the_acting_unit_once(people, task, on_day):
    problem = _raise(people, task, on_day)
    answered = _raise(people, task, on_day, title="Đã trả lời kịp")
    with on_day(RAISED + datetime.timedelta(days=5)):
        actions.answer(answered, people["bca"], "Đã xử lý.")
    on_last_day = datetime.datetime(2026, 3, 17, 23, 59, tzinfo=TZ)
    assert problem_reminders(on_last_day) == 0  # the 17th is still a day to answer
    day_after = datetime.datetime(2026, 3, 18, 0, 1, tzinfo=TZ)
    with on_day(day_after):
        assert problem_reminders(day_after) == 2  # bca.nv and bca.qt, for the unanswered one only
        assert problem_reminders(day_after + datetime.timedelta(days=3)) == 0
    notes = Notification.objects.filter(kind=Kind.PROBLEM_OVERDUE)
    assert sorted(n.recipient.username for n in notes) == ["bca.nv", "bca.qt"]
    assert {n.key for n in notes} == {f"problem-overdue:{problem.pk}"} and "1 ngày" in notes[0].title_vi
    with on_day(day_after + datetime.timedelta(days=4)):
        actions.answer(problem, people["bca"], "Trả lời muộn.")
    assert AuditEntry.objects.filter(action="problem.answer").last().after["late"] is True
