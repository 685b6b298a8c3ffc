"""Which version of a target is in force on a date.

A target line (one indicator, one scope) can be revised by a later directive: the 2024 goal of
100% online public services end to end by 2025 became 80% in February 2025. Every version is
kept; an evaluation on a date uses the latest version set on or before that date.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class TargetVersion:
    """One version of a target: its value, deadline and the date the directive set it."""

    value: float
    deadline: datetime.date
    set_on: datetime.date
    key: object = None  # the caller's identifier (a primary key, a code)


def target_in_force(versions: Iterable[TargetVersion], on: datetime.date) -> TargetVersion | None:
    """Return the version in force on the date (the latest set on or before it), or None if none yet."""
    candidates = [v for v in versions if v.set_on <= on]
    return max(candidates, key=lambda v: v.set_on) if candidates else None
