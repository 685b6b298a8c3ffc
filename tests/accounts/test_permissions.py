"""The one authorisation point: a role acts only within the subtree of its unit."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from govkpi.accounts.permissions import can, require, units_where
from govkpi.accounts.roles import ROLE_ACTIONS, Action, Role
from govkpi.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db


def test_commune_data_entry_may_not_act_on_a_neighbouring_commune(make_user, unit):
    clerk = make_user(Role.DATA_ENTRY, "00004")  # Phường Ba Đình
    assert can(clerk, Action.ENTER, unit("00004"))
    neighbour = unit("00008")  # Phường Ngọc Hà, same city
    assert neighbour.parent == unit("00004").parent
    assert not can(clerk, Action.ENTER, neighbour)
    with pytest.raises(PermissionDenied):
        require(clerk, Action.ENTER, neighbour)


def test_commune_role_does_not_reach_up_to_its_province(make_user, unit):
    clerk = make_user(Role.DATA_ENTRY, "00004")
    assert not can(clerk, Action.ENTER, unit("01"))
    assert not can(clerk, Action.READ, unit("01"))


def test_province_admin_covers_its_communes_not_another_province(make_user, unit):
    admin = make_user(Role.UNIT_ADMIN, "01")
    assert can(admin, Action.APPROVE, unit("00004"))
    assert can(admin, Action.MANAGE_USERS, unit("01"))
    assert not can(admin, Action.ENTER, unit("79"))
    other_city_ward = OrgUnit.objects.filter(parent__code="79").first()
    assert not can(admin, Action.READ, other_city_ward)


def test_roles_allow_only_their_actions(make_user, unit):
    viewer = make_user(Role.VIEWER, "CP")
    assert can(viewer, Action.READ, unit("00004"))
    assert not can(viewer, Action.ENTER, unit("00004"))
    approver = make_user(Role.APPROVER, "01")
    assert can(approver, Action.APPROVE, unit("00004")) and not can(approver, Action.ENTER, unit("00004"))
    auditor = make_user(Role.AUDITOR, "CP")
    assert can(auditor, Action.READ_AUDIT, unit("BCA")) and not can(auditor, Action.ENTER, unit("BCA"))


def test_system_admin_may_do_everything_everywhere(make_user, unit):
    admin = make_user(Role.SYSTEM_ADMIN, "CP")
    for action in Action.values:
        assert can(admin, action, unit("00004")), action
        assert can(admin, action, unit("BTTTT")), action


def test_ministry_task_manager_manages_own_tasks_only(make_user, unit):
    manager = make_user(Role.TASK_MANAGER, "BCA")
    assert can(manager, Action.MANAGE_TASKS, unit("BCA"))
    assert not can(manager, Action.MANAGE_TASKS, unit("BKHCN"))


def test_anonymous_and_inactive_users_may_do_nothing(make_user, unit):
    assert not any(can(AnonymousUser(), a, unit("CP")) for a in Action.values)
    user = make_user(Role.SYSTEM_ADMIN, "CP")
    user.is_active = False
    assert not can(user, Action.READ, unit("CP"))


def test_units_where_is_a_queryset_filter_of_the_subtree(make_user):
    clerk = make_user(Role.DATA_ENTRY, "01")
    allowed = OrgUnit.objects.filter(units_where(clerk, Action.ENTER))
    assert allowed.count() == 127
    assert not OrgUnit.objects.filter(units_where(clerk, Action.APPROVE)).exists()


def test_every_role_has_a_row_in_the_action_table_and_reads():
    assert set(ROLE_ACTIONS) == set(Role.values)
    assert all(Action.READ in actions for actions in ROLE_ACTIONS.values())


def test_unknown_action_is_a_programming_error(make_user, unit):
    with pytest.raises(ValueError):
        can(make_user(Role.VIEWER, "CP"), "fly", unit("CP"))
