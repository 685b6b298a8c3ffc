"""Sending what is due, once per event, whatever crashes or restarts: the worker calls `deliver_due(now)`.

Each outgoing message (an e-mail delivery, a digest, a webhook delivery) is a row with a state. A run *claims*
due rows in a short transaction (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's writers take turns):
one more attempt is counted and the row is leased (not due again for LEASE) before anything leaves, so two
workers never send the same row at once and no lock is held while a server is talked to. Then it sends, and
records the outcome: sent; or failed, due again after a delay doubling from WEBHOOK_RETRY_SECONDS; or, after
WEBHOOK_ATTEMPTS attempts, given up.

The one window left: a worker that dies after the message left but before the outcome was stored sends it
again once the lease is over. Delivery is at least once, never lost; the copy carries the same Message-ID
(e-mail) or X-Govkpi-Delivery (webhooks), so a receiver recognises it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import connection, models, transaction

from govkpi.notify.models import WAITING, Attempts, State

Row = TypeVar("Row", bound=Attempts)
BATCH = 10  # rows claimed at once: each is sent before the batch's lease ends, however slow the server


def lease() -> datetime.timedelta:
    """How long a claimed row is not due again: longer than its whole batch can take, every send of it waiting
    the longest timeout (and never under 5 minutes), so no other run can claim a row before it was tried.
    An SMTP server with no EMAIL_TIMEOUT could hold a send longer: then a copy may leave."""
    longest = max(settings.WEBHOOK_TIMEOUT, getattr(settings, "EMAIL_TIMEOUT", None) or 0)
    return datetime.timedelta(seconds=max(300.0, (BATCH + 2) * longest))


def backoff(attempts: int) -> datetime.timedelta:
    """The wait after the n-th failed attempt: WEBHOOK_RETRY_SECONDS, doubling (30 s, 1, 2, 4, 8 min…)."""
    return datetime.timedelta(seconds=settings.WEBHOOK_RETRY_SECONDS * 2 ** (attempts - 1))


def claim(queryset: models.QuerySet[Row], now: datetime.datetime, limit: int = BATCH) -> list[Row]:
    """Due rows of the queryset, each with one more attempt counted and leased to this run."""
    with transaction.atomic():
        due = queryset.filter(state__in=WAITING, next_attempt_at__lte=now).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        rows = list(due[:limit])
        for row in rows:
            row.attempts += 1
            row.next_attempt_at = now + lease()
        if rows:
            queryset.model.objects.bulk_update(rows, ["attempts", "next_attempt_at"])
    return rows


def succeeded(row: Row, now: datetime.datetime, **fields: object) -> None:
    """The row was sent (even if another run had claimed it again meanwhile: it is sent)."""
    type(row).objects.filter(pk=row.pk).exclude(state=State.SENT).update(
        state=State.SENT, sent_at=now, last_error="", **fields)


def failed(row: Row, now: datetime.datetime, error: str, **fields: object) -> None:
    """The attempt failed: due again after the backoff, or given up after the last attempt. Nothing is
    changed when another run has claimed the row since (its own outcome will be stored)."""
    final = row.attempts >= settings.WEBHOOK_ATTEMPTS
    type(row).objects.filter(pk=row.pk, attempts=row.attempts, state__in=WAITING).update(
        state=State.GAVE_UP if final else State.FAILED, last_error=error[:2000],
        next_attempt_at=now if final else now + backoff(row.attempts), **fields)


def skipped(row: Row, reason: str) -> None:
    """Not to be sent at all any more (the person turned the kind off, or has no address)."""
    type(row).objects.filter(pk=row.pk, state__in=WAITING).update(state=State.SKIPPED, last_error=reason)


def each_due(queryset: models.QuerySet[Row], now: datetime.datetime, send: Callable[[Row], None]) -> int:
    """Claim the due rows batch by batch and hand each to `send`; the number handled."""
    handled = 0
    while rows := claim(queryset, now):
        for row in rows:
            send(row)
        handled += len(rows)
        if len(rows) < BATCH:
            break
    return handled


def deliver_due(now: datetime.datetime) -> dict[str, int]:
    """Send every e-mail and webhook delivery due at `now` (idempotent: what was sent is not due again);
    how many of each were handled."""
    from govkpi.notify import email, webhooks

    return {"email": email.deliver_emails(now), "webhook": webhooks.deliver_webhooks(now)}
