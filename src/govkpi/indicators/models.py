"""The KPI catalog: what units report (data elements), what is judged (indicators), and targets."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from govkpi.core.aggregation import PeriodAggregation, UnitAggregation
from govkpi.core.formulas import MissingValues
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks.models import Directive


class Theme(models.Model):
    code = models.CharField(max_length=16, unique=True)  # KHCN, DMST, CDS, DA06
    name_vi = models.CharField(max_length=255)
    name_en = models.CharField(max_length=255)

    def __str__(self) -> str:
        return self.code


class ValueType(models.TextChoices):
    COUNT = "count", _("Số lượng")
    AMOUNT = "amount", _("Giá trị")
    PERCENTAGE = "percentage", _("Tỷ lệ %")
    RATIO = "ratio", _("Tỷ số")
    RANK = "rank", _("Thứ hạng")
    BOOLEAN = "boolean", _("Có/không")
    DATE = "date", _("Ngày")


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher_is_better", _("Càng cao càng tốt")
    LOWER_IS_BETTER = "lower_is_better", _("Càng thấp càng tốt")
    WITHIN_BAND = "within_band", _("Trong khoảng")


class Frequency(models.TextChoices):
    DAILY = "daily", _("Hằng ngày")
    WEEKLY = "weekly", _("Hằng tuần")
    MONTHLY = "monthly", _("Hằng tháng")
    QUARTERLY = "quarterly", _("Hằng quý")
    SIXMONTHLY = "sixmonthly", _("6 tháng")
    YEARLY = "yearly", _("Hằng năm")


class CatalogEntry(models.Model):
    """What data elements and indicators share: identity, wording, provenance and publication."""

    code = models.CharField(_("mã"), max_length=64, unique=True)
    name_vi = models.CharField(_("tên"), max_length=500)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=500, blank=True)
    definition_vi = models.TextField(_("định nghĩa"), blank=True)
    unit_of_measure = models.CharField(_("đơn vị tính"), max_length=64, blank=True)
    value_type = models.CharField(_("kiểu giá trị"), max_length=16, choices=ValueType.choices)
    decimals = models.PositiveSmallIntegerField(_("số chữ số thập phân"), default=0)
    frequency = models.CharField(_("tần suất"), max_length=16, choices=Frequency.choices,
                                 default=Frequency.MONTHLY)
    unit_kinds = models.JSONField(_("cấp báo cáo"), default=list)  # e.g. ["ministry", "province"]
    owner = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("cơ quan chủ quản"))
    data_source = models.CharField(_("nguồn số liệu"), max_length=500, blank=True)
    legal_basis = models.ForeignKey(Directive, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("căn cứ"))
    themes = models.ManyToManyField(Theme, blank=True, related_name="+")
    published = models.BooleanField(_("công khai"), default=True)
    notes = models.TextField(_("ghi chú"), blank=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name_vi}"


class DataElement(CatalogEntry):
    aggregation_units = models.CharField(max_length=20, choices=[(a.value, a.value) for a in UnitAggregation],
                                         default=UnitAggregation.SUM)
    aggregation_periods = models.CharField(max_length=20, choices=[(a.value, a.value) for a in PeriodAggregation],
                                           default=PeriodAggregation.LAST)
    minimum = models.FloatField(_("giá trị nhỏ nhất"), null=True, blank=True)
    maximum = models.FloatField(_("giá trị lớn nhất"), null=True, blank=True)

    class Meta(CatalogEntry.Meta):
        verbose_name = _("phần tử dữ liệu")
        verbose_name_plural = _("phần tử dữ liệu")


class Indicator(CatalogEntry):
    direction = models.CharField(_("chiều đánh giá"), max_length=20, choices=Direction.choices,
                                 default=Direction.HIGHER_IS_BETTER)
    band_low = models.FloatField(null=True, blank=True)
    band_high = models.FloatField(null=True, blank=True)
    # Empty: the indicator is reported directly (a data element of the same code holds its values).
    formula = models.TextField(_("công thức"), blank=True)
    missing_values = models.CharField(max_length=16, choices=[(m.value, m.value) for m in MissingValues],
                                      default=MissingValues.PROPAGATE)

    class Meta(CatalogEntry.Meta):
        verbose_name = _("chỉ tiêu")
        verbose_name_plural = _("chỉ tiêu")


class TargetScope(models.TextChoices):
    NATIONAL = "national", _("Cả nước")
    EACH_UNIT = "each_unit", _("Từng đơn vị theo cấp")
    UNIT = "unit", _("Một đơn vị")


class Target(models.Model):
    """One version of a target. A revision is a new row that supersedes the old one: both are kept."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="targets")
    value = models.FloatField(_("giá trị mục tiêu"))
    deadline = models.DateField(_("thời hạn"))
    baseline_value = models.FloatField(_("giá trị cơ sở"), null=True, blank=True)
    baseline_period = models.CharField(_("kỳ cơ sở"), max_length=16, blank=True)
    scope = models.CharField(_("phạm vi"), max_length=16, choices=TargetScope.choices, default=TargetScope.NATIONAL)
    scope_kind = models.CharField(_("cấp áp dụng"), max_length=20, blank=True)
    scope_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    directive = models.ForeignKey(Directive, null=True, blank=True, on_delete=models.PROTECT, related_name="targets")
    set_on = models.DateField(_("ngày đặt"))
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by")
    # Traffic light on achievement (value ÷ expected, %): green at or above, amber at or above, else red.
    green_from = models.FloatField(default=100)
    amber_from = models.FloatField(default=80)
    quote = models.TextField(_("trích dẫn"), blank=True)

    class Meta:
        ordering = ["indicator__code", "set_on"]
        verbose_name = _("mục tiêu")
        verbose_name_plural = _("mục tiêu")

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.value} by {self.deadline} (set {self.set_on})"


class ReportedFigure(models.Model):
    """A figure the Government published at a meeting (seed articles), cited to its source."""

    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="figures")
    value = models.FloatField()
    period = models.CharField(max_length=16)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    # "provinces": the aggregate of the provinces below `unit` rather than the unit's own total.
    subset = models.CharField(max_length=16, blank=True)
    source = models.ForeignKey(Directive, on_delete=models.PROTECT, related_name="figures")
    quote = models.TextField(blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["indicator__code", "period"]
        constraints = [models.UniqueConstraint(fields=["indicator", "period", "unit", "subset", "source"],
                                               name="figure_unique")]


class TrackedDatabase(models.Model):
    """A national or sectoral database whose data the system tracks for "đúng, đủ, sạch, sống"
    (registry in indicators/data/databases.yaml; sources and caveats in docs/databases-registry.md)."""

    code = models.CharField(max_length=64, unique=True)
    name_vi = models.CharField(max_length=500)
    name_en = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=16)  # national | sectoral
    in_decree_47_2024 = models.BooleanField(default=False)
    owner = models.ForeignKey(OrgUnit, null=True, on_delete=models.PROTECT, related_name="+")
    priority = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, blank=True)  # planned | building | operating | connected
    status_as_of = models.DateField(null=True)
    sources = models.JSONField(default=list)
    notes = models.TextField(blank=True)
    update_every_days = models.PositiveIntegerField(default=30)
    last_updated = models.DateField(null=True)
    records_expected = models.BigIntegerField(null=True)
    records_received = models.BigIntegerField(null=True)
    records_valid = models.BigIntegerField(null=True)
    records_verified = models.BigIntegerField(null=True)
    demo = models.BooleanField(default=False)  # the record counts and dates are made up for the demo

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_vi
