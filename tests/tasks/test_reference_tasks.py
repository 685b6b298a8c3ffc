"""The seed articles' tasks load with their words, dates, units and 6 rõ gaps."""

import datetime

import pytest

from govkpi.indicators.catalog import REFERENCE_CATALOG, apply_catalog, load_yaml
from govkpi.tasks.models import Task
from govkpi.tasks.reference import REFERENCE_TASKS, load_reference_tasks
from govkpi.reads.task_rows import clarity

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    assert apply_catalog(load_yaml(REFERENCE_CATALOG)).ok  # the meetings the tasks come from
    created, problems = load_reference_tasks()
    assert problems == []
    return created


def test_every_seed_task_loads_once(seeded):
    import yaml

    expected = len(yaml.safe_load(REFERENCE_TASKS.read_text(encoding="utf-8"))["tasks"])
    assert seeded == expected >= 90
    assert Task.objects.filter(parent__isnull=True).count() == expected
    assert load_reference_tasks() == (0, [])



def test_seed_task_facts(seeded):
    task = Task.objects.get(title__startswith="Trình ban hành Kiến trúc dữ liệu tổng thể quốc gia")
    assert task.lead_unit.code == "BCA" and task.deadline == datetime.date(2025, 8, 31)
    assert task.deadline_text.endswith("tháng 8/2025")
    assert task.stage == "not_started" and not task.demo_status  # statuses are not reported by the articles


def test_2024_tasks_of_the_dissolved_ministry_pass_to_its_successor(seeded):
    tasks = Task.objects.filter(assigned_unit__code="BTTTT", parent__isnull=True)
    assert tasks.exists()
    assert set(tasks.values_list("lead_unit__code", flat=True)) == {"BKHCN"}


def test_tasks_without_owner_or_date_show_up_as_unclear(seeded):
    unclear = [t for t in Task.objects.filter(parent__isnull=True) if clarity(t)]
    no_time = [t for t in unclear if "time" in clarity(t)]
    assert len(no_time) >= 50 and len(unclear) >= len(no_time)
    fanned = Task.objects.filter(parent__isnull=False)
    assert fanned.exists() and fanned.values("parent").distinct().count() >= 20
