"""The submitted-data lock holds while a write is in flight (PostgreSQL): the writer reads the approval rows
FOR SHARE inside its transaction, so a submit (FOR UPDATE on its row) waits for the write to commit."""

import datetime
import threading

import pytest
from django.db import connection, connections, transaction

from govkpi.accounts.roles import Role
from govkpi.datavalues import approval
from govkpi.datavalues.models import DataApproval
from govkpi.core.periods import parse_period
from govkpi.datavalues.writer import Item, _Context, write_values

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="SQLite lets one writer in at a time: nothing to race")


@pytest.mark.django_db(transaction=True)
def test_a_submit_waits_for_a_write_in_flight(elements, month, make_user, unit):
    clerk, approver = make_user(Role.DATA_ENTRY, "01"), make_user(Role.APPROVER, "CP")
    write_values([Item(0, "DVC_TONG", month, "01", 400)], actor=clerk, channel="web")
    approval.submit(unit("01"), month, clerk)
    approval.return_to_unit(unit("01"), month, approver, "sửa lại / fix it")  # a row exists, open to writes
    written, release, submitted = threading.Event(), threading.Event(), threading.Event()
    outcome = {}

    def write():
        try:
            with transaction.atomic():
                # The writer's own check, then a pause before its values land (where, unlocked, a submit
                # slipped in: the audit trail's lock comes later, when the write records itself).
                context = _Context(clerk, datetime.date(2026, 12, 2), check_windows=False)
                outcome["lock"] = context.lock_of(unit("01"), parse_period(month))
                written.set()
                release.wait(10)
                outcome["write"] = write_values([Item(0, "DVC_TONG", month, "01", 401)], actor=clerk,
                                                channel="web", check_windows=False).status
        finally:
            written.set()
            connections.close_all()

    def submit():
        try:
            approval.submit(unit("01"), month, clerk)
            submitted.set()
        finally:
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    assert written.wait(10)
    submitter = threading.Thread(target=submit)
    submitter.start()
    assert not submitted.wait(1.0), "the submit went through while the write was still in flight"
    release.set()
    writer.join(10)
    submitter.join(10)
    assert submitted.is_set() and outcome["lock"] is None and outcome["write"] == "SUCCESS"
    assert DataApproval.objects.get(unit__code="01", period=month).state == "submitted"
