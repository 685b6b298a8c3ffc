"""The system administrator's form for a webhook endpoint: kinds ticked are stored as a list, none means every
kind; a unit scope is kept; the secret is generated."""

from __future__ import annotations

import pytest
from django.contrib import admin

from govkpi.notify.admin import EndpointForm
from govkpi.notify.models import Delivery, Digest, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_the_endpoint_form_stores_the_kinds_and_the_scope(unit):
    form = EndpointForm(data={"name": "he-thong-ha-noi", "url": "https://hooks.example.gov.vn/govkpi",
                              "secret": "s" * 40, "kinds": ["task_overdue", "values_returned"],
                              "unit": unit("01").pk, "active": "on"})
    assert form.is_valid(), form.errors
    endpoint = form.save()
    assert endpoint.kinds == ["task_overdue", "values_returned"] and endpoint.unit.code == "01"
    assert endpoint.wants("task_overdue", unit("01")) and not endpoint.wants("task_due", unit("01"))
    assert not endpoint.wants("task_overdue", unit("79")) and not endpoint.wants("task_overdue", None)
    assert not EndpointForm(data={"name": "x", "url": "https://a.example/", "secret": "s",
                                  "kinds": ["no_such_kind"]}).is_valid()


def test_an_endpoint_without_kinds_or_scope_wants_everything_and_gets_a_secret(unit):
    endpoint = WebhookEndpoint.objects.create(name="toan-quoc", url="https://a.example/")
    assert len(endpoint.secret) == 64 and endpoint.kinds == []
    assert endpoint.wants("comment", None) and endpoint.wants("task_due", unit("79"))


def test_every_delivery_table_is_in_the_admin():
    for model in (WebhookEndpoint, WebhookDelivery, Delivery, Digest):
        assert admin.site.is_registered(model)
