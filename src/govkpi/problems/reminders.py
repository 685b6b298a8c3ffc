"""The clock's rule for problems: an answer past its day is told to the acting agency's task managers, once per
problem (the key names the problem), however often the rule runs."""

from __future__ import annotations

import datetime

from django.utils import timezone

from govkpi.notify.kinds import Kind
from govkpi.notify.outbox import Message
from govkpi.problems.actions import _managers, link
from govkpi.problems.models import Problem, ProblemState
from govkpi.reminders.sending import already_sent, send_all


def overdue_key(problem: Problem) -> str:
    return f"problem-overdue:{problem.pk}"


def problem_reminders(now: datetime.datetime) -> int:
    """Tell the acting agencies of the problems still unanswered after their answer day (the day after it, in
    Asia/Ho_Chi_Minh, onwards); returns how many notifications were written. Idempotent."""
    today = timezone.localdate(now)
    late = list(Problem.objects.filter(state=ProblemState.OPEN, answer_due__lt=today, raised_at__lte=now)
                .select_related("acting_unit", "raising_unit").order_by("pk"))
    sent = already_sent(overdue_key(p) for p in late)

    def message(p: Problem) -> Message:
        days = (today - p.answer_due).days
        raiser = p.raising_unit
        return Message(Kind.PROBLEM_OVERDUE, overdue_key(p),
                       f"Quá hạn trả lời {days} ngày: {p.title}",
                       f"Answer {days} day(s) overdue: {p.title}",
                       f"{raiser.name} nêu ngày {timezone.localdate(p.raised_at):%d/%m/%Y}; hạn trả lời "
                       f"{p.answer_due:%d/%m/%Y}.",
                       f"Raised by {raiser.name_en or raiser.name} on {timezone.localdate(p.raised_at):%d/%m/%Y}; "
                       f"answer was due {p.answer_due:%d/%m/%Y}.",
                       link(p), p.acting_unit, {"problem": p.pk, "days": days})

    return send_all((message(p), _managers(p.acting_unit)) for p in late if overdue_key(p) not in sent)
