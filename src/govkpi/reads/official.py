"""Which periods' figures are official today, and how far a provisional one has been reported.

The rule itself is core.official (pure); this module reads the counts it needs — the units expected to report
for a period and those whose data is approved — once per period and per request. Every face that shows
results or scores asks here, so "official" means the same on a page, in the API, in the portal and in open data.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from govkpi.core.official import FigureStatus, figure_status
from govkpi.core.periods import Period, PeriodType, parse_period, period_of
from govkpi.core.windows import due_date
from govkpi.datavalues.models import ApprovalState, DataApproval, DataValue
from govkpi.events.models import ChangeEvent
from govkpi.events.types import ApprovalChanged
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit
from govkpi.shared_cache import cache

REPORTING_KINDS = ("ministry", "province", "commune")
EARLY_LOOKBACK = 12  # periods of one type looked at for an early official status
APPROVAL_COUNTS_SECONDS = 300


@dataclass(frozen=True)
class Coverage:
    """How far a provisional figure has been reported: units reporting of those expected, and the due date."""

    reporting: int
    expected: int
    due: datetime.date


def expected_kinds(period_type: str, element_codes: set[str] | None = None) -> set[str]:
    """The unit kinds owing values of that period type (of the given elements, else of any element)."""
    query = DataElement.objects.filter(frequency=period_type)
    if element_codes is not None:
        query = query.filter(code__in=element_codes)
    kinds: set[str] = set()
    for unit_kinds in query.values_list("unit_kinds", flat=True):
        kinds |= set(unit_kinds or REPORTING_KINDS) & set(REPORTING_KINDS)
    return kinds


@dataclass
class Calendar:
    """Official and provisional periods as of one day (default: today in Asia/Ho_Chi_Minh)."""

    today: datetime.date = field(default_factory=timezone.localdate)
    _statuses: dict[str, FigureStatus] = field(default_factory=dict, repr=False)

    @property
    def official_after(self) -> int:
        return settings.OFFICIAL_AFTER_DAYS

    @cached_property
    def cutoff(self) -> datetime.date:
        """Periods ending on or before this day are official by the calendar alone."""
        return self.today - datetime.timedelta(days=self.official_after + 1)

    def due(self, period: str) -> datetime.date:
        return due_date(parse_period(period), self.official_after)

    def status(self, period: str) -> FigureStatus:
        if period not in self._statuses:
            parsed = parse_period(period)
            by_date = figure_status(parsed.end, self.today, self.official_after)
            if by_date is FigureStatus.PROVISIONAL and parsed.end < self.today and settings.OFFICIAL_WHEN_ALL_APPROVED:
                expected, approved = self._approval_counts(period)
                by_date = figure_status(parsed.end, self.today, self.official_after, expected, approved)
            self._statuses[period] = by_date
        return self._statuses[period]

    def is_official(self, period: str) -> bool:
        return self.status(period) is FigureStatus.OFFICIAL

    def _approval_counts(self, period: str) -> tuple[int, int]:
        """Units expected and approved for the period. Kept in the cache under the latest approval event: every
        request asks for the periods ended but not yet due, and counting a period's approvals scans them
        (about 20 ms at national scale); the answer changes only with an approval (or, for a writer that
        bypasses the outbox, such as a benchmark's COPY, within APPROVAL_COUNTS_SECONDS)."""
        last = ChangeEvent.objects.filter(kind=ApprovalChanged.KIND).order_by("-id").values_list("id", flat=True)
        key = f"official:approvals:{period}:{last.first() or 0}"
        counts = cache.get(key)
        if counts is None:
            parsed = parse_period(period)
            kinds = expected_kinds(parsed.type.value)
            units = OrgUnit.objects.valid_on(parsed.end).filter(kind__in=kinds)
            approved = DataApproval.objects.filter(unit__in=units, period=period, state=ApprovalState.APPROVED)
            counts = (units.count(), approved.count())
            cache.set(key, counts, APPROVAL_COUNTS_SECONDS)
        return counts

    @cached_property
    def early_official(self) -> list[str]:
        """Periods ended but not yet due whose every expected unit is approved (official ahead of the date)."""
        if not settings.OFFICIAL_WHEN_ALL_APPROVED:
            return []
        return sorted(p.id for p in self._ended_not_due() if self.is_official(p.id))

    def _ended_not_due(self) -> list[Period]:
        """The periods of every type (weeks and days aside) that have ended but are not yet due: a handful (at
        most EARLY_LOOKBACK of each type, however long the window is set)."""
        out = []
        for kind in (PeriodType.MONTHLY, PeriodType.QUARTERLY, PeriodType.SIXMONTHLY, PeriodType.YEARLY):
            period = period_of(kind, self.today).previous()
            for _ in range(EARLY_LOOKBACK):
                if period.end <= self.cutoff:
                    break
                out.append(period)
                period = period.previous()
        return out

    def official_q(self, prefix: str = "", end_field: str = "period_end") -> Q:
        """A filter on rows with a period (Result: `period_end`; Score has none: pass end_field="" to filter
        months by their id) that keeps the official periods."""
        if end_field:
            by_date = Q(**{f"{prefix}{end_field}__lte": self.cutoff})
        else:
            by_date = Q(**{f"{prefix}period__lte": self.last_official_month()})
        return by_date | Q(**{f"{prefix}period__in": self.early_official})

    def last_official_month(self) -> str:
        """The newest month whose figures are official by the calendar alone (YYYYMM)."""
        day = self.cutoff
        if (day + datetime.timedelta(days=1)).day != 1:  # the cutoff falls inside a month: that month is not yet
            day = day.replace(day=1) - datetime.timedelta(days=1)
        return f"{day:%Y%m}"

    def coverage(self, unit: OrgUnit, period: str, element_codes: set[str] | None = None) -> Coverage:
        """Units of the unit's subtree (itself included) that reported the period, of those expected."""
        return self.coverages(unit, [(period, element_codes)])[0]

    def coverages(self, unit: OrgUnit, wanted: list[tuple[str, set[str] | None]]) -> list[Coverage]:
        """`coverage` of several (period, elements) at once: a unit's page shows one per provisional indicator,
        and asking each alone took three queries apiece (72 on the national dashboard). Here: the elements'
        unit kinds once, each expected count once per period and kinds, and which units reported which element
        in one query for all of them."""
        elements = list(DataElement.objects.values_list("code", "frequency", "unit_kinds", "id"))
        expected_counts: dict[tuple[str, frozenset[str]], int] = {}
        plans = []
        for period, codes in wanted:
            parsed = parse_period(period)
            kinds: set[str] = set()
            for code, frequency, unit_kinds, _id in elements:
                if frequency == parsed.type.value and (codes is None or code in codes):
                    kinds |= set(unit_kinds or REPORTING_KINDS) & set(REPORTING_KINDS)
            key = (period, frozenset(kinds))
            if key not in expected_counts:
                expected_counts[key] = (OrgUnit.objects.valid_on(parsed.end)
                                        .filter(kind__in=kinds, path__startswith=unit.path).count())
            plans.append((period, codes, key))
        reported: dict[tuple[str, str], set[int]] = {}  # (period, element) → units of the subtree that reported
        all_codes = None if any(codes is None for _p, codes in wanted) else set().union(*(c for _p, c in wanted))
        code_of = {element_id: code for code, _f, _k, element_id in elements}
        periods = {p for p, _c in wanted}
        # By period end and element: the values' (period_end, data_element) index. A disaggregated element has a
        # value per option combo: a unit reported it when it sent any (the sets below count it once), so no
        # DISTINCT in SQL. The subtree is checked below, from the units' paths.
        values = DataValue.objects.filter(period_end__in={parse_period(p).end for p in periods}, period__in=periods)
        if all_codes is not None:
            values = values.filter(data_element_id__in=[i for i, code in code_of.items() if code in all_codes])
        kinds_of = dict(OrgUnit.objects.filter(path__startswith=unit.path).values_list("id", "kind"))
        for period, element_id, unit_id in values.values_list("period", "data_element_id", "unit_id"):
            if unit_id in kinds_of:
                reported.setdefault((period, code_of[element_id]), set()).add(unit_id)
        out = []
        for period, codes, key in plans:
            units: set[int] = set()
            for (p, code), ids in reported.items():
                if p == period and (codes is None or code in codes):
                    units |= ids
            # Only units of the expected kinds count, as expected ones (valid at the period's end, checked by
            # the writer, which refuses values of a unit not in force).
            reporting = sum(1 for u in units if kinds_of.get(u) in key[1])
            out.append(Coverage(reporting=reporting, expected=expected_counts[key], due=self.due(period)))
        return out

