"""Comment threads: one per submission (a unit's data for a period) and one per task. A comment is never edited
or deleted: what was said stays said, as in the audit trail that records each one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from govkpi.orgunits.models import OrgUnit


class ThreadKind(models.TextChoices):
    SUBMISSION = "submission", _("Số liệu gửi phê duyệt")
    TASK = "task", _("Nhiệm vụ")


class Comment(models.Model):
    """One message in a thread: a submission's (unit and period set, no task) or a task's (task set)."""

    kind = models.CharField(max_length=16, choices=ThreadKind.choices)
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=16, blank=True)  # the writer's identifier: 202606, 2026Q2
    task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["unit", "period", "created_at"], name="comment_submission_idx"),
                   models.Index(fields=["task", "created_at"], name="comment_task_idx")]
        constraints = [models.CheckConstraint(
            condition=(Q(kind="submission", task__isnull=True, unit__isnull=False) & ~Q(period=""))
            | Q(kind="task", task__isnull=False, unit__isnull=True, period=""),
            name="comment_one_thread")]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}: {self.body[:40]}"
