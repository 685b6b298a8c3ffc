"""A unit administrator's users: list, invite, grant and withdraw roles, deactivate and reactivate.

Every function authorises inside (accounts.permissions) and writes its audit row (audit.trail.record) in its
transaction. The rules:
- a user is in an administrator's reach when every one of their roles sits at a unit where the administrator
  manages users and could grant that role there (`may_grant`: the role's actions ⊆ the administrator's);
  a person who also works elsewhere, or holds more, is the business of whoever manages that too;
- a role is granted or withdrawn only where the administrator could grant it (never system_admin, never
  catalog_manager unless held, never outside their subtree);
- nobody locks themselves out: no deactivating oneself, no withdrawing one's own role that manages users;
- the last role of a user is not withdrawn (they would vanish from every list): deactivate them instead.
Roles that need a second factor (ROLES_REQUIRING_SECOND_FACTOR) keep needing it: the first enrolment still
takes a one-time code from a system administrator (accounts.enrolment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from govkpi.accounts.memberships import ensure_not_last_system_admin, grant_role, may_grant
from govkpi.accounts.models import Membership
from govkpi.accounts.permissions import can, units_where
from govkpi.accounts.roles import ROLE_ACTIONS, ROLES_REQUIRING_SECOND_FACTOR, Action, Role
from govkpi.accounts.security import sign_out_everywhere
from govkpi.audit.context import acting_as
from govkpi.audit.trail import record
from govkpi.orgunits.models import OrgUnit

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,148}[a-z0-9]$")


class UserAdminRefused(PermissionDenied):
    """Why a user-administration step is refused: a code and the message in Vietnamese and in English."""

    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.code, self.message_vi, self.message_en = code, message_vi, message_en


def _refused(code: str, vi: str, en: str) -> UserAdminRefused:
    return UserAdminRefused(code, vi, en)


@dataclass
class UserRow:
    """One line of the users page: the person, their roles the administrator sees, whether they may act."""

    user: Any
    memberships: list[Membership]
    manageable: bool
    second_factor: bool = False
    outside: int = 0  # roles elsewhere, not shown
    roles: list[str] = field(default_factory=list)


def manages_users(admin: Any) -> bool:
    """True when the administrator manages users somewhere."""
    return OrgUnit.objects.filter(units_where(admin, Action.MANAGE_USERS)).exists()


def managed_units(admin: Any) -> Any:
    """The units where the administrator manages users, as a queryset in tree order."""
    return OrgUnit.objects.filter(units_where(admin, Action.MANAGE_USERS)).order_by("path")


def grantable_roles(admin: Any, unit: OrgUnit) -> list[str]:
    """The roles the administrator may grant at the unit."""
    return [role for role in Role.values if may_grant(admin, role, unit)]


def in_reach(admin: Any, user: Any) -> bool:
    """True when the administrator may act on the user as a whole (deactivate, reactivate, send a link)."""
    if user.is_superuser and not admin.is_superuser:
        return False
    memberships = list(Membership.objects.filter(user=user).select_related("unit"))
    return bool(memberships) and all(may_grant(admin, m.role, m.unit) for m in memberships)


def users_of(admin: Any) -> list[UserRow]:
    """The users holding a role within the administrator's subtrees, by name; empty for anyone else."""
    scope = units_where(admin, Action.MANAGE_USERS)
    units = OrgUnit.objects.filter(scope)
    inside = Membership.objects.filter(unit__in=units).select_related("unit", "user").order_by("unit__path", "role")
    rows: dict[int, UserRow] = {}
    for m in inside:
        row = rows.setdefault(m.user_id, UserRow(user=m.user, memberships=[], manageable=False))
        row.memberships.append(m)
    if not rows:
        return []
    totals: dict[int, int] = {}
    for user_id in Membership.objects.filter(user_id__in=rows).values_list("user_id", flat=True):
        totals[user_id] = totals.get(user_id, 0) + 1
    for row in rows.values():
        row.outside = totals[row.user.pk] - len(row.memberships)
        row.manageable = row.user.pk != admin.pk and in_reach(admin, row.user)
        row.second_factor = row.user.is_staff or any(m.role in ROLES_REQUIRING_SECOND_FACTOR
                                                     for m in row.memberships)
    return sorted(rows.values(), key=lambda r: (r.user.get_full_name() or r.user.username).lower())


def _require_manages(admin: Any, unit: OrgUnit) -> None:
    if not can(admin, Action.MANAGE_USERS, unit):
        raise _refused("outside_subtree", f"Bạn không quản lý người dùng tại {unit.name}.",
                       f"You do not manage users at {unit.name_en or unit.name}.")


def _require_grantable(admin: Any, role: str, unit: OrgUnit) -> None:
    if role not in Role.values:
        raise _refused("unknown_role", f"Không có vai trò «{role}».", f"No role «{role}».")
    _require_manages(admin, unit)
    if not may_grant(admin, role, unit):
        label = Role(role).label
        raise _refused("role_beyond_yours",
                       f"Bạn không được cấp vai trò «{label}» tại {unit.name}: vai trò này có quyền bạn không có ở đó.",
                       f"You may not grant the role «{label}» at {unit.name_en or unit.name}: "
                       "it allows what you may not do there.")


def _require_in_reach(admin: Any, user: Any) -> None:
    if not in_reach(admin, user):
        raise _refused("user_outside_reach",
                       f"Người dùng {user.username} có vai trò ngoài phạm vi bạn quản lý; hãy nhờ quản trị cấp trên.",
                       f"The user {user.username} holds roles beyond what you manage; ask a higher administrator.")


def set_password_path(user: Any) -> str:
    """The one-time link that lets the user choose a password (stops working once they do, or after
    PASSWORD_RESET_TIMEOUT)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:set_password", args=[uid, default_token_generator.make_token(user)])


@transaction.atomic
def invite_user(admin: Any, *, username: str, full_name: str, email: str, role: str, unit: OrgUnit,
                request: HttpRequest | None = None) -> tuple[Any, str]:
    """Create a user holding one role at a unit; return (user, the set-password link, to be shown once)."""
    _require_grantable(admin, role, unit)
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise _refused("bad_username", "Tên đăng nhập chỉ gồm chữ thường không dấu, số, dấu chấm, gạch (3–150 ký tự).",
                       "A user name is 3–150 lower-case letters without accents, digits, dots, dashes.")
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise _refused("username_taken", f"Tên đăng nhập {username} đã có người dùng.",
                       f"The user name {username} is taken.")
    first, _, last = full_name.strip().rpartition(" ") if " " in full_name.strip() else (full_name.strip(), "", "")
    user = User(username=username, first_name=first[:150], last_name=last[:150], email=email.strip()[:254])
    user.set_unusable_password()
    user.save()
    record("user.invite", actor=admin, object_type="User", object_key=username, unit=unit.code,
           after={"full_name": full_name.strip(), "email": user.email, "role": role, "unit": unit.code},
           request=request)
    grant_role(admin, user, role, unit)
    return user, set_password_path(user)


@transaction.atomic
def grant(admin: Any, user: Any, role: str, unit: OrgUnit, request: HttpRequest | None = None) -> Membership:
    """Give a user in the administrator's list a role at a unit of their subtree; return the membership."""
    _require_grantable(admin, role, unit)
    if not Membership.objects.filter(user=user, unit__in=OrgUnit.objects.filter(
            units_where(admin, Action.MANAGE_USERS))).exists():
        _require_in_reach(admin, user)  # someone with no role in the subtree is not the administrator's to give
    membership, created = grant_role(admin, user, role, unit)
    record("user.grant_role", actor=admin, object_type="User", object_key=user.username, unit=unit.code,
           after={"role": role, "unit": unit.code, "created": created}, request=request)
    return membership


@transaction.atomic
def withdraw(admin: Any, membership: Membership, request: HttpRequest | None = None) -> None:
    """Remove a role the administrator could have granted; never their own role that manages users, never
    a user's last role."""
    _require_grantable(admin, membership.role, membership.unit)
    user = membership.user
    if user.pk == admin.pk and Action.MANAGE_USERS in ROLE_ACTIONS[membership.role]:
        raise _refused("self_lockout", "Bạn không tự gỡ vai trò quản trị của mình; hãy nhờ quản trị cấp trên.",
                       "You cannot withdraw your own administrator role; ask a higher administrator.")
    if not Membership.objects.filter(user=user).exclude(pk=membership.pk).exists():
        raise _refused("last_role", f"Đây là vai trò cuối cùng của {user.username}; hãy khóa tài khoản nếu người này "
                       "thôi việc, hoặc cấp vai trò mới trước.",
                       f"This is {user.username}'s last role; deactivate the account if they left, "
                       "or grant the new role first.")
    ensure_not_last_system_admin(membership)
    before = {"role": membership.role, "unit": membership.unit.code}
    with acting_as(admin):  # the membership signal writes its row and cannot know who withdrew it
        membership.delete()
    record("user.withdraw_role", actor=admin, object_type="User", object_key=user.username,
           unit=before["unit"], before=before, request=request)


@transaction.atomic
def set_active(admin: Any, user: Any, active: bool, request: HttpRequest | None = None) -> None:
    """Deactivate (signed out everywhere, tokens revoked) or reactivate a user in the administrator's reach."""
    if user.pk == admin.pk:
        raise _refused("self_lockout", "Bạn không tự khóa tài khoản của mình.", "You cannot deactivate yourself.")
    _require_in_reach(admin, user)
    if user.is_active == active:
        return
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        sign_out_everywhere(user, request)
    record("user.activate" if active else "user.deactivate", actor=admin, object_type="User",
           object_key=user.username, before={"is_active": not active}, after={"is_active": active}, request=request)


@transaction.atomic
def new_set_password_link(admin: Any, user: Any, request: HttpRequest | None = None) -> str:
    """A fresh set-password link for an invited user who has not signed in yet nor chosen a password (a password
    reset of a user who has one is a system administrator's, not a unit administrator's: an account with a
    password that never signed in on a page, such as one used through API tokens, is not the administrator's to
    take over)."""
    _require_in_reach(admin, user)
    if user.last_login is not None or not user.is_active or user.has_usable_password():
        raise _refused("already_signed_in",
                       f"{user.username} đã đặt mật khẩu, đã đăng nhập hoặc đã bị khóa: không cấp lại liên kết.",
                       f"{user.username} has a password, has signed in already or is deactivated: no new link.")
    record("user.set_password_link", actor=admin, object_type="User", object_key=user.username, request=request)
    return set_password_path(user)


def find_unit(admin: Any, text: str) -> OrgUnit | None:
    """The unit of the administrator's subtrees named by a code or a name (None when none is)."""
    text = text.strip()
    if not text:
        return None
    scope = OrgUnit.objects.filter(units_where(admin, Action.MANAGE_USERS))
    by_code = scope.filter(code=text).first()
    if by_code is not None:
        return by_code
    matches = list(scope.filter(Q(name__iexact=text) | Q(short_name__iexact=text))[:2])
    if len(matches) == 1:
        return matches[0]
    from govkpi.orgunits.resolve import resolve_unit

    found = resolve_unit(text)
    return found.unit if found.found and scope.filter(pk=found.unit.pk).exists() else None
