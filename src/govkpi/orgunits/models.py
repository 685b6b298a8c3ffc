"""Organisation units: the Government, ministries, provinces and communes, with their history.

A unit never disappears: a dissolved ministry or a merged province keeps its row with a
`valid_to` date and a `Succession` link to the unit(s) that took over its work, so values and
tasks stay attached to the unit that reported or received them.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

PATH_SEPARATOR = "/"


class Kind(models.TextChoices):
    """A unit's tier, used by filters and peer groups."""

    GOVERNMENT = "government", _("Chính phủ")
    MINISTRY = "ministry", _("Bộ, cơ quan ngang bộ")
    PROVINCE = "province", _("Tỉnh, thành phố")
    COMMUNE = "commune", _("Xã, phường, đặc khu")


class LegalType(models.TextChoices):
    """The exact legal type of a unit within its tier."""

    GOVERNMENT = "government", _("Chính phủ")
    MINISTRY = "ministry", _("Bộ")
    MINISTRY_LEVEL_AGENCY = "ministry_level_agency", _("Cơ quan ngang bộ")
    PROVINCE = "province", _("Tỉnh")
    CENTRAL_CITY = "central_city", _("Thành phố trực thuộc trung ương")
    COMMUNE = "commune", _("Xã")
    WARD = "ward", _("Phường")
    TOWNSHIP = "township", _("Thị trấn")  # a tier of communes until 2025-06-30 (the seat of a district)
    SPECIAL_ZONE = "special_zone", _("Đặc khu")


class UnitQuerySet(models.QuerySet["OrgUnit"]):
    def valid_on(self, day: datetime.date) -> "UnitQuerySet":
        """Units that existed on the given day."""
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )

    def current(self) -> "UnitQuerySet":
        """Units that exist today (no end of validity)."""
        return self.filter(valid_to__isnull=True)

    def subtree(self, unit: "OrgUnit") -> "UnitQuerySet":
        """The unit and all units below it: one indexed prefix query on the path."""
        return self.filter(path__startswith=unit.path)


class OrgUnit(models.Model):
    code = models.CharField(_("mã"), max_length=32, unique=True)
    name = models.CharField(_("tên chính thức"), max_length=255)
    short_name = models.CharField(_("tên ngắn"), max_length=255)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=255, blank=True)
    kind = models.CharField(_("cấp"), max_length=20, choices=Kind.choices, db_index=True)
    legal_type = models.CharField(_("loại hình"), max_length=32, choices=LegalType.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("cấp trên")
    )
    level = models.PositiveSmallIntegerField(_("cấp độ"), default=0)
    # "/CP/01/00004/": every ancestor's code, so a subtree is one `LIKE '/CP/01/%'` on an index.
    path = models.CharField(_("đường dẫn"), max_length=255, db_index=True)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    source = models.CharField(_("nguồn dữ liệu"), max_length=255, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        indexes = [models.Index(fields=["kind", "valid_to"], name="orgunit_kind_valid_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    def valid_on(self, day: datetime.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def ancestor_codes(self) -> list[str]:
        """Codes from the root down to the parent, read from the materialised path."""
        return [c for c in self.path.split(PATH_SEPARATOR) if c][:-1]

    def is_within(self, other: "OrgUnit") -> bool:
        """True when this unit is `other` or lies below it."""
        return self.path.startswith(other.path)


def build_path(parent_path: str | None, code: str) -> str:
    """Return the materialised path of a unit under a parent path (or at the root)."""
    return f"{parent_path or PATH_SEPARATOR}{code}{PATH_SEPARATOR}"


class SuccessionKind(models.TextChoices):
    MERGE = "merge", _("Sáp nhập")
    SPLIT = "split", _("Chia tách")
    RENAME = "rename", _("Đổi tên")
    TRANSFER = "transfer", _("Chuyển giao chức năng")
    CONTINUE = "continue", _("Giữ nguyên địa giới, chuyển sang mô hình mới")


class Succession(models.Model):
    """One predecessor → successor link with the date it took effect."""

    predecessor = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="successor_links")
    successor = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="predecessor_links")
    kind = models.CharField(max_length=16, choices=SuccessionKind.choices)
    effective = models.DateField(_("ngày hiệu lực"))
    # The successor that answers for the predecessor's tasks and indicators when there are several.
    is_main = models.BooleanField(default=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["predecessor", "successor"], name="succession_unique_pair"),
        ]
        ordering = ["predecessor__code", "-is_main", "successor__code"]

    def __str__(self) -> str:
        return f"{self.predecessor.code} → {self.successor.code} ({self.kind}, {self.effective})"


class UnitAlias(models.Model):
    """A key under which people find a unit: its names and abbreviations, folded (see core.names)."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="aliases")
    key = models.CharField(max_length=255, db_index=True)
    plain_key = models.CharField(max_length=255, db_index=True)
    # full: the whole official name; short: without the legal-type prefix; abbreviation: from the list.
    origin = models.CharField(max_length=16)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "key", "origin"], name="alias_unique")]

    def __str__(self) -> str:
        return f"{self.key} → {self.unit.code}"


class CodeScheme(models.TextChoices):
    """Who assigned an alternative code."""

    GSO = "gso", _("Mã thống kê (Tổng cục Thống kê)")


class UnitCode(models.Model):
    """A code another system uses for a unit, valid over a span of dates.

    Why a second table rather than changing `OrgUnit.code`: the 63 provinces before 2025-07-01 keep
    `P63-xx` as their primary code, unique for all time, because values, tasks, fixtures, links and
    documents already name them so. Their official statistics-office code (`02` Tỉnh Hà Giang) is
    not unique for all time: each of the 34 new provinces took one of them on 2025-07-01 (`08` is old
    Tuyên Quang until 2025-06-30, new Tuyên Quang since), so it is stored with the dates it held.
    A code names one unit *on a date*: `resolve.units_by_code` answers that question.
    Overlapping spans of one (scheme, code) for two units are never written by sync (one source);
    should one come in by hand, `units_by_code` refuses to choose.
    """

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(_("mã"), max_length=32, db_index=True)
    scheme = models.CharField(_("hệ mã"), max_length=16, choices=CodeScheme.choices, default=CodeScheme.GSO)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    source = models.CharField(_("nguồn dữ liệu"), max_length=255, blank=True)

    class Meta:
        ordering = ["scheme", "code", "valid_from"]
        verbose_name = _("mã khác của đơn vị")
        verbose_name_plural = _("mã khác của đơn vị")
        constraints = [
            models.UniqueConstraint(fields=["unit", "scheme", "code"], name="unitcode_unique"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_to__isnull=True) | Q(valid_from__lte=F("valid_to")),
                name="unitcode_span_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.code} → {self.unit.code} ({self.valid_from or '…'}–{self.valid_to or '…'})"

    def valid_on(self, day: datetime.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)
