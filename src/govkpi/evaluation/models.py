"""Stored judgements. A result is never changed in place: a new computation that differs closes the current
row (`valid_to`) and adds a new one, so results "as they stood" on any past moment can be read back."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from govkpi.indicators.models import Indicator, Target
from govkpi.orgunits.models import OrgUnit


class Result(models.Model):
    id = models.BigAutoField(primary_key=True)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="results")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=16)
    period_end = models.DateField()
    value = models.FloatField(null=True)
    # What the value is made of: each data element aggregated over the unit's subtree, and how many units reported.
    inputs = models.JSONField(default=dict)
    target = models.ForeignKey(Target, null=True, on_delete=models.PROTECT, related_name="+")
    target_value = models.FloatField(null=True)
    deadline = models.DateField(null=True)
    achievement = models.FloatField(null=True)  # capped to [0, 100]
    achievement_raw = models.FloatField(null=True)
    expected = models.FloatField(null=True)  # on the trajectory from the baseline to the target
    status = models.CharField(max_length=16)
    forecast = models.FloatField(null=True)
    forecast_low = models.FloatField(null=True)
    forecast_high = models.FloatField(null=True)
    csi = models.FloatField(null=True)  # ESCAP current status index, capped
    escap_ratio = models.FloatField(null=True)
    escap_category = models.CharField(max_length=32, blank=True)
    demo = models.BooleanField(default=False)  # some value behind it is synthetic demonstration data
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["indicator", "unit", "period"], condition=Q(valid_to__isnull=True),
                                               name="result_current_unique")]
        indexes = [models.Index(fields=["indicator", "period", "valid_to"], name="result_ind_period_idx"),
                   models.Index(fields=["unit", "valid_to"], name="result_unit_idx"),
                   # What the public's figures are keyed by (reads.publication): per period end, the newest
                   # current row and the latest closing, each one index probe.
                   models.Index(fields=["period_end", "valid_to", "id"], name="result_end_closed_idx"),
                   # Lists newest first (GET /api/v1/results), read from the index, not by sorting every
                   # current result.
                   models.Index(fields=["-period_end", "indicator", "unit", "period"],
                                condition=Q(valid_to__isnull=True), name="result_current_newest_idx"),
                   # "The latest official period of each indicator" for a unit: one probe per indicator.
                   models.Index(fields=["unit", "indicator", "-period_end"], condition=Q(valid_to__isnull=True),
                                name="result_current_latest_idx")]


class Cursor(models.Model):
    """How far a reader of the change events has got (the evaluation engine is one)."""

    name = models.CharField(max_length=32, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)


class Methodology(models.Model):
    """One published version of the composite index: component weights, indicator weights, peer groups.

    Never changed in place: a change is a new version in force from a date, and the scores of earlier periods
    keep the version they were computed with (see evaluation.scores.publish_methodology)."""

    version = models.PositiveIntegerField(unique=True)
    in_force_from = models.DateField()
    definition = models.JSONField()
    notes = models.TextField(blank=True)
    published_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version"]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and Methodology.objects.filter(pk=self.pk).exists():
            raise ValueError("A published methodology is never changed: publish a new version.")
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"v{self.version} (from {self.in_force_from})"


class Score(models.Model):
    """A unit's composite score for a month under one methodology version, with its rank in its peer group.

    Versioned like results: a recomputation that differs closes the current row and adds a new one."""

    id = models.BigAutoField(primary_key=True)
    methodology = models.ForeignKey(Methodology, on_delete=models.PROTECT, related_name="scores")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=16)  # a month, YYYYMM
    group = models.CharField(max_length=32)  # ministries | provinces | communes:<province code>
    value = models.FloatField(null=True)
    # Per component: score, declared and effective weight, contribution and what it is made of.
    components = models.JSONField(default=dict)
    rank = models.PositiveIntegerField(null=True)
    group_size = models.PositiveIntegerField(default=0)
    previous_rank = models.PositiveIntegerField(null=True)
    demo = models.BooleanField(default=False)  # made of synthetic demonstration values
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "period"], condition=Q(valid_to__isnull=True),
                                               name="score_current_unique")]
        indexes = [models.Index(fields=["group", "period", "valid_to"], name="score_group_period_idx"),
                   models.Index(fields=["unit", "valid_to"], name="score_unit_idx"),
                   models.Index(fields=["period", "valid_to", "id"], name="score_period_closed_idx"),
                   models.Index(fields=["-period", "group", "rank", "unit"], condition=Q(valid_to__isnull=True),
                                name="score_current_newest_idx")]

    @property
    def rank_change(self) -> int | None:
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


class Aggregate(models.Model):
    """A working table the engine keeps (derived, never edited by hand): one data element's counted values
    summed over a unit's subtree for one period, so that a result's inputs are a lookup, not a scan of the
    values. "Counted": every value of a provisional period, the approved units' values of an official one.
    An element aggregated with "none" has a row for the reporting unit only. See evaluation.aggregates."""

    id = models.BigAutoField(primary_key=True)
    data_element_id = models.IntegerField()
    unit_id = models.IntegerField()
    period = models.CharField(max_length=16)
    period_end = models.DateField()
    total = models.FloatField()
    count = models.IntegerField()
    low = models.FloatField()
    high = models.FloatField()
    demo = models.IntegerField(default=0)  # how many of the counted values are synthetic demo values

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit_id", "data_element_id", "period"],
                                               name="aggregate_key")]


class UnitAncestor(models.Model):
    """The units' closure (each unit with itself and every unit above it), rebuilt by the engine from the
    materialised paths when they change, so that subtree sums are one join."""

    unit_id = models.IntegerField()
    ancestor_id = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit_id", "ancestor_id"], name="unit_ancestor_key")]
        indexes = [models.Index(fields=["ancestor_id"], name="unit_ancestor_up_idx")]


class EngineStatus(models.Model):
    """How one of the engine's loops (results, scores) is faring, for the health endpoint: its last failure and
    when it ran again after it. Written on failure and on recovery only, never on every pass."""

    name = models.CharField(max_length=32, unique=True)
    failures = models.PositiveIntegerField(default=0)  # in a row; 0 once a pass succeeds again
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True)
    recovered_at = models.DateTimeField(null=True)
