"""Nobody removes, demotes or deactivates the last system admin at the root, whatever the door (the
domain function, the admin site's ORM writes, the shell); with a second one, each may go."""

from contextlib import contextmanager

import pytest
from django.db import transaction

from govkpi.accounts.memberships import LastSystemAdmin, withdraw_role
from govkpi.accounts.models import Membership
from govkpi.accounts.roles import Role
from govkpi.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db


@contextmanager
def refused():
    """Expect the refusal; the savepoint lets the test go on, as a request's transaction would roll back."""
    with pytest.raises(LastSystemAdmin), transaction.atomic():
        yield


@pytest.fixture
def admin(make_user):
    return make_user(Role.SYSTEM_ADMIN, "CP")


def test_the_last_system_admin_cannot_withdraw_their_own_membership(admin):
    own = Membership.objects.get(user=admin)
    with pytest.raises(LastSystemAdmin) as refused:
        withdraw_role(admin, own)
    assert "quản trị hệ thống cuối cùng" in str(refused.value) and "last system admin" in str(refused.value)
    assert Membership.objects.filter(pk=own.pk).exists()


def test_with_a_second_system_admin_one_may_go(admin, make_user):
    make_user(Role.SYSTEM_ADMIN, "CP")
    withdraw_role(admin, Membership.objects.get(user=admin))
    assert not Membership.objects.filter(user=admin).exists()


def test_deleting_demoting_or_moving_the_last_one_is_refused_outside_the_domain_function_too(admin):
    own = Membership.objects.get(user=admin)
    with refused():
        own.delete()  # what the admin site does
    own.role = Role.UNIT_ADMIN
    with refused():
        own.save()
    own.role, own.unit = Role.SYSTEM_ADMIN, OrgUnit.objects.get(code="01")
    with refused():
        own.save()  # a system admin of Hà Nội alone no longer grants at the root
    assert Membership.objects.get(pk=own.pk).role == Role.SYSTEM_ADMIN


def test_deactivating_or_deleting_the_last_one_is_refused(admin):
    admin.is_active = False
    with refused():
        admin.save()
    admin.is_active = True
    with refused():
        admin.delete()  # the memberships go one by one and meet the delete guard
    assert Membership.objects.filter(user=admin).exists()


def test_an_inactive_or_non_root_system_admin_does_not_count(admin, make_user, django_user_model):
    dormant = make_user(Role.SYSTEM_ADMIN, "CP")
    django_user_model.objects.filter(pk=dormant.pk).update(is_active=False)
    make_user(Role.SYSTEM_ADMIN, "01")
    with refused():
        withdraw_role(admin, Membership.objects.get(user=admin))
    withdraw_role(admin, Membership.objects.get(user=dormant))  # an inactive admin's membership may go


@pytest.mark.django_db(transaction=True)
def test_saves_outside_any_transaction_work_with_the_guard_on(make_user):
    """Model.save() outside atomic (the shell) sends pre_save outside a transaction; the guard's
    SELECT ... FOR UPDATE must open its own, or PostgreSQL raises TransactionManagementError."""
    keeper = make_user(Role.SYSTEM_ADMIN, "CP")
    leaving = make_user(Role.SYSTEM_ADMIN, "CP")
    ordinary = make_user(Role.DATA_ENTRY, "01")
    ordinary.is_active = False
    ordinary.save()
    leaving.is_active = False
    leaving.save()  # a root system admin deactivated while another remains: meets the guard's locking query
    assert not type(leaving).objects.get(pk=leaving.pk).is_active
    assert Membership.objects.filter(user=keeper, role=Role.SYSTEM_ADMIN).exists()
