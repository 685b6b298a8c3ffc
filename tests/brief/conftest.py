"""A realistic small dataset for the briefs: the small catalog, July 2025 reported by five provinces and a
ministry and approved for four of them (official from 16 August), August written but still being reported on
5 September, tasks overdue and soon due. Each step on its own day (time-machine), never today's date."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from govkpi.accounts.roles import Role
from govkpi.datavalues.writer import Item, write_values
from govkpi.evaluation import engine
from govkpi.indicators.catalog import apply_catalog
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks import actions

TZ = datetime.timezone(datetime.timedelta(hours=7))
LOADED = datetime.datetime(2025, 8, 1, 9, tzinfo=TZ)
REPORTED = datetime.datetime(2025, 8, 5, 10, tzinfo=TZ)  # July being reported (due 15 August)
OFFICIAL = datetime.datetime(2025, 8, 20, 10, tzinfo=TZ)  # July official
AS_OF = datetime.datetime(2025, 9, 5, 10, tzinfo=TZ)  # August written, still being reported
JULY_VALUES = {"01": (1500, 2000), "79": (2451, 8000), "48": (900, 1000), "31": (300, 1200), "92": (200, 1000),
               "BCA": (700, 1000)}
APPROVED = ("01", "79", "48", "31", "BCA")  # 92 (Cần Thơ) reported July but was never approved


def write(period: str, values: dict[str, tuple[int, int]]) -> None:
    items = []
    for i, (code, (done, total)) in enumerate(sorted(values.items())):
        items += [Item(2 * i, "DVC_TOANTRINH", period, code, done), Item(2 * i + 1, "DVC_TONG", period, code, total)]
    result = write_values(items, actor=None, channel="api", check_windows=False)
    assert not result.conflicts, result.conflicts


@pytest.fixture
def dataset(small_catalog, approve, unit):
    for element in small_catalog["data_elements"]:
        element.update(frequency="monthly")
    with time_machine.travel(LOADED, tick=False):
        assert apply_catalog(small_catalog).ok
        engine.process_pending()
    with time_machine.travel(REPORTED, tick=False):
        write("202507", JULY_VALUES)
        approve("202507", *APPROVED)
        actions.create_task(code="BR-1", title="Hoàn thành cơ sở dữ liệu quốc gia về dân cư", lead=unit("BCA"),
                            assigned_on=datetime.date(2025, 2, 6), deadline_text="tháng 7/2025")
        actions.create_task(code="BR-2", title="Số hóa hồ sơ thủ tục hành chính cấp tỉnh", lead=unit("01"),
                            assigned_on=datetime.date(2025, 3, 1), deadline_text="ngày 10/9/2025")
        actions.create_task(code="BR-3", title="Kết nối cổng dịch vụ công với Đề án 06", lead=unit("79"),
                            assigned_on=datetime.date(2025, 3, 1), deadline_text="tháng 12/2025")
        engine.process_pending()
    with time_machine.travel(OFFICIAL, tick=False):
        engine.process_pending()
    with time_machine.travel(AS_OF - datetime.timedelta(days=1), tick=False):
        # August: Hà Nội much better, TP. Hồ Chí Minh worse; written, not approved, the month still reported.
        write("202508", {"01": (1900, 2000), "79": (1000, 8000), "48": (950, 1000), "BCA": (800, 1000)})
        engine.process_pending()
    return AS_OF


@pytest.fixture
def national_reader(make_user):
    return make_user(Role.VIEWER, "CP")


@pytest.fixture
def hanoi_reader(make_user):
    return make_user(Role.VIEWER, "01")


def unit_named(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)
