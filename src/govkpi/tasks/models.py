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
