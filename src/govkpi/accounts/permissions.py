"""The one place that answers "may this user do this here?" for every page, API route and job."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from govkpi.accounts.models import Membership
from govkpi.accounts.roles import ROLE_ACTIONS, Action
from govkpi.orgunits.models import OrgUnit

User = AbstractBaseUser | AnonymousUser


def _memberships(user: User) -> list[Membership]:
    if not user.is_authenticated or not user.is_active:
        return []
    # Cached on the user object for the length of one request.
    cached = getattr(user, "_govkpi_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("unit"))
        user._govkpi_memberships = cached  # type: ignore[union-attr]
    return cached


def roles_for_action(action: str) -> set[str]:
    return {role for role, actions in ROLE_ACTIONS.items() if action in actions}


def _token_allows(user: User, action: str, unit: OrgUnit) -> bool:
    """A request made with an API token is narrowed to the token's units and actions."""
    token = getattr(user, "_govkpi_token", None)
    if token is None:
        return True
    if token.actions and action not in token.actions:
        return False
    scope = list(token.units.all())
    return not scope or any(unit.is_within(u) for u in scope)


def can(user: User, action: str, unit: OrgUnit) -> bool:
    """True when one of the user's memberships allows the action on a unit within its subtree."""
    if action not in Action.values:
        raise ValueError(f"unknown action {action!r}")
    return _token_allows(user, action, unit) and any(
        action in ROLE_ACTIONS[m.role] and unit.is_within(m.unit) for m in _memberships(user)
    )


def require(user: User, action: str, unit: OrgUnit) -> None:
    """Raise PermissionDenied unless the user may do the action on the unit."""
    if not can(user, action, unit):
        raise PermissionDenied(
            f"Không có quyền «{action}» tại {unit.code}. / Not allowed to {action} at {unit.code}."
        )


def units_where(user: User, action: str) -> Q:
    """A filter on OrgUnit for the units where the user may do the action (empty for none)."""
    allowed = [m.unit.path for m in _memberships(user) if action in ROLE_ACTIONS[m.role]]
    query = Q(pk__in=[])
    for path in allowed:
        query |= Q(path__startswith=path)
    return query


def actions_at(user: User, unit: OrgUnit) -> set[str]:
    """Every action the user may do on the unit."""
    return {a for a in Action.values if can(user, a, unit)}


def scope_units(user: User) -> Iterable[OrgUnit]:
    """The units at the top of the user's memberships."""
    return [m.unit for m in _memberships(user)]


def sees_unpublished(user: User) -> bool:
    """True for a signed-in user with read access somewhere; anonymous users see only what is published."""
    return any(Action.READ in ROLE_ACTIONS[m.role] for m in _memberships(user))
