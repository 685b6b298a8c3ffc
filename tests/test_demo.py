"""`govkpi demo` loads the reference data and accounts; a second run changes nothing.

A full demo takes a minute or more, so the tests share one: it runs once in a transaction that spans the module
and is rolled back after it (each test, in its own savepoint, rolls back too)."""

import contextlib
import io

import pytest
from django.apps import apps
from django.core import serializers
from django.db import transaction

from govkpi.accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from govkpi.accounts.models import Membership
from govkpi.accounts.roles import Role
from govkpi.cli import main

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # noqa: ANN001 - pytest-django's fixtures
    """What the first `govkpi demo` printed; its database stays for the module's tests, then is rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["demo"]) == 0
        yield out.getvalue()
        transaction.set_rollback(True)


def snapshot() -> dict[str, str]:
    """Every row of every model, serialised: equal snapshots mean an unchanged database."""
    return {
        model._meta.label: serializers.serialize("json", model.objects.order_by("pk"))
        for model in apps.get_models()
        if model._meta.label not in {"sessions.Session"}
    }


def test_demo_twice_leaves_the_database_unchanged(demo, capsys):
    first = snapshot()
    assert main(["demo"]) == 0  # the second run, on the module's demoed database
    assert snapshot() == first
    out = capsys.readouterr().out
    assert "0 mới/created, 0 cập nhật/updated" in out.split("Tài khoản demo")[-2]


def test_demo_creates_one_account_per_role_and_prints_it(demo, django_user_model):
    out = demo
    roles = set(Membership.objects.filter(user__username__in=[a.username for a in DEMO_ACCOUNTS])
                .values_list("role", flat=True))
    assert roles == set(Role.values)
    admin = django_user_model.objects.get(username="admin")
    assert admin.check_password(DEMO_PASSWORD) and admin.is_superuser
    assert Membership.objects.get(user=admin).unit.code == "CP"
    for account in DEMO_ACCOUNTS:
        assert account.username in out
    assert DEMO_PASSWORD in out


def test_demo_accounts_sit_at_realistic_units(demo):
    kinds = set(Membership.objects.values_list("unit__kind", flat=True))
    assert {"government", "ministry", "province", "commune"} <= kinds


def test_demo_prints_an_enrolment_code_that_lets_the_new_admin_enrol_a_second_factor(demo, django_user_model):
    from govkpi.accounts.enrolment import redeem_enrolment_code

    codes = dict(line.split() for line in demo.split("govkpi account enrolment-code USER):")[1].strip().splitlines())
    admin = django_user_model.objects.get(username="admin")
    assert "admin" in codes and redeem_enrolment_code(admin, codes["admin"])
    assert not redeem_enrolment_code(admin, codes["admin"])  # once only
