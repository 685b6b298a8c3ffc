import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govkpi.core.aggregation import (
    PeriodAggregation,
    UnitAggregation,
    aggregate_formula,
    aggregate_periods,
    aggregate_units,
)
from govkpi.core.formulas import parse_formula
from govkpi.core.targets import TargetVersion, target_in_force

D = datetime.date


@pytest.mark.parametrize("method, expected", [
    ("sum", 10), ("average", 2.5), ("min", 1), ("max", 4),
])
def test_unit_aggregations_skip_missing_values(method, expected):
    assert aggregate_units([1, 2, None, 3, 4], method) == expected


def test_weighted_average_and_none():
    assert aggregate_units([10, 20], UnitAggregation.WEIGHTED_AVERAGE, [1, 3]) == 17.5
    assert aggregate_units([10, None], UnitAggregation.WEIGHTED_AVERAGE, [1, 3]) == 10
    assert aggregate_units([5], UnitAggregation.NONE) == 5
    assert aggregate_units([5, 6], UnitAggregation.NONE) is None
    assert aggregate_units([], UnitAggregation.SUM) is None


@pytest.mark.parametrize("method, expected", [("sum", 9), ("average", 3), ("last", 5), ("max", 5)])
def test_period_aggregations_use_period_order_not_input_order(method, expected):
    assert aggregate_periods([("202503", 5), ("202501", 1), ("202502", 3), ("202504", None)], method) == expected


def test_ratio_indicator_is_a_ratio_of_sums_not_an_average_of_ratios():
    """Made-up counts shaped like the seeds' case: the national rate (39.51%) differs from the provinces'.

    A ministry with many services mostly end to end and provinces with few, rarely end to end:
    the national rate is the summed numerator over the summed denominator.
    """
    rate = parse_formula("#{DVC_TOANTRINH} / #{DVC_TONG} * 100")
    units = {
        "BCA": {"DVC_TOANTRINH": 700, "DVC_TONG": 1000},
        "01": {"DVC_TOANTRINH": 30, "DVC_TONG": 200},
        "79": {"DVC_TOANTRINH": 2, "DVC_TONG": 10},
    }
    methods = {"DVC_TOANTRINH": UnitAggregation.SUM, "DVC_TONG": UnitAggregation.SUM}
    ratio_of_sums = aggregate_formula(rate, units, methods)
    average_of_ratios = sum(v["DVC_TOANTRINH"] / v["DVC_TONG"] * 100 for v in units.values()) / len(units)
    assert ratio_of_sums == pytest.approx(732 / 1210 * 100)  # 60.50%
    assert average_of_ratios == pytest.approx(35.0)  # (70% + 15% + 20%) / 3
    assert abs(ratio_of_sums - average_of_ratios) > 25
    provinces = {k: v for k, v in units.items() if k != "BCA"}
    assert aggregate_formula(rate, provinces, methods) == pytest.approx(32 / 210 * 100)


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=30), st.lists(st.floats(1, 1e6), min_size=1, max_size=30))
def test_ratio_of_sums_lies_between_the_smallest_and_largest_unit_ratio(numerators, denominators):
    n = min(len(numerators), len(denominators))
    units = {str(i): {"N": numerators[i], "D": denominators[i]} for i in range(n)}
    result = aggregate_formula(parse_formula("#{N} / #{D}"), units, {})
    ratios = [u["N"] / u["D"] for u in units.values()]
    assert min(ratios) - 1e-9 <= result <= max(ratios) + 1e-9


def test_target_in_force_follows_the_revision():
    july_2024 = TargetVersion(100, D(2025, 12, 31), set_on=D(2024, 7, 11), key="2024")
    feb_2025 = TargetVersion(80, D(2025, 12, 31), set_on=D(2025, 2, 6), key="2025")
    versions = [feb_2025, july_2024]
    assert target_in_force(versions, D(2025, 1, 1)).value == 100
    assert target_in_force(versions, D(2025, 6, 1)).value == 80
    assert target_in_force(versions, D(2025, 2, 6)).value == 80
    assert target_in_force(versions, D(2024, 1, 1)) is None
