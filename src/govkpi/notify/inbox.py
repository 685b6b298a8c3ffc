"""A person's inbox: their own notifications only, newest first; read and unread."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import translation

from govkpi.notify.kinds import Kind
from govkpi.notify.models import Notification


def notifications_for(user: AbstractBaseUser, kind: str = "") -> QuerySet[Notification]:
    """The person's notifications, newest first, of one kind when given."""
    rows = Notification.objects.filter(recipient=user).select_related("unit")
    return rows.filter(kind=kind) if kind in Kind.values else rows


def unread_count(user: AbstractBaseUser) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(user: AbstractBaseUser, now: datetime.datetime, pk: int | None = None, kind: str = "") -> int:
    """Mark one of the person's notifications read (or all, or all of a kind); how many changed. Another
    person's notification is never touched."""
    rows = notifications_for(user, kind).filter(read_at__isnull=True)
    if pk is not None:
        rows = rows.filter(pk=pk)
    return rows.update(read_at=now)


def in_language(notification: Notification) -> tuple[str, str]:
    """The title and body in the interface's language (Vietnamese when no English was written)."""
    if translation.get_language() == "en" and notification.title_en:
        return notification.title_en, notification.body_en
    return notification.title_vi, notification.body_vi


def safe_link(link: str) -> str:
    """The link when it is a path inside govkpi, else "" (a stored link is never a way out of the site). Control
    characters are refused too: a browser drops tabs and line breaks from an address, so "/", a tab, "/x" would be "//x"."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in link):
        return ""
    return link if link.startswith("/") and not link.startswith("//") and "\\" not in link else ""


def settle(key_prefix: str, kind: str, now: datetime.datetime) -> int:
    """Mark read, for everyone, the unread notifications of a kind whose key starts with the prefix: what they
    asked for has been done (a submission decided by one of its approvers, returned values resubmitted), so
    no inbox keeps showing it as waiting. Returns how many were settled."""
    return (Notification.objects.filter(kind=kind, key__startswith=key_prefix, read_at__isnull=True)
            .update(read_at=now))
