"""Issue 17, done when: a unit administrator adds a data-entry user (in a real browser, past the second factor),
sees them listed, and the invited person sets their password with the one-time link."""

from __future__ import annotations

import re

from tests.browser.conftest import DEMO_PASSWORD, _shell, sign_in

ADMIN = "qt.hanoi.trinhduyet"  # a unit admin of Hà Nội made for this test: its authenticator's key is known here
INVITED = "nhaplieu.badinh.moi"

MAKE_ADMIN = f"""
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from govkpi.accounts.models import Membership
from govkpi.orgunits.models import OrgUnit
user, _ = get_user_model().objects.get_or_create(username="{ADMIN}", defaults={{"first_name": "Quản trị thử"}})
user.set_password("{DEMO_PASSWORD}"); user.save()
Membership.objects.get_or_create(user=user, unit=OrgUnit.objects.get(code="01"), role="unit_admin")
TOTPDevice.objects.get_or_create(user=user, name="browser-test", defaults={{"confirmed": True}})
print("ok")
"""
# The code is computed by the server machine's clock (a --today run moves this process's clock, not the server's).
TOTP_NOW = f"""
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
d = TOTPDevice.objects.get(user__username="{ADMIN}", name="browser-test")
print(str(TOTP(d.bin_key, d.step, d.t0, d.digits, d.drift).token()).zfill(6))
"""


def test_a_unit_administrator_adds_a_data_entry_user(chromium, page, server, demo_database):
    assert _shell(demo_database, MAKE_ADMIN) == "ok"
    sign_in(page, server, ADMIN)
    page.goto(f"{server}/account/users/")
    assert "/account/2fa/" in page.url  # the second factor first
    page.fill("input[name=code]", _shell(demo_database, TOTP_NOW))
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/account/users/$"))

    page.fill("#i-username", INVITED)
    page.fill("#i-name", "Phạm Thị Mới")
    page.select_option("#i-role", "data_entry")
    assert "system_admin" not in page.locator("#i-role").inner_html()  # never offered more than held
    page.fill("#i-unit", "Phường Ba Đình")
    page.click("#invite button[type=submit]")
    page.wait_for_load_state()
    link = page.locator("#set-password-link code").inner_text()
    assert "/account/set-password/" in link
    row = page.locator(f"#users tr[data-username='{INVITED}']")
    assert "Cán bộ nhập liệu" in row.inner_text() and "Phường Ba Đình" in row.inner_text()
    assert "chưa đăng nhập" in row.inner_text()

    assert not page.problems, page.problems
    # A unit outside Hà Nội is refused, in words (the answer is a 403: the browser logs it as a failed load).
    page.fill("#g-username", INVITED)
    page.fill("#g-unit", "79")
    page.click("#grant button[type=submit]")
    page.wait_for_load_state()
    assert "Không tìm thấy đơn vị «79»" in page.content()
    assert all("status of 403" in problem for problem in page.problems), page.problems

    # The invited person, in a browser of their own, chooses a password with the link and signs in.
    context = chromium.new_context(locale="vi-VN")
    invited = context.new_page()
    invited.goto(link)
    chosen = "mat-khau-cua-nguoi-moi-2026"
    invited.fill("input[name=new_password1]", chosen)
    invited.fill("input[name=new_password2]", chosen)
    invited.click("main form button[type=submit]")
    invited.wait_for_url(re.compile(r".*/account/login/$"))
    invited.fill("input[name=username]", INVITED)
    invited.fill("input[name=password]", chosen)
    invited.click("main form button[type=submit]")
    invited.wait_for_load_state()
    assert "/account/login/" not in invited.url
    context.close()
