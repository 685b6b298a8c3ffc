"""The audit trail: one append-only, hash-chained row per write.

Each row carries the HMAC of its own content and of the previous row's hash, keyed with a secret
that is not in the database: changing, removing or inserting a row behind the application's back
breaks the chain, and `govkpi audit verify` says where.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    seq = models.BigIntegerField(unique=True)  # 1, 2, 3… with no gaps: a gap is a removed row
    at = models.DateTimeField(_("thời điểm"))
    actor = models.CharField(_("người thực hiện"), max_length=150, blank=True)  # username, "" for the system
    action = models.CharField(_("hành động"), max_length=64, db_index=True)  # e.g. "catalog.indicator.create"
    object_type = models.CharField(max_length=64, blank=True)
    object_key = models.CharField(max_length=255, blank=True, db_index=True)
    unit = models.CharField(_("đơn vị"), max_length=32, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("bản ghi kiểm toán")
        verbose_name_plural = _("nhật ký kiểm toán")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Audit entries are never changed. / Bản ghi kiểm toán không được sửa.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("Audit entries are never deleted. / Bản ghi kiểm toán không được xóa.")

    def __str__(self) -> str:
        return f"#{self.seq} {self.at:%Y-%m-%d %H:%M:%S} {self.actor or '-'} {self.action} {self.object_key}"
