"""The one place that answers "may this user do this here?" for every page, API route and job."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from govkpi.accounts.models import ApiToken, Membership
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


def _token_units(user: User, token: ApiToken) -> list[OrgUnit]:
    """The units the request's API token narrows to (empty: no narrowing)."""
    # Cached on the user object for the length of one request, like the memberships; keyed by the token
    # so that another token set on the same object is read afresh.
    cached = getattr(user, "_govkpi_token_units", None)
    if cached is None or cached[0] is not token:
        cached = (token, list(token.units.all()))
        user._govkpi_token_units = cached  # type: ignore[union-attr]
    return cached[1]


def _meet(granted: list[OrgUnit], narrowing: list[OrgUnit]) -> list[OrgUnit]:
    """The tops of the subtrees covered by both lists (an empty narrowing narrows nothing)."""
    if not narrowing:
        return granted
    met: dict[int, OrgUnit] = {}
    for g in granted:
        for n in narrowing:
            # Two subtrees meet in the deeper one when one holds the other, and nowhere otherwise.
            deeper = n if n.is_within(g) else g if g.is_within(n) else None
            if deeper is not None:
                met[deeper.pk] = deeper
    return list(met.values())


def _allowed_units(user: User, action: str) -> list[OrgUnit]:
    """The tops of the subtrees where the user may do the action: memberships met with the request's token."""
    granted = [m.unit for m in _memberships(user) if action in ROLE_ACTIONS[m.role]]
    token = getattr(user, "_govkpi_token", None)
    if token is None:
        return granted
    if token.actions and action not in token.actions:
        return []
    return _meet(granted, _token_units(user, token))


def can(user: User, action: str, unit: OrgUnit) -> bool:
    """True when one of the user's memberships allows the action on a unit within its subtree (and the
    request's API token, if any, allows the action there too)."""
    if action not in Action.values:
        raise ValueError(f"unknown action {action!r}")
    return any(unit.is_within(top) for top in _allowed_units(user, action))


class NotAllowed(PermissionDenied):
    """Refused: the user may not do `action` at `unit` (the 403 page says which role to ask for, and whom)."""

    def __init__(self, action: str, unit: OrgUnit) -> None:
        super().__init__(f"Không có quyền «{action}» tại {unit.code}. / Not allowed to {action} at {unit.code}.")
        self.action, self.unit = action, unit


def require(user: User, action: str, unit: OrgUnit) -> None:
    """Raise NotAllowed (a PermissionDenied) unless the user may do the action on the unit."""
    if not can(user, action, unit):
        raise NotAllowed(action, unit)


def units_where(user: User, action: str) -> Q:
    """A filter on OrgUnit for the units where the user may do the action (empty for none): the same
    answer as `can`, token narrowing included."""
    query = Q(pk__in=[])
    for top in _allowed_units(user, action):
        query |= Q(path__startswith=top.path)
    return query


def actions_at(user: User, unit: OrgUnit) -> set[str]:
    """Every action the user may do on the unit."""
    return {a for a in Action.values if can(user, a, unit)}


def scope_units(user: User) -> Iterable[OrgUnit]:
    """The units at the top of the user's memberships (narrowed by the request's API token, if any)."""
    units = [m.unit for m in _memberships(user)]
    token = getattr(user, "_govkpi_token", None)
    return units if token is None else _meet(units, _token_units(user, token))


def sees_unpublished(user: User) -> bool:
    """True for a signed-in user with read access somewhere (through the request's API token, if any);
    anonymous users, and tokens that may not read, see only what is published."""
    return bool(_allowed_units(user, Action.READ))
