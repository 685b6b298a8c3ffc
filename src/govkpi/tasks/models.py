"""Directives: the documents that give tasks and set targets (tasks themselves come with the tasks work)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from govkpi.orgunits.models import OrgUnit


class DirectiveKind(models.TextChoices):
    RESOLUTION = "nghi_quyet", _("Nghị quyết")
    CONCLUSION = "ket_luan", _("Kết luận")
    MEETING_CONCLUSION = "thong_bao_ket_luan", _("Thông báo kết luận phiên họp")
    DIRECTIVE = "chi_thi", _("Chỉ thị")
    DECISION = "quyet_dinh", _("Quyết định")
    PLAN = "ke_hoach", _("Kế hoạch")
    OFFICIAL_LETTER = "cong_van", _("Công văn")


class Directive(models.Model):
    code = models.CharField(_("mã"), max_length=64, unique=True)
    kind = models.CharField(_("loại văn bản"), max_length=32, choices=DirectiveKind.choices)
    number = models.CharField(_("số hiệu"), max_length=64, blank=True)
    issued_on = models.DateField(_("ngày ban hành"))
    date_inferred = models.BooleanField(_("ngày suy ra"), default=False)
    issuing_body = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="directives", verbose_name=_("cơ quan ban hành"))
    title = models.CharField(_("trích yếu"), max_length=500)
    meeting = models.CharField(_("phiên họp"), max_length=500, blank=True)
    url = models.URLField(_("liên kết"), blank=True)
    source_file = models.CharField(_("tệp nguồn"), max_length=255, blank=True)

    class Meta:
        ordering = ["issued_on", "code"]
        verbose_name = _("văn bản chỉ đạo")
        verbose_name_plural = _("văn bản chỉ đạo")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or self.code} ({self.issued_on:%d/%m/%Y})"


class ProductKind(models.TextChoices):
    LEGAL_DOCUMENT = "legal_document", _("Văn bản quy phạm pháp luật")
    SCHEME = "scheme", _("Đề án")
    PLAN = "plan", _("Kế hoạch")
    STRATEGY = "strategy", _("Chiến lược")
    DIRECTIVE = "directive", _("Chỉ thị")
    INFORMATION_SYSTEM = "information_system", _("Hệ thống thông tin")
    DATABASE = "database", _("Cơ sở dữ liệu")
    REPORT = "report", _("Báo cáo")
    PLATFORM = "platform", _("Nền tảng")
    PROGRAMME = "programme", _("Chương trình")
    OTHER = "other", _("Khác")


class Assignees(models.TextChoices):
    """Tasks given to many units at once; they fan out into one sub-task per unit."""

    ALL_MINISTRIES_AND_PROVINCES = "all_ministries_and_provinces", _("Các bộ, ngành, địa phương")
    ALL_MINISTRIES = "all_ministries", _("Các bộ, ngành")
    ALL_PROVINCES = "all_provinces", _("Các tỉnh, thành phố")
    ALL_COMMUNES = "all_communes", _("Các xã, phường, đặc khu")
    SOME = "some", _("Một số đơn vị (chưa nêu tên)")


class Priority(models.TextChoices):
    HIGH = "high", _("Cao")
    NORMAL = "normal", _("Bình thường")


class Stage(models.TextChoices):
    """What the assignee last reported; overdue is derived from the clock, never stored.

    The same values as `core.task_status.Stage`, which the domain logic uses; this copy adds the labels.
    """

    NOT_STARTED = "not_started", _("Chưa triển khai")
    IN_PROGRESS = "in_progress", _("Đang thực hiện")
    DONE = "done", _("Hoàn thành")
    PAUSED = "paused", _("Tạm dừng")
    CANCELLED = "cancelled", _("Hủy bỏ")


class Task(models.Model):
    """One task under the "6 rõ" principle (sáu rõ: clear person, task, time, responsibility,
    product, authority)."""

    code = models.CharField(_("mã"), max_length=64, unique=True)
    title = models.CharField(_("nhiệm vụ"), max_length=300)
    content = models.TextField(_("nội dung"), blank=True)
    directive = models.ForeignKey(Directive, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks",
                                  verbose_name=_("văn bản giao"))
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    # The unit answerable today, and the one the directive named (they differ after a reorganisation).
    lead_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="led_tasks",
                                  verbose_name=_("cơ quan chủ trì"))
    assigned_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("giao ban đầu cho"))
    lead_text = models.CharField(max_length=300, blank=True)
    coordinating_units = models.ManyToManyField(OrgUnit, blank=True, related_name="coordinated_tasks",
                                                verbose_name=_("cơ quan phối hợp"))
    coordinating_text = models.CharField(max_length=500, blank=True)
    assignees = models.CharField(_("giao cho nhiều đơn vị"), max_length=40, choices=Assignees.choices, blank=True)
    assignees_text = models.CharField(max_length=300, blank=True)
    responsible_position = models.CharField(_("người chịu trách nhiệm (chức vụ)"), max_length=200, blank=True)
    responsible_name = models.CharField(_("người chịu trách nhiệm (họ tên)"), max_length=200, blank=True)
    deadline_text = models.CharField(_("thời hạn (nguyên văn)"), max_length=300, blank=True)
    deadline = models.DateField(_("thời hạn"), null=True, blank=True)  # in force now (extensions applied)
    original_deadline = models.DateField(_("thời hạn ban đầu"), null=True, blank=True)
    starts = models.DateField(null=True, blank=True)
    recurrence = models.CharField(_("định kỳ"), max_length=16, blank=True)
    period = models.CharField(_("kỳ"), max_length=16, blank=True)  # the occurrence of a recurring task
    product_kind = models.CharField(_("loại sản phẩm"), max_length=32, choices=ProductKind.choices, blank=True)
    product = models.TextField(_("sản phẩm"), blank=True)
    accepting_authority = models.CharField(_("cấp có thẩm quyền nghiệm thu"), max_length=300, blank=True)
    accepting_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    themes = models.ManyToManyField("indicators.Theme", blank=True, related_name="+")
    indicators = models.ManyToManyField("indicators.Indicator", blank=True, related_name="tasks")
    assigned_on = models.DateField(_("ngày giao"))
    stage = models.CharField(_("tình trạng báo cáo"), max_length=16, choices=Stage.choices, default=Stage.NOT_STARTED)
    stage_since = models.DateField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(_("tiến độ %"), default=0)
    product_url = models.CharField(_("sản phẩm (liên kết)"), max_length=500, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.CharField(max_length=150, blank=True)
    # True when the stage and progress were made up for a demonstration (shown as such everywhere).
    demo_status = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("nhiệm vụ")
        verbose_name_plural = _("nhiệm vụ")
        indexes = [models.Index(fields=["lead_unit", "deadline"], name="task_lead_deadline_idx")]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class TaskEvent(models.Model):
    """The timeline of a task: every report, decision and change, with who and when."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    day = models.DateField()  # the Asia/Ho_Chi_Minh calendar day of `at`: what deadlines compare with
    actor = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=32)  # created, progress, stage, extension_requested, extension_decided, …
    stage = models.CharField(max_length=16, blank=True)
    percent = models.PositiveSmallIntegerField(null=True, blank=True)
    narrative = models.TextField(blank=True)
    evidence_url = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class DeadlineChange(models.Model):
    """An extension (or adjustment) requested and decided by the assigner; both deadlines are kept."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="deadline_changes")
    deadline_text = models.CharField(max_length=300)
    deadline = models.DateField(null=True, blank=True)
    previous_deadline = models.DateField(null=True, blank=True)
    reason = models.TextField()
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField()
    approved = models.BooleanField(null=True)  # None: waiting for the assigner
    decided_by = models.CharField(max_length=150, blank=True)
    decided_on = models.DateField(null=True, blank=True)  # takes effect from this day

    class Meta:
        ordering = ["requested_at"]


class Evidence(models.Model):
    """A file handed in with a progress report or as the product; kept with its digest, served after a scope check."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="evidence")
    event = models.ForeignKey(TaskEvent, null=True, on_delete=models.SET_NULL, related_name="files")
    file = models.FileField(upload_to="evidence/%Y/%m/")
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.CharField(max_length=150, blank=True)
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]
