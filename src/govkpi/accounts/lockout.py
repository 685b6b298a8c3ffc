"""The sign-in lock per account, beside django-axes' lock per (user name, address).

Axes alone locks a user name from one address: an attacker with many addresses could try passwords on one
account without end. Here ACCOUNT_LOCKOUT_FAILURES failures from any addresses within ACCOUNT_LOCKOUT_MINUTES
stop password sign-in for the account, for every address except those it signed in from successfully in the
last ACCOUNT_LOCKOUT_KNOWN_DAYS days. That exception is what keeps an attacker from locking an administrator
out for as long as they keep spraying: the administrator's own workstation still gets in (and is still
covered by axes' per-address lock). The lock also ends by itself MINUTES after the failures stop; an operator
can end it at once with `manage.py axes_reset_username <name>`.
"""

from __future__ import annotations

import datetime
from typing import Any

from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.utils import timezone

from govkpi.core.clientaddr import client_address

MESSAGE = ("Tài khoản tạm khóa đăng nhập bằng mật khẩu do có quá nhiều lần đăng nhập sai. / Password sign-in "
           "for this account is paused after too many failed sign-ins.")


def account_locked(username: str, address: str, now: datetime.datetime | None = None) -> bool:
    """True when `username` has reached the failure limit within the window and `address` is not one it knows."""
    now = now or timezone.now()
    known_since = now - datetime.timedelta(days=settings.ACCOUNT_LOCKOUT_KNOWN_DAYS)
    signed_in = AccessLog.objects.filter(username=username, attempt_time__gte=known_since)
    if address and signed_in.filter(ip_address=address).exists():
        return False
    since = now - datetime.timedelta(minutes=settings.ACCOUNT_LOCKOUT_MINUTES)
    last_success = signed_in.aggregate(last=Max("attempt_time"))["last"]
    if last_success is not None and last_success > since:
        since = last_success  # a successful sign-in starts the count again
    failures = AccessFailureLog.objects.filter(username=username, attempt_time__gt=since).count()
    return failures >= settings.ACCOUNT_LOCKOUT_FAILURES


class AccountLockoutBackend:
    """An authentication backend that authenticates nobody: it refuses sign-ins to a locked account.

    It has no get_user on purpose: Django's force_login and session restore take the first backend with one."""

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> None:
        if request is None or not username:
            return None
        if account_locked(username, client_address(request)):
            request.axes_locked_out = True  # axes' middleware answers with the lockout page (429)
            request.govkpi_account_locked = True
            raise PermissionDenied(MESSAGE)
        return None
