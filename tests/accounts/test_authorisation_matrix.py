"""Every role × every action × inside/outside the role's subtree (and published/unpublished for reading),
through the API with a token and through the pages with a session.

The expected answers are written out here by hand, not derived from the role table, so a change in
`accounts/roles.py` that alters who may do what fails this test.
"""

import pytest

import datetime

from django.utils import timezone

from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import create_token
from govkpi.audit.trail import record
from govkpi.core.periods import PeriodType, period_of
from govkpi.datavalues.models import ApprovalState, DataApproval, DataValue
from govkpi.datavalues.writer import Item, write_values
from govkpi.indicators.catalog import apply_catalog
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks import actions
from govkpi.tasks.models import Task
from tests.conftest import json_body

pytestmark = pytest.mark.django_db

INSIDE, OUTSIDE = "00004", "25747"  # Phường Ba Đình (Hà Nội); Phường Thủ Dầu Một (TP. Hồ Chí Minh)
CELLS = ["read_published", "read_unpublished", "manage_catalog", "manage_users_inside", "manage_users_outside",
         "read_audit_inside", "read_audit_outside", "read_values_inside", "read_values_outside", "enter_inside",
         "enter_outside", "approve_inside", "approve_outside", "manage_tasks_inside", "manage_tasks_outside"]
Y, N = True, False
# role, unit of the membership -> expected answer per cell (in CELLS order)
EXPECTED = {
    #                                  pub unp cat usr_in/out aud_in/out val_in/out ent_in/out app_in/out tsk_in/out
    (None, None):                     (Y, N, N, N, N, N, N, N, N, N, N, N, N, N, N),  # anonymous
    (Role.VIEWER, "01"):              (Y, Y, N, N, N, N, N, Y, N, N, N, N, N, N, N),
    (Role.DATA_ENTRY, "01"):          (Y, Y, N, N, N, N, N, Y, N, Y, N, N, N, N, N),
    (Role.APPROVER, "01"):            (Y, Y, N, N, N, N, N, Y, N, N, N, Y, N, N, N),
    (Role.TASK_MANAGER, "01"):        (Y, Y, N, N, N, N, N, Y, N, N, N, N, N, Y, N),
    (Role.CATALOG_MANAGER, "01"):     (Y, Y, N, N, N, N, N, Y, N, N, N, N, N, N, N),  # the catalog is national
    (Role.CATALOG_MANAGER, "CP"):     (Y, Y, Y, N, N, N, N, Y, Y, N, N, N, N, N, N),
    (Role.UNIT_ADMIN, "01"):          (Y, Y, N, Y, N, N, N, Y, N, Y, N, Y, N, Y, N),
    (Role.SYSTEM_ADMIN, "01"):        (Y, Y, N, Y, N, Y, N, Y, N, Y, N, Y, N, Y, N),
    (Role.SYSTEM_ADMIN, "CP"):        (Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y, Y),
    (Role.AUDITOR, "01"):             (Y, Y, N, N, N, Y, N, Y, N, N, N, N, N, N, N),
    (Role.AUDITOR, "CP"):             (Y, Y, N, N, N, Y, Y, Y, Y, N, N, N, N, N, N),
}
# The cells that have a page (the others are API-only: catalog, memberships and audit live in the admin site).
PAGE_CELLS = ["read_values_inside", "read_values_outside", "enter_inside", "enter_outside", "approve_inside",
              "approve_outside", "manage_tasks_inside", "manage_tasks_outside"]


def last_month() -> str:
    return period_of(PeriodType.MONTHLY, timezone.localdate()).previous().id


def entry_month() -> str:
    """The month the enter cells write: this month, open and not submitted (submitted values are read-only)."""
    return period_of(PeriodType.MONTHLY, timezone.localdate()).id


@pytest.fixture
def world(small_catalog, django_user_model):
    assert OrgUnit.objects.get(code=OUTSIDE).parent.code == "79"
    apply_catalog(small_catalog)
    DataElement.objects.filter(code="DVC_TONG").update(frequency="monthly", unit_kinds=[])
    record("test.inside", object_key="in", unit=INSIDE)
    record("test.outside", object_key="out", unit=OUTSIDE)
    month = last_month()
    write_values([Item(0, "DVC_TONG", month, INSIDE, 1), Item(1, "DVC_TONG", month, OUTSIDE, 1),
                  Item(2, "DVC_TONG", entry_month(), INSIDE, 1), Item(3, "DVC_TONG", entry_month(), OUTSIDE, 1)],
                 actor=None, channel="api")
    for code in (INSIDE, OUTSIDE):  # submitted, waiting for the parent unit
        DataApproval.objects.create(unit=OrgUnit.objects.get(code=code), period=month, state=ApprovalState.SUBMITTED)
        actions.create_task(code=f"MT-{code}", title="Nhiệm vụ ma trận", assigned_on=datetime.date(2025, 9, 1),
                            lead=OrgUnit.objects.get(code=code), deadline_text="tháng 12/2025")
    return django_user_model.objects.create_user("nguoi.duoc.cap")


def _unit_of(cell: str) -> str:
    return INSIDE if cell.endswith("inside") else OUTSIDE


def attempt_on_page(client, cell) -> bool:
    """The same action through the page a person would use (session sign-in)."""
    unit, month = _unit_of(cell), last_month()
    if cell.startswith("read_values"):
        return client.get(f"/data/{unit}/{month}/").status_code == 200
    if cell.startswith("enter"):
        client.post(f"/data/{unit}/{entry_month()}/DVC_TONG", {"value": "2"})
        return DataValue.objects.get(unit__code=unit, data_element__code="DVC_TONG",
                                     period=entry_month()).value == "2"
    if cell.startswith("approve"):
        client.post(f"/data/{unit}/{month}/approval", {"action": "approve"})
        return DataApproval.objects.get(unit__code=unit, period=month).state == ApprovalState.APPROVED
    client.post(f"/tasks/MT-{unit}/update", {"kind": "progress", "percent": "40"})
    return Task.objects.get(code=f"MT-{unit}").progress == 40


def attempt(client, cell, headers, target_user):
    if cell == "read_published":
        return client.get("/api/v1/indicators/DVC_TOANTRINH_TYLE", **headers).status_code == 200
    if cell == "read_unpublished":
        return client.get("/api/v1/indicators/NOI_BO", **headers).status_code == 200
    if cell == "manage_catalog":
        body = {"code": "MA_TRAN", "name_vi": "Ma trận", "value_type": "count"}
        return client.post("/api/v1/indicators", body, content_type="application/json", **headers).status_code == 200
    if cell.startswith("manage_users"):
        unit = INSIDE if cell.endswith("inside") else OUTSIDE
        body = {"user": target_user.username, "unit": unit, "role": "viewer"}
        status = client.post("/api/v1/memberships", body, content_type="application/json", **headers).status_code
        return status in (200, 201)
    if cell.startswith("read_audit"):
        response = client.get("/api/v1/audit", {"action": "test.inside" if cell.endswith("inside") else
                                                "test.outside"}, **headers)
        return response.status_code == 200 and response.json()["count"] == 1
    unit, month = _unit_of(cell), last_month()
    if cell.startswith("read_values"):
        response = client.get("/api/v1/dataValueSets", {"orgUnit": unit, "period": month}, **headers)
        return response.status_code == 200 and len(json_body(response)["dataValues"]) == 1
    if cell.startswith("enter"):
        body = {"values": [{"data_element": "DVC_TONG", "unit": unit, "period": entry_month(), "value": 2}]}
        response = client.post("/api/v1/datavalues", body, content_type="application/json", **headers)
        return response.status_code == 200 and response.json()["updated"] == 1
    if cell.startswith("approve"):
        body = {"unit": unit, "period": month, "action": "approve"}
        return client.post("/api/v1/approvals", body, content_type="application/json", **headers).status_code == 200
    body = {"kind": "progress", "percent": 40}
    return client.post(f"/api/v1/tasks/MT-{unit}/updates", body, content_type="application/json",
                       **headers).status_code == 200


@pytest.mark.parametrize("role, unit", list(EXPECTED), ids=lambda v: str(v))
def test_every_cell_of_the_matrix(client, make_user, world, role, unit):
    headers = {}
    if role is not None:
        _token, text = create_token(make_user(role, unit))
        headers = {"HTTP_AUTHORIZATION": f"Bearer {text}"}
    answers = tuple(attempt(client, cell, headers, world) for cell in CELLS)
    expected = EXPECTED[(role, unit)]
    wrong = [cell for cell, got, want in zip(CELLS, answers, expected) if got != want]
    assert not wrong, f"{role}@{unit}: " + ", ".join(
        f"{c} {'allowed' if not w else 'denied'} (expected {'allowed' if w else 'denied'})"
        for c, w in zip(CELLS, expected) if c in wrong)


@pytest.mark.parametrize("role, unit", [key for key in EXPECTED if key[0] is not None], ids=lambda v: str(v))
def test_every_page_cell_of_the_matrix(client, make_user, world, role, unit):
    user = make_user(role, unit)
    if role in (Role.UNIT_ADMIN, Role.SYSTEM_ADMIN):
        _verify_second_factor(client, user)
    else:
        client.force_login(user)
    expected = dict(zip(CELLS, EXPECTED[(role, unit)]))
    wrong = [cell for cell in PAGE_CELLS if attempt_on_page(client, cell) != expected[cell]]
    assert not wrong, f"{role}@{unit} on pages: " + ", ".join(
        f"{c} expected {'allowed' if expected[c] else 'denied'}" for c in wrong)


def test_anonymous_pages_send_to_sign_in_and_change_nothing(client, world):
    for cell in PAGE_CELLS:
        assert attempt_on_page(client, cell) is False, cell


def _verify_second_factor(client, user):
    """Admins must have passed their second factor: enrol a TOTP device and sign in with it, as a person would."""
    from django_otp import login as otp_login
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    request = type("Request", (), {"session": client.session, "user": user})()
    otp_login(request, device)
    request.session.save()


def test_nobody_grants_more_than_they_hold(client, make_user, world):
    _token, text = create_token(make_user(Role.UNIT_ADMIN, "01"))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {text}"}
    for role in (Role.SYSTEM_ADMIN, Role.AUDITOR, Role.CATALOG_MANAGER):
        body = {"user": world.username, "unit": INSIDE, "role": role}
        assert client.post("/api/v1/memberships", body, content_type="application/json", **headers).status_code == 403
    body = {"user": world.username, "unit": INSIDE, "role": Role.DATA_ENTRY}
    assert client.post("/api/v1/memberships", body, content_type="application/json", **headers).status_code == 201


# Separation of duties: every role that may approve inside, having entered the value itself, is refused
# (API and page), and another approver of the same role is not.
SEPARATION_CELLS = [(Role.APPROVER, "01"), (Role.UNIT_ADMIN, "01"), (Role.SYSTEM_ADMIN, "01"),
                    (Role.SYSTEM_ADMIN, "CP")]


def _entered_by(user) -> None:
    from govkpi.datavalues.models import Channel

    DataValue.objects.filter(unit__code=INSIDE, period=last_month()).update(stored_by=user.username,
                                                                           channel=Channel.WEB)


@pytest.mark.parametrize("role, unit", SEPARATION_CELLS, ids=lambda v: str(v))
def test_separation_of_duties_cells(client, make_user, world, role, unit):
    enterer, other = make_user(role, unit), make_user(role, unit)
    _entered_by(enterer)
    _token, text = create_token(enterer)
    assert attempt(client, "approve_inside", {"HTTP_AUTHORIZATION": f"Bearer {text}"}, world) is False
    if role in (Role.UNIT_ADMIN, Role.SYSTEM_ADMIN):
        _verify_second_factor(client, enterer)
    else:
        client.force_login(enterer)
    assert attempt_on_page(client, "approve_inside") is False
    _token, text = create_token(other)
    assert attempt(client, "approve_inside", {"HTTP_AUTHORIZATION": f"Bearer {text}"}, world) is True


def test_separation_of_duties_cell_relaxed_by_the_setting(client, make_user, world, settings):
    settings.APPROVAL_SEPARATION = False
    enterer = make_user(Role.UNIT_ADMIN, "01")
    _entered_by(enterer)
    _token, text = create_token(enterer)
    assert attempt(client, "approve_inside", {"HTTP_AUTHORIZATION": f"Bearer {text}"}, world) is True


def test_last_system_admin_cells(client, make_user, world):
    from govkpi.accounts.models import Membership

    admin = make_user(Role.SYSTEM_ADMIN, "CP")
    _token, text = create_token(admin)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {text}"}
    own = Membership.objects.get(user=admin)
    response = client.delete(f"/api/v1/memberships/{own.pk}", **headers)
    assert response.status_code == 403 and "quản trị hệ thống cuối cùng" in response.json()["message"]
    assert Membership.objects.filter(pk=own.pk).exists()
    second = make_user(Role.SYSTEM_ADMIN, "CP")
    assert client.delete(f"/api/v1/memberships/{own.pk}", **headers).status_code == 204
    last = Membership.objects.get(user=second)
    _token, text = create_token(second)
    assert client.delete(f"/api/v1/memberships/{last.pk}",
                         HTTP_AUTHORIZATION=f"Bearer {text}").status_code == 403  # now the last one


# Token creation (on /account/, password only / past the second factor) and issuing an enrolment code to
# another user, per role; written out by hand like EXPECTED.
ACCOUNT_CELLS = ["token_password_only", "token_verified", "issue_enrolment_code"]
ACCOUNT_EXPECTED = {
    (Role.VIEWER, "01"):          (Y, Y, N),
    (Role.DATA_ENTRY, "01"):      (Y, Y, N),
    (Role.APPROVER, "01"):        (Y, Y, N),
    (Role.TASK_MANAGER, "01"):    (Y, Y, N),
    (Role.CATALOG_MANAGER, "CP"): (Y, Y, N),
    (Role.AUDITOR, "CP"):         (Y, Y, N),
    (Role.UNIT_ADMIN, "01"):      (N, Y, N),
    (Role.SYSTEM_ADMIN, "01"):    (N, Y, Y),
    (Role.SYSTEM_ADMIN, "CP"):    (N, Y, Y),
}


@pytest.mark.parametrize("role, unit", list(ACCOUNT_EXPECTED), ids=lambda v: str(v))
def test_token_creation_and_enrolment_cells(client, make_user, world, role, unit):
    from govkpi.accounts.models import ApiToken, EnrolmentCode

    user = make_user(role, unit)
    client.force_login(user)
    client.post("/account/", {"form": "create_token", "name": "ma trận"})
    answers = [ApiToken.objects.filter(user=user).exists()]
    _verify_second_factor(client, user)
    client.post("/account/", {"form": "create_token", "name": "ma trận"})
    answers.append(ApiToken.objects.filter(user=user).count() == 1 + answers[0])
    client.post("/account/", {"form": "enrolment_code", "username": world.username})
    answers.append(EnrolmentCode.objects.filter(user=world).exists())
    assert tuple(answers) == ACCOUNT_EXPECTED[(role, unit)], dict(zip(ACCOUNT_CELLS, answers))
