"""The "6 rõ" check (sáu rõ): is a task clear on person, task, time, responsibility, product, authority?

The Prime Minister asks that every task be assigned "rõ người, rõ việc, rõ thời gian, rõ trách nhiệm,
rõ sản phẩm, rõ thẩm quyền". A point is clear when the assignment itself says it; a task whose
deadline could not be read, or that names no answerable unit, shows up as unclear on that point.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

POINTS = ("person", "task", "time", "responsibility", "product", "authority")
LABELS_VI = {
    "person": "rõ người", "task": "rõ việc", "time": "rõ thời gian",
    "responsibility": "rõ trách nhiệm", "product": "rõ sản phẩm", "authority": "rõ thẩm quyền",
}
MIN_TASK_WORDS = 3  # a title of one or two words ("Dữ liệu") does not say what to do


@dataclass(frozen=True)
class Clarity:
    """Which of the six points a task makes clear."""

    person: bool
    task: bool
    time: bool
    responsibility: bool
    product: bool
    authority: bool

    @property
    def missing(self) -> list[str]:
        """The points that are not clear, in the order of the principle."""
        return [p for p in POINTS if not getattr(self, p)]

    @property
    def score(self) -> int:
        """How many of the six points are clear."""
        return 6 - len(self.missing)


def check_six_clear(*, responsible: str, title: str, deadline: datetime.date | None, recurring: bool,
                    lead_unit: str | None, fans_out: bool, product: str, accepting_authority: str) -> Clarity:
    """Return which of the six points a task's assignment makes clear."""
    return Clarity(
        person=bool(responsible.strip()),
        task=len(title.split()) >= MIN_TASK_WORDS,
        time=deadline is not None or recurring,
        responsibility=bool(lead_unit) or fans_out,
        product=bool(product.strip()),
        authority=bool(accepting_authority.strip()),
    )
