"""A person sets the e-mail address notifications go to, on their own account page; a bad one is refused."""

import pytest

from govkpi.accounts.roles import Role
from govkpi.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_person_sets_their_own_e_mail_address_and_a_malformed_one_changes_nothing(client, make_user):
    person = make_user(Role.DATA_ENTRY, "00004", "badinh.clerk")
    client.force_login(person)
    page = client.get("/account/").content.decode()
    assert 'name="form" value="email"' in page and 'href="/inbox/preferences/"' in page
    answer = client.post("/account/", {"form": "email", "email": "  canbo@badinh.hanoi.gov.vn "}, follow=True)
    person.refresh_from_db()
    assert person.email == "canbo@badinh.hanoi.gov.vn" and "Đã lưu địa chỉ e-mail." in answer.content.decode()
    entry = AuditEntry.objects.filter(action="user.set_email").get()
    assert (entry.object_key, entry.after) == ("badinh.clerk", {"email": "canbo@badinh.hanoi.gov.vn"})
    refused = client.post("/account/", {"form": "email", "email": "canbo@@badinh"})
    person.refresh_from_db()
    assert refused.status_code == 400 and person.email == "canbo@badinh.hanoi.gov.vn"
    assert "không phải địa chỉ e-mail hợp lệ" in refused.content.decode()
    client.post("/account/", {"form": "email", "email": ""})  # cleared: inbox only from now on
    person.refresh_from_db()
    assert person.email == "" and AuditEntry.objects.filter(action="user.set_email").count() == 2
