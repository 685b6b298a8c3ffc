"""Notifications: one row per person per event, the in-app inbox and the outbox of every other channel.

`key` names the event a notification announces ("task-due:<task code>:<deadline>:3", "returned:<approval id>:<at>"):
(key, recipient) is unique, so a producer that runs twice, or restarts after a crash, cannot send anything twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from govkpi.notify.kinds import Frequency, Kind
from govkpi.orgunits.models import OrgUnit


class Notification(models.Model):
    key = models.CharField(max_length=200)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    title_vi = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300)
    body_vi = models.TextField(blank=True)
    body_en = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)  # a path inside govkpi ("/tasks/…/")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["key", "recipient"], name="notification_key_recipient")]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}: {self.title_vi}"


class Preference(models.Model):
    """A person's choice for one kind; with no row, `GOVKPI_NOTIFY_DEFAULT` applies (instant)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    frequency = models.CharField(max_length=8, choices=Frequency.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_user_kind")]
