"""Sign-in locks: per (user name, address) by django-axes, per account across addresses, after trusted proxies."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog

from govkpi.accounts.roles import Role
from govkpi.audit.models import AuditEntry

pytestmark = pytest.mark.django_db
PASSWORD = "mat-khau-dai-va-kho-2025"
DAY = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def admin(make_user):
    user = make_user(Role.VIEWER, "01", username="quan.tri.xa")
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client, username, password=PASSWORD, address="10.0.0.7", forwarded=None):
    extra = {"REMOTE_ADDR": address}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post("/account/login/", {"username": username, "password": password}, **extra)


def test_a_forged_forwarded_for_does_not_escape_the_per_address_lock(client, admin, settings):
    # Before: axes read X-Forwarded-For, so each failure came from a new "address" and no lock ever held.
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, admin.username, "sai", forwarded=f"198.51.100.{n}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.7"}
    assert sign_in(client, admin.username, forwarded="198.51.100.250").status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_one_locked(client, admin, settings):
    settings.TRUSTED_PROXIES = "10.0.0.1"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, admin.username, "sai", address="10.0.0.1", forwarded="198.51.100.9")
    assert sign_in(client, admin.username, address="10.0.0.1", forwarded="198.51.100.9").status_code == 429
    assert sign_in(client, admin.username, address="10.0.0.1", forwarded="198.51.100.10").status_code == 302
    assert AuditEntry.objects.filter(action="auth.sign_in", ip="198.51.100.10").exists()


def spray(client, username, count, start=0):
    for n in range(start, start + count):
        assert sign_in(client, username, "sai", address=f"203.0.113.{n}").status_code == 200


def test_failures_from_many_addresses_lock_the_account(client, admin, settings):
    settings.ACCOUNT_LOCKOUT_FAILURES = 6
    with time_machine.travel(DAY, tick=False):
        spray(client, admin.username, 6)
        locked = sign_in(client, admin.username, address="203.0.113.200")  # right password, new address
    assert locked.status_code == 429
    assert "tạm khóa đăng nhập bằng mật khẩu".encode() in locked.content
    assert b"Password sign-in for this account is paused" in locked.content
    assert AccessFailureLog.objects.filter(username=admin.username).count() == 7


def test_the_account_lock_ends_after_its_window(client, admin, settings):
    settings.ACCOUNT_LOCKOUT_FAILURES, settings.ACCOUNT_LOCKOUT_MINUTES = 6, 15
    with time_machine.travel(DAY, tick=False):
        spray(client, admin.username, 6)
    with time_machine.travel(DAY + datetime.timedelta(minutes=16), tick=False):
        assert sign_in(client, admin.username, address="203.0.113.200").status_code == 302


def test_a_sprayer_cannot_lock_the_owner_out_of_an_address_they_signed_in_from(client, admin, settings):
    settings.ACCOUNT_LOCKOUT_FAILURES = 6
    with time_machine.travel(DAY, tick=False):
        assert sign_in(client, admin.username, address="10.20.0.5").status_code == 302
        client.post("/account/logout/")
    with time_machine.travel(DAY + datetime.timedelta(hours=1), tick=False):
        spray(client, admin.username, 6)
        assert sign_in(client, admin.username, "sai", address="203.0.113.201").status_code == 429
        assert sign_in(client, admin.username, address="203.0.113.202").status_code == 429
        assert sign_in(client, admin.username, address="10.20.0.5").status_code == 302
