"""Writes that race on PostgreSQL keep what the writer enforces alone (datavalues.cells): a second writer of a
cell, or an approval step, waits for the first to commit and then decides on what it committed.

Each test holds one side open inside its transaction (the real writer or approval step, then a pause before the
commit), starts the other side, checks that it waits, lets the first commit and looks at what landed. Before the
cells' locks each of these stored what the issue reports: a value written into data submitted a moment earlier,
a part of 2400 beside a whole of 2200, two history rows claiming the same previous value, a unique-key error."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction

from govkpi.accounts.roles import Role
from govkpi.datavalues import approval, cells
from govkpi.datavalues.models import DataApproval, DataValue, DataValueHistory
from govkpi.datavalues.writer import Item, write_values

pytestmark = [pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="SQLite lets one writer in at a time: nothing to race"),
              pytest.mark.django_db(transaction=True)]

WAIT = 0.8  # how long the second side is given to (wrongly) go through while the first is open
PROVINCES = ["01", "04", "08", "11", "12", "14", "15", "19", "20", "22", "24", "25", "31", "33", "37", "38", "40",
             "42", "44", "46", "48", "51", "52", "56", "66", "68", "75", "79", "80", "82", "86", "91", "92", "96"]


class Race:
    """`first` runs in a transaction that stays open until `release`; `second` starts once `first` is done."""

    def __init__(self, first: Callable[[], object], second: Callable[[], object]) -> None:
        self.outcome: dict[str, object] = {}
        self._first_done, self._release, self._second_done = threading.Event(), threading.Event(), threading.Event()
        self._threads = [threading.Thread(target=self._run_first, args=(first,)),
                         threading.Thread(target=self._run_second, args=(second,))]

    def _run_first(self, first: Callable[[], object]) -> None:
        try:
            with transaction.atomic():
                self.outcome["first"] = first()
                self._first_done.set()
                self._release.wait(15)
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.outcome["first"] = error
        finally:
            self._first_done.set()
            connections.close_all()

    def _run_second(self, second: Callable[[], object]) -> None:
        try:
            self.outcome["second"] = second()
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.outcome["second"] = error
        finally:
            self._second_done.set()
            connections.close_all()

    def run(self) -> bool:
        """Run both; True if the second side waited for the first's commit."""
        self._threads[0].start()
        assert self._first_done.wait(15)
        assert not isinstance(self.outcome.get("first"), Exception), self.outcome["first"]
        self._threads[1].start()
        waited = not self._second_done.wait(WAIT)
        self._release.set()
        for thread in self._threads:
            thread.join(15)
        return waited


def _write(actor, items: list[Item]):
    return write_values(items, actor=actor, channel="api", check_windows=False)


def _padded(item: Item, element: str, month: str, padding: bool) -> list[Item]:
    """The item alone (the light path), or among other provinces' values (past LIGHT_BATCH: the set-based path)."""
    if not padding:
        return [item]
    others = [Item(i + 1, element, month, code, 1) for i, code in enumerate(c for c in PROVINCES if c != item.unit)]
    others += [Item(len(others) + 1 + i, "DVC_TOANTRINH", month, code, 0)
               for i, code in enumerate(c for c in PROVINCES if c != item.unit)]
    return [item, *others]


PATHS = pytest.mark.parametrize("padding", [False, True], ids=["light", "set-based"])


@PATHS
def test_a_write_waits_for_a_submit_in_flight_and_is_refused_after_it(elements, month, make_user, unit, padding):
    clerk = make_user(Role.DATA_ENTRY, "CP")
    _write(clerk, [Item(0, "DVC_TONG", month, "01", 400)])
    assert not DataApproval.objects.filter(unit__code="01", period=month).exists()  # nothing to lock a row on
    race = Race(lambda: approval.submit(unit("01"), month, clerk),
                lambda: _write(clerk, _padded(Item(0, "DVC_TONG", month, "01", 999), "DVC_TONG", month, padding)))
    assert race.run(), "the write went through while the submit was still open"
    result = race.outcome["second"]
    assert [c.code for c in result.conflicts if c.index == 0] == ["submitted_locked"]
    assert DataValue.objects.get(data_element__code="DVC_TONG", unit__code="01", period=month).value == "400"


@PATHS
def test_a_submit_waits_for_a_write_in_flight(elements, month, make_user, unit, padding):
    clerk = make_user(Role.DATA_ENTRY, "CP")
    _write(clerk, [Item(0, "DVC_TONG", month, "01", 400)])
    race = Race(lambda: _write(clerk, _padded(Item(0, "DVC_TONG", month, "01", 401), "DVC_TONG", month, padding)),
                lambda: approval.submit(unit("01"), month, clerk))
    assert race.run(), "the submit went through while the write was still open"
    assert race.outcome["first"].status == "SUCCESS"
    assert DataApproval.objects.get(unit__code="01", period=month).state == "submitted"
    assert DataValue.objects.get(data_element__code="DVC_TONG", unit__code="01", period=month).value == "401"


def test_an_approval_waits_for_a_write_in_flight_and_digests_what_it_wrote(elements, month, make_user, unit):
    clerk, approver = make_user(Role.DATA_ENTRY, "01"), make_user(Role.APPROVER, "CP")
    _write(clerk, [Item(0, "DVC_TONG", month, "01", 400)])
    approval.submit(unit("01"), month, clerk)
    approval.return_to_unit(unit("01"), month, approver, "sửa lại / fix it")
    approval.submit(unit("01"), month, clerk)
    approval.return_to_unit(unit("01"), month, approver, "thêm số liệu / add a value")
    race = Race(lambda: _write(clerk, [Item(0, "DVC_TOANTRINH", month, "01", 100)]),
                lambda: (approval.submit(unit("01"), month, clerk), approval.approve(unit("01"), month, approver)))
    assert race.run()
    assert DataApproval.objects.get(unit__code="01", period=month).approved_values == 2
    assert approval.verify(unit("01"), month).intact


@PATHS
def test_a_part_and_its_whole_written_at_once_still_keep_the_rule(elements, month, make_user, padding):
    clerk = make_user(Role.DATA_ENTRY, "CP")
    _write(clerk, [Item(0, "DVC_TONG", month, "01", 2400), Item(1, "DVC_TOANTRINH", month, "01", 2000)])
    race = Race(lambda: _write(clerk, [Item(0, "DVC_TONG", month, "01", 2200)]),
                lambda: _write(clerk, _padded(Item(0, "DVC_TOANTRINH", month, "01", 2400), "DVC_TONG", month, padding)))
    assert race.run()
    assert race.outcome["first"].status == "SUCCESS"
    assert [c.code for c in race.outcome["second"].conflicts if c.index == 0] == ["rule:DVC_TOANTRINH_LE_TONG"]
    stored = dict(DataValue.objects.filter(unit__code="01", period=month).values_list("data_element__code", "number"))
    assert stored == {"DVC_TONG": 2200, "DVC_TOANTRINH": 2000}


@PATHS
def test_two_updates_of_one_value_chain_their_history(elements, month, make_user, padding):
    clerk = make_user(Role.DATA_ENTRY, "CP")
    _write(clerk, [Item(0, "DVC_TONG", month, "01", 100)])
    race = Race(lambda: _write(clerk, [Item(0, "DVC_TONG", month, "01", 200)]),
                lambda: _write(clerk, _padded(Item(0, "DVC_TONG", month, "01", 300), "DVC_TONG", month, padding)))
    assert race.run()
    chain = list(DataValueHistory.objects.filter(data_element__code="DVC_TONG", unit__code="01", period=month)
                 .order_by("id").values_list("previous_value", "new_value"))
    assert chain == [("100", "200"), ("200", "300")]
    assert DataValue.objects.get(data_element__code="DVC_TONG", unit__code="01", period=month).value == "300"


@PATHS
def test_two_creates_of_one_value_make_one_value_and_an_update(elements, month, make_user, padding):
    clerk = make_user(Role.DATA_ENTRY, "CP")
    race = Race(lambda: _write(clerk, [Item(0, "DVC_TONG", month, "01", 5)]),
                lambda: _write(clerk, _padded(Item(0, "DVC_TONG", month, "01", 6), "DVC_TONG", month, padding)))
    assert race.run()
    second = race.outcome["second"]
    assert not isinstance(second, Exception), second  # was an IntegrityError on the unique key
    assert (second.status, second.updated) == ("SUCCESS", 1)
    assert DataValue.objects.get(data_element__code="DVC_TONG", unit__code="01", period=month).value == "6"


def test_a_batch_of_many_cells_holds_its_periods_whole(elements, month, make_user, monkeypatch):
    """Past CELL_LIMIT cells a batch locks its periods, not each cell (the server's lock table is finite): a
    writer of another cell of the same month waits for it; a writer of another month does not."""
    monkeypatch.setattr(cells, "CELL_LIMIT", 3)
    clerk = make_user(Role.DATA_ENTRY, "CP")
    wide = [Item(i, "DVC_TONG", month, code, 10) for i, code in enumerate(PROVINCES[:5])]
    same_month = Race(lambda: _write(clerk, wide), lambda: _write(clerk, [Item(0, "DVC_TONG", month, "79", 7)]))
    assert same_month.run(), "a write of the same month went through while the wide batch was open"
    earlier = DataValue.objects.get(data_element__code="DVC_TONG", unit__code="79", period=month).period_start
    other = f"{earlier.year - 1}{earlier.month:02d}"
    other_month = Race(lambda: _write(clerk, wide), lambda: _write(clerk, [Item(0, "DVC_TONG", other, "79", 7)]))
    assert not other_month.run(), "a write of another month waited for the wide batch"
    assert other_month.outcome["second"].status == "SUCCESS"
