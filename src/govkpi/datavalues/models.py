"""Reported values, their history, import batches, approvals and reporting windows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit


class Channel(models.TextChoices):
    WEB = "web", _("Nhập trên web")
    API = "api", _("API")
    DHIS2 = "dhis2", _("API DHIS2")
    EXCEL = "excel", _("Tệp Excel")
    CSV = "csv", _("Tệp CSV")
    REFERENCE = "reference", _("Dữ liệu tham chiếu")


class ImportBatch(models.Model):
    """One write call (a form field, an API request, a file): what came in and what became of it."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    filename = models.CharField(max_length=255, blank=True)
    strategy = models.CharField(max_length=24)
    atomic = models.BooleanField(default=True)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-id"]


class DataValue(models.Model):
    """The value of one data element for one unit and one period: at most one, changed in place, history kept."""

    id = models.BigAutoField(primary_key=True)
    # No index of their own for the two foreign keys: the unique key (data_element, unit, period, combos) and the
    # (unit, period) index begin with them and serve every lookup by element or by unit. Each index costs
    # every insert; see docs/performance.md.
    # No database constraint either (db_constraint=False): its per-row trigger cost an import as much as all
    # the indexes together. The writer takes every id from these tables in its own transaction, nothing in
    # the application deletes an element or a unit (units end with valid_to), and PROTECT still refuses an
    # ORM deletion of either while values refer to it; decision and figures in docs/performance.md.
    data_element = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="values", db_index=False,
                                     db_constraint=False)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", db_index=False,
                             db_constraint=False)
    period = models.CharField(max_length=16)  # DHIS2 identifier: 202509, 2025Q3, 2025
    # DHIS2's disaggregation: the code of a CategoryOptionCombo of the element's category combo, and of one of
    # the attribute combo of one of its themes; "" is DHIS2's default (not disaggregated). The element's value
    # for a unit and period is the sum over both (datavalues.totals). A database default too, so that a COPY or
    # INSERT naming neither (a bench, a pre-disaggregation script) still stores the default.
    category_option_combo = models.CharField(max_length=64, default="", db_default="", blank=True)
    attribute_option_combo = models.CharField(max_length=64, default="", db_default="", blank=True)
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.CharField(max_length=64)  # canonical text: "39.51", "1084", "true", "2025-07-31"
    number = models.FloatField(null=True)  # the value as a number, for computation (null for dates)
    comment = models.TextField(blank=True)
    follow_up = models.BooleanField(default=False)
    stored_by = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Not indexed: nothing looks values up by their import batch, and import batches are never deleted.
    batch = models.ForeignKey(ImportBatch, null=True, on_delete=models.PROTECT, related_name="+", db_constraint=False,
                              db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["data_element", "unit", "period", "category_option_combo",
                                                       "attribute_option_combo"], name="datavalue_combo_key")]
        indexes = [models.Index(fields=["unit", "period"], name="datavalue_unit_period_idx"),
                   models.Index(fields=["period_end", "data_element"], name="datavalue_end_de_idx")]
        verbose_name = _("số liệu")
        verbose_name_plural = _("số liệu")

    def __str__(self) -> str:
        combos = "".join(f"/{c}" for c in (self.category_option_combo, self.attribute_option_combo) if c)
        return f"{self.data_element_id}/{self.unit_id}/{self.period}{combos}={self.value}"


class HistoryKind(models.TextChoices):
    UPDATED = "updated", _("Sửa")
    DELETED = "deleted", _("Xóa")


class DataValueHistory(models.Model):
    """The state a value had before a real change (an update or a deletion), written with the change."""

    id = models.BigAutoField(primary_key=True)
    data_element = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=16)
    category_option_combo = models.CharField(max_length=64, default="", db_default="", blank=True)
    attribute_option_combo = models.CharField(max_length=64, default="", db_default="", blank=True)
    kind = models.CharField(max_length=8, choices=HistoryKind.choices)
    previous_value = models.CharField(max_length=64)
    previous_comment = models.TextField(blank=True)
    previous_stored_by = models.CharField(max_length=150, blank=True)
    previous_updated_at = models.DateTimeField()
    new_value = models.CharField(max_length=64, blank=True)
    changed_by = models.CharField(max_length=150, blank=True)
    changed_at = models.DateTimeField()
    channel = models.CharField(max_length=16, choices=Channel.choices)
    batch = models.ForeignKey(ImportBatch, null=True, on_delete=models.PROTECT, related_name="+", db_constraint=False)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["data_element", "unit", "period"], name="dvhistory_key_idx")]


class ApprovalState(models.TextChoices):
    SUBMITTED = "submitted", _("Đã gửi phê duyệt")
    APPROVED = "approved", _("Đã phê duyệt (khóa)")
    RETURNED = "returned", _("Trả lại")
    UNLOCKED = "unlocked", _("Mở khóa")


class DataApproval(models.Model):
    """A unit's data for one period: submitted by the unit, approved (and so locked) by its parent unit."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=16)
    state = models.CharField(max_length=16, choices=ApprovalState.choices)
    submitted_by = models.CharField(max_length=150, blank=True)
    submitted_at = models.DateTimeField(null=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True)
    reason = models.TextField(blank=True)  # why it was returned or unlocked
    # What was approved: the SHA-256 of the unit-period's values in canonical order when it was last approved
    # (`approval.values_digest`), and how many there were; kept after an unlock as the record of that approval.
    digest = models.CharField(max_length=64, blank=True)
    approved_values = models.IntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "period"], name="approval_unit_period")]


class WindowState(models.TextChoices):
    OPEN = "open", _("Mở")
    CLOSED = "closed", _("Đóng")


class ReportingWindow(models.Model):
    """An explicit opening or closing of a period for a unit's subtree (everywhere when unit is empty),
    overriding the default window (open from the period's start until `REPORTING_CLOSES_AFTER_DAYS` after its end)."""

    period = models.CharField(max_length=16)
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=8, choices=WindowState.choices)
    reason = models.TextField()
    set_by = models.CharField(max_length=150)
    set_at = models.DateTimeField()

    class Meta:
        ordering = ["set_at", "id"]


class Operator(models.TextChoices):
    LE = "<=", "≤"
    LT = "<", "<"
    EQ = "==", "="
    GE = ">=", "≥"
    GT = ">", ">"


class ValidationRule(models.Model):
    """A relation that must hold between a unit's values in a period: `left operator right` (catalog formulas)."""

    code = models.CharField(max_length=64, unique=True)
    left = models.TextField()  # formula, e.g. #{DVC_TOANTRINH}
    operator = models.CharField(max_length=2, choices=Operator.choices)
    right = models.TextField()
    message_vi = models.TextField()
    message_en = models.TextField()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.left} {self.operator} {self.right}"


class ImportJobKind(models.TextChoices):
    DATAVALUE_IMPORT = "DATAVALUE_IMPORT", _("Nhập số liệu (DHIS2)")  # DHIS2's JobType name


class ImportJob(models.Model):
    """A DHIS2 import asked for with `async=true`, kept so the client can poll /api/system/tasks for it.

    govkpi has no background worker yet: the import runs within the request, so a job is finished when its row
    is written, and `summary` is DHIS2's ImportSummary of it (datavalues.import_jobs)."""

    uid = models.CharField(max_length=11, unique=True)  # a DHIS2 UID: a letter, then ten letters or digits
    kind = models.CharField(max_length=32, choices=ImportJobKind.choices, default=ImportJobKind.DATAVALUE_IMPORT)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField()
    finished = models.DateTimeField(null=True)
    summary = models.JSONField(default=dict)
    batch = models.ForeignKey(ImportBatch, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created", "-id"]
