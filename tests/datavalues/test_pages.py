"""The data entry form: each field saved as it is entered (htmx), validation shown at once, approval buttons."""

import re

import pytest

from govkpi.datavalues.models import DataValue

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_client(client, make_user):
    client.force_login(make_user("data_entry", "01"))
    return client


def test_the_form_lists_expected_values_with_htmx_fields_and_no_inline_script(clerk_client, elements, month):
    page = clerk_client.get(f"/data/01/{month}/")
    html = page.content.decode()
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    assert f'hx-post="/data/01/{month}/DVC_TONG"' in html and "TYLE_XA" not in html
    assert "htmx-2.0.11.min.js" in html and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "0/3" in html  # received of expected


def test_a_field_saves_on_change_and_answers_with_its_status(clerk_client, elements, month):
    saved = clerk_client.post(f"/data/01/{month}/DVC_TONG", {"value": "1.084", "comment": ""},
                              HTTP_HX_REQUEST="true")
    assert saved.status_code == 200 and "Đã lưu" in saved.content.decode()
    assert DataValue.objects.get().value == "1084"
    again = clerk_client.post(f"/data/01/{month}/DVC_TONG", {"value": "1084", "comment": ""})
    assert "Không thay đổi" in again.content.decode()
    refused = clerk_client.post(f"/data/01/{month}/DVC_TOANTRINH", {"value": "2000", "comment": ""})
    assert "không được lớn hơn" in refused.content.decode() and DataValue.objects.count() == 1


def test_another_province_form_cannot_be_written(clerk_client, elements, month):
    answer = clerk_client.post(f"/data/79/{month}/DVC_TONG", {"value": "5"})
    assert answer.status_code == 403 and not DataValue.objects.exists()


def test_submit_then_parent_approves_through_the_page(client, elements, month, make_user):
    client.force_login(make_user("data_entry", "01"))
    client.post(f"/data/01/{month}/DVC_TONG", {"value": "5"})
    client.post(f"/data/01/{month}/approval", {"action": "submit"})
    client.force_login(make_user("approver", "CP"))
    page = client.get(f"/data/01/{month}/").content.decode()
    assert "Phê duyệt và khóa" in page
    client.post(f"/data/01/{month}/approval", {"action": "approve"})
    client.force_login(make_user("data_entry", "01"))
    locked = client.post(f"/data/01/{month}/DVC_TONG", {"value": "6"}).content.decode()
    assert "khóa" in locked and DataValue.objects.get().value == "5"


def test_the_template_downloads_as_xlsx(clerk_client, elements, month):
    answer = clerk_client.get(f"/data/01/{month}/template.xlsx")
    assert answer.status_code == 200 and answer.content[:2] == b"PK"
    assert "bieu-nhap-01" in answer["Content-Disposition"]
