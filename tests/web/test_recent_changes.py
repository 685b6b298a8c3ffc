"""The "Thay đổi hôm nay" (changes today) panel: the words and the numbers of real writes, as shown."""

import datetime
from typing import get_args

import pytest
from django.utils import translation

from govkpi.accounts.roles import Role
from govkpi.datavalues import approval
from govkpi.datavalues.writer import Item, write_values
from govkpi.events.types import TaskChange
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import Kind, OrgUnit
from govkpi.reads.changes import TASK_CHANGES, recent_changes
from govkpi.reads.visibility import Viewer
from govkpi.tasks import actions

pytestmark = pytest.mark.django_db
SEPTEMBER = "202509"
DAY = datetime.date(2025, 10, 10)  # September is open for reporting on this day


@pytest.fixture
def elements(db):  # noqa: ANN001
    return [DataElement.objects.create(code=code, name_vi=code, value_type="count", frequency="monthly",
                                       unit_kinds=["ministry", "province"]) for code in ("DVC_TONG", "DVC_TOANTRINH")]


def write(*values):
    items = [Item(index=i, data_element=element, unit=unit, period=SEPTEMBER, value=value)
             for i, (element, unit, value) in enumerate(values)]
    result = write_values(items, actor=None, channel="api", check_windows=False, today=DAY)
    assert result.written and not result.conflicts, result.conflicts
    return result


@pytest.fixture
def reader(make_user):
    """A national reader: it hears of every change; the public only of official figures, targets and tasks."""
    return make_user(Role.VIEWER, "CP")


def newest_line(user):
    return recent_changes(Viewer(user)).items[0]


def test_a_real_write_says_how_many_values_were_written_and_where(elements, unit, client, reader):
    write(("DVC_TONG", "01", 400), ("DVC_TONG", "79", 900), ("DVC_TONG", "48", 120))
    names = ", ".join(unit(code).short_name for code in ("01", "48", "79"))
    line = newest_line(reader)
    assert line.kind == "datavalues" and line.text == f"3 giá trị số liệu được ghi — {names}"
    assert "giá trị số liệu được ghi" not in client.get("/panels/changes/").content.decode()  # not to the public
    client.force_login(reader)
    html = client.get("/panels/changes/").content.decode()
    assert f"3 giá trị số liệu được ghi — {names}" in html and "?" not in line.text
    with translation.override("en"):
        assert newest_line(reader).text == f"3 data values written — {names}"


def test_a_second_write_counts_only_the_values_it_changed(elements, unit, reader):
    write(("DVC_TONG", "01", 400), ("DVC_TOANTRINH", "01", 100))
    write(("DVC_TONG", "01", 400), ("DVC_TOANTRINH", "01", 150))  # one unchanged, one updated
    line = newest_line(reader)
    assert line.text == f"1 giá trị số liệu được ghi — {unit('01').short_name}" and line.link == "/units/01/"


def test_a_large_write_is_counted_with_vietnamese_digit_grouping(reader):
    codes = [f"SO_LIEU_{i}" for i in range(10)]
    for code in codes:
        DataElement.objects.create(code=code, name_vi=code, value_type="count", frequency="monthly",
                                   unit_kinds=["province"])
    provinces = OrgUnit.objects.valid_on(DAY).filter(kind=Kind.PROVINCE).values_list("code", flat=True)
    cells = [(e, u, p) for e in codes for u in provinces for p in ("202507", "202508", SEPTEMBER)]
    items = [Item(index=i, data_element=e, unit=u, period=p, value=5) for i, (e, u, p) in enumerate(cells)]
    assert len(items) == 1020  # 34 provinces since 1 July 2025
    assert not write_values(items, actor=None, channel="api", check_windows=False, today=DAY).conflicts
    assert newest_line(reader).text.startswith("1.020 giá trị số liệu được ghi — ")


def test_task_and_approval_changes_are_worded(unit, make_user, reader):
    actions.create_task(code="EV-9", title="Từ điển dữ liệu", assigned_on=datetime.date(2025, 2, 6),
                        lead=unit("BCA"), deadline_text="tháng 8/2025")
    line = newest_line(reader)
    assert line.text == f"Nhiệm vụ EV-9 được giao — {unit('BCA').short_name}" and line.link == "/tasks/EV-9/"
    approval.submit(unit("01"), SEPTEMBER, make_user(Role.DATA_ENTRY, "01"))
    assert newest_line(reader).text == f"Phê duyệt số liệu kỳ {SEPTEMBER}: Đã gửi phê duyệt — {unit('01').short_name}"


def test_every_declared_task_change_has_words():
    assert set(TASK_CHANGES) == set(get_args(TaskChange))
