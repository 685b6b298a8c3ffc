"""One-time enrolment codes: the first second factor of an account is enrolled only with one.

Without them enrolment is trust-on-first-use: whoever first holds the password (an attacker with a
leaked one included) would choose the authenticator. A code comes from another system admin who has
passed their own second factor, or from the CLI on the server; it is single use, short-lived, stored
as a digest, and every issue, use and failed use is audited.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from govkpi.accounts.models import EnrolmentCode, Membership
from govkpi.accounts.roles import Role
from govkpi.accounts.security import AccountRefused
from govkpi.audit.trail import record

# No 0/O, 1/I/L: the code is read aloud or typed from a message.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12  # 12 × log2(31) ≈ 59 bits: out of reach of guessing within its lifetime
CLI_ISSUER = "cli"

NOT_AN_ISSUER = AccountRefused(
    "enrolment_code_issuer",
    "Chỉ quản trị hệ thống khác (đã xác thực hai lớp) hoặc dòng lệnh trên máy chủ cấp được mã đăng ký.",
    "Only another system admin (past their second factor) or the server's CLI can issue an enrolment code.")


def _digest(text: str) -> str:
    # 59 random bits, single use, minutes of life: a plain SHA-256 is enough.
    return hashlib.sha256(_normalise(text).encode("ascii", "ignore")).hexdigest()


def _normalise(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def may_issue(issuer: Any, *, issuer_verified: bool) -> bool:
    """True when this signed-in person may issue enrolment codes to others."""
    if not issuer_verified or not issuer.is_active:
        return False
    return issuer.is_superuser or Membership.objects.filter(user=issuer, role=Role.SYSTEM_ADMIN).exists()


@transaction.atomic
def issue_enrolment_code(user: Any, *, issuer: Any = None, issuer_verified: bool = False,
                         request: HttpRequest | None = None) -> str:
    """Issue a code for `user` (any earlier unused one stops working); return its text, shown once.

    `issuer` None means the CLI on the server; a person must be another, verified system admin."""
    if issuer is not None and (issuer.pk == user.pk or not may_issue(issuer, issuer_verified=issuer_verified)):
        raise NOT_AN_ISSUER
    now = timezone.now()
    EnrolmentCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    text = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    text = "-".join(text[i:i + 4] for i in range(0, CODE_LENGTH, 4))
    expires_at = now + datetime.timedelta(minutes=settings.ENROLMENT_CODE_MINUTES)
    issued_by = issuer.username if issuer is not None else CLI_ISSUER
    EnrolmentCode.objects.create(user=user, digest=_digest(text), issued_by=issued_by, expires_at=expires_at)
    record("auth.enrolment_code_issued", actor=issuer or CLI_ISSUER, object_type="User", object_key=user.username,
           after={"expires_at": expires_at, "issued_by": issued_by}, request=request)
    return text


@transaction.atomic
def redeem_enrolment_code(user: Any, text: str, request: HttpRequest | None = None) -> bool:
    """Use up the user's code if `text` is a live one; True then. Audited either way."""
    now = timezone.now()
    code = (EnrolmentCode.objects.select_for_update()
            .filter(user=user, digest=_digest(text), used_at__isnull=True, expires_at__gt=now).first())
    if code is None:
        record("auth.enrolment_code_failed", actor=user, object_type="User", object_key=user.username,
               request=request)
        return False
    code.used_at = now
    code.save(update_fields=["used_at"])
    record("auth.enrolment_code_used", actor=user, object_type="User", object_key=user.username,
           after={"issued_by": code.issued_by}, request=request)
    return True
