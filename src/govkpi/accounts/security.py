"""Sign-in rules: who needs a second factor, and signing out of every session at once."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from govkpi.accounts.models import Membership, UserSecurity
from govkpi.accounts.roles import ROLES_REQUIRING_SECOND_FACTOR
from govkpi.audit.trail import record

SESSION_EPOCH_KEY = "govkpi_session_epoch"


def requires_second_factor(user: Any) -> bool:
    """True for staff and for holders of a role that must sign in with a second factor."""
    if not user.is_authenticated:
        return False
    return user.is_staff or Membership.objects.filter(user=user, role__in=ROLES_REQUIRING_SECOND_FACTOR).exists()


def current_epoch(user: Any) -> int:
    return UserSecurity.objects.filter(user=user).values_list("session_epoch", flat=True).first() or 0


@transaction.atomic
def sign_out_everywhere(user: Any, request: Any = None) -> None:
    """End every session of the user, on every device, from now on."""
    security, _ = UserSecurity.objects.select_for_update().get_or_create(user=user)
    security.session_epoch += 1
    security.save(update_fields=["session_epoch"])
    record("auth.sign_out_everywhere", actor=user, object_type="User", object_key=user.username, request=request)
