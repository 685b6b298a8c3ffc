"""A person's own e-mail address: where govkpi's notifications are sent (notify.email), set by the person."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from govkpi.accounts.security import AccountRefused
from govkpi.audit.trail import record


def set_email(user: AbstractBaseUser, address: str) -> str:
    """Set (or, empty, clear) the user's e-mail address; audited. A malformed address is refused and nothing
    changes. Returns the address kept."""
    address = address.strip()
    if address:
        try:
            validate_email(address)
        except ValidationError:
            raise AccountRefused("bad_email", f"«{address}» không phải địa chỉ e-mail hợp lệ.",
                                 f"«{address}» is not a valid e-mail address.") from None
    before = user.email
    if address != before:
        user.email = address
        user.save(update_fields=["email"])
        record("user.set_email", actor=user, object_type="User", object_key=user.username,
               before={"email": before}, after={"email": address})
    return address
