"""Granting and withdrawing roles: nobody grants more than they hold where they grant it, and nobody removes
the last system admin (who alone can grant at the root: without one, only the server's shell could)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models.signals import pre_delete, pre_save

from govkpi.accounts.models import Membership
from govkpi.accounts.permissions import actions_at, require
from govkpi.accounts.roles import ROLE_ACTIONS, Action, Role
from govkpi.audit.context import acting_as
from govkpi.orgunits.models import OrgUnit


def may_grant(granter: Any, role: str, unit: OrgUnit) -> bool:
    """True when the granter manages users at the unit and holds every action of the role there."""
    held = actions_at(granter, unit)
    return Action.MANAGE_USERS in held and ROLE_ACTIONS[role] <= held


@transaction.atomic
def grant_role(granter: Any, user: Any, role: str, unit: OrgUnit) -> tuple[Membership, bool]:
    """Give a user a role over a unit's subtree (audited by the membership signal, with the granter as actor);
    return (row, created)."""
    if not may_grant(granter, role, unit):
        raise PermissionDenied(
            f"Không được cấp vai trò «{role}» tại {unit.code}. / Not allowed to grant «{role}» at {unit.code}.")
    with acting_as(granter):
        return Membership.objects.get_or_create(user=user, unit=unit, role=role)


class LastSystemAdmin(PermissionDenied):
    """Refused: the change would leave no active system admin at the root."""

    code = "last_system_admin"
    message_vi = "Không được gỡ quản trị hệ thống cuối cùng; hãy cấp vai trò này cho người khác trước."
    message_en = "The last system admin cannot be removed; grant the role to someone else first."

    def __init__(self) -> None:
        super().__init__(f"{self.message_vi} / {self.message_en}")


def _root_system_admins() -> Any:
    """The memberships that make a system admin of the whole country: the role at a root unit, active user."""
    return Membership.objects.filter(role=Role.SYSTEM_ADMIN, unit__parent__isnull=True, user__is_active=True)


def ensure_not_last_system_admin(membership: Membership) -> None:
    """Raise `LastSystemAdmin` when removing or demoting this membership would leave no root system admin.

    Called with the rows locked (`select_for_update`), so two admins removing each other at once cannot both
    succeed on PostgreSQL."""
    if membership.pk is None:
        return
    stored = Membership.objects.select_related("unit", "user").filter(pk=membership.pk).first()
    if stored is None or stored.role != Role.SYSTEM_ADMIN or stored.unit.parent_id is not None \
            or not stored.user.is_active:
        return  # not one of the memberships that count
    others = _root_system_admins().exclude(user_id=stored.user_id).select_for_update(of=("self",))
    # pre_save/pre_delete run outside any transaction when Model.save() is called outside atomic (the shell),
    # and PostgreSQL refuses SELECT ... FOR UPDATE there: open one (a savepoint when already inside one).
    with transaction.atomic():
        if not list(others.values_list("pk", flat=True)[:1]):
            raise LastSystemAdmin()


@transaction.atomic
def withdraw_role(granter: Any, membership: Membership) -> None:
    """Remove a membership; the granter must manage users at its unit, and it must not be the last root
    system admin's."""
    require(granter, Action.MANAGE_USERS, membership.unit)
    ensure_not_last_system_admin(membership)
    with acting_as(granter):  # the membership signal writes the row and cannot know who withdrew it
        membership.delete()


def _guard_membership_delete(sender: Any, instance: Membership, **kwargs: Any) -> None:
    ensure_not_last_system_admin(instance)


def _guard_membership_change(sender: Any, instance: Membership, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return  # fixtures load as they are; a new membership removes nobody
    stored = Membership.objects.filter(pk=instance.pk).values_list("role", "unit_id", "user_id").first()
    if stored and stored != (instance.role, instance.unit_id, instance.user_id):
        ensure_not_last_system_admin(instance)  # a demotion or a move is a removal from the root


def _guard_user_change(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None or instance.is_active:
        return
    for membership in _root_system_admins().filter(user_id=instance.pk):
        ensure_not_last_system_admin(membership)  # deactivating the last one removes them too


def connect_guards() -> None:
    """Make the rule hold on every door, the admin site and the shell included, not only `withdraw_role`
    (a user's deletion removes their memberships one by one, so it meets the delete guard)."""
    pre_delete.connect(_guard_membership_delete, sender=Membership, dispatch_uid="last_system_admin_delete")
    pre_save.connect(_guard_membership_change, sender=Membership, dispatch_uid="last_system_admin_change")
    pre_save.connect(_guard_user_change, sender=get_user_model(), dispatch_uid="last_system_admin_user")
