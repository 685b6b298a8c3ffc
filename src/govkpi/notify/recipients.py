"""Who is told: the people holding a role at a unit, found from memberships (accounts.roles is the table)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from govkpi.accounts.permissions import roles_for_action
from govkpi.orgunits.models import OrgUnit


def members_with(unit: OrgUnit, action: str, *, at_or_above: bool = False) -> QuerySet[AbstractBaseUser]:
    """Active users whose membership at `unit` allows `action` (with `at_or_above`, a membership at one of its
    ancestors counts too, as the permission check counts it — but the nearest holders are what a reminder
    wants, so the default is the unit's own people)."""
    codes = [unit.code, *(unit.ancestor_codes() if at_or_above else [])]
    return (get_user_model().objects.filter(is_active=True, memberships__unit__code__in=codes,
                                            memberships__role__in=roles_for_action(action))
            .distinct().order_by("pk"))


def nearest_with(unit: OrgUnit, action: str) -> tuple[OrgUnit | None, list[AbstractBaseUser]]:
    """The nearest unit at or above `unit` with someone allowed `action`, and those people (an approver of a
    commune may sit at the province)."""
    chain = [unit.code, *reversed(unit.ancestor_codes())]
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=chain)}
    for code in chain:
        if code in units:
            people = list(members_with(units[code], action))
            if people:
                return units[code], people
    return None, []
