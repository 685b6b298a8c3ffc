"""Notifications: one row per person per event, the in-app inbox and the outbox of every other channel.

`key` names the event a notification announces ("task-due:<task code>:<deadline>:3", "returned:<approval id>:<at>"):
(key, recipient) is unique, so a producer that runs twice, or restarts after a crash, cannot send anything twice.
"""

from __future__ import annotations

import secrets
import uuid

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
    """A person's choice for one kind; with no row, instant (preferences.DEFAULT)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    frequency = models.CharField(max_length=8, choices=Frequency.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_user_kind")]


class State(models.TextChoices):
    """Where a delivery stands: waiting (pending, or failed and waiting for its next attempt), done, or not."""

    PENDING = "pending", "chờ gửi"
    FAILED = "failed", "lỗi, sẽ thử lại"
    SENT = "sent", "đã gửi"
    GAVE_UP = "gave_up", "đã ngừng thử"
    SKIPPED = "skipped", "không gửi"  # the person turned the kind off, or has no address any more


WAITING = (State.PENDING, State.FAILED)


class Channel(models.TextChoices):
    EMAIL = "email", "e-mail"
    DIGEST = "digest", "e-mail tổng hợp hằng ngày"


class Attempts(models.Model):
    """What every outgoing message keeps: its state, tries, when to try next, the last error, when sent."""

    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        abstract = True


class Digest(Attempts):
    """One daily e-mail per person per day (Asia/Ho_Chi_Minh): keyed by (user, day), so it is made once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_user_day")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="digest_due_idx")]

    def __str__(self) -> str:
        return f"digest {self.user_id} {self.day}"


class Delivery(Attempts):
    """A notification's way out by e-mail: at once (channel email) or in a day's digest (channel digest).

    Written with the notification, in its transaction (outbox.notify): a notification that exists has its
    deliveries, so none is lost; (notification, channel) is unique, so none is made twice."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    digest = models.ForeignKey(Digest, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["notification", "channel"], name="delivery_notification_channel")]
        indexes = [models.Index(fields=["channel", "state", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} #{self.notification_id}: {self.state}"


def new_secret() -> str:
    return secrets.token_hex(32)


class WebhookEndpoint(models.Model):
    """Another system told of events: signed POSTs of the kinds it wants, within its unit's subtree only.

    `kinds` empty means every kind. With `unit`, only notifications about that unit or a unit below it are sent
    (one without a unit is not: nothing says the scope may see it); without, every notification."""

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200, default=new_secret)
    kinds = models.JSONField(default=list, blank=True)
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str, unit: OrgUnit | None) -> bool:
        """True when this endpoint is active, asks for the kind and may see the unit."""
        if not self.active or (self.kinds and kind not in self.kinds):
            return False
        if self.unit_id is None:
            return True
        return unit is not None and unit.path.startswith(self.unit.path)


class WebhookDelivery(Attempts):
    """One event (a notification key) for one endpoint, whatever the number of people told of it."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    key = models.CharField(max_length=200)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True)  # X-Govkpi-Delivery: the same on every retry
    kind = models.CharField(max_length=32, choices=Kind.choices)
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    payload = models.JSONField()  # the body but its sent_at, fixed when the event happened
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["endpoint", "key"], name="webhook_delivery_endpoint_key")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhook_due_idx")]

    def __str__(self) -> str:
        return f"{self.endpoint} ← {self.key}: {self.state}"


class WebhookAttempt(models.Model):
    """One POST of a webhook delivery: when, the answer's status code (none: no answer), the error."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number"]
