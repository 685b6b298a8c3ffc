"""Recurring tasks get one occurrence per period; every task change emits the change event values emit."""

import datetime

import pytest
from django.utils import timezone

from govkpi.core.periods import PeriodType, period_of, periods_between
from govkpi.events.models import ChangeEvent
from govkpi.events.types import parse
from govkpi.tasks import actions
from govkpi.tasks.models import Task

pytestmark = pytest.mark.django_db
D = datetime.date


def test_a_monthly_briefing_gets_one_occurrence_per_month_through_today(unit):
    task = actions.create_task(code="GB", title="Giao ban hằng tháng", assigned_on=D(2025, 2, 6), lead=unit("BCA"),
                               deadline_text="hằng tháng")
    occurrences = list(Task.objects.filter(parent=task).order_by("deadline"))
    assert occurrences[0].code == "GB@202502" and occurrences[0].deadline == D(2025, 2, 28)
    today = timezone.localdate()
    this_month = period_of(PeriodType.MONTHLY, today)
    assert occurrences[-1].deadline >= today and occurrences[-1].period == this_month.id
    assert len(occurrences) == (today.year - 2025) * 12 + today.month - 1  # Feb 2025 … this month
    assert all(o.lead_unit.code == "BCA" and o.period for o in occurrences)
    # Rolling later adds only the new months, once (two months on, counted in months: 62 days reach March
    # from 31 December).
    later = this_month.next().next().start
    added = actions.create_occurrences(task, through=later)
    assert len(added) == 2 and actions.create_occurrences(task, through=later) == []


def test_a_recurring_task_for_all_provinces_recurs_per_province(unit):
    task = actions.create_task(code="QB", title="Báo cáo quý", assigned_on=D(2026, 1, 5), lead=None,
                               assignees="all_provinces", deadline_text="hằng quý")
    provinces = Task.objects.filter(parent=task)
    assert provinces.count() == 34
    hanoi = provinces.get(lead_unit__code="01")
    # One per quarter from 2026Q1 through this quarter (2026Q1, 2026Q2, …).
    quarters = [p.id for p in periods_between(PeriodType.QUARTERLY, D(2026, 1, 1), timezone.localdate())]
    assert list(Task.objects.filter(parent=hanoi).values_list("period", flat=True).order_by("period")) == quarters


def test_task_changes_emit_change_events(make_user, unit):
    before = ChangeEvent.objects.filter(kind="task").count()
    task = actions.create_task(code="EV-1", title="Từ điển dữ liệu", assigned_on=D(2025, 2, 6), lead=unit("BCA"),
                               deadline_text="tháng 8/2025")
    actions.report_progress(task, make_user("task_manager", "BCA"), percent=30)
    events = list(ChangeEvent.objects.filter(kind="task").order_by("id"))[before:]
    assert [(parse(e).task, parse(e).change, e.units) for e in events] == [
        ("EV-1", "created", ["BCA"]), ("EV-1", "progress", ["BCA"])]
