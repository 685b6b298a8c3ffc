"""Comment threads: who takes part, reading a thread, posting to it (audited, the other participants notified).

A submission's thread (officer ↔ approver) is for the unit's readers and its approvers (`datavalues.approval`'s
rule); a task's (lead unit ↔ assigning authority) for the readers of its lead unit or of the unit that assigned
it, the same people the read door shows the task's narratives to (`Viewer.reads_task`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from govkpi.accounts.permissions import can
from govkpi.accounts.roles import Action
from govkpi.audit.trail import record
from govkpi.core.periods import PeriodError, parse_period
from govkpi.datavalues.approval import approver_unit
from govkpi.discussion.models import Comment, ThreadKind
from govkpi.notify.kinds import Kind
from govkpi.notify.outbox import Message, notify
from govkpi.notify.recipients import nearest_with
from govkpi.orgunits.models import OrgUnit
from govkpi.reads.visibility import Viewer
from govkpi.tasks.actions import assigner_unit
from govkpi.tasks.models import Task

BODY_MAX_CHARS = 4000  # a comment is a message, not a report: a long text belongs in an evidence file


class DiscussionError(Exception):
    """A comment refused, with a code and the reason in Vietnamese and English."""

    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.code, self.message_vi, self.message_en = code, message_vi, message_en


@dataclass(frozen=True)
class Thread:
    """Where comments belong: a unit's submission for a period, or a task."""

    kind: str
    unit: OrgUnit | None = None
    period: str = ""
    task: Task | None = None

    @property
    def key(self) -> str:
        """A stable name of the thread ("submission:01/202606", "task:CP-2025-01") for the trail and notices."""
        if self.task is not None:
            return f"task:{self.task.code}"
        return f"submission:{self.unit.code if self.unit else ''}/{self.period}"

    @property
    def link(self) -> str:
        """The page the thread is shown on (the data form or the task), at the thread."""
        if self.task is not None:
            return reverse("web:task", args=[self.task.code]) + "#comments"
        return reverse("web:data_entry", args=[self.unit.code, self.period]) + "#comments"

    @property
    def label_vi(self) -> str:
        if self.task is not None:
            return f"nhiệm vụ «{self.task.title}»"
        return f"số liệu {parse_period(self.period).label_vi} của {self.unit.name}"

    @property
    def label_en(self) -> str:
        if self.task is not None:
            return f"task {self.task.code}"
        return f"{self.unit.code}'s data for {parse_period(self.period).label_en}"

    def comments(self) -> Any:
        if self.task is not None:
            return Comment.objects.filter(kind=ThreadKind.TASK, task=self.task)
        return Comment.objects.filter(kind=ThreadKind.SUBMISSION, unit=self.unit, period=self.period)


def submission(unit: OrgUnit, period: str) -> Thread:
    """The thread of a unit's data for a period (the period in the writer's identifier)."""
    try:
        period = parse_period(period).id
    except PeriodError as error:
        raise DiscussionError("bad_period", error.message_vi, error.message_en) from None
    return Thread(ThreadKind.SUBMISSION, unit=unit, period=period)


def of_task(task: Task) -> Thread:
    """The thread of a task."""
    return Thread(ThreadKind.TASK, task=task)


def takes_part(user: Any, thread: Thread) -> bool:
    """True when the user may read and post in the thread."""
    if not getattr(user, "is_authenticated", False):
        return False
    if thread.task is not None:
        return Viewer(user).reads_task(thread.task)
    assert thread.unit is not None
    return can(user, Action.READ, thread.unit) or can(user, Action.APPROVE, approver_unit(thread.unit))


def read(viewer: Any, thread: Thread) -> list[Comment]:
    """The thread's comments, oldest first, for a participant; PermissionDenied for anyone else."""
    if not takes_part(viewer, thread):
        raise PermissionDenied("Không có quyền xem trao đổi này. / Not allowed to read this thread.")
    return list(thread.comments().select_related("author"))


def submission_counts(cells: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """How many comments each submission thread (unit id, period) holds, in one query (the approver's inbox)."""
    if not cells:
        return {}
    rows = (Comment.objects.filter(kind=ThreadKind.SUBMISSION, unit_id__in={u for u, _p in cells},
                                   period__in={p for _u, p in cells})
            .values_list("unit_id", "period").annotate(n=Count("id")))
    return {(unit_id, period): n for unit_id, period, n in rows if (unit_id, period) in set(cells)}


def participants(thread: Thread) -> list[AbstractBaseUser]:
    """Who a new comment concerns: the nearest people of both sides (the unit's data entry staff and its
    approvers; the lead unit's and the assigner's task managers) and whoever wrote in the thread, each still
    allowed to take part."""
    people: dict[int, AbstractBaseUser] = {}
    if thread.task is not None:
        sides = [(thread.task.lead_unit, Action.MANAGE_TASKS), (assigner_unit(thread.task), Action.MANAGE_TASKS)]
    else:
        assert thread.unit is not None
        sides = [(thread.unit, Action.ENTER), (approver_unit(thread.unit), Action.APPROVE)]
    for unit, action in sides:
        if unit is not None:
            people.update((u.pk, u) for u in nearest_with(unit, action)[1])
    for comment in thread.comments().select_related("author"):
        people.setdefault(comment.author_id, comment.author)
    return [u for _pk, u in sorted(people.items()) if u.is_active and takes_part(u, thread)]


@transaction.atomic
def post(author: Any, thread: Thread, body: str) -> Comment:
    """Add a comment to the thread: refused when empty, too long, or from someone outside it; recorded in the
    audit trail; the other participants notified (Kind.COMMENT, one notice per comment)."""
    if not takes_part(author, thread):
        raise PermissionDenied("Không có quyền trao đổi ở đây. / Not allowed to comment here.")
    body = (body or "").strip()
    if not body:
        raise DiscussionError("empty", "Ý kiến không được để trống.", "A comment cannot be empty.")
    if len(body) > BODY_MAX_CHARS:
        raise DiscussionError("too_long", f"Ý kiến dài quá {BODY_MAX_CHARS} ký tự.",
                              f"A comment is at most {BODY_MAX_CHARS} characters.")
    comment = Comment.objects.create(kind=thread.kind, unit=thread.unit, period=thread.period, task=thread.task,
                                     author=author, body=body, created_at=timezone.now())
    unit = thread.unit or (thread.task.lead_unit if thread.task else None)
    record("comment.post", actor=author, object_type="Comment", object_key=str(comment.pk),
           unit=unit.code if unit else "", after={"thread": thread.key, "body": body})
    name = author.get_full_name() or author.get_username()
    others = [u for u in participants(thread) if u.pk != author.pk]
    notify(Message(kind=Kind.COMMENT, key=f"comment:{comment.pk}",
                   title_vi=f"{name} trao đổi về {thread.label_vi}", title_en=f"{name} commented on {thread.label_en}",
                   body_vi=body[:500], body_en=body[:500], link=thread.link, unit=unit,
                   data={"thread": thread.key, "comment": comment.pk}), others)
    return comment
