"""Approval with integrity: submitted values are read-only on every channel until returned, an approval records
the digest of exactly what it approved (and it can be checked later), and whoever entered or submitted a
unit-period's values does not approve them."""

import hashlib
import io
import json

import pytest
from openpyxl import Workbook

from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import create_token
from govkpi.audit.models import AuditEntry
from govkpi.datavalues import approval
from govkpi.datavalues.files import import_file
from govkpi.datavalues.models import DataValue
from govkpi.datavalues.writer import Item, write_values

pytestmark = pytest.mark.django_db
WARD = "00004"  # Phường Ba Đình: its data is approved by Hà Nội (01)


def value_of(element, code, period):
    return DataValue.objects.get(data_element__code=element, unit__code=code, period=period).value


def bearer(user):
    _token, text = create_token(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {text}"}


def xlsx(rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Mã đơn vị", "Tên đơn vị", "Kỳ báo cáo", "Giá trị",
                  "Ghi chú"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def submitted(elements, month, make_user, unit):
    """Hà Nội's month entered by its clerk and submitted; the clerk, and a national approver to decide."""
    clerk = make_user(Role.DATA_ENTRY, "01")
    write_values([Item(0, "DVC_TONG", month, "01", 400), Item(1, "DVC_TOANTRINH", month, "01", 120)],
                 actor=clerk, channel="web")
    approval.submit(unit("01"), month, clerk)
    return clerk, make_user(Role.APPROVER, "CP")


def test_submitted_values_are_refused_on_the_light_and_the_bulk_path(submitted, month):
    clerk, _approver = submitted
    light = write_values([Item(0, "DVC_TONG", month, "01", 401, row=7)], actor=clerk, channel="api")
    assert light.status == "ERROR" and not light.written
    (conflict,) = light.conflicts
    assert (conflict.code, conflict.field, conflict.row, conflict.object) == ("submitted_locked", "period", 7, month)
    assert "đã gửi phê duyệt" in conflict.message_vi and "DVC_TONG" in conflict.message_vi
    assert "submitted for approval and read-only" in conflict.message_en
    # A generator goes through the set-based (bulk) path whatever its length.
    bulk = write_values((Item(i, "DVC_TONG", month, "01", 402) for i in range(1)), actor=clerk, channel="api")
    assert [c.code for c in bulk.conflicts] == ["submitted_locked"]
    deleted = write_values([Item(0, "DVC_TONG", month, "01", None, deleted=True)], actor=clerk, channel="api")
    assert [c.code for c in deleted.conflicts] == ["submitted_locked"]
    assert value_of("DVC_TONG", "01", month) == "400"


def test_submitted_values_are_refused_by_the_form_excel_api_and_dhis2(client, submitted, month):
    clerk, _approver = submitted
    client.force_login(clerk)
    page = client.post(f"/data/01/{month}/DVC_TONG", {"value": "410"})
    assert "đã gửi phê duyệt" in page.content.decode()
    result, _notes = import_file(xlsx([["DVC_TONG", "", "", "01", "", month, 411, ""]]), "bieu.xlsx", actor=clerk,
                                 channel="excel", max_bytes=10_000_000)
    assert [(c.code, c.row) for c in result.conflicts] == [("submitted_locked", 2)]
    auth = bearer(clerk)
    native = client.post("/api/v1/datavalues", {"values": [{"data_element": "DVC_TONG", "unit": "01",
                                                            "period": month, "value": 412}]},
                         content_type="application/json", **auth)
    assert native.status_code == 409 and "submitted_locked" in native.content.decode()
    dhis2 = client.post("/api/v1/dataValueSets", {"dataValues": [{"dataElement": "DVC_TONG", "orgUnit": "01",
                                                                  "period": month, "value": "413"}]},
                        content_type="application/json", **auth)
    assert "submitted_locked" in dhis2.content.decode()
    assert value_of("DVC_TONG", "01", month) == "400"


def test_returned_values_are_editable_again(submitted, month, unit):
    clerk, approver = submitted
    approval.return_to_unit(unit("01"), month, approver, "Thiếu số liệu tháng")
    assert write_values([Item(0, "DVC_TONG", month, "01", 430)], actor=clerk, channel="web").updated == 1


def test_approval_records_the_digest_of_the_values_in_canonical_order(submitted, month, unit):
    _clerk, approver = submitted
    decided = approval.approve(unit("01"), month, approver)
    # Written out by hand, so a change of recipe shows here: elements by code, then value, comment, follow-up.
    text = json.dumps(["govkpi-approval-v1", "01", month, [["DVC_TOANTRINH", "120", "", False],
                                                          ["DVC_TONG", "400", "", False]]],
                      ensure_ascii=False, separators=(",", ":"))
    assert decided.digest == hashlib.sha256(text.encode()).hexdigest() and decided.approved_values == 2
    assert AuditEntry.objects.get(action="approval.approve").after["digest"] == decided.digest
    assert approval.verify(unit("01"), month).intact


def test_verify_finds_values_changed_behind_the_writers_back(submitted, month, unit):
    _clerk, approver = submitted
    approval.approve(unit("01"), month, approver)
    DataValue.objects.filter(unit__code="01", period=month, data_element__code="DVC_TONG").update(value="4000")
    check = approval.verify(unit("01"), month)
    assert not check.intact and check.recorded != check.current and check.state == "approved"


def test_the_approvals_api_shows_the_digest_and_verifies_on_request(client, submitted, month, unit):
    _clerk, approver = submitted
    approval.approve(unit("01"), month, approver)
    auth = bearer(approver)
    (row,) = client.get("/api/v1/approvals", {"unit": "01"}, **auth).json()["items"]
    assert row["digest"] == approval.verify(unit("01"), month).recorded and row["intact"] is None
    DataValue.objects.filter(unit__code="01", period=month, data_element__code="DVC_TONG").update(value="1")
    (checked,) = client.get("/api/v1/approvals", {"unit": "01", "verify": "true"}, **auth).json()["items"]
    assert checked["intact"] is False


def test_whoever_entered_the_values_cannot_approve_them(elements, month, make_user, unit):
    admin = make_user(Role.UNIT_ADMIN, "01")  # enters, submits and approves in Hà Nội's subtree
    write_values([Item(0, "TYLE_XA", month, WARD, "45,5")], actor=admin, channel="web")
    approval.submit(unit(WARD), month, make_user(Role.DATA_ENTRY, WARD))
    with pytest.raises(approval.ApprovalError) as refused:
        approval.approve(unit(WARD), month, admin)
    assert refused.value.code == "separation_of_duties"
    assert "không được tự phê duyệt" in refused.value.message_vi and "may not approve" in refused.value.message_en
    assert approval.state_of(unit(WARD), month) == "submitted"
    approval.approve(unit(WARD), month, make_user(Role.APPROVER, "01"))  # another person may
    assert approval.state_of(unit(WARD), month) == "approved"


def test_whoever_submitted_cannot_approve_either(elements, month, make_user, unit):
    admin = make_user(Role.UNIT_ADMIN, "01")
    write_values([Item(0, "TYLE_XA", month, WARD, "45,5")], actor=make_user(Role.DATA_ENTRY, WARD), channel="web")
    approval.submit(unit(WARD), month, admin)
    with pytest.raises(approval.ApprovalError, match="separation_of_duties|không được tự phê duyệt"):
        approval.approve(unit(WARD), month, admin)


def test_the_setting_relaxes_separation_for_very_small_units(elements, month, make_user, unit, settings):
    settings.APPROVAL_SEPARATION = False
    admin = make_user(Role.UNIT_ADMIN, "01")
    write_values([Item(0, "TYLE_XA", month, WARD, "45,5")], actor=admin, channel="web")
    approval.submit(unit(WARD), month, admin)
    assert approval.approve(unit(WARD), month, admin).state == "approved"


def test_the_separation_refusal_is_a_bilingual_400_on_the_api(client, elements, month, make_user, unit):
    admin = make_user(Role.UNIT_ADMIN, "01")
    write_values([Item(0, "TYLE_XA", month, WARD, "45,5")], actor=admin, channel="web")
    approval.submit(unit(WARD), month, admin)
    response = client.post("/api/v1/approvals", {"unit": WARD, "period": month, "action": "approve"},
                           content_type="application/json", **bearer(admin))
    assert response.status_code == 400 and response.json()["code"] == "separation_of_duties"
    assert "không được tự phê duyệt" in response.json()["message"]


def test_verify_needs_an_account_and_a_page_of_at_most_100(client, submitted, month, unit):
    _clerk, approver = submitted
    approval.approve(unit("01"), month, approver)
    anonymous = client.get("/api/v1/approvals", {"verify": "true"})
    assert anonymous.status_code == 401
    assert "đăng nhập" in anonymous.json()["message"] and "signed-in" in anonymous.json()["message"]
    assert client.get("/api/v1/approvals").status_code == 200  # the plain list stays public
    auth = bearer(approver)
    too_many = client.get("/api/v1/approvals", {"verify": "true", "limit": "101"}, **auth)
    assert too_many.status_code == 422 and "100" in json.dumps(too_many.json(), ensure_ascii=False)
    assert client.get("/api/v1/approvals", {"verify": "true", "limit": "100"}, **auth).status_code == 200


def test_a_period_written_another_way_locks_the_same_cell(elements, month, make_user, unit, client):
    """DHIS2 and people write a month as 2026-11 too: the approval row, its digest and the lock are the writer's
    cell 202611, whatever the spelling (a submit of "2026-11" stored a row no write ever checked)."""
    clerk, approver = make_user(Role.DATA_ENTRY, "01"), make_user(Role.APPROVER, "CP")
    write_values([Item(0, "DVC_TONG", month, "01", 400)], actor=clerk, channel="web")
    spelt = f"{month[:4]}-{month[4:]}"
    approval.submit(unit("01"), spelt, clerk)
    approval.approve(unit("01"), spelt, approver)
    row = approval.DataApproval.objects.get(unit__code="01")
    assert (row.period, row.state, row.approved_values) == (month, "approved", 1)
    refused = write_values([Item(0, "DVC_TONG", month, "01", 999)], actor=clerk, channel="api")
    assert [c.code for c in refused.conflicts] == ["approved_locked"] and value_of("DVC_TONG", "01", month) == "400"
