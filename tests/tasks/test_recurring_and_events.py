"""Recurring tasks get one occurrence per period; every task change emits the change event values emit."""

import datetime

import pytest

from govkpi.events.models import ChangeEvent
from govkpi.tasks import actions
from govkpi.tasks.models import Task

pytestmark = pytest.mark.django_db
D = datetime.date


def test_a_monthly_briefing_gets_one_occurrence_per_month_through_today(unit):
    task = actions.create_task(code="GB", title="Giao ban hằng tháng", assigned_on=D(2025, 2, 6), lead=unit("BCA"),
                               deadline_text="hằng tháng")
    occurrences = list(Task.objects.filter(parent=task).order_by("deadline"))
    assert occurrences[0].code == "GB@202502" and occurrences[0].deadline == D(2025, 2, 28)
    today = datetime.date.today()
    assert occurrences[-1].deadline >= today and len(occurrences) >= 21  # Feb 2025 … the current month
    assert all(o.lead_unit.code == "BCA" and o.period for o in occurrences)
    # Rolling later adds only the new months, once.
    added = actions.create_occurrences(task, through=today + datetime.timedelta(days=62))
    assert len(added) == 2 and actions.create_occurrences(task, through=today + datetime.timedelta(days=62)) == []


def test_a_recurring_task_for_all_provinces_recurs_per_province(unit):
    task = actions.create_task(code="QB", title="Báo cáo quý", assigned_on=D(2026, 1, 5), lead=None,
                               assignees="all_provinces", deadline_text="hằng quý")
    provinces = Task.objects.filter(parent=task)
    assert provinces.count() == 34
    hanoi = provinces.get(lead_unit__code="01")
    assert list(Task.objects.filter(parent=hanoi).values_list("period", flat=True).order_by("period"))[:2] == [
        "2026Q1", "2026Q2"]


def test_task_changes_emit_change_events(make_user, unit):
    before = ChangeEvent.objects.filter(kind="task").count()
    task = actions.create_task(code="EV-1", title="Từ điển dữ liệu", assigned_on=D(2025, 2, 6), lead=unit("BCA"),
                               deadline_text="tháng 8/2025")
    actions.report_progress(task, make_user("task_manager", "BCA"), percent=30)
    events = list(ChangeEvent.objects.filter(kind="task").order_by("id"))[before:]
    assert [(e.payload["task"], e.payload["change"], e.units) for e in events] == [
        ("EV-1", "created", ["BCA"]), ("EV-1", "progress", ["BCA"])]
