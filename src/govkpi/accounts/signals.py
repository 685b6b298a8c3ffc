"""Sign-ins, sign-outs, failed sign-ins and membership changes go to the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from govkpi.accounts.models import Membership
from govkpi.accounts.security import SESSION_EPOCH_KEY, current_epoch
from govkpi.audit.trail import record


@receiver(user_logged_in)
def on_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_EPOCH_KEY] = current_epoch(user)
    record("auth.sign_in", actor=user, object_type="User", object_key=user.username, request=request)


@receiver(user_logged_out)
def on_sign_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record("auth.sign_out", actor=user, object_type="User", object_key=user.username, request=request)


@receiver(user_login_failed)
def on_failed_sign_in(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # The password is never recorded; only the name that was tried.
    name = str(credentials.get("username", ""))[:150]
    record("auth.sign_in_failed", actor="", object_type="User", object_key=name, request=request)


@receiver(post_save, sender=Membership)
def on_membership_saved(sender: Any, instance: Membership, created: bool, **kwargs: Any) -> None:
    record("membership.create" if created else "membership.update", object_type="Membership",
           object_key=str(instance.pk), unit=instance.unit.code,
           after={"user": instance.user.username, "unit": instance.unit.code, "role": instance.role})


@receiver(post_delete, sender=Membership)
def on_membership_deleted(sender: Any, instance: Membership, **kwargs: Any) -> None:
    record("membership.delete", object_type="Membership", object_key=str(instance.pk), unit=instance.unit.code,
           before={"user": instance.user.username, "unit": instance.unit.code, "role": instance.role})
