"""Issue 14, sign-in: tokens only behind the second factor, sign-out everywhere revokes tokens, first
enrolment needs a one-time code, demo accounts refused in production."""

import datetime

import pytest
import time_machine
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from govkpi.accounts.demo import DEMO_PASSWORD, ensure_demo_accounts
from govkpi.accounts.enrolment import issue_enrolment_code
from govkpi.accounts.models import ApiToken, EnrolmentCode, TokenOrigin
from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import active_token, create_token
from govkpi.audit.models import AuditEntry
from govkpi.cli import main

from .test_sign_in import PASSWORD, person  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
TOKEN_FORM = {"form": "create_token", "name": "Một cửa", "units": "", "expires": ""}


def sign_in(client, username, password=PASSWORD):
    return client.post("/account/login/", {"username": username, "password": password}, REMOTE_ADDR="10.0.0.9")


def totp_now(device):
    device.refresh_from_db()
    return str(TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()).zfill(6)


def enrol(client, user, code):
    """Walk the enrolment pages as a person would: the code, then the authenticator's first TOTP code."""
    assert client.post("/account/2fa/", {"enrolment_code": code}).status_code == 302
    assert b"data:image/svg+xml;base64," in client.get("/account/2fa/").content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post("/account/2fa/", {"code": totp_now(device), "next": "/account/"}).status_code == 302
    return device


# Finding 1: the second factor was bypassed by tokens.

@pytest.mark.parametrize("production", [False, True])
def test_password_only_admin_session_shows_no_token_form_and_refuses_the_post(client, person, settings, production):
    settings.PRODUCTION = production
    person(Role.UNIT_ADMIN, "01", "qt.chi.mat.khau")
    sign_in(client, "qt.chi.mat.khau")
    page = client.get("/account/")
    assert page.status_code == 200
    assert b'value="create_token"' not in page.content and b'id="token-needs-second-factor"' in page.content
    refused = client.post("/account/", TOKEN_FORM)
    assert refused.status_code == 403 and "Cần xác thực hai lớp".encode() in refused.content
    assert not ApiToken.objects.exists()


def test_a_user_who_enrolled_voluntarily_also_needs_it_for_tokens(client, person):
    viewer = person(Role.VIEWER, "01", "xem.co.2fa")
    TOTPDevice.objects.create(user=viewer, name="phone", confirmed=True)
    sign_in(client, "xem.co.2fa")
    assert client.post("/account/", TOKEN_FORM).status_code == 403
    assert not ApiToken.objects.exists()


def test_a_verified_admin_session_creates_a_token_that_works(client, person):
    admin = person(Role.UNIT_ADMIN, "01", "qt.da.xac.thuc")
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    sign_in(client, "qt.da.xac.thuc")
    client.post("/account/2fa/", {"code": totp_now(device)})
    page = client.post("/account/", TOKEN_FORM)
    text = page.content.decode().split('id="new-token">')[1].split("<")[0]
    token = active_token(text)
    assert token is not None and token.origin == TokenOrigin.VERIFIED_SESSION


def test_an_admin_token_made_without_the_second_factor_is_refused(client, make_user):
    admin = make_user(Role.UNIT_ADMIN, "01")
    _, legacy = create_token(admin, origin=TokenOrigin.UNKNOWN)  # made before origins were kept
    _, password_only = create_token(admin, origin=TokenOrigin.PASSWORD_SESSION)
    _, from_cli = create_token(admin)  # the server's shell vouches
    assert active_token(legacy) is None and active_token(password_only) is None
    assert active_token(from_cli) is not None
    response = client.post("/api/v1/tasks/X/updates", {"kind": "progress", "percent": 1},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {legacy}")
    assert response.status_code == 401
    # A role that needs no second factor keeps its password-session tokens.
    _, viewer_token = create_token(make_user(Role.VIEWER, "01"), origin=TokenOrigin.PASSWORD_SESSION)
    assert active_token(viewer_token) is not None


# Finding 2: sign out everywhere left tokens working.

def test_sign_out_everywhere_revokes_the_tokens_and_says_so(client, person):
    person(Role.VIEWER, "01", "nhieu.ma")
    sign_in(client, "nhieu.ma")
    page = client.post("/account/", TOKEN_FORM).content.decode()
    assert "thu hồi mọi mã truy cập API" in page and "also revokes all your API tokens" in page
    text = page.split('id="new-token">')[1].split("<")[0]
    assert active_token(text) is not None
    client.post("/account/logout-everywhere/")
    assert active_token(text) is None
    entry = AuditEntry.objects.get(action="auth.sign_out_everywhere", object_key="nhieu.ma")
    assert entry.after["tokens_revoked"] == [ApiToken.objects.get().prefix]


# Finding 3: enrolment was trust-on-first-use.

def test_password_alone_cannot_enrol_an_authenticator(client, person):
    person(Role.SYSTEM_ADMIN, "CP", "qt.moi", staff=True)
    sign_in(client, "qt.moi")
    page = client.get("/account/2fa/")
    assert page.status_code == 200 and b'name="enrolment_code"' in page.content
    assert b"data:image/svg+xml" not in page.content and b"totp-secret" not in page.content
    assert not TOTPDevice.objects.exists()
    wrong = client.post("/account/2fa/", {"enrolment_code": "AAAA-BBBB-CCCC"})
    assert wrong.status_code == 403 and not TOTPDevice.objects.exists()
    assert AuditEntry.objects.filter(action="auth.enrolment_code_failed", object_key="qt.moi").exists()


def test_a_cli_code_enrols_once_and_is_stored_hashed(client, person, capsys):
    admin = person(Role.SYSTEM_ADMIN, "CP", "qt.cli", staff=True)
    assert main(["account", "enrolment-code", "qt.cli"]) == 0
    code = capsys.readouterr().out.strip().splitlines()[-1]
    row = EnrolmentCode.objects.get(user=admin)
    assert row.issued_by == "cli" and code not in row.digest and code.replace("-", "") not in row.digest
    sign_in(client, "qt.cli")
    enrol(client, admin, code)
    assert client.get("/admin/").status_code == 200
    assert TOTPDevice.objects.get(user=admin).confirmed
    # Single use: the same code does not enrol a second authenticator elsewhere.
    TOTPDevice.objects.filter(user=admin).delete()
    other = Client()
    sign_in(other, "qt.cli")
    assert other.post("/account/2fa/", {"enrolment_code": code}).status_code == 403
    actions = set(AuditEntry.objects.filter(object_key="qt.cli").values_list("action", flat=True))
    assert {"auth.enrolment_code_issued", "auth.enrolment_code_used", "auth.second_factor_enrolled"} <= actions
    assert main(["account", "enrolment-code", "khong.co"]) == 1


def test_an_enrolment_code_expires(client, person, settings):
    admin = person(Role.UNIT_ADMIN, "01", "qt.cham")
    with time_machine.travel(datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC), tick=False) as clock:
        code = issue_enrolment_code(admin)
        clock.shift(datetime.timedelta(minutes=settings.ENROLMENT_CODE_MINUTES, seconds=1))
        sign_in(client, "qt.cham")
        assert client.post("/account/2fa/", {"enrolment_code": code}).status_code == 403


def test_another_verified_system_admin_issues_a_code_but_not_to_themself(client, person):
    issuer = person(Role.SYSTEM_ADMIN, "CP", "qt.cap", staff=True)
    device = TOTPDevice.objects.create(user=issuer, name="phone", confirmed=True)
    newcomer = person(Role.UNIT_ADMIN, "01", "qt.don.vi")
    sign_in(client, "qt.cap")
    client.post("/account/2fa/", {"code": totp_now(device)})
    assert client.post("/account/", {"form": "enrolment_code", "username": "qt.cap"}).status_code == 403
    page = client.post("/account/", {"form": "enrolment_code", "username": "qt.don.vi"})
    code = page.content.decode().split('id="new-enrolment-code">')[1].split("<")[0]
    assert EnrolmentCode.objects.get(user=newcomer).issued_by == "qt.cap"
    fresh = Client()
    sign_in(fresh, "qt.don.vi")
    enrol(fresh, newcomer, code)
    assert fresh.get("/").status_code == 200


def test_a_unit_admin_cannot_issue_enrolment_codes(client, person):
    unit_admin = person(Role.UNIT_ADMIN, "01", "qt.khong.cap")
    device = TOTPDevice.objects.create(user=unit_admin, name="phone", confirmed=True)
    person(Role.DATA_ENTRY, "01", "nhap.lieu.moi")
    sign_in(client, "qt.khong.cap")
    client.post("/account/2fa/", {"code": totp_now(device)})
    assert b'value="enrolment_code"' not in client.get("/account/").content
    assert client.post("/account/", {"form": "enrolment_code", "username": "nhap.lieu.moi"}).status_code == 403
    assert not EnrolmentCode.objects.exists()


# Finding 4: demo accounts signed in under production.

def test_demo_accounts_are_marked_and_refused_in_production(client, settings, django_user_model):
    ensure_demo_accounts()
    assert django_user_model.objects.get(username="admin").security.demo
    _, token = create_token(django_user_model.objects.get(username="bkhcn.nhaplieu"))
    settings.PRODUCTION = False
    session = Client()
    assert sign_in(session, "admin", DEMO_PASSWORD).status_code == 302  # demo mode: the published password works
    settings.PRODUCTION = True
    assert session.get("/account/").status_code == 302  # the session made before is ended
    refused = sign_in(client, "admin", DEMO_PASSWORD)
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Tài khoản demo" in page and "Demo accounts" in page and "_auth_user_id" not in client.session
    assert active_token(token) is None
