"""Judging a value against its target: pure functions, each with its formula in docs/methodology.md.

- achievement: how much of the target is reached, direction-aware, capped at 100% (the uncapped figure is kept);
- expected: where the value should be on a straight line from the baseline to the target at the deadline;
- status: achieved, on track, at risk, off track or no data, from the target's traffic-light thresholds;
- forecast: the value at the deadline from the series, by an ordinary least-squares line, with a 95% interval;
- ESCAP measures: the current status index and the anticipated progress ratio (actual ÷ required compound
  annual growth) with ESCAP's categories.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

CAP = 100.0
_DAYS_PER_YEAR = 365.25
# Two-sided 95% Student t quantiles by degrees of freedom (beyond 30 the normal 1.96 is close enough).
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
        11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
        20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048,
        29: 2.045, 30: 2.042}


class Direction(str, Enum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"
    WITHIN_BAND = "within_band"


class Status(str, Enum):
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    NO_DATA = "no_data"


class EscapCategory(str, Enum):
    ON_TRACK = "on_track"  # ratio ≥ 1: the target will be met at the present pace
    ACCELERATE = "accelerate"  # 0.5 ≤ ratio < 1: fair progress, acceleration needed
    SIGNIFICANTLY_ACCELERATE = "significantly_accelerate"  # 0 ≤ ratio < 0.5: limited progress
    REGRESSING = "regressing"  # ratio < 0: moving away from the target (reverse the trend)


def achievement(value: float | None, target: float, direction: Direction | str = Direction.HIGHER_IS_BETTER,
                band: tuple[float, float] | None = None) -> tuple[float | None, float | None]:
    """Return (capped, uncapped) achievement in percent.

    Higher is better: value ÷ target. Lower is better: target ÷ value (a value of 0 reaches any target ≥ 0).
    Within a band [low, high]: 100 inside; outside, 100 minus the distance to the band as a percentage of the
    band's nearer edge. Capped to [0, 100] so that over-achieving one indicator cannot hide another's shortfall.
    """
    if value is None:
        return None, None
    direction = Direction(direction)
    if direction is Direction.WITHIN_BAND:
        low, high = band if band else (target, target)
        if low <= value <= high:
            raw = 100.0
        else:
            edge = low if value < low else high
            raw = 100.0 - abs(value - edge) / abs(edge) * 100 if edge else 0.0
    elif direction is Direction.LOWER_IS_BETTER:
        raw = 100.0 if value <= 0 <= target else (target / value * 100 if value else 0.0)
    else:
        raw = value / target * 100 if target else (100.0 if value >= target else 0.0)
    return max(0.0, min(CAP, raw)), raw


def expected_on_trajectory(baseline: float | None, baseline_date: datetime.date | None, target: float,
                           deadline: datetime.date, on: datetime.date) -> float | None:
    """The value a straight line from (baseline date, baseline) to (deadline, target) gives on a day.

    Before the baseline the baseline is expected; after the deadline the target. None without a baseline.
    """
    if baseline is None or baseline_date is None:
        return None
    if on <= baseline_date:
        return baseline
    if on >= deadline or deadline <= baseline_date:
        return target
    share = (on - baseline_date).days / (deadline - baseline_date).days
    return baseline + (target - baseline) * share


def status(value: float | None, target: float, expected: float | None, direction: Direction | str,
           green_from: float = 100.0, amber_from: float = 80.0,
           band: tuple[float, float] | None = None) -> Status:
    """The traffic light: achieved when the target is met; else progress against the trajectory (value ÷
    expected, direction-aware; against the target itself when there is no trajectory) — on track at or above
    `green_from` percent, at risk at or above `amber_from`, off track below."""
    if value is None:
        return Status.NO_DATA
    _capped, raw = achievement(value, target, direction, band)
    if raw is not None and raw >= 100:
        return Status.ACHIEVED
    reference = expected if expected is not None else target
    _capped, progress = achievement(value, reference, direction, band)
    if progress is None:
        return Status.NO_DATA
    if progress >= green_from:
        return Status.ON_TRACK
    return Status.AT_RISK if progress >= amber_from else Status.OFF_TRACK


@dataclass(frozen=True)
class Forecast:
    value: float
    low: float
    high: float
    method: str = "ols_linear_95"
    points: int = 0


def _years(day: datetime.date, origin: datetime.date) -> float:
    return (day - origin).days / _DAYS_PER_YEAR


def forecast(series: Sequence[tuple[datetime.date, float]], deadline: datetime.date) -> Forecast | None:
    """The value at the deadline on the least-squares line through the series (at least three points), with the
    95% prediction interval ŷ ± t(n−2) · s · √(1 + 1/n + (x₀ − x̄)² / Sxx)."""
    points = sorted(series)
    n = len(points)
    if n < 3:
        return None
    origin = points[0][0]
    xs = [_years(day, origin) for day, _value in points]
    ys = [value for _day, value in points]
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    x0 = _years(deadline, origin)
    predicted = intercept + slope * x0
    residual = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    s = math.sqrt(residual / (n - 2))
    half = _T95.get(n - 2, 1.96) * s * math.sqrt(1 + 1 / n + (x0 - mean_x) ** 2 / sxx)
    return Forecast(value=predicted, low=predicted - half, high=predicted + half, points=n)


def current_status_index(current: float, baseline: float, target: float) -> tuple[float, float] | None:
    """ESCAP's current status index: the share of the way from the baseline to the target travelled so far,
    (I_cr − I_0) ÷ (I_t − I_0), in percent; returned as (capped to [0, 100], raw). None when the target equals
    the baseline (there is no way to travel)."""
    if target == baseline:
        return None
    raw = (current - baseline) / (target - baseline) * 100
    return max(0.0, min(100.0, raw)), raw


def anticipated_progress(current: float, current_date: datetime.date, baseline: float,
                         baseline_date: datetime.date, target: float,
                         deadline: datetime.date) -> tuple[float, EscapCategory] | None:
    """ESCAP's anticipated progress: the ratio of the actual compound annual growth rate since the baseline,
    CR_a = (I_cr / I_0)^(1 / (t_cr − t_0)) − 1, to the growth rate required to reach the target by the deadline,
    CR_r = (I_t / I_0)^(1 / (T − t_0)) − 1; the ratio's category follows ESCAP's thresholds (1, 0.5, 0).
    A lower-is-better indicator works the same way (both rates are negative, the ratio positive when on course).
    None when the rates are not defined: non-positive values, no time elapsed, or no growth required."""
    elapsed, horizon = _years(current_date, baseline_date), _years(deadline, baseline_date)
    if baseline <= 0 or current <= 0 or target <= 0 or elapsed <= 0 or horizon <= 0:
        return None
    actual = (current / baseline) ** (1 / elapsed) - 1
    required = (target / baseline) ** (1 / horizon) - 1
    if required == 0:
        return None
    ratio = actual / required
    return ratio, escap_category(ratio)


def escap_category(ratio: float) -> EscapCategory:
    if ratio >= 1:
        return EscapCategory.ON_TRACK
    if ratio >= 0.5:
        return EscapCategory.ACCELERATE
    if ratio >= 0:
        return EscapCategory.SIGNIFICANTLY_ACCELERATE
    return EscapCategory.REGRESSING
