"""What every rule shares: which keys were sent already (one query for many), and dates as people read them."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from govkpi.notify.models import Notification
from govkpi.notify.outbox import Message, notify


def already_sent(keys: Iterable[str]) -> set[str]:
    """The keys some notification was written for already. A rule writes a message's rows in one transaction,
    so a key present is a message sent whole: a rerun skips it without asking who its recipients are."""
    wanted = sorted(set(keys))
    sent: set[str] = set()
    for start in range(0, len(wanted), 500):
        sent.update(Notification.objects.filter(key__in=wanted[start:start + 500])
                    .values_list("key", flat=True).distinct())
    return sent


def vn_date(day: datetime.date) -> str:
    """31/12/2026: the date as Vietnamese readers write it."""
    return f"{day:%d/%m/%Y}"


def task_link(code: str) -> str:
    """The task's page (a part's code holds "/", an occurrence's "@": both stay as they are in the path)."""
    return f"/tasks/{quote(code, safe='/@')}/"


def data_link(unit_code: str, period: str) -> str:
    """The data entry form of a unit and period."""
    return f"/data/{quote(unit_code, safe='')}/{quote(period, safe='')}/"


APPROVALS_LINK = "/data/approvals/"  # the approver's inbox of submissions waiting


BATCH = 200  # messages written per transaction by send_all


def send_all(messages: Iterable[tuple[Message, Sequence[AbstractBaseUser]]]) -> int:
    """send() each (message, people), BATCH messages to a transaction: on SQLite every commit waits for the disk,
    and 3,000 reminders each in its own took 25 s. A run killed half-way keeps the batches committed, whole;
    the next run sends the rest (their keys are not there yet)."""
    pending = [(m, p) for m, p in messages if p]
    written = 0
    for start in range(0, len(pending), BATCH):
        with transaction.atomic():
            written += sum(send(m, p) for m, p in pending[start:start + BATCH])
    return written


def send(message: Message, people: Sequence[AbstractBaseUser]) -> int:
    """notify() the people, if there are any; the number of notifications written. A message nobody is to
    receive is not passed on at all: notify() would plan its webhooks on every run (they are planned for
    the events someone is told of), and each run would ask again for those of 3,000 unattended communes."""
    return len(notify(message, people)) if people else 0
