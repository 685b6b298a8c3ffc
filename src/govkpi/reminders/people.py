"""Who a reminder goes to, for many units at once: the reminders of 3,321 communes are one query, not 3,321.

For one unit, notify.recipients says it (members_with, nearest_with); these are the same rules in bulk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser

from govkpi.accounts.models import Membership
from govkpi.accounts.permissions import roles_for_action
from govkpi.accounts.roles import Role
from govkpi.notify.recipients import nearest_with
from govkpi.orgunits.models import OrgUnit

# Who is told that an indicator of their unit turned off track: the people who lead the unit and read its
# figures (its unit admins and viewers), not those who type the values in or approve them.
READERS_TOLD_OF_RESULTS = (Role.UNIT_ADMIN, Role.VIEWER)


def members_at(unit_ids: Iterable[int], roles: Iterable[str]) -> dict[int, list[AbstractBaseUser]]:
    """Active users holding one of `roles` at each unit itself (not above it), by unit id, ordered by user id."""
    found: dict[int, dict[int, AbstractBaseUser]] = defaultdict(dict)
    ids = sorted(set(unit_ids))
    for start in range(0, len(ids), 500):
        memberships = (Membership.objects.filter(unit_id__in=ids[start:start + 500], role__in=list(roles),
                                                 user__is_active=True).select_related("user"))
        for membership in memberships:
            found[membership.unit_id][membership.user_id] = membership.user
    return {unit_id: [people[k] for k in sorted(people)] for unit_id, people in found.items()}


def members_allowed(unit_ids: Iterable[int], action: str) -> dict[int, list[AbstractBaseUser]]:
    """`members_at` for the roles that allow `action` (accounts.roles)."""
    return members_at(unit_ids, roles_for_action(action))


class Nearest:
    """nearest_with, remembered for the length of one run (many tasks share a lead unit).

    With `below_root`, the search stops before the root (the Government): a commune with no task manager of its
    own is reminded through its province, but a ministry or a province with none is not passed up to the
    Government's people, who are the assigning authority and hear of it only by escalation."""

    def __init__(self, action: str, *, below_root: bool = False) -> None:
        self.action, self.below_root = action, below_root
        self._known: dict[int, tuple[OrgUnit | None, list[AbstractBaseUser]]] = {}

    def __call__(self, unit: OrgUnit) -> tuple[OrgUnit | None, list[AbstractBaseUser]]:
        if unit.pk not in self._known:
            found, people = nearest_with(unit, self.action)
            if self.below_root and found is not None and found.parent_id is None and unit.parent_id is not None:
                found, people = None, []
            self._known[unit.pk] = (found, people)
        return self._known[unit.pk]


def nearest_many(units: Iterable[OrgUnit], action: str, *,
                 below_root: bool = False) -> dict[int, list[AbstractBaseUser]]:
    """nearest_with for many units in two queries: by unit id, the people allowed `action` at the nearest unit
    at or above it that has some ([] when none has); with `below_root`, as in Nearest, the root's people only
    for the root itself."""
    units = list(units)
    chains = {u.pk: [u.code, *reversed(u.ancestor_codes()[1 if below_root else 0:])] for u in units}
    ids = dict(OrgUnit.objects.filter(code__in={c for chain in chains.values() for c in chain})
               .values_list("code", "id"))
    people = members_allowed(ids.values(), action)
    found: dict[int, list[AbstractBaseUser]] = {}
    for unit_pk, chain in chains.items():
        found[unit_pk] = next((people[ids[c]] for c in chain if c in ids and people.get(ids[c])), [])
    return found
