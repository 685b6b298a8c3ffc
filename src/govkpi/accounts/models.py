"""Memberships: a user holds a role over a unit and everything below it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from govkpi.accounts.roles import Role
from govkpi.orgunits.models import OrgUnit


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("đơn vị"))
    role = models.CharField(_("vai trò"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique")]
        verbose_name = _("phân quyền")
        verbose_name_plural = _("phân quyền")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit.code}"


class TokenOrigin(models.TextChoices):
    """How a token came to be: only the first two vouch for a user who must use a second factor."""

    VERIFIED_SESSION = "verified_session", _("phiên đã xác thực hai lớp")
    SERVER = "server", _("dòng lệnh trên máy chủ")
    PASSWORD_SESSION = "password_session", _("phiên chỉ có mật khẩu")
    UNKNOWN = "", _("trước khi ghi nguồn gốc")  # made before origins were kept: vouches for nothing


class ApiToken(models.Model):
    """A bearer token for a person or an integrated system: shown once, stored as a SHA-256 digest.

    A token never gives more than its user has: it can only narrow the user's memberships to some
    units (`units`, empty = all of the user's) and some actions (`actions`, empty = all of the user's).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("tên"), max_length=100, blank=True)
    prefix = models.CharField(max_length=16, unique=True)  # shown in lists to tell tokens apart
    digest = models.CharField(max_length=64, unique=True)
    units = models.ManyToManyField(OrgUnit, blank=True, related_name="+")
    actions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.CharField(max_length=64, blank=True)
    origin = models.CharField(_("nguồn gốc"), max_length=32, choices=TokenOrigin.choices, blank=True,
                              default=TokenOrigin.UNKNOWN)

    class Meta:
        verbose_name = _("mã truy cập API")
        verbose_name_plural = _("mã truy cập API")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class UserSecurity(models.Model):
    """Per-user security state. Raising `session_epoch` signs the user out of every session."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security")
    session_epoch = models.PositiveIntegerField(default=0)
    # Set by `govkpi demo` only: the account's password is published, so production refuses it.
    demo = models.BooleanField(default=False)


class EnrolmentCode(models.Model):
    """A one-time code that lets a user enrol their first second factor; stored as a SHA-256 digest.

    Issued by another system admin or by the CLI on the server, so that the password alone never
    chooses whose authenticator guards an account.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_codes")
    digest = models.CharField(max_length=64, unique=True)
    issued_by = models.CharField(max_length=150)  # a user name, or "cli"
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("mã đăng ký xác thực hai lớp")
        verbose_name_plural = _("mã đăng ký xác thực hai lớp")
