"""Every role × every action that has an endpoint today × inside/outside the role's subtree, through the API.

The expected answers are written out here by hand, not derived from the role table, so a change in
`accounts/roles.py` that alters who may do what fails this test. Entering, approving and managing tasks
join the matrix with the data-collection and tasks endpoints.
"""

import pytest

from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import create_token
from govkpi.audit.trail import record
from govkpi.indicators.catalog import apply_catalog
from govkpi.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db

INSIDE, OUTSIDE = "00004", "25747"  # Phường Ba Đình (Hà Nội); Phường Thủ Dầu Một (TP. Hồ Chí Minh)
CELLS = ["read_published", "read_unpublished", "manage_catalog", "manage_users_inside", "manage_users_outside",
         "read_audit_inside", "read_audit_outside"]
Y, N = True, False
# role, unit of the membership -> expected answer per cell (in CELLS order)
EXPECTED = {
    (None, None):                     (Y, N, N, N, N, N, N),  # anonymous
    (Role.VIEWER, "01"):              (Y, Y, N, N, N, N, N),
    (Role.DATA_ENTRY, "01"):          (Y, Y, N, N, N, N, N),
    (Role.APPROVER, "01"):            (Y, Y, N, N, N, N, N),
    (Role.TASK_MANAGER, "01"):        (Y, Y, N, N, N, N, N),
    (Role.CATALOG_MANAGER, "01"):     (Y, Y, N, N, N, N, N),  # the catalog is national
    (Role.CATALOG_MANAGER, "CP"):     (Y, Y, Y, N, N, N, N),
    (Role.UNIT_ADMIN, "01"):          (Y, Y, N, Y, N, N, N),
    (Role.SYSTEM_ADMIN, "01"):        (Y, Y, N, Y, N, Y, N),
    (Role.SYSTEM_ADMIN, "CP"):        (Y, Y, Y, Y, Y, Y, Y),
    (Role.AUDITOR, "01"):             (Y, Y, N, N, N, Y, N),
    (Role.AUDITOR, "CP"):             (Y, Y, N, N, N, Y, Y),
}


@pytest.fixture
def world(small_catalog, django_user_model):
    assert OrgUnit.objects.get(code=OUTSIDE).parent.code == "79"
    apply_catalog(small_catalog)
    record("test.inside", object_key="in", unit=INSIDE)
    record("test.outside", object_key="out", unit=OUTSIDE)
    return django_user_model.objects.create_user("nguoi.duoc.cap")


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
    response = client.get("/api/v1/audit", {"action": "test.inside" if cell.endswith("inside") else "test.outside"},
                          **headers)
    return response.status_code == 200 and response.json()["count"] == 1


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


def test_nobody_grants_more_than_they_hold(client, make_user, world):
    _token, text = create_token(make_user(Role.UNIT_ADMIN, "01"))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {text}"}
    for role in (Role.SYSTEM_ADMIN, Role.AUDITOR, Role.CATALOG_MANAGER):
        body = {"user": world.username, "unit": INSIDE, "role": role}
        assert client.post("/api/v1/memberships", body, content_type="application/json", **headers).status_code == 403
    body = {"user": world.username, "unit": INSIDE, "role": Role.DATA_ENTRY}
    assert client.post("/api/v1/memberships", body, content_type="application/json", **headers).status_code == 201
