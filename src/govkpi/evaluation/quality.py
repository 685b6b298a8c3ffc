"""Data quality "đúng, đủ, sạch, sống" of the values units owe for a month, and of the tracked databases.

What a unit owes for a month: the monthly data elements of its tier that are in collection that month in its
peer group (some unit of the group reported them), so a catalog entry nobody collects yet does not count
against anyone, and one group's reports never change another group's scores.
The four measures and their mean are core.scoring.Quality; counts are set-based (two queries per month for
every group scored that month, whatever their number).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from django.conf import settings
from django.utils import timezone

from govkpi.core.periods import parse_period
from govkpi.core.scoring import Quality, freshness
from govkpi.core.windows import due_date
from govkpi.datavalues import totals
from govkpi.datavalues.models import ApprovalState, Channel, DataApproval, DataValue
from govkpi.datavalues.rules import Rule, parsed_rules
from govkpi.datavalues.synthetic import DEMO_CHANNEL
from govkpi.indicators.models import DataElement

SOURCE_SYSTEM_CHANNELS = (Channel.API, Channel.DHIS2)  # a value a source system sent counts as confirmed


def _violations(values: dict[str, float | None], rules: list[Rule]) -> set[str]:
    """The element codes involved in a rule the values break."""
    broken: set[str] = set()
    for rule in rules:
        if rule.broken(values) is not None:
            broken |= rule.references & values.keys()
    return broken


def _channel(channels: frozenset[str]) -> str:
    """The channel a total counts as: demo if any part is, a source system's only if every part is."""
    if DEMO_CHANNEL in channels:
        return DEMO_CHANNEL
    people = sorted(channels - set(SOURCE_SYSTEM_CHANNELS))
    return people[0] if people else min(channels)


class MonthReports:
    """What the units sent for one month, read once for every group scored that month (two queries): each
    unit's values (element, number, received at, follow-up flag, channel) and the units whose month is approved."""

    def __init__(self, month: str, unit_ids: Collection[int] | None = None) -> None:
        values = DataValue.objects.filter(period=month)
        approvals = DataApproval.objects.filter(period=month, state=ApprovalState.APPROVED)
        if unit_ids is not None:
            values, approvals = values.filter(unit_id__in=unit_ids), approvals.filter(unit_id__in=unit_ids)
        self.month = month
        self.rows: dict[int, list[tuple]] = defaultdict(list)
        # One row per element: its total over its option combos (datavalues.totals), received with its first part.
        for total in totals.fold(values.order_by().values_list("unit_id", "data_element_id", "number", "created_at",
                                                               "follow_up", "channel")):
            self.rows[total.unit_id].append((total.unit_id, total.element_id, total.number, total.received_at,
                                             total.follow_up, _channel(total.channels)))
        self.approved = set(approvals.values_list("unit_id", flat=True))


class QualityCatalog:
    """The catalog facts quality needs (monthly elements and their tiers, codes, parsed rules), read once per run."""

    def __init__(self) -> None:
        self.monthly = list(DataElement.objects.filter(frequency="monthly").values_list("id", "unit_kinds"))
        self.codes = dict(DataElement.objects.values_list("id", "code"))
        self.rules = parsed_rules()


def group_quality(units: Sequence[Any], reports: MonthReports, catalog: QualityCatalog,
                  today: datetime.date) -> dict[int, tuple[Quality, bool]]:
    """Each unit's Quality for the month and whether demo values are among those counted; `units` (with `id` and
    `kind`) is a whole
    peer group (what is in collection is read from the group's reports). An element with no tiers is owed by
    every tier, as in datavalues.completeness. Until the due date (`today` on or before it) nothing is owed yet: a
    unit is judged on what it has sent, and one that has sent nothing is not counted."""
    if not units:
        return {}
    due = due_date(parse_period(reports.month), settings.REPORTING_DUE_AFTER_DAYS)
    rows, codes = reports.rows, catalog.codes
    reported = {r[1] for unit in units for r in rows.get(unit.id, ())}
    expected = {kind: {e for e, kinds in catalog.monthly if (not kinds or kind in kinds) and e in reported}
                for kind in {u.kind for u in units}}
    out: dict[int, tuple[Quality, bool]] = {}
    still_due = today <= due
    # Received on or before the due date, local time: before the next day's start (no localdate() per value).
    in_time = timezone.make_aware(datetime.datetime.combine(due + datetime.timedelta(days=1), datetime.time.min))
    for unit in units:
        sent = rows.get(unit.id, [])
        wanted = expected[unit.kind]
        if still_due:
            wanted = wanted & {r[1] for r in sent}
        values = [r for r in sent if r[1] in wanted]
        broken = _violations({codes[r[1]]: r[2] for r in sent}, catalog.rules) if catalog.rules and sent else set()
        on_time = sum(1 for r in values if r[3] < in_time)
        clean = sum(1 for r in values if not r[4] and codes[r[1]] not in broken)
        approved = unit.id in reports.approved
        verified = sum(1 for r in values if approved or r[5] in SOURCE_SYSTEM_CHANNELS)
        demo = any(r[5] == DEMO_CHANNEL for r in values)
        out[unit.id] = (Quality(expected=len(wanted), received=len(values), on_time=on_time, clean=clean,
                                verified=verified), demo)
    return out


def database_quality(records_expected: int | None, records_received: int | None, records_valid: int | None,
                     records_verified: int | None, last_updated: datetime.date | None, update_every_days: int,
                     today: datetime.date) -> dict[str, float | None]:
    """The four measures for a tracked database: đủ records received ÷ expected, sạch valid ÷ received,
    đúng verified ÷ received, sống freshness of the last update against the expected interval."""
    def share(part: int | None, whole: int | None) -> float | None:
        return 100.0 * min(part, whole) / whole if part is not None and whole else None

    du = share(records_received, records_expected)
    sach = share(records_valid, records_received)
    dung = share(records_verified, records_received)
    song = freshness((today - last_updated).days if last_updated else None, update_every_days)
    parts = [p for p in (du, song, sach, dung) if p is not None]
    return {"du": du, "song": song, "sach": sach, "dung": dung, "score": sum(parts) / len(parts) if parts else None}
