"""What each new notification owes each channel, written in the notification's own transaction.

outbox.notify calls `plan` right after writing the rows: a notification that exists has its e-mail delivery
(or its place in tomorrow's digest) and the webhook deliveries of its event, so nothing is lost between the
two; every row is unique (notification + channel; endpoint + key), so nothing is planned twice.
"""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING

from django.conf import settings

from govkpi.notify.kinds import Frequency
from govkpi.notify.models import Channel, Delivery, Notification, WebhookDelivery, WebhookEndpoint
from govkpi.notify.preferences import frequencies_of

if TYPE_CHECKING:
    from govkpi.notify.outbox import Message

# The event's id in a webhook's body: the same for every endpoint and every retry (receivers may dedupe on it).
EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "govkpi:notify")


def plan(rows: list[Notification], now: datetime.datetime) -> None:
    """E-mail deliveries for the new rows of one event, by each person's choice: at once, in a digest, or none
    ("off", or no address: the inbox only)."""
    if not rows:
        return
    chosen = frequencies_of([n.recipient_id for n in rows], rows[0].kind)
    channel = {Frequency.INSTANT: Channel.EMAIL, Frequency.DAILY: Channel.DIGEST}
    deliveries = [Delivery(notification=n, channel=channel[chosen[n.recipient_id]], next_attempt_at=now,
                           created_at=now)
                  for n in rows if chosen[n.recipient_id] in channel and n.recipient.email]
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)


def plan_webhooks(message: Message, now: datetime.datetime) -> None:
    """One webhook delivery of the event for each endpoint that wants its kind and may see its unit."""
    endpoints = [e for e in WebhookEndpoint.objects.filter(active=True).select_related("unit")
                 if e.wants(message.kind, message.unit)]
    if not endpoints:
        return
    body = payload(message, now)
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=e, key=message.key, kind=message.kind, unit=message.unit, payload=body,
                         next_attempt_at=now, created_at=now) for e in endpoints],
        ignore_conflicts=True)


def payload(message: Message, now: datetime.datetime) -> dict:
    """The webhook body of an event (without sent_at, added at each attempt)."""
    unit = message.unit
    return {
        "id": str(uuid.uuid5(EVENT_NAMESPACE, message.key)),
        "kind": str(message.kind),
        "key": message.key,
        "title_vi": message.title_vi,
        "title_en": message.title_en,
        "link": absolute(message.link),
        "unit": None if unit is None else {"code": unit.code, "name": unit.name, "name_en": unit.name_en},
        "data": message.data,
        "created_at": now.isoformat(),
    }


def absolute(link: str) -> str:
    """A path inside govkpi as an address outside it (SITE_URL); an empty link stays empty."""
    return f"{settings.SITE_URL}{link}" if link.startswith("/") else link
