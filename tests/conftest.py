"""Fixtures that build real objects: the whole reference hierarchy is loaded once per run."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from govkpi.accounts.models import Membership
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.reference import reference_hierarchy
from govkpi.orgunits.sync import sync_reference_hierarchy


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # noqa: ANN001 - pytest-django's fixtures
    """The test database with Viet Nam's real units in it, shared by every test (each test rolls back)."""
    with django_db_blocker.unblock():
        sync_reference_hierarchy(reference_hierarchy())


@pytest.fixture
def unit(db):  # noqa: ANN001
    """Look a reference unit up by code."""
    return lambda code: OrgUnit.objects.get(code=code)


@pytest.fixture
def make_user(db):  # noqa: ANN001
    """Create a user holding one role over one unit's subtree."""
    counter = iter(range(1, 10_000))

    def make(role: str, unit_code: str, username: str | None = None):
        user = get_user_model().objects.create_user(username or f"user{next(counter)}", password=None)
        Membership.objects.create(user=user, unit=OrgUnit.objects.get(code=unit_code), role=role)
        return user

    return make
