"""Reminders and escalations, driven by the clock: the two periodic jobs the worker calls.

- `scan(now)`: tasks due soon, overdue and escalated; reporting windows closing with units that have not
  reported; indicators turning off track; imports and connector runs that failed.
- `follow(now)`: the change events since the last run — data returned to a unit, data waiting for approval.

Both are idempotent: every notification has a stable key (govkpi.notify), so a second run sends nothing.
The rules and their recipients are in docs/reminders.md.
"""

from __future__ import annotations

import datetime


def scan(now: datetime.datetime) -> dict[str, int]:
    """Send what the clock makes due at `now`; returns how many notifications each rule wrote."""
    from govkpi.reminders.jobs import scan as run

    return run(now)


def follow(now: datetime.datetime) -> dict[str, int]:
    """Send what the change events since the last run call for; returns how many notifications each rule wrote."""
    from govkpi.reminders.jobs import follow as run

    return run(now)
