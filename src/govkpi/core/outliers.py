"""Is a new value far from a unit's own history? The modified z-score (Iglewicz and Hoaglin, 1993).

A value is an outlier when |0.6745 (x − median) / MAD| > 3.5 over the unit's previous values (at least
four of them). When the history never varies (MAD = 0), a value more than 50% away from it is an outlier.
Outliers are not refused: the person reporting is asked for a comment, and the value is flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median

MIN_HISTORY = 4
THRESHOLD = 3.5
FLAT_TOLERANCE = 0.5
BIG_CHANGE = 0.5  # half as much again, or half gone, since the period before: an approver looks twice


def is_outlier(value: float, history: Sequence[float]) -> bool:
    """True when `value` lies far outside the unit's previous values."""
    if len(history) < MIN_HISTORY:
        return False
    centre = median(history)
    spread = median(abs(x - centre) for x in history)
    if spread == 0:
        return abs(value - centre) > FLAT_TOLERANCE * abs(centre) if centre else value != 0
    return abs(0.6745 * (value - centre) / spread) > THRESHOLD


def big_change(value: float | None, previous: float | None) -> bool:
    """True when a value moved by half or more since the period before (from zero: any value). What an approver
    checks when the unit has too little history for the z-score (fewer than MIN_HISTORY periods)."""
    if value is None or previous is None:
        return False
    if previous == 0:
        return value != 0
    return abs(value - previous) >= BIG_CHANGE * abs(previous)
