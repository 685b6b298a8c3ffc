"""Granting and withdrawing roles: nobody grants more than they hold where they grant it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from govkpi.accounts.models import Membership
from govkpi.accounts.permissions import actions_at, require
from govkpi.accounts.roles import ROLE_ACTIONS, Action
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


@transaction.atomic
def withdraw_role(granter: Any, membership: Membership) -> None:
    """Remove a membership; the granter must manage users at its unit."""
    require(granter, Action.MANAGE_USERS, membership.unit)
    with acting_as(granter):  # the membership signal writes the row and cannot know who withdrew it
        membership.delete()
