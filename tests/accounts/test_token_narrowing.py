"""An API token narrows its user on every list, query and export, the way it narrows `can`."""

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from govkpi.accounts.models import Membership
from govkpi.accounts.permissions import can, sees_unpublished, units_where
from govkpi.accounts.roles import Action, Role
from govkpi.accounts.tokens import create_token
from govkpi.audit.trail import record
from govkpi.core.periods import PeriodType, period_of
from govkpi.datavalues import approval
from govkpi.datavalues.writer import Item, write_values
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit
from tests.conftest import json_body

pytestmark = pytest.mark.django_db

# Hà Nội (01) holds Phường Ba Đình (00004) and Phường Ngọc Hà (00008); TP.HCM (79) holds Phường Thủ Dầu Một (25747).
UNITS = ["CP", "01", "00004", "00008", "79", "25747", "BCA"]


def bearer(text):
    return {"HTTP_AUTHORIZATION": f"Bearer {text}"}


@pytest.fixture
def national(make_user):
    """A system administrator over the whole country."""
    return make_user(Role.SYSTEM_ADMIN, "CP", username="quantri.quocgia")


@pytest.fixture
def tokens(national, unit):
    """The national user's tokens, by name: the token text to send."""
    made = {
        "commune_read": dict(units=[unit("00004")], actions=["read"]),
        "commune_audit": dict(units=[unit("00004")], actions=["read", "read_audit"]),
        "commune_all": dict(units=[unit("00004")]),
        "province_audit": dict(units=[unit("01")], actions=["read_audit"]),
        "province_read": dict(units=[unit("01")], actions=["read"]),
        "province_all": dict(units=[unit("01")]),
        "enter_only": dict(actions=["enter"]),
    }
    return {name: create_token(national, name=name, **scope)[1] for name, scope in made.items()}


@pytest.fixture
def session(national):
    """A browser signed in as the national user, second factor passed (administrators need one)."""
    from django_otp import login as otp_login
    from django_otp.plugins.otp_totp.models import TOTPDevice

    browser = Client()
    browser.force_login(national)
    request = type("Request", (), {"session": browser.session, "user": national})()
    otp_login(request, TOTPDevice.objects.create(user=national, name="test", confirmed=True))
    request.session.save()
    return browser


def audit_units(client, **headers):
    response = client.get("/api/v1/audit", {"action": "test.row", "limit": 100}, **headers)
    assert response.status_code == 200, response.content
    return [row["unit"] for row in response.json()["items"]]


def test_audit_entries_are_narrowed_to_the_tokens_units_and_actions(client, tokens, national):
    for code in ["00004", "00008", "01", "79", "25747", "BCA"]:
        record("test.row", actor=national, object_type="Test", object_key=code, unit=code)
    assert audit_units(client, **bearer(tokens["province_audit"])) == ["01", "00008", "00004"]
    assert audit_units(client, **bearer(tokens["commune_audit"])) == ["00004"]
    assert audit_units(client, **bearer(tokens["commune_read"])) == []  # read, but not read_audit
    assert audit_units(client, **bearer(tokens["enter_only"])) == []
    # Without a filter the province token still sees nothing outside Hà Nội (token rows carry no unit).
    everything = client.get("/api/v1/audit", {"limit": 1000}, **bearer(tokens["province_audit"])).json()
    assert sorted(row["unit"] for row in everything["items"]) == ["00004", "00008", "01"]


def test_the_same_user_with_a_session_sees_every_audit_entry(session, national):
    for code in ["00004", "00008", "01", "79", "25747", "BCA"]:
        record("test.row", actor=national, object_type="Test", object_key=code, unit=code)
    assert audit_units(session) == ["BCA", "25747", "79", "01", "00008", "00004"]


def membership_rows(client, **headers):
    response = client.get("/api/v1/memberships", {"limit": 100}, **headers)
    assert response.status_code == 200, response.content
    return [(row["unit"], row["user"]) for row in response.json()["items"]]


@pytest.fixture
def memberships(unit):
    people = {"badinh": ("00004", Role.VIEWER), "ngocha": ("00008", Role.DATA_ENTRY),
              "hanoi": ("01", Role.UNIT_ADMIN), "hcm": ("79", Role.APPROVER), "thudaumot": ("25747", Role.VIEWER)}
    for username, (code, role) in people.items():
        user = get_user_model().objects.create_user(username, password=None)
        Membership.objects.create(user=user, unit=unit(code), role=role)


def test_memberships_are_narrowed_to_the_tokens_units(client, tokens, memberships):
    assert membership_rows(client, **bearer(tokens["province_all"])) == [
        ("01", "hanoi"), ("00004", "badinh"), ("00008", "ngocha")]
    assert membership_rows(client, **bearer(tokens["commune_all"])) == [("00004", "badinh")]
    assert membership_rows(client, **bearer(tokens["commune_read"])) == []  # read, but not manage_users


def test_the_same_user_with_a_session_sees_every_membership(session, memberships):
    assert membership_rows(session) == [("CP", "quantri.quocgia"), ("01", "hanoi"), ("00004", "badinh"),
                                        ("00008", "ngocha"), ("79", "hcm"), ("25747", "thudaumot")]


@pytest.fixture
def month():
    """Last month: open for reporting today."""
    return period_of(PeriodType.MONTHLY, timezone.localdate()).previous().id


@pytest.fixture
def values(db, month):
    DataElement.objects.create(code="TYLE_XA", name_vi="Tỷ lệ hồ sơ trực tuyến của xã", value_type="percentage",
                               frequency="monthly", unit_kinds=["commune"])
    DataElement.objects.create(code="DVC_TONG", name_vi="Tổng số TTHC", value_type="count", frequency="monthly",
                               unit_kinds=["province"])
    items = [("TYLE_XA", "00004", 40), ("TYLE_XA", "00008", 50), ("TYLE_XA", "25747", 60),
             ("DVC_TONG", "01", 400), ("DVC_TONG", "79", 700)]
    result = write_values([Item(index=i, data_element=e, unit=u, period=month, value=v)
                           for i, (e, u, v) in enumerate(items)], actor=None, channel="api")
    assert result.created == 5, result.conflicts


def value_rows(client, **headers):
    response = client.get("/api/v1/dataValueSets", **headers)
    assert response.status_code == 200, response.content
    return [(row["orgUnit"], row["value"]) for row in json_body(response)["dataValues"]]


def test_values_are_narrowed_to_the_tokens_units(client, tokens, values):
    assert value_rows(client, **bearer(tokens["commune_read"])) == [("00004", "40")]
    assert value_rows(client, **bearer(tokens["province_read"])) == [("01", "400"), ("00004", "40"),
                                                                     ("00008", "50")]
    # A token that may not read sees what an anonymous caller sees: nothing is approved yet.
    assert value_rows(client, **bearer(tokens["enter_only"])) == []
    csv = client.get("/api/v1/dataValueSets", {"format": "csv"}, **bearer(tokens["commune_read"]))
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert [line.split(",")[2] for line in lines[1:]] == ["00004"]


def test_the_same_user_with_a_session_sees_every_value(session, values):
    assert value_rows(session) == [("01", "400"), ("79", "700"), ("00004", "40"), ("00008", "50"),
                                   ("25747", "60")]


@pytest.fixture
def approvals(national, unit, month):
    for code in ["00004", "00008", "01", "25747", "79"]:
        approval.submit(unit(code), month, national)


def approval_units(client, **headers):
    response = client.get("/api/v1/approvals", **headers)
    assert response.status_code == 200, response.content
    return sorted(row["unit"] for row in response.json()["items"])


def test_approvals_are_narrowed_to_the_tokens_units(client, tokens, approvals):
    assert approval_units(client, **bearer(tokens["commune_read"])) == ["00004"]
    assert approval_units(client, **bearer(tokens["province_read"])) == ["00004", "00008", "01"]
    assert approval_units(client, **bearer(tokens["enter_only"])) == []  # only approved ones, and none is


def test_the_same_user_with_a_session_sees_every_approval(session, approvals):
    assert approval_units(session) == ["00004", "00008", "01", "25747", "79"]


def test_completeness_outside_the_tokens_units_is_refused(client, tokens, month, session):
    narrowed = bearer(tokens["commune_read"])
    assert client.get("/api/v1/completeness", {"unit": "00004", "period": month}, **narrowed).status_code == 200
    assert client.get("/api/v1/completeness", {"unit": "01", "period": month}, **narrowed).status_code == 403
    assert client.get("/api/v1/completeness", {"unit": "79", "period": month}, **narrowed).status_code == 403
    assert session.get("/api/v1/completeness", {"unit": "79", "period": month}).status_code == 200


# --- `can` and `units_where` give one answer, with and without a token ---------------------------------------

MEMBERSHIPS = {
    "national admin": [(Role.SYSTEM_ADMIN, "CP")],
    "hanoi viewer, ministry auditor": [(Role.VIEWER, "01"), (Role.AUDITOR, "BCA")],
    "ba dinh clerk": [(Role.DATA_ENTRY, "00004")],
}
TOKENS = {
    "no token": None,
    "unnarrowed": ([], []),
    "root": (["CP"], []),
    "hanoi": (["01"], []),
    "ba dinh": (["00004"], []),
    "hcm": (["79"], []),
    "ba dinh and hcm": (["00004", "79"], []),
    "read only": ([], ["read"]),
    "hanoi enter and audit": (["01"], ["enter", "read_audit"]),
}


@pytest.mark.parametrize("holder", MEMBERSHIPS)
def test_can_and_units_where_agree_for_every_token(holder, unit):
    user = get_user_model().objects.create_user(holder.replace(" ", "."), password=None)
    for role, code in MEMBERSHIPS[holder]:
        Membership.objects.create(user=user, unit=unit(code), role=role)
    checked = [unit(code) for code in UNITS]
    for name, scope in TOKENS.items():
        user._govkpi_token = None if scope is None else create_token(
            user, units=[unit(c) for c in scope[0]], actions=scope[1])[0]
        for action in Action.values:
            listed = set(OrgUnit.objects.filter(units_where(user, action), code__in=UNITS).values_list("code",
                                                                                                    flat=True))
            allowed = {u.code for u in checked if can(user, action, u)}
            assert allowed == listed, (name, action)
        assert sees_unpublished(user) == OrgUnit.objects.filter(units_where(user, Action.READ)).exists(), name


@pytest.mark.parametrize(("held", "narrowed_to", "action", "expected"), [
    # A token above the membership leaves the membership; below it, the token's subtree; beside it, nothing.
    ((Role.VIEWER, "01"), ["CP"], "read", ["01", "00004", "00008"]),
    ((Role.VIEWER, "01"), ["00004"], "read", ["00004"]),
    ((Role.VIEWER, "01"), ["79"], "read", []),
    ((Role.VIEWER, "01"), ["00004", "79"], "read", ["00004"]),
    ((Role.VIEWER, "01"), [], "read", ["01", "00004", "00008"]),
    ((Role.DATA_ENTRY, "00004"), ["01"], "enter", ["00004"]),
    ((Role.SYSTEM_ADMIN, "CP"), ["79", "BCA"], "approve", ["79", "25747", "BCA"]),
])
def test_the_narrowed_units_are_the_meeting_of_the_two_subtrees(held, narrowed_to, action, expected, make_user,
                                                                unit):
    user = make_user(*held)
    user._govkpi_token = create_token(user, units=[unit(c) for c in narrowed_to])[0]
    listed = OrgUnit.objects.filter(units_where(user, action), code__in=UNITS).order_by("path")
    assert [u.code for u in listed] == sorted(expected, key=lambda c: unit(c).path)
    assert [c for c in UNITS if can(user, action, unit(c))] == [c for c in UNITS if c in expected]


def test_a_token_that_may_not_read_sees_only_what_is_published(make_user, unit):
    user = make_user(Role.VIEWER, "CP")
    assert sees_unpublished(user)
    user._govkpi_token = create_token(user, actions=["enter"])[0]
    assert not sees_unpublished(user)
    user._govkpi_token = create_token(user, units=[unit("79")], actions=["read"])[0]
    assert sees_unpublished(user)
    clerk = make_user(Role.DATA_ENTRY, "00004")
    clerk._govkpi_token = create_token(clerk, units=[unit("79")])[0]  # nowhere the clerk may read
    assert not sees_unpublished(clerk)


def test_the_tokens_units_are_read_once_per_request(make_user, unit, django_assert_num_queries):
    user = make_user(Role.VIEWER, "CP")
    token = create_token(user, units=[unit("01"), unit("79")])[0]
    user._govkpi_token = type(token).objects.get(pk=token.pk)  # no prefetched units
    places = [unit(c) for c in UNITS]
    with django_assert_num_queries(2):  # the memberships, then the token's units
        assert can(user, Action.READ, places[0]) is False
    with django_assert_num_queries(0):
        for place, action in itertools.product(places, Action.values):
            can(user, action, place)
        units_where(user, Action.READ)
        sees_unpublished(user)
