"""A task Bộ Công an gave Hà Nội (by its official letter), the people of both sides, and a day to stand on."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from govkpi.accounts.roles import Role
from govkpi.tasks import actions
from govkpi.tasks.models import Directive, DirectiveKind

TZ = datetime.timezone(datetime.timedelta(hours=7))
RAISED = datetime.datetime(2026, 3, 2, 9, tzinfo=TZ)  # a Monday; the answer is due 17/03/2026 (15 days)


@pytest.fixture
def on_day():
    """Travel to a moment for the block: `with on_day(moment): ...`."""
    return lambda moment: time_machine.travel(moment, tick=False)


@pytest.fixture
def task(unit, on_day):
    with on_day(RAISED - datetime.timedelta(days=30)):
        letter = Directive.objects.create(code="CV-BCA-12", kind=DirectiveKind.OFFICIAL_LETTER, number="12/BCA",
                                          issued_on=datetime.date(2026, 1, 30), issuing_body=unit("BCA"),
                                          title="Làm sạch dữ liệu dân cư")
        return actions.create_task(code="BCA-LS-1", title="Làm sạch dữ liệu dân cư trên địa bàn", lead=unit("01"),
                                   directive=letter, assigned_on=datetime.date(2026, 1, 30),
                                   deadline_text="tháng 6/2026")


@pytest.fixture
def people(make_user):
    return {"hanoi": make_user(Role.TASK_MANAGER, "01", "hanoi.nv"),
            "hanoi2": make_user(Role.TASK_MANAGER, "01", "hanoi.nv2"),
            "hanoi_viewer": make_user(Role.VIEWER, "01", "hanoi.xem"),
            "bca": make_user(Role.TASK_MANAGER, "BCA", "bca.nv"),
            "bca_admin": make_user(Role.UNIT_ADMIN, "BCA", "bca.qt"),
            "btc": make_user(Role.TASK_MANAGER, "BTC", "btc.nv"),
            "hue": make_user(Role.TASK_MANAGER, "46", "hue.nv"),
            "cp": make_user(Role.TASK_MANAGER, "CP", "cp.nv"),
            "cp_viewer": make_user(Role.VIEWER, "CP", "cp.xem")}
