"""Stored briefs: each file kept with the moment of its data (as_of), so it can be produced again identically."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Format(models.TextChoices):
    XLSX = "xlsx", "XLSX"
    DOCX = "docx", "DOCX"
    PDF = "pdf", "PDF"


class Schedule(models.TextChoices):
    NONE = "", _("Theo yêu cầu")
    MONTHLY = "monthly", _("Hằng tháng")
    QUARTERLY = "quarterly", _("Hằng quý")


class Report(models.Model):
    scope = models.CharField(_("phạm vi"), max_length=32)  # "national" or a unit code
    period = models.CharField(_("kỳ"), max_length=16)  # 202610, 2026Q3
    format = models.CharField(_("định dạng"), max_length=8, choices=Format.choices)
    language = models.CharField(_("ngôn ngữ"), max_length=8, default="vi")
    as_of = models.DateTimeField(_("số liệu tính đến"))
    produced_at = models.DateTimeField(_("lập lúc"))
    produced_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    # Whose view of the data the file holds: "all" (a reader of the whole country) or the digest of the units
    # its producer could read (reads.scope.scope_key); a stored file goes only to readers with the same view.
    readers = models.CharField(max_length=32)
    schedule = models.CharField(_("lịch"), max_length=16, choices=Schedule.choices, blank=True, default="")
    file = models.FileField(upload_to="briefs/%Y/%m/")
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["-produced_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["schedule", "scope", "period", "format"],
                                               condition=~Q(schedule=""), name="brief_scheduled_once")]

    def __str__(self) -> str:
        return f"{self.scope} {self.period} {self.format}"

    @property
    def filename(self) -> str:
        return f"bao-cao-giao-ban-{self.scope}-{self.period}-{self.language}.{self.format}"
