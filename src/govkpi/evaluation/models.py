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
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["indicator", "unit", "period"], condition=Q(valid_to__isnull=True),
                                               name="result_current_unique")]
        indexes = [models.Index(fields=["indicator", "period", "valid_to"], name="result_ind_period_idx"),
                   models.Index(fields=["unit", "valid_to"], name="result_unit_idx")]


class Cursor(models.Model):
    """How far a reader of the change events has got (the evaluation engine is one)."""

    name = models.CharField(max_length=32, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
