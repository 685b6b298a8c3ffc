"""System administrators register webhook endpoints here and watch every delivery (given-up ones included)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from govkpi.notify.kinds import Kind
from govkpi.notify.models import (
    WAITING,
    Channel,
    Delivery,
    Digest,
    State,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


def _formfield(field: models.Field, **kwargs: object) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"  # Django 6's default, asked for now (else a deprecation warning)
    return field.formfield(**kwargs)


class EndpointForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(choices=Kind.choices, required=False, widget=forms.CheckboxSelectMultiple,
                                      help_text="Không chọn loại nào: mọi loại.")

    class Meta:
        model = WebhookEndpoint
        formfield_callback = _formfield
        fields = ["name", "url", "secret", "kinds", "unit", "active"]
        help_texts = {"unit": "Chỉ gửi thông báo về đơn vị này và các đơn vị trực thuộc; để trống: mọi đơn vị.",
                      "secret": "Khóa ký HMAC-SHA256 (X-Govkpi-Signature); hệ thống nhận giữ cùng khóa."}


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ("name", "url", "unit", "active", "created_at")
    list_filter = ("active",)
    autocomplete_fields = ("unit",)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("number", "at", "status_code", "error")

    def has_add_permission(self, request, obj=None):
        return False


@admin.action(description="Gửi lại từ đầu (đặt lại số lần thử)")
def send_again(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    if queryset.model is Delivery:  # a digest's line is sent with its digest: send the digest again instead
        queryset = queryset.filter(channel=Channel.EMAIL)
    queryset.exclude(state__in=WAITING).update(state=State.PENDING, attempts=0, next_attempt_at=timezone.now())


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly):
    list_display = ("endpoint", "key", "kind", "state", "attempts", "last_status", "next_attempt_at", "sent_at")
    list_filter = ("state", "endpoint", "kind")
    search_fields = ("key",)
    inlines = [AttemptInline]
    actions = [send_again]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ("notification", "channel", "state", "attempts", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("channel", "state")
    actions = [send_again]


@admin.register(Digest)
class DigestAdmin(ReadOnly):
    list_display = ("user", "day", "state", "attempts", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("state", "day")
    actions = [send_again]
