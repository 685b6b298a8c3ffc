"""A task being written in a form: its deadline words read back as a date, and the 6 rõ points it still misses.

The forms show both as the user types (web.task_form_views.form_check) and again on submit; the same
functions answer both, so what is shown is what will be saved.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from govkpi.core.deadlines import DeadlineError, parse_deadline
from govkpi.core.six_clear import LABELS_VI, check_six_clear
from govkpi.tasks.models import Assignees

FANS_OUT = {a.value for a in Assignees if a != Assignees.SOME}
RECURRENCE_VI = {"weekly": "hằng tuần", "monthly": "hằng tháng", "quarterly": "hằng quý",
                 "sixmonthly": "6 tháng một lần", "yearly": "hằng năm"}


@dataclass(frozen=True)
class DeadlineReading:
    """What deadline words mean, as the form shows it back: a date, a recurrence, no date, or why not."""

    text: str
    due: datetime.date | None = None
    recurrence: str = ""
    undated: bool = False  # "khẩn trương": kept as written, missing "rõ thời gian"
    code: str = ""  # the error's code when the words are refused
    message_vi: str = ""
    message_en: str = ""

    @property
    def ok(self) -> bool:
        """True when the words may be saved (a date, a recurrence, an undated phrase, or nothing)."""
        return not self.code

    @property
    def shown(self) -> str:
        """The read-back line: "Thời hạn: tháng 8/2025 → 31/08/2025"."""
        words = " ".join(self.text.split())
        if not words:
            return _("Chưa có thời hạn: thiếu «rõ thời gian».")
        if self.code:
            return self.message_vi
        if self.undated:
            return _("Thời hạn: %(words)s → không có ngày cụ thể (giữ nguyên văn; thiếu «rõ thời gian»)") % {
                "words": words}
        parts = []
        if self.recurrence:
            parts.append(_("định kỳ %(every)s") % {"every": RECURRENCE_VI.get(self.recurrence, self.recurrence)})
        if self.due:
            parts.append(self.due.strftime("%d/%m/%Y"))
        return _("Thời hạn: %(words)s → %(meaning)s") % {"words": words, "meaning": ", ".join(parts)}


def read_back(text: str, reference: datetime.date) -> DeadlineReading:
    """Read deadline words as the task actions will (undated phrases accepted), as of the directive's date."""
    if not text.strip():
        return DeadlineReading(text)
    try:
        deadline = parse_deadline(text, reference=reference, accept_undated=True)
    except DeadlineError as error:
        return DeadlineReading(text, code=error.code, message_vi=error.message_vi, message_en=error.message_en)
    return DeadlineReading(text, due=deadline.due, undated=deadline.undated,
                           recurrence=deadline.recurrence.value if deadline.recurrence else "")


def missing_points(*, title: str, responsible: str, deadline: DeadlineReading, lead: str, assignees: str,
                   product: str, accepting_authority: str) -> list[str]:
    """The 6 rõ points the draft misses, in the principle's order ("time" for refused or undated words)."""
    return check_six_clear(
        responsible=responsible, title=title, deadline=deadline.due if deadline.ok else None,
        recurring=bool(deadline.recurrence) and deadline.ok, lead_unit=lead or None,
        fans_out=assignees in FANS_OUT, product=product, accepting_authority=accepting_authority).missing


def point_labels(points: list[str]) -> list[str]:
    """The Vietnamese names of the points ("rõ thời gian")."""
    return [LABELS_VI[p] for p in points]
