"""Sign-in security: second factor for admins, lockout, sign-out everywhere, audit of sign-ins."""

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from govkpi.accounts.roles import Role
from govkpi.audit.models import AuditEntry

pytestmark = pytest.mark.django_db
PASSWORD = "mat-khau-dai-va-kho-2025"


@pytest.fixture
def person(make_user):
    def make(role, unit, username, staff=False):
        user = make_user(role, unit, username=username)
        user.set_password(PASSWORD)
        user.is_staff = user.is_superuser = staff
        user.save()
        return user
    return make


def sign_in(client, username, password=PASSWORD):
    return client.post("/account/login/", {"username": username, "password": password}, REMOTE_ADDR="10.0.0.7")


def test_admin_without_second_factor_cannot_reach_admin_pages(client, person):
    person(Role.SYSTEM_ADMIN, "CP", "quantri", staff=True)
    assert sign_in(client, "quantri").status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/account/2fa/")
    api = client.get("/api/v1/indicators")
    assert api.status_code == 403 and api.json()["code"] == "second_factor_required"


def test_admin_enrols_an_authenticator_then_reaches_admin_pages(client, person):
    admin = person(Role.SYSTEM_ADMIN, "CP", "quantri2", staff=True)
    sign_in(client, "quantri2")
    from govkpi.accounts.enrolment import issue_enrolment_code  # a first enrolment needs a one-time code

    assert client.post("/account/2fa/", {"enrolment_code": issue_enrolment_code(admin)}).status_code == 302
    page = client.get("/account/2fa/")
    assert page.status_code == 200 and b"data:image/svg+xml;base64," in page.content
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    wrong = client.post("/account/2fa/", {"code": "000000"})
    assert wrong.status_code == 200 and "không đúng".encode() in wrong.content
    # A wrong code throttles the device (1 s, then doubling): stand for the wait by resetting it.
    throttled = TOTPDevice.objects.get(pk=device.pk)
    assert throttled.throttling_failure_count == 1
    throttled.throttle_reset()
    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    assert client.post("/account/2fa/", {"code": str(code).zfill(6), "next": "/admin/"})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.second_factor_enrolled", object_key="quantri2").exists()
    assert AuditEntry.objects.filter(action="auth.second_factor_failed", object_key="quantri2").exists()


def test_unit_admin_needs_the_second_factor_but_a_viewer_does_not(client, person):
    person(Role.UNIT_ADMIN, "01", "hanoi.qt")
    sign_in(client, "hanoi.qt")
    assert client.get("/")["Location"].startswith("/account/2fa/")
    other = Client()
    person(Role.VIEWER, "01", "hanoi.xem")
    sign_in(other, "hanoi.xem")
    assert other.get("/").status_code == 200


def test_a_staff_user_who_is_not_verified_is_refused_by_the_admin_site_itself(client, person):
    # Even with the redirect out of the way, django-otp's admin site wants a verified user.
    person(Role.VIEWER, "CP", "nhanvien", staff=True)
    sign_in(client, "nhanvien")
    response = client.get("/admin/", follow=False)
    assert response.status_code == 302


def test_lockout_after_repeated_failures_even_with_the_right_password(client, person, settings):
    person(Role.VIEWER, "01", "doan.mo")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "doan.mo", "sai-mat-khau").status_code == 200
    assert sign_in(client, "doan.mo", "sai-mat-khau").status_code == 429  # the limit-th failure locks
    locked = sign_in(client, "doan.mo")  # now even the right password
    assert locked.status_code == 429
    assert "Tạm khóa".encode() in locked.content
    assert AuditEntry.objects.filter(action="auth.sign_in_failed", object_key="doan.mo").count() >= 5
    assert not AuditEntry.objects.filter(action="auth.sign_in_failed", after__isnull=False).exists()


def test_sign_in_is_audited_with_the_address(client, person):
    person(Role.VIEWER, "01", "ghi.nhat.ky")
    sign_in(client, "ghi.nhat.ky")
    entry = AuditEntry.objects.get(action="auth.sign_in", object_key="ghi.nhat.ky")
    assert entry.actor == "ghi.nhat.ky" and entry.ip == "10.0.0.7"


def test_sign_out_everywhere_ends_other_sessions(person):
    person(Role.VIEWER, "01", "nhieu.may")
    laptop, phone = Client(), Client()
    sign_in(laptop, "nhieu.may")
    sign_in(phone, "nhieu.may")
    assert phone.get("/account/").status_code == 200
    assert laptop.post("/account/logout-everywhere/").status_code == 302
    assert phone.get("/account/").status_code == 302  # sent to sign in again
    assert AuditEntry.objects.filter(action="auth.sign_out_everywhere").exists()
    sign_in(phone, "nhieu.may")
    assert phone.get("/account/").status_code == 200


def test_sign_out_needs_a_post(client, person):
    person(Role.VIEWER, "01", "dang.xuat")
    sign_in(client, "dang.xuat")
    assert client.get("/account/logout/").status_code == 405
    client.post("/account/logout/")
    assert client.get("/account/").status_code == 302


def test_passwords_are_hashed_with_argon2(person):
    assert person(Role.VIEWER, "01", "bam.argon").password.startswith("argon2")


def test_account_page_creates_a_token_shown_once(client, person):
    person(Role.DATA_ENTRY, "01", "tao.ma")
    sign_in(client, "tao.ma")
    page = client.post("/account/", {"form": "create_token", "name": "Một cửa", "units": "01",
                                     "actions": ["read", "enter"], "expires": "2030-01-31"})
    token_text = page.content.decode().split('id="new-token">')[1].split("<")[0]
    assert token_text.startswith("gk_")
    again = client.get("/account/").content.decode()
    assert token_text not in again and "Một cửa" in again
