"""Problems raised from below (vướng mắc, kiến nghị, điểm nghẽn): a lead unit tells the authority that must act
what blocks it, since when, and what it proposes; the authority answers within a deadline, and the problem is
resolved, turned into a task, or withdrawn. Every step is a dated event, so any past state can be read back."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govkpi.orgunits.models import OrgUnit


class ProblemKind(models.TextChoices):
    OBSTACLE = "vuong_mac", _("Vướng mắc")
    PROPOSAL = "kien_nghi", _("Kiến nghị")
    BOTTLENECK = "diem_nghen", _("Điểm nghẽn")


class ProblemState(models.TextChoices):
    OPEN = "open", _("Chờ trả lời")
    ANSWERED = "answered", _("Đã trả lời")
    RESOLVED = "resolved", _("Đã tháo gỡ")
    TASKED = "tasked", _("Đã giao thành nhiệm vụ")
    WITHDRAWN = "withdrawn", _("Đã rút")


# States in which the problem still waits for something: an answer (open), or its clearing (answered).
PENDING = (ProblemState.OPEN, ProblemState.ANSWERED)
CLOSED = (ProblemState.RESOLVED, ProblemState.TASKED, ProblemState.WITHDRAWN)


class Problem(models.Model):
    kind = models.CharField(_("loại"), max_length=16, choices=ProblemKind.choices)
    title = models.CharField(_("tiêu đề"), max_length=300)
    blocks = models.TextField(_("nội dung vướng mắc"))  # what blocks, in the raiser's words
    since = models.DateField(_("phát sinh từ ngày"), null=True, blank=True)
    proposal = models.TextField(_("đề xuất giải pháp"), blank=True)
    task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.PROTECT, related_name="problems",
                             verbose_name=_("nhiệm vụ liên quan"))
    raising_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="problems_raised",
                                     verbose_name=_("đơn vị nêu"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField()
    acting_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="problems_to_answer",
                                    verbose_name=_("cơ quan xử lý"))
    answer_due = models.DateField(_("hạn trả lời"))
    state = models.CharField(_("trạng thái"), max_length=16, choices=ProblemState.choices,
                             default=ProblemState.OPEN)
    answer = models.TextField(_("trả lời"), blank=True)
    answered_by = models.CharField(max_length=150, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome_task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="from_problems", verbose_name=_("nhiệm vụ được giao"))

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("vướng mắc, kiến nghị")
        verbose_name_plural = _("vướng mắc, kiến nghị")
        indexes = [models.Index(fields=["acting_unit", "state"], name="problem_acting_state_idx"),
                   models.Index(fields=["raising_unit", "state"], name="problem_raising_state_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}: {self.title}"


class ProblemEvent(models.Model):
    """The timeline of a problem: raised, answered, resolved, turned into a task, withdrawn; with the state after."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=16)  # raised | answered | resolved | tasked | withdrawn
    state = models.CharField(max_length=16, choices=ProblemState.choices)
    narrative = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
