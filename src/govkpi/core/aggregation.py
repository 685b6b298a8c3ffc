"""Aggregation of values across units and across periods, as each data element declares it.

An indicator defined by a formula is aggregated by aggregating its data elements first and then
applying the formula: a ratio of sums, never an average of ratios. (Averaging the provinces' own
percentages would give a province with 3 services the same weight as one with 300.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import Enum

from govkpi.core.formulas import Formula, MissingValues, evaluate


class UnitAggregation(str, Enum):
    """How values of several units combine into their parent's value."""

    SUM = "sum"
    AVERAGE = "average"
    WEIGHTED_AVERAGE = "weighted_average"
    MIN = "min"
    MAX = "max"
    NONE = "none"  # not meaningful across units: only a single unit's value stands


class PeriodAggregation(str, Enum):
    """How values of several periods combine into a longer period's value."""

    SUM = "sum"
    AVERAGE = "average"
    LAST = "last"
    MAX = "max"


def aggregate_units(values: Iterable[float | None], method: UnitAggregation,
                    weights: Iterable[float | None] | None = None) -> float | None:
    """Return the combined value of several units' values (missing ones skipped), or None."""
    method = UnitAggregation(method)
    if method is UnitAggregation.WEIGHTED_AVERAGE:
        if weights is None:
            raise ValueError("weighted_average needs weights")
        pairs = [(v, w) for v, w in zip(values, weights, strict=True) if v is not None and w is not None]
        total_weight = sum(w for _, w in pairs)
        return sum(v * w for v, w in pairs) / total_weight if total_weight else None
    present = [v for v in values if v is not None]
    if not present:
        return None
    if method is UnitAggregation.SUM:
        return float(sum(present))
    if method is UnitAggregation.AVERAGE:
        return sum(present) / len(present)
    if method is UnitAggregation.MIN:
        return float(min(present))
    if method is UnitAggregation.MAX:
        return float(max(present))
    return present[0] if len(present) == 1 else None


def aggregate_periods(series: Sequence[tuple[object, float | None]], method: PeriodAggregation) -> float | None:
    """Return the value of a longer period from (sortable period key, value) pairs, or None."""
    method = PeriodAggregation(method)
    present = sorted(((key, v) for key, v in series if v is not None), key=lambda kv: kv[0])  # type: ignore[arg-type, return-value]
    if not present:
        return None
    numbers = [v for _, v in present]
    if method is PeriodAggregation.SUM:
        return float(sum(numbers))
    if method is PeriodAggregation.AVERAGE:
        return sum(numbers) / len(numbers)
    if method is PeriodAggregation.MAX:
        return float(max(numbers))
    return numbers[-1]


def aggregate_formula(formula: Formula, values_by_unit: Mapping[str, Mapping[str, float | None]],
                      methods: Mapping[str, UnitAggregation],
                      missing: MissingValues = MissingValues.PROPAGATE) -> float | None:
    """Return an indicator's value over several units: aggregate each reference, then apply the formula."""
    combined = {
        code: aggregate_units((unit_values.get(code) for unit_values in values_by_unit.values()),
                              methods.get(code, UnitAggregation.SUM))
        for code in formula.references
    }
    return evaluate(formula, combined, missing)
