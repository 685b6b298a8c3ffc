"""The one way to notify people: `notify(...)` writes one Notification per recipient, keyed by the event.

Producers (reminders, the approval follower, comments, briefs) call it inside their own transaction; a second
call with the same key for the same person writes nothing, so a job that runs twice sends nothing twice. What
each channel (inbox, e-mail, webhook) owes a row is planned in the same transaction (notify.planning) and
done by notify.delivery.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from govkpi.notify import planning
from govkpi.notify.kinds import Kind
from govkpi.notify.models import Notification
from govkpi.orgunits.models import OrgUnit


@dataclass(frozen=True)
class Message:
    """What a notification says, in both languages, and where it leads."""

    kind: Kind
    key: str
    title_vi: str
    title_en: str
    body_vi: str = ""
    body_en: str = ""
    link: str = ""
    unit: OrgUnit | None = None
    data: dict[str, Any] = field(default_factory=dict)


def notify(message: Message, recipients: Iterable[AbstractBaseUser]) -> list[Notification]:
    """Write the message for each recipient who has not had this key yet; the new rows are returned.

    In the same transaction (the caller's, or one of its own): each new row's e-mail delivery, by the person's
    choice, and the event's webhook deliveries (notify.planning), so no channel can miss a notification."""
    now = timezone.now()
    with transaction.atomic():
        planning.plan_webhooks(message, now)
        people = {user.pk: user for user in recipients if user.is_active}
        if not people:
            return []
        had = set(Notification.objects.filter(key=message.key, recipient_id__in=people)
                  .values_list("recipient_id", flat=True))
        rows = [Notification(key=message.key, recipient=user, kind=message.kind, unit=message.unit,
                             title_vi=message.title_vi[:300], title_en=message.title_en[:300],
                             body_vi=message.body_vi, body_en=message.body_en, link=message.link,
                             data=message.data, created_at=now)
                for pk, user in sorted(people.items()) if pk not in had]
        if not rows:
            return []
        # ignore_conflicts: two producers racing on one key leave one row (the unique constraint decides); the
        # rows are read back for their ids (bulk_create cannot give them with ignore_conflicts).
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        written = list(Notification.objects.filter(key=message.key, recipient_id__in=[n.recipient_id for n in rows])
                       .order_by("recipient_id"))
        for row in written:
            row.recipient = people[row.recipient_id]
        planning.plan(written, now)
    return written
