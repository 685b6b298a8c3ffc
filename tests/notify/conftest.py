"""Notifications built the one way producers build them: notify.outbox.notify(Message(...), recipients)."""

from __future__ import annotations

import datetime
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine

from govkpi.accounts.roles import Role
from govkpi.notify.kinds import Kind
from govkpi.notify.outbox import Message, notify

VN = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=VN)  # an explicit day: nothing here reads today's date


@pytest.fixture
def person(make_user):
    """A person with an e-mail address holding a role at a unit."""
    counter = itertools.count(1)

    def make(unit_code: str = "01", email: bool = True, role: str = Role.DATA_ENTRY):
        user = make_user(role, unit_code)
        if email:
            user.email = f"person{next(counter)}-{user.pk}@example.gov.vn"
            user.save(update_fields=["email"])
        return user

    return make


@pytest.fixture
def send(unit):
    """notify() a message at a given moment (default T0), about a unit (default Hà Nội)."""

    def make(key: str, recipients, *, at: datetime.datetime = T0, kind: Kind = Kind.TASK_DUE,
             unit_code: str | None = "01", **fields):
        message = Message(kind=kind, key=key, title_vi=fields.pop("title_vi", f"Nhiệm vụ {key} sắp đến hạn"),
                          title_en=fields.pop("title_en", f"Task {key} is due soon"),
                          unit=unit(unit_code) if unit_code else None,
                          link=fields.pop("link", f"/tasks/{key}/"), **fields)
        with time_machine.travel(at, tick=False):
            return notify(message, recipients)

    return make
