"""E-mail at once: one message per notification, through Django's mail API (SMTP, or the console).

Each message carries a Message-ID made of the notification's id, the same on every attempt: a copy sent again
after a crash between the SMTP server's acceptance and the stored outcome is the same message to a mail client.
Vietnamese first, English below it: a person's language is not known outside a request.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core import mail

from govkpi.notify import delivery
from govkpi.notify.kinds import Frequency
from govkpi.notify.models import Channel, Delivery, Notification
from govkpi.notify.planning import absolute
from govkpi.notify.preferences import frequencies_of

SUBJECT_PREFIX = "[govkpi] "


def message_id(name: str) -> str:
    """A Message-ID of govkpi's own domain (SITE_URL's host), stable for what it names."""
    host = urlsplit(settings.SITE_URL).hostname or "govkpi.localhost"
    return f"<{name}@{host}>"


def text_of(notification: Notification) -> str:
    """A notification as plain text, both languages."""
    link = absolute(notification.link)
    parts = [notification.title_vi, notification.body_vi, link, "", "—", "", notification.title_en or notification.title_vi,
             notification.body_en, link]
    return "\n".join(p for p in parts if p is not None).strip() + "\n"


def subject_of(title: str) -> str:
    """The subject of a notification's e-mail: on one line (Django refuses a header with a line break)."""
    return SUBJECT_PREFIX + " ".join(title.split())


def footer() -> str:
    return (f"\n--\nChọn cách nhận thông báo / Choose how you are notified: {settings.SITE_URL}/inbox/preferences/\n")


def deliver_emails(now: datetime.datetime) -> int:
    """Send every instant e-mail due at `now`; how many were handled."""
    due = Delivery.objects.filter(channel=Channel.EMAIL)
    connection = mail.get_connection()  # opened by the first message sent, not before
    return delivery.each_due(due, now, lambda row: _send(row, now, connection))


def _send(row: Delivery, now: datetime.datetime, connection: object) -> None:
    notification = Notification.objects.select_related("recipient").get(pk=row.notification_id)
    person = notification.recipient
    if not person.is_active or not person.email:
        delivery.skipped(row, "không còn địa chỉ e-mail / no e-mail address any more")
        return
    if frequencies_of([person.pk], notification.kind)[person.pk] == Frequency.OFF:
        delivery.skipped(row, "người nhận đã tắt loại thông báo này / the person turned this kind off")
        return
    message = mail.EmailMessage(
        subject=subject_of(notification.title_vi), body=text_of(notification) + footer(),
        to=[person.email], connection=connection,
        headers={"Message-ID": message_id(f"notification-{notification.pk}")})
    try:
        message.send()
    except Exception as error:  # noqa: BLE001 - any failure of the mail server is retried
        delivery.failed(row, now, f"{type(error).__name__}: {error}")
    else:
        delivery.succeeded(row, now)
