"""An indicator turning off track for a unit: the unit's admins and viewers are told.

The engine never changes a result in place (evaluation.models.Result): a new judgement is a new row. The
reminders follow those rows by id from a cursor. A row turns off track when it is still current, its status is
off track, and what stood before it was not: the previous version of the same cell, or, for the first result
of a period, the unit's latest current result of an earlier period. A figure of a period not yet official
(reads.official) is announced as provisional, and a synthetic one as demonstration data, never as official.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from govkpi.core.evaluation import Status
from govkpi.core.periods import parse_period
from govkpi.evaluation.models import Result
from govkpi.notify.kinds import Kind
from govkpi.notify.outbox import Message
from govkpi.reads.official import Calendar
from govkpi.reminders import cursors
from govkpi.reminders.people import READERS_TOLD_OF_RESULTS, members_at
from govkpi.reminders.sending import send

CURSOR = "results"
CHUNK = 2000  # result rows read per pass; a full recompute is caught up over several passes


def turned(rows: list[Result]) -> list[Result]:
    """The rows that turned off track (still current, off track, and the one before was not). What stood
    before is read for all the rows at once: the results of their (indicator, unit) pairs, 500 units a query."""
    candidates = [row for row in rows if row.valid_to is None and row.status == Status.OFF_TRACK]
    if not candidates:
        return []
    indicators, units = sorted({r.indicator_id for r in candidates}), sorted({r.unit_id for r in candidates})
    history: dict[tuple[int, int], list[tuple[int, str, datetime.date, str, bool]]] = defaultdict(list)
    for start in range(0, len(units), 500):
        for id_, indicator, unit, period, end, status, closed in (
                Result.objects.filter(indicator_id__in=indicators, unit_id__in=units[start:start + 500])
                .values_list("id", "indicator_id", "unit_id", "period", "period_end", "status", "valid_to")):
            history[(indicator, unit)].append((id_, period, end, status, closed is not None))
    return [row for row in candidates if _status_before(row, history[(row.indicator_id, row.unit_id)])
            != Status.OFF_TRACK]


def _status_before(row: Result, history: list[tuple[int, str, datetime.date, str, bool]]) -> str | None:
    """The status of the cell's previous version, else of the unit's latest current result of an earlier period."""
    same = [(id_, status) for id_, period, _end, status, _closed in history if period == row.period and id_ < row.id]
    if same:
        return max(same)[1]
    earlier = [(end, status) for _id, _p, end, status, closed in history if end < row.period_end and not closed]
    return max(earlier)[1] if earlier else None


def message(row: Result, official: bool) -> Message:
    period, indicator, unit = parse_period(row.period), row.indicator, row.unit
    label_vi = "" if official else " (số liệu tạm tính)"
    label_en = "" if official else " (provisional figures)"
    if row.demo:
        label_vi, label_en = label_vi + " (dữ liệu minh họa)", label_en + " (demonstration data)"
    achieved = "" if row.achievement is None else f"{row.achievement:.1f}".replace(".", ",")
    return Message(
        Kind.OFF_TRACK, f"off-track:{indicator.code}:{unit.code}:{row.period}:{row.id}",
        f"{indicator.name_vi} của {unit.name} chậm tiến độ, kỳ {period.label_vi}{label_vi}",
        f"{indicator.name_en or indicator.name_vi} of {unit.name_en or unit.name} is off track, "
        f"{period.label_en}{label_en}",
        f"Mức đạt so với chỉ tiêu: {achieved} %." if achieved else "",
        f"Achievement against the target: {row.achievement:.1f} %." if achieved else "",
        f"/units/{unit.code}/", unit,
        {"indicator": indicator.code, "unit": unit.code, "period": row.period, "result": row.id,
         "official": official, "demo": row.demo})


def off_track_reminders(now: datetime.datetime) -> int:
    """Announce the results written since the last pass that turned off track, a chunk of rows per transaction.
    Returns notifications written."""
    calendar = Calendar(today=timezone.localdate(now))
    written, read = 0, CHUNK
    while read == CHUNK:
        read, sent = _pass(calendar)
        written += sent
    return written


def _pass(calendar: Calendar) -> tuple[int, int]:
    """One chunk of result rows and their alerts, with the cursor moved, in one transaction: (rows, written)."""
    with transaction.atomic():
        cursor = cursors.hold(CURSOR, lambda: Result.objects.aggregate(m=Max("id"))["m"] or 0)
        rows = list(Result.objects.filter(id__gt=cursor.last_id).order_by("id")
                    .select_related("indicator", "unit")[:CHUNK])
        found = turned(rows)
        people = members_at({row.unit_id for row in found}, READERS_TOLD_OF_RESULTS)
        written = sum(send(message(row, calendar.is_official(row.period)), people.get(row.unit_id, []))
                      for row in found)
        if rows:
            cursors.move(cursor, rows[-1].id)
    return len(rows), written
