"""Synthetic demonstration values, so that a fresh `govkpi demo` shows rankings, maps and trends.

The seed articles publish national figures only (they are kept as cited figures in the catalog, not as
values); no real per-province or per-commune series exists in them. These values are made up, written with
the channel "demo", and every result, score and page built on them says so ("số liệu minh họa / demo data").

The series follow the calendar of the day they are loaded (`today`, by default the local date): ministries
and provinces report every month from January of last year to the last ended month, communes the last three
ended months (communes exist from 2025-07-01; three months keep `demo` quick). The newest month is never
approved, so it stays open for entry. No value is received after `today` began, nor after the present moment.
For a given `today` the values are deterministic (fixed seeds). They are loosely anchored to the seeds: the
series start near the 2025 levels (articles 000/001: 39.51% of online services end-to-end nationally, 15.21%
in the provinces in July 2025) and climb toward the targets.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from govkpi.core.periods import PeriodType, parse_period, period_of, periods_between
from govkpi.core.windows import due_date
from govkpi.datavalues.approval import record_digests
from govkpi.datavalues.models import DataApproval, DataValue, ImportBatch
from govkpi.events.outbox import emit
from govkpi.events.types import ValuesWritten
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit

DEMO_CHANNEL = "demo"
DEMO_ACTOR = "demo-synthetic"
SEED = 2025


@dataclass(frozen=True)
class Series:
    """A share reported as a part and a whole, for one tier, moving from `start` toward `end` (in %)."""

    part: str
    whole: str
    kinds: tuple[str, ...]
    start: float
    end: float
    whole_range: tuple[int, int]


SERIES = (
    Series("DVC_TOANTRINH", "DVC_TONG", ("ministry",), 30, 70, (80, 400)),
    Series("DVC_TOANTRINH", "DVC_TONG", ("province",), 8, 55, (900, 1900)),
    Series("HOSO_TTHC_CO_DINHDANH", "HOSO_TTHC_TIEPNHAN", ("ministry", "province"), 60, 95, (4000, 90000)),
    Series("HOSO_TTHC_CO_DINHDANH", "HOSO_TTHC_TIEPNHAN", ("commune",), 55, 92, (80, 2500)),
    Series("TTHC_DANHGIA_HAILONG", "TTHC_DANHGIA_TONG", ("province",), 70, 92, (2000, 40000)),
    Series("TTHC_DANHGIA_HAILONG", "TTHC_DANHGIA_TONG", ("commune",), 65, 95, (40, 1500)),
)
APPROVED_SHARE = 0.95  # of the unit-months before the newest
COMMUNE_MONTH_COUNT = 3  # communes exist from 2025-07-01; three months keep `demo` quick


def default_spans(today: datetime.date) -> tuple[tuple[str, str], tuple[str, str]]:
    """The first and last month of the ministries' and provinces' series and of the communes' series:
    January of last year to the last ended month, and the last three ended months."""
    last = period_of(PeriodType.MONTHLY, today).previous()
    first_commune = last
    for _ in range(COMMUNE_MONTH_COUNT - 1):
        first_commune = first_commune.previous()
    return (f"{today.year - 1}01", last.id), (first_commune.id, last.id)


def _months(first: str, last: str) -> list[str]:
    return [p.id for p in periods_between(PeriodType.MONTHLY, parse_period(first).start, parse_period(last).end)]


def _received_at(rng: random.Random, period_id: str, latest: datetime.datetime) -> datetime.datetime:
    """Mostly before the due date, sometimes late; never after `latest`."""
    due = due_date(parse_period(period_id), 15)
    offset = rng.choice([-10, -6, -3, -1, 0, 0, 2, 9, 25]) if rng.random() < 0.9 else rng.randint(-12, -1)
    day = due + datetime.timedelta(days=offset)
    received = datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=timezone.get_current_timezone())
    return min(latest, received)


@transaction.atomic
def load_synthetic_values(today: datetime.date | None = None,
                          commune_months: tuple[str, str] | None = None) -> int:
    """Write the demonstration values once (idempotent: nothing happens when demo values exist).
    `today` (default: the local date) places the series, see the module's docstring. `commune_months`: the
    first and last month of the communes' series, by default the last three ended months (benchmarks ask for
    more); months that have not ended by `today` are left out."""
    if DataValue.objects.filter(channel=DEMO_CHANNEL).exists():
        return 0
    today = today or timezone.localdate()
    province_months, default_commune_months = default_spans(today)
    commune_months = commune_months or default_commune_months
    rng = random.Random(SEED)
    elements = {e.code: e for e in DataElement.objects.filter(code__in={c for s in SERIES for c in (s.part, s.whole)})}
    units = {kind: list(OrgUnit.objects.current().filter(kind=kind).order_by("code"))
             for kind in ("ministry", "province", "commune")}
    now = timezone.now()
    # Received no later than the start of `today` (the same values whatever the hour), nor after now.
    midnight = datetime.datetime.combine(today, datetime.time(0), tzinfo=timezone.get_current_timezone())
    latest = min(now, midnight)
    batch = ImportBatch.objects.create(at=now, actor=DEMO_ACTOR, channel=DEMO_CHANNEL, filename="synthetic",
                                       strategy="CREATE", atomic=True)
    rows: list[DataValue] = []
    approved: set[tuple[int, str]] = set()
    for series in SERIES:
        if series.part not in elements or series.whole not in elements:
            continue
        span = commune_months if series.kinds == ("commune",) else province_months
        months = [m for m in _months(*span) if parse_period(m).end < today]
        for kind in series.kinds:
            for unit in units[kind]:
                unit_rng = random.Random(f"{SEED}/{series.part}/{unit.code}")
                whole = unit_rng.randint(*series.whole_range)
                pace = unit_rng.uniform(0.4, 1.6)  # some units move faster than others
                start = max(1.0, series.start + unit_rng.uniform(-0.6, 0.6) * series.start)
                for i, month in enumerate(months):
                    if rng.random() < 0.06:
                        continue  # not reported: lowers "đủ"
                    progress = min(1.0, i / max(1, len(months) - 1) * pace)
                    share = min(100.0, start + (series.end - series.start) * progress + rng.uniform(-2, 2))
                    share = max(0.0, share)
                    part = round(whole * share / 100)
                    period = parse_period(month)
                    received = _received_at(rng, month, latest)
                    for element, number in ((elements[series.part], part), (elements[series.whole], whole)):
                        rows.append(DataValue(
                            data_element=element, unit=unit, period=month, period_start=period.start,
                            period_end=period.end, value=str(number), number=float(number),
                            follow_up=rng.random() < 0.02, stored_by=DEMO_ACTOR, channel=DEMO_CHANNEL,
                            comment="Số liệu minh họa (tự sinh) / synthetic demo data", created_at=received,
                            updated_at=received, batch=batch))
                    # Official figures are made of approved values: most units' past months are approved,
                    # a few still wait; the newest month awaits approval.
                    if i < len(months) - 1 and rng.random() < APPROVED_SHARE:
                        approved.add((unit.id, month))
    DataValue.objects.bulk_create(rows, batch_size=2000)
    decided = now
    DataApproval.objects.bulk_create(
        [DataApproval(unit_id=unit_id, period=month, state="approved", submitted_by=DEMO_ACTOR, submitted_at=decided,
                      decided_by=DEMO_ACTOR, decided_at=decided) for unit_id, month in sorted(approved)],
        batch_size=2000, ignore_conflicts=True)
    # bulk_create skips approve(), so each approval's digest is recorded here, by the same recipe.
    record_digests(DataApproval.objects.filter(state="approved", digest=""))
    batch.counts = {"imported": len(rows), "updated": 0, "ignored": 0, "deleted": 0}
    batch.save(update_fields=["counts"])
    emit(ValuesWritten(elements=tuple(sorted(elements)), batch=batch.id, imported=len(rows), updated=0, deleted=0,
                       ignored=0, channel=DEMO_CHANNEL, wide=True))
    return len(rows)
