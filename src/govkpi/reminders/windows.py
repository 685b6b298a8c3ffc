"""Reporting windows closing with units that have not reported: the unit's data entry people, and a summary
to the approvers above it.

A period's window closes REPORTING_CLOSES_AFTER_DAYS after its end (core.windows): its last open day is
`end + closes_after`. A unit owes the period when an element of the period's frequency is reported by units of
its kind; it has reported when its data is submitted (or approved). An explicit opening or closing of the
period (ReportingWindow) for the unit's subtree replaces the calendar, and with it the closing day: those units
are not reminded. Each period costs the same few queries, whether 30 units owe it or 3,400.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from govkpi.accounts.roles import Action
from govkpi.core.periods import MIN_YEAR, Period, PeriodType, period_of
from govkpi.datavalues.approval import approver_unit
from govkpi.datavalues.models import ApprovalState, DataApproval, DataValue, ReportingWindow
from govkpi.indicators.models import DataElement
from govkpi.notify.kinds import Kind
from govkpi.notify.outbox import Message
from govkpi.orgunits.models import OrgUnit
from govkpi.reads.official import REPORTING_KINDS
from govkpi.reminders.people import members_allowed, nearest_many
from govkpi.reminders.sending import APPROVALS_LINK, already_sent, data_link, send_all, vn_date

SUMMARY_NAMES = 30  # units named in an approver's summary; the rest are counted


@dataclass(frozen=True)
class Closing:
    """A period whose window closes soon: its last open day, and the reminder day it answers for."""

    period: Period
    last_day: datetime.date
    threshold: int


@dataclass(frozen=True)
class Behind:
    """A unit owing the period that has not submitted it: how many of its elements it has entered."""

    unit: OrgUnit
    expected: int
    received: int


def closing_periods(today: datetime.date) -> list[Closing]:
    """The periods (of the frequencies some element is collected at) whose window closes within the largest of
    REMIND_WINDOW_DAYS, each with the nearest reminder day not yet passed (a missed day is caught up)."""
    days = sorted({d for d in settings.REMIND_WINDOW_DAYS if d >= 0})
    if not days:
        return []
    frequencies = set(DataElement.objects.values_list("frequency", flat=True)) & set(PeriodType)
    found = []
    for left in range(max(days) + 1):
        last_day = today + datetime.timedelta(days=left)
        end = last_day - datetime.timedelta(days=settings.REPORTING_CLOSES_AFTER_DAYS)
        if end.year < MIN_YEAR:  # windows kept open for centuries (GOVKPI_REPORTING_CLOSES_AFTER_DAYS): none closes
            continue
        for frequency in sorted(frequencies):
            period = period_of(frequency, end)
            if period.end == end:
                found.append(Closing(period, last_day, min(d for d in days if d >= left)))
    return found


def units_behind(period: Period) -> list[Behind]:
    """Units owing the period, in force at its end, under no explicit window, that have not submitted it."""
    elements = list(DataElement.objects.filter(frequency=period.type.value).values_list("id", "unit_kinds"))
    owed: dict[str, set[int]] = defaultdict(set)  # unit kind → the elements it owes
    for element_id, kinds in elements:
        for kind in set(kinds or REPORTING_KINDS) & set(REPORTING_KINDS):
            owed[kind].add(element_id)
    if not owed:
        return []
    units = list(OrgUnit.objects.valid_on(period.end).filter(kind__in=owed).select_related("parent")
             .order_by("path"))
    overridden = [w.unit for w in ReportingWindow.objects.filter(period=period.id).select_related("unit")]
    done = set(DataApproval.objects.filter(period=period.id, state__in=[ApprovalState.SUBMITTED,
                                                                         ApprovalState.APPROVED])
               .values_list("unit_id", flat=True))
    received = dict(DataValue.objects.filter(period=period.id, period_end=period.end,
                                             data_element_id__in=[e for e, _k in elements])
                    .values("unit_id").annotate(n=Count("data_element_id", distinct=True))
                    .values_list("unit_id", "n"))
    return [Behind(u, len(owed[u.kind]), received.get(u.pk, 0)) for u in units
            if u.pk not in done and not any(w is None or u.is_within(w) for w in overridden)]


def _state_text(item: Behind) -> tuple[str, str]:
    if item.received == 0:
        return "chưa nhập số liệu", "no values entered"
    if item.received < item.expected:
        return (f"mới nhập {item.received}/{item.expected} chỉ tiêu, chưa gửi phê duyệt",
                f"{item.received} of {item.expected} elements entered, not submitted")
    return "đã nhập đủ nhưng chưa gửi phê duyệt", "all entered but not submitted for approval"


def unit_message(closing: Closing, item: Behind, left: int) -> Message:
    period, unit = closing.period, item.unit
    state_vi, state_en = _state_text(item)
    when_vi = "hôm nay" if left == 0 else f"sau {left} ngày"
    when_en = "today" if left == 0 else f"in {left} day{'s' if left > 1 else ''}"
    return Message(
        Kind.WINDOW_CLOSING,
        f"window-closing:{period.id}:{unit.code}:{closing.last_day.isoformat()}:{closing.threshold}",
        f"Kỳ báo cáo {period.label_vi} đóng {when_vi} ({vn_date(closing.last_day)}): {unit.name} {state_vi}",
        f"Reporting for {period.label_en} closes {when_en} ({closing.last_day:%d/%m/%Y}): {unit.name_en or unit.name}, "
        f"{state_en}",
        f"Hạn cuối nhập và gửi số liệu kỳ {period.label_vi}: hết ngày {vn_date(closing.last_day)}.",
        f"Last day to enter and submit {period.label_en}: {closing.last_day:%d/%m/%Y}.",
        data_link(unit.code, period.id), unit,
        {"period": period.id, "unit": unit.code, "last_day": closing.last_day.isoformat(),
         "threshold": closing.threshold, "expected": item.expected, "received": item.received})


def summary_message(closing: Closing, approver: OrgUnit, items: list[Behind], left: int) -> Message:
    period = closing.period
    names = "; ".join(i.unit.name for i in items[:SUMMARY_NAMES])
    more = len(items) - SUMMARY_NAMES
    when_vi = "hôm nay" if left == 0 else f"sau {left} ngày"
    when_en = "today" if left == 0 else f"in {left} day{'s' if left > 1 else ''}"
    return Message(
        Kind.WINDOW_CLOSING,
        f"window-summary:{period.id}:{approver.code}:{closing.last_day.isoformat()}:{closing.threshold}",
        f"Kỳ báo cáo {period.label_vi} đóng {when_vi}: {len(items)} đơn vị thuộc {approver.name} chưa gửi số liệu",
        f"Reporting for {period.label_en} closes {when_en}: {len(items)} units under {approver.name_en or approver.name} "
        "have not submitted",
        names + (f" và {more} đơn vị khác." if more > 0 else "."),
        names + (f" and {more} more." if more > 0 else "."),
        APPROVALS_LINK, approver,
        {"period": period.id, "last_day": closing.last_day.isoformat(), "threshold": closing.threshold,
         "units": [i.unit.code for i in items]})


def window_reminders(now: datetime.datetime) -> int:
    """Send the reminders of the windows closing soon at `now`. Returns how many notifications were written."""
    today = timezone.localdate(now)
    written = 0
    for closing in closing_periods(today):
        left = (closing.last_day - today).days
        behind = units_behind(closing.period)
        messages = [(item, unit_message(closing, item, left)) for item in behind]
        sent = already_sent(m.key for _i, m in messages)
        fresh = [(item, m) for item, m in messages if m.key not in sent]
        entering = members_allowed([item.unit.pk for item, _m in fresh], Action.ENTER)
        written += send_all((m, entering.get(item.unit.pk, [])) for item, m in fresh)
        written += _summaries(closing, behind, left)
    return written


def _summaries(closing: Closing, behind: list[Behind], left: int) -> int:
    """One message per approving unit (a commune's province; the Government for ministries and provinces), to
    its approvers, or the nearest above it below the Government: a national administrator, who may approve
    anything, is not sent every province's list of communes."""
    by_approver: dict[int, list[Behind]] = defaultdict(list)
    approvers: dict[int, OrgUnit] = {}
    for item in behind:
        above = approver_unit(item.unit)
        by_approver[above.pk].append(item)
        approvers[above.pk] = above
    planned = {pk: summary_message(closing, approvers[pk], items, left) for pk, items in by_approver.items()}
    sent = already_sent(m.key for m in planned.values())
    fresh = {pk: m for pk, m in planned.items() if m.key not in sent}
    people = nearest_many([approvers[pk] for pk in fresh], Action.APPROVE, below_root=True)
    return send_all((m, people[pk]) for pk, m in sorted(fresh.items(), key=lambda pair: approvers[pair[0]].path))
