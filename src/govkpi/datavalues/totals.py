"""An element's value for a unit and period: the total of its option combos' values (DHIS2's disaggregation).

A disaggregated element stores one value per category option combo and attribute option combo; every reader
that uses "the element's value" for (unit, period) — the engine's aggregates, quality, completeness, coverage —
reads the total: the sum of the numbers (only additive types, count and amount, may be disaggregated, so a sum
is right), received when any of its parts is. An element that is not disaggregated has one part, its value.
This module is the one place that says so: `select` for SQL, `fold` for rows read in Python.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from govkpi.datavalues.models import DataValue

VALUES = DataValue._meta.db_table


def select(where: Sequence[str], demo_channel_param: bool = True) -> str:
    """A derived table of element totals, one row per (data_element_id, unit_id, period), over the values that
    `where` keeps (conditions on the values' own columns, alias `t`): period_end, number (the sum), parts, and
    demo (1 when any part came through the demo channel; the query's first parameter is that channel).

    The conditions go inside the grouping so that the database reads only the rows they name."""
    demo = "MAX(CASE WHEN t.channel = %s THEN 1 ELSE 0 END)" if demo_channel_param else "0"
    condition = " AND ".join(where) if where else "1 = 1"
    return (f"SELECT t.data_element_id, t.unit_id, t.period, MAX(t.period_end) AS period_end, "
            f"SUM(t.number) AS number, COUNT(*) AS parts, {demo} AS demo "
            f"FROM {VALUES} t WHERE {condition} GROUP BY t.data_element_id, t.unit_id, t.period")


@dataclass(frozen=True)
class Total:
    """An element's value for a unit and period as the readers in Python use it."""

    unit_id: int
    element_id: int
    number: float | None  # the sum of the parts' numbers; None when no part has one
    received_at: datetime.datetime  # when its first part came (an element counts as received when any part is)
    follow_up: bool  # any part flagged
    channels: frozenset[str]  # every part's channel


def fold(rows: Iterable[tuple]) -> list[Total]:
    """Element totals of value rows (unit_id, element_id, number, created_at, follow_up, channel), in the order
    their first part comes."""
    parts: dict[tuple[int, int], list[tuple]] = {}
    for row in rows:
        parts.setdefault((row[0], row[1]), []).append(row)
    out = []
    for (unit_id, element_id), members in parts.items():
        numbers = [m[2] for m in members if m[2] is not None]
        out.append(Total(unit_id, element_id, sum(numbers) if numbers else None, min(m[3] for m in members),
                         any(m[4] for m in members), frozenset(m[5] for m in members)))
    return out
