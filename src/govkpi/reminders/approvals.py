"""The approval loop's alerts, from the change events: data returned → the unit's data entry people (and its
submitter), with the reason; data submitted → the approvers above the unit.

Events are read by id from a cursor that moves in the transaction of the notifications they led to, so a
restart resumes where the last committed pass ended and nothing is sent twice (the keys name the event).
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max

from govkpi.accounts.permissions import can
from govkpi.accounts.roles import Action
from govkpi.audit.models import AuditEntry
from govkpi.core.periods import parse_period
from govkpi.datavalues.approval import approver_unit
from govkpi.events.models import ChangeEvent
from govkpi.events.types import ApprovalChanged, UnreadableEvent, parse
from govkpi.notify import inbox
from govkpi.notify.kinds import Kind
from govkpi.notify.outbox import Message
from govkpi.notify.recipients import members_with, nearest_with
from govkpi.orgunits.models import OrgUnit
from govkpi.reminders import cursors
from govkpi.reminders.sending import APPROVALS_LINK, data_link, send

CURSOR = "events"
CHUNK = 500  # approval events read per pass


def return_reason(unit: OrgUnit, period: str, event: ChangeEvent) -> tuple[str, str]:
    """Who returned the data and why, as the audit trail recorded it with the event (the approval row itself
    may have moved on: a resubmission clears its reason)."""
    entry = (AuditEntry.objects.filter(action="approval.return", object_key=f"{unit.code}/{period}",
                                       at__lte=event.at).order_by("-seq").first())
    if entry is None:
        return "", ""
    return (entry.after or {}).get("reason", ""), entry.actor


def returned_to(unit: OrgUnit, period: str, event: ChangeEvent) -> list[AbstractBaseUser]:
    """The unit's data entry people, and whoever submitted what was returned if they may still enter the unit's
    data from above it (a province's officer who reports for a commune that has no account of its own)."""
    people = list(members_with(unit, Action.ENTER))
    submitter = (AuditEntry.objects.filter(action="approval.submit", object_key=f"{unit.code}/{period}",
                                           at__lte=event.at).order_by("-seq").values_list("actor", flat=True).first())
    user = get_user_model().objects.filter(username=submitter, is_active=True).first() if submitter else None
    if user is not None and user not in people and can(user, Action.ENTER, unit):
        people.append(user)
    return people


def returned_message(unit: OrgUnit, period: str, event: ChangeEvent) -> Message:
    label = parse_period(period)
    reason, by = return_reason(unit, period, event)
    return Message(Kind.VALUES_RETURNED, f"returned:{unit.code}:{period}:{event.id}",
                   f"Số liệu kỳ {label.label_vi} của {unit.name} bị trả lại",
                   f"{unit.name_en or unit.name}'s data for {label.label_en} was returned",
                   f"Lý do: {reason}" if reason else "", f"Reason: {reason}" if reason else "",
                   data_link(unit.code, period), unit,
                   {"unit": unit.code, "period": period, "event": event.id, "reason": reason, "returned_by": by})


def submitted_message(unit: OrgUnit, period: str, event: ChangeEvent) -> Message:
    label = parse_period(period)
    return Message(Kind.SUBMISSION_WAITING, f"submitted:{unit.code}:{period}:{event.id}",
                   f"{unit.name} gửi số liệu kỳ {label.label_vi}, chờ phê duyệt",
                   f"{unit.name_en or unit.name} submitted {label.label_en}: waiting for approval",
                   "", "", APPROVALS_LINK, unit, {"unit": unit.code, "period": period, "event": event.id})


def _notify_approval(event: ChangeEvent, change: ApprovalChanged) -> int:
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=event.units).select_related("parent")}
    written = 0
    for code in event.units:
        unit = units.get(code)
        for period in event.periods if unit else []:
            # What the earlier alerts asked for is done: a decided submission waits for no approver any more,
            # resubmitted values are no longer "returned" in the unit's inboxes.
            if change.action in ("approve", "return", "unlock"):
                inbox.settle(f"submitted:{code}:{period}:", Kind.SUBMISSION_WAITING, event.at)
            if change.action == "submit":
                inbox.settle(f"returned:{code}:{period}:", Kind.VALUES_RETURNED, event.at)
            if change.action == "return":
                written += send(returned_message(unit, period, event), returned_to(unit, period, event))
            elif change.action == "submit":
                _at, people = nearest_with(approver_unit(unit), Action.APPROVE)
                written += send(submitted_message(unit, period, event), people)
    return written


def approval_alerts(now: datetime.datetime) -> int:
    """Send the alerts of every approval event since the cursor, a chunk per transaction. Returns notifications
    written. An event that does not read is skipped: the engine reports such rows; here they cannot stall
    every later alert."""
    written, read = 0, CHUNK
    while read == CHUNK:
        read, sent = _pass()
        written += sent
    return written


def _pass() -> tuple[int, int]:
    """One chunk of events and their alerts, with the cursor moved, in one transaction: (events read, written)."""
    with transaction.atomic():
        cursor = cursors.hold(CURSOR, lambda: ChangeEvent.objects.aggregate(m=Max("id"))["m"] or 0)
        # The (kind, id) index: only approval events are read; the cursor moves to the last one read.
        events = list(ChangeEvent.objects.filter(kind=ApprovalChanged.KIND, id__gt=cursor.last_id)
                      .order_by("id")[:CHUNK])
        written = 0
        for event in events:
            try:
                change = parse(event)
            except UnreadableEvent:
                continue
            if isinstance(change, ApprovalChanged):
                written += _notify_approval(event, change)
        if events:
            cursors.move(cursor, events[-1].id)
    return len(events), written
