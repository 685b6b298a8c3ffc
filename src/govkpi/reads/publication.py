"""What the public is shown, as one short fingerprint, and the public's reads cached under it.

The public sees published indicators in official periods (reads.visibility). Those figures change only when a
period turns official (the calendar), when the results or scores of an official period change (an approval, a
late correction, a recompute), or when what is published changes (an indicator, its wording, a cited figure,
the units' names). Writes into a month still being reported change none of it, so the fingerprint leaves them
out: open-data files and anonymous panels keyed by it are built once per published change, not once per write.

Results and scores are versioned (a change closes the current row and adds one; rows are never deleted), so
per period the newest current row's id and the latest closing say whether anything in it changed: two index
probes per period (`result_end_closed_idx`, `score_period_closed_idx`), however long the history.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connection
from django.db.models import QuerySet

from govkpi.core.periods import parse_period
from govkpi.evaluation.models import Methodology, Result, Score
from govkpi.indicators.models import Indicator, ReportedFigure
from govkpi.orgunits.models import OrgUnit
from govkpi.reads.official import Calendar
from govkpi.reads.visibility import Viewer
from govkpi.shared_cache import cache

T = TypeVar("T")
CACHE_SECONDS = 3600  # a key never goes stale (it changes with what it holds); this only lets old ones go
_MISSING = object()

# One row per distinct period (a loose index scan: each step is one probe, not a scan of the table), with the
# newest current row and the latest closing of that period. Ordered by the index's columns so that the planner
# walks that index (with MAX(id) PostgreSQL may walk the primary key backwards and filter).
_PER_PERIOD = """
WITH RECURSIVE result_keys(k) AS (
    SELECT MIN(period_end) FROM {result}
    UNION ALL
    SELECT (SELECT MIN(period_end) FROM {result} WHERE period_end > result_keys.k)
    FROM result_keys WHERE result_keys.k IS NOT NULL
), score_keys(k) AS (
    SELECT MIN(period) FROM {score}
    UNION ALL
    SELECT (SELECT MIN(period) FROM {score} WHERE period > score_keys.k)
    FROM score_keys WHERE score_keys.k IS NOT NULL
)
SELECT 'results', CAST(k AS TEXT),
       (SELECT id FROM {result} WHERE period_end = result_keys.k AND valid_to IS NULL
        ORDER BY period_end DESC, valid_to DESC, id DESC LIMIT 1),
       (SELECT valid_to FROM {result} WHERE period_end = result_keys.k AND valid_to IS NOT NULL
        ORDER BY period_end DESC, valid_to DESC LIMIT 1)
FROM result_keys WHERE k IS NOT NULL
UNION ALL
SELECT 'scores', CAST(k AS TEXT),
       (SELECT id FROM {score} WHERE period = score_keys.k AND valid_to IS NULL
        ORDER BY period DESC, valid_to DESC, id DESC LIMIT 1),
       (SELECT valid_to FROM {score} WHERE period = score_keys.k AND valid_to IS NOT NULL
        ORDER BY period DESC, valid_to DESC LIMIT 1)
FROM score_keys WHERE k IS NOT NULL
"""
# The units and methodology versions are few and rarely change: their count and newest id, in one query.
_REFERENCE = """
SELECT (SELECT COUNT(*) FROM {units}), (SELECT MAX(id) FROM {units}), (SELECT MAX(id) FROM {methodologies})
"""

# The catalog's published face: what open data and the portal print of each published indicator.
_INDICATOR_FIELDS = ("code", "name_vi", "name_en", "definition_vi", "unit_of_measure", "owner_id", "data_source",
                     "legal_basis_id", "decimals", "value_type", "frequency", "direction")


def _per_period() -> dict[str, list[tuple[str, Any, Any]]]:
    """Results per period end and scores per month: (period, newest current id, latest closing)."""
    quote = connection.ops.quote_name
    out: dict[str, list[tuple[str, Any, Any]]] = {"results": [], "scores": []}
    with connection.cursor() as cursor:
        cursor.execute(_PER_PERIOD.format(result=quote(Result._meta.db_table), score=quote(Score._meta.db_table)))
        for table, key, newest, closed in cursor.fetchall():
            out[table].append((key, newest, str(closed) if closed else None))
    return out


def _official(calendar: Calendar) -> tuple[Callable[[str], bool], Callable[[str], bool]]:
    """Whether a period end (results) and a month (scores) are official: the same rule as Calendar.official_q."""
    early = set(calendar.early_official)
    early_ends = {parse_period(p).end.isoformat() for p in early}
    cutoff, last_month = calendar.cutoff.isoformat(), calendar.last_official_month()
    return (lambda end: end <= cutoff or end in early_ends), (lambda month: month <= last_month or month in early)


def _publication() -> list[Any]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(_REFERENCE.format(units=quote(OrgUnit._meta.db_table),
                                         methodologies=quote(Methodology._meta.db_table)))
        reference = cursor.fetchone()
    return [
        list(Indicator.objects.filter(published=True).order_by("code").values_list(*_INDICATOR_FIELDS)),
        list(ReportedFigure.objects.order_by("id").values_list("id", "indicator_id", "value", "period", "quote",
                                                               "note", "source_id", "unit_id", "subset")),
        reference,
    ]


def fingerprint(calendar: Calendar) -> str:
    """A digest of everything the public may be shown as of the calendar's day (computed once per calendar,
    that is once per request)."""
    cached = getattr(calendar, "_published_fingerprint", None)
    if cached is not None:
        return cached
    official_end, official_month = _official(calendar)
    periods = _per_period()
    parts = [
        calendar.cutoff, calendar.early_official,
        [row for row in periods["results"] if official_end(row[0])],
        [row for row in periods["scores"] if official_month(row[0])],
        _publication(),
    ]
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:24]
    calendar._published_fingerprint = digest  # type: ignore[attr-defined]
    return digest


def for_public(viewer: Viewer, name: str, build: Callable[[], T]) -> T:
    """`build()` once per published change for the public (a thousand visitors run its queries once); for a
    viewer who reads units, once per change in their scope (reads.scope): what they see includes provisional
    figures, which change with every write there."""
    if not viewer.is_public:
        from govkpi.reads import scope  # scope keys on this module's fingerprint

        return scope.for_reader(viewer, name, build)
    # The name carries the caller's filters: hashed, so that no text a caller sends (control characters, any
    # length) is ever part of a cache key.
    key = f"public:{hashlib.sha256(name.encode()).hexdigest()[:32]}:{fingerprint(viewer.calendar)}"
    value = cache.get(key, _MISSING)
    if value is _MISSING:  # None is an answer too (no score to explain): kept like any other
        value = build()
        cache.set(key, value, CACHE_SECONDS)
    return value


def public_count(viewer: Viewer, name: str, query: QuerySet) -> int:
    """How many rows a list holds: counting a list of every official score reads all of it (about 90 ms at
    national scale), so the public's totals are counted once per published change."""
    return for_public(viewer, f"count:{name}", query.count)
