"""The daily digest: one e-mail per person per day (Asia/Ho_Chi_Minh) with the notifications of the kinds the
person asked to get that way. The worker calls `send_digests(now)`.

A Digest row keyed by (user, day) is made once, in the transaction that gathers its notifications into it; it
is then sent like any delivery (claimed, sent, retried: notify.delivery) with a Message-ID made of the person
and the day. The digest of a day is gathered on the first run after that day ends; a notification written
before midnight but committed after its day's digest was gathered goes into the next digest, never nowhere.
"""

from __future__ import annotations

import datetime

from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from govkpi.notify import delivery
from govkpi.notify.email import SUBJECT_PREFIX, footer, message_id, text_of
from govkpi.notify.models import WAITING, Channel, Delivery, Digest, State


def send_digests(now: datetime.datetime) -> int:
    """Gather the digests of the days ended by `now` and send every digest due; how many were sent or tried."""
    gather(now)
    connection = mail.get_connection()
    return delivery.each_due(Digest.objects.all(), now, lambda digest: _send(digest, now, connection))


def day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), timezone.get_default_timezone())


def gather(now: datetime.datetime) -> list[Digest]:
    """Make the digest of yesterday (in Viet Nam) for each person with digest notifications written before
    today and not in a digest yet; a person whose digest of that day exists already keeps them for the next."""
    today = timezone.localdate(now, timezone.get_default_timezone())  # Viet Nam's day, whatever is active
    before = day_start(today)
    waiting = Delivery.objects.filter(channel=Channel.DIGEST, digest__isnull=True, state=State.PENDING,
                                      notification__created_at__lt=before)
    made = []
    for user_id in sorted(set(waiting.values_list("notification__recipient_id", flat=True))):
        try:
            with transaction.atomic():
                digest = Digest.objects.create(user_id=user_id, day=today - datetime.timedelta(days=1),
                                               next_attempt_at=now, created_at=now)
                waiting.filter(notification__recipient_id=user_id).update(digest=digest)
        except IntegrityError:  # made already (by an earlier run, or a run beside this one)
            continue
        made.append(digest)
    return made


def _send(digest: Digest, now: datetime.datetime, connection: object) -> None:
    person = digest.user
    rows = list(Delivery.objects.filter(digest=digest, state__in=WAITING).select_related("notification")
                .order_by("notification__created_at", "notification__pk"))
    if not person.is_active or not person.email or not rows:
        delivery.skipped(digest, "không còn địa chỉ e-mail hay thông báo / no e-mail address or notification left")
        Delivery.objects.filter(digest=digest, state__in=WAITING).update(state=State.SKIPPED)
        return
    day = f"{digest.day:%d/%m/%Y}"
    body = "\n\n".join(f"{i}. {text_of(row.notification)}" for i, row in enumerate(rows, 1))
    message = mail.EmailMessage(
        subject=f"{SUBJECT_PREFIX}Tổng hợp thông báo ngày {day} / Digest of {day} ({len(rows)})",
        body=body + footer(), to=[person.email], connection=connection,
        headers={"Message-ID": message_id(f"digest-{person.pk}-{digest.day:%Y%m%d}")})
    try:
        message.send()
    except Exception as error:  # noqa: BLE001 - any failure of the mail server is retried
        delivery.failed(digest, now, f"{type(error).__name__}: {error}")
    else:
        delivery.succeeded(digest, now)
        Delivery.objects.filter(digest=digest, state__in=WAITING).update(state=State.SENT, sent_at=now)
