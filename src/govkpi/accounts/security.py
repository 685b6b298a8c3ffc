"""Sign-in rules: who needs a second factor, which accounts are refused, signing out of every session."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from govkpi.accounts.models import ApiToken, Membership, UserSecurity
from govkpi.accounts.roles import ROLES_REQUIRING_SECOND_FACTOR
from govkpi.audit.trail import record

SESSION_EPOCH_KEY = "govkpi_session_epoch"


class AccountRefused(Exception):
    """Why an account may not do something now: a code, the message in Vietnamese and in English."""

    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.code, self.message_vi, self.message_en = code, message_vi, message_en


DEMO_REFUSED = AccountRefused(
    "demo_account_in_production",
    "Tài khoản demo (mật khẩu đã công bố) không được đăng nhập ở chế độ production.",
    "Demo accounts (their password is published) cannot sign in in production mode.")
SECOND_FACTOR_FIRST = AccountRefused(
    "second_factor_required",
    "Cần xác thực hai lớp trước khi tạo mã truy cập API.",
    "Sign in with your second factor before creating an API token.")


def requires_second_factor(user: Any) -> bool:
    """True for staff and for holders of a role that must sign in with a second factor."""
    if not user.is_authenticated:
        return False
    return user.is_staff or Membership.objects.filter(user=user, role__in=ROLES_REQUIRING_SECOND_FACTOR).exists()


def second_factor_expected(user: Any) -> bool:
    """True when the user must use a second factor, or has enrolled one anyway: then it guards tokens too."""
    return requires_second_factor(user) or TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _state(user: Any) -> tuple[int, bool]:
    row = UserSecurity.objects.filter(user=user).values_list("session_epoch", "demo").first()
    return row or (0, False)


def current_epoch(user: Any) -> int:
    return _state(user)[0]


def refusal(user: Any) -> AccountRefused | None:
    """Why this account may not be used at all now (sign-in, session or token), or None."""
    if settings.PRODUCTION and _state(user)[1]:
        return DEMO_REFUSED
    return None


def mark_demo(user: Any) -> None:
    """Mark an account as a demo account (its password is published): refused in production."""
    UserSecurity.objects.update_or_create(user=user, defaults={"demo": True})


@transaction.atomic
def sign_out_everywhere(user: Any, request: Any = None) -> None:
    """End every session of the user, on every device, and revoke every API token of theirs, from now on."""
    security, _ = UserSecurity.objects.select_for_update().get_or_create(user=user)
    security.session_epoch += 1
    security.save(update_fields=["session_epoch"])
    # A stolen session may have made a token: signing out everywhere must not leave that way in.
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    prefixes = sorted(live.values_list("prefix", flat=True))
    live.update(revoked_at=timezone.now())
    record("auth.sign_out_everywhere", actor=user, object_type="User", object_key=user.username, request=request,
           after={"tokens_revoked": prefixes})
