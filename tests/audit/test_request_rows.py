"""Rows written while a request is answered carry its client address, and its user when the write names no actor:
value writes, approvals, tokens, tasks and membership changes, through whichever face."""

import pytest
from django.test import RequestFactory
from django.utils import timezone

from govkpi.accounts.memberships import grant_role, withdraw_role
from govkpi.accounts.models import Membership
from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import create_token, revoke_token
from govkpi.audit.context import answering
from govkpi.audit.models import AuditEntry
from govkpi.core.periods import PeriodType, period_of
from govkpi.indicators.models import DataElement

pytestmark = pytest.mark.django_db
CLIENT = "198.51.100.7"
TASK = {"code": "AUDIT-1", "title": "Xây dựng từ điển dữ liệu", "lead_unit": "BCA", "deadline_text": "tháng 8/2025",
        "product_kind": "legal_document", "product": "Từ điển dữ liệu", "accepting_authority": "Thủ tướng Chính phủ",
        "responsible_position": "Bộ trưởng Bộ Công an"}


def bearer(user):
    _token, text = create_token(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {text}", "REMOTE_ADDR": CLIENT}


def post(client, path, body, headers):
    return client.post(path, body, content_type="application/json", **headers)


@pytest.fixture
def month():
    return period_of(PeriodType.MONTHLY, timezone.localdate()).previous().id


@pytest.fixture
def element(db):
    return DataElement.objects.create(code="DVC_TONG", name_vi="Tổng số TTHC", value_type="count",
                                      frequency="monthly", unit_kinds=["ministry", "province"])


def test_a_value_write_and_its_submission_carry_the_client_address(client, make_user, element, month):
    clerk = make_user(Role.DATA_ENTRY, "01")
    headers = bearer(clerk)
    body = {"values": [{"data_element": "DVC_TONG", "unit": "01", "period": month, "value": 5}]}
    assert post(client, "/api/v1/datavalues", body, headers).status_code == 200
    written = AuditEntry.objects.get(action="datavalues.write")
    assert (written.actor, written.ip) == (clerk.username, CLIENT)
    response = post(client, "/api/v1/approvals", {"unit": "01", "period": month, "action": "submit"}, headers)
    assert response.status_code == 200, response.content
    assert AuditEntry.objects.get(action="approval.submit").ip == CLIENT


def test_a_task_written_through_the_api_carries_the_client_address(client, make_user):
    response = post(client, "/api/v1/tasks", TASK, bearer(make_user(Role.TASK_MANAGER, "CP")))
    assert response.status_code == 201, response.content
    assert AuditEntry.objects.get(action="task.create", object_key="AUDIT-1").ip == CLIENT


def test_token_rows_carry_the_address_of_the_request_they_are_made_in(make_user):
    user = make_user(Role.VIEWER, "01")
    request = RequestFactory().post("/account/", REMOTE_ADDR=CLIENT)
    request.user = user
    with answering(request):
        token, _text = create_token(user, name="từ trang tài khoản")
        revoke_token(token, by=user)
    assert list(AuditEntry.objects.filter(action__startswith="token.").values_list("action", "ip")) == [
        ("token.create", CLIENT), ("token.revoke", CLIENT)]


def test_a_forged_forwarded_for_is_not_the_audited_address_unless_the_proxy_is_trusted(client, make_user, settings):
    headers = {**bearer(make_user(Role.TASK_MANAGER, "CP")), "REMOTE_ADDR": "127.0.0.1",
               "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    post(client, "/api/v1/tasks", TASK, headers)
    assert AuditEntry.objects.get(action="task.create").ip == "127.0.0.1"
    settings.TRUSTED_PROXIES = "127.0.0.1"
    post(client, "/api/v1/tasks", {**TASK, "code": "AUDIT-2"}, headers)
    assert AuditEntry.objects.get(action="task.create", object_key="AUDIT-2").ip == "203.0.113.5"


def test_membership_changes_through_the_api_name_the_granter_and_address(client, make_user):
    granter = make_user(Role.UNIT_ADMIN, "01")
    member = make_user(Role.VIEWER, "79")
    headers = bearer(granter)
    response = post(client, "/api/v1/memberships", {"user": member.username, "unit": "01", "role": Role.VIEWER},
                    headers)
    assert response.status_code == 201, response.content
    created = AuditEntry.objects.get(action="membership.create", object_key=str(response.json()["id"]))
    assert (created.actor, created.ip, created.after["user"]) == (granter.username, CLIENT, member.username)
    assert client.delete(f"/api/v1/memberships/{response.json()['id']}", **headers).status_code == 204
    deleted = AuditEntry.objects.get(action="membership.delete")
    assert (deleted.actor, deleted.ip) == (granter.username, CLIENT)


def test_membership_changes_outside_a_request_name_the_granter(make_user, unit):
    granter = make_user(Role.SYSTEM_ADMIN, "CP")
    member = make_user(Role.VIEWER, "79")
    membership, _created = grant_role(granter, member, Role.DATA_ENTRY, unit("79"))
    key = str(membership.pk)
    withdraw_role(granter, membership)
    rows = AuditEntry.objects.filter(action__in=["membership.create", "membership.delete"], object_key=key)
    assert [(row.action, row.actor) for row in rows] == [("membership.create", granter.username),
                                                         ("membership.delete", granter.username)]
    assert not Membership.objects.filter(pk=key).exists()
