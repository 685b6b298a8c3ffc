"""Issue 17: unit administrators manage their users, never granting more than they hold; the admin site is for
system administrators only (no endless loop for a unit administrator)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from govkpi.accounts import user_admin
from govkpi.accounts.demo import DEMO_PASSWORD, ensure_demo_accounts
from govkpi.accounts.models import ApiToken, Membership
from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import create_token
from govkpi.audit.models import AuditEntry
from govkpi.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db
Refused = user_admin.UserAdminRefused


@pytest.fixture
def hanoi_admin(make_user):
    return make_user(Role.UNIT_ADMIN, "01", "qt.hanoi")


def verified_client(user):
    """A client signed in as the user, past the second factor."""
    client = Client()
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    request = type("Request", (), {"session": client.session, "user": user})()
    otp_login(request, device)
    request.session.save()
    return client


def test_a_unit_admin_invites_a_user_and_grants_data_entry_at_a_commune(hanoi_admin, unit):
    user, link = user_admin.invite_user(hanoi_admin, username="nguyen.van.a", full_name="Nguyễn Văn A",
                                        email="", role=Role.DATA_ENTRY, unit=unit("00004"))
    assert not user.has_usable_password() and link.startswith("/account/set-password/")
    assert Membership.objects.filter(user=user, role=Role.DATA_ENTRY, unit__code="00004").exists()
    user_admin.grant(hanoi_admin, user, Role.APPROVER, unit("00008"))
    assert set(Membership.objects.filter(user=user).values_list("role", "unit__code")) == {
        (Role.DATA_ENTRY, "00004"), (Role.APPROVER, "00008")}
    rows = {row.user.username: row for row in user_admin.users_of(hanoi_admin)}
    assert rows["nguyen.van.a"].manageable and not rows["qt.hanoi"].manageable  # never acts on themselves
    actions = list(AuditEntry.objects.filter(object_key="nguyen.van.a").values_list("action", "actor"))
    assert ("user.invite", "qt.hanoi") in actions and ("user.grant_role", "qt.hanoi") in actions
    assert AuditEntry.objects.filter(action="membership.create", actor="qt.hanoi").count() == 2


def test_the_link_sets_a_password_once(client, hanoi_admin, unit):
    user, link = user_admin.invite_user(hanoi_admin, username="tran.thi.b", full_name="Trần Thị B", email="",
                                        role=Role.DATA_ENTRY, unit=unit("00004"))
    page = client.get(link, follow=True)
    assert page.status_code == 200 and b"new_password1" in page.content
    chosen = "mot-mat-khau-dai-2026"
    done = client.post(page.redirect_chain[-1][0], {"new_password1": chosen, "new_password2": chosen})
    assert done.status_code == 302 and done["Location"] == "/account/login/"
    user.refresh_from_db()
    assert user.check_password(chosen)
    assert b"new_password1" not in Client().get(link, follow=True).content  # used up
    assert AuditEntry.objects.filter(action="user.set_password", object_key="tran.thi.b").exists()


def test_a_unit_admin_never_grants_more_than_they_hold(hanoi_admin, make_user, unit):
    worker = make_user(Role.DATA_ENTRY, "00004", "nhap.lieu")
    for role in (Role.SYSTEM_ADMIN, Role.CATALOG_MANAGER, Role.AUDITOR):
        with pytest.raises(Refused) as refused:
            user_admin.grant(hanoi_admin, worker, role, unit("01"))
        assert refused.value.code == "role_beyond_yours"
    with pytest.raises(Refused) as refused:
        user_admin.invite_user(hanoi_admin, username="quan.tri.moi", full_name="", email="",
                               role=Role.SYSTEM_ADMIN, unit=unit("01"))
    assert refused.value.code == "role_beyond_yours"
    assert not get_user_model().objects.filter(username="quan.tri.moi").exists()
    assert not Membership.objects.filter(user=worker).exclude(role=Role.DATA_ENTRY).exists()


def test_a_unit_admin_is_refused_at_another_province_and_on_its_users(hanoi_admin, make_user, unit):
    worker = make_user(Role.DATA_ENTRY, "00004", "nhap.lieu.hn")
    with pytest.raises(Refused) as refused:
        user_admin.grant(hanoi_admin, worker, Role.DATA_ENTRY, unit("79"))  # TP Hồ Chí Minh
    assert refused.value.code == "outside_subtree"
    saigon = make_user(Role.DATA_ENTRY, "79", "nhap.lieu.hcm")
    with pytest.raises(Refused):
        user_admin.grant(hanoi_admin, saigon, Role.VIEWER, unit("01"))
    with pytest.raises(Refused):
        user_admin.set_active(hanoi_admin, saigon, False)
    with pytest.raises(Refused):
        user_admin.withdraw(hanoi_admin, Membership.objects.get(user=saigon))
    saigon.refresh_from_db()
    assert saigon.is_active and "nhap.lieu.hcm" not in {r.user.username for r in user_admin.users_of(hanoi_admin)}
    # A person who also works elsewhere is listed, but only their roles here can be touched.
    both = make_user(Role.VIEWER, "01", "hai.noi")
    Membership.objects.create(user=both, unit=unit("79"), role=Role.VIEWER)
    row = next(r for r in user_admin.users_of(hanoi_admin) if r.user.username == "hai.noi")
    assert row.outside == 1 and not row.manageable
    with pytest.raises(Refused):
        user_admin.set_active(hanoi_admin, both, False)


def test_deactivation_signs_out_revokes_tokens_and_reactivation_is_audited(hanoi_admin, make_user):
    worker = make_user(Role.DATA_ENTRY, "00004", "se.nghi")
    token, _text = create_token(worker, name="excel")
    user_admin.set_active(hanoi_admin, worker, False)
    worker.refresh_from_db()
    assert not worker.is_active
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    user_admin.set_active(hanoi_admin, worker, True)
    worker.refresh_from_db()
    assert worker.is_active
    assert list(AuditEntry.objects.filter(object_key="se.nghi", action__in=["user.deactivate", "user.activate"])
                .order_by("seq").values_list("action", "actor")) == [
        ("user.deactivate", "qt.hanoi"), ("user.activate", "qt.hanoi")]


def test_no_self_lockout_and_no_last_role_withdrawn(hanoi_admin, make_user):
    with pytest.raises(Refused) as refused:
        user_admin.set_active(hanoi_admin, hanoi_admin, False)
    assert refused.value.code == "self_lockout"
    with pytest.raises(Refused) as refused:
        user_admin.withdraw(hanoi_admin, Membership.objects.get(user=hanoi_admin))
    assert refused.value.code == "self_lockout"
    worker = make_user(Role.DATA_ENTRY, "00004", "mot.vai.tro")
    with pytest.raises(Refused) as refused:
        user_admin.withdraw(hanoi_admin, Membership.objects.get(user=worker))
    assert refused.value.code == "last_role"
    user_admin.grant(hanoi_admin, worker, Role.VIEWER, OrgUnit.objects.get(code="00008"))
    user_admin.withdraw(hanoi_admin, Membership.objects.get(user=worker, role=Role.DATA_ENTRY))
    assert list(Membership.objects.filter(user=worker).values_list("role", flat=True)) == [Role.VIEWER]
    assert AuditEntry.objects.filter(action="user.withdraw_role", object_key="mot.vai.tro").exists()


def test_a_granted_unit_admin_role_still_needs_the_second_factor(client, hanoi_admin, unit):
    user, _link = user_admin.invite_user(hanoi_admin, username="qt.phuong", full_name="", email="",
                                        role=Role.UNIT_ADMIN, unit=unit("00004"))
    user.set_password("mot-mat-khau-dai-2026")
    user.save()
    client.post("/account/login/", {"username": "qt.phuong", "password": "mot-mat-khau-dai-2026"})
    assert client.get("/account/users/")["Location"].startswith("/account/2fa/")  # the second factor first
    assert client.get("/")["Location"].startswith("/account/2fa/")


# The page.

def test_the_users_page_invites_and_refuses_in_words(hanoi_admin):
    client = verified_client(hanoi_admin)
    page = client.get("/account/users/")
    assert page.status_code == 200 and 'value="system_admin"' not in page.content.decode()
    answer = client.post("/account/users/", {"form": "invite", "username": "le.van.c", "full_name": "Lê Văn C",
                                             "email": "", "role": Role.DATA_ENTRY, "unit": "Phường Ba Đình"})
    text = answer.content.decode()
    assert answer.status_code == 200 and "/account/set-password/" in text and "le.van.c" in text
    assert Membership.objects.filter(user__username="le.van.c", unit__code="00004").exists()
    refused = client.post("/account/users/", {"form": "grant", "username": "le.van.c", "role": Role.SYSTEM_ADMIN,
                                              "unit": "01"})
    assert refused.status_code == 403 and "Bạn không được cấp vai trò" in refused.content.decode()
    refused = client.post("/account/users/", {"form": "grant", "username": "le.van.c", "role": Role.VIEWER,
                                              "unit": "79"})
    assert refused.status_code == 403 and "Không tìm thấy đơn vị «79»" in refused.content.decode()


def test_the_users_page_says_which_role_is_needed_to_someone_who_manages_nobody(make_user, client):
    viewer = make_user(Role.VIEWER, "01", "chi.xem")
    make_user(Role.UNIT_ADMIN, "01", "qt.hn.lienhe")
    client.force_login(viewer)
    page = client.get("/account/users/")
    text = page.content.decode()
    assert page.status_code == 403 and "Quản trị đơn vị" in text and "qt.hn.lienhe" in text


# The admin site.

def follow_finitely(client, path, limit=10):
    """Follow redirects by hand, failing past `limit` hops: the chain of a loop never ends."""
    chain = []
    response = client.get(path)
    while response.status_code in (301, 302) and len(chain) < limit:
        chain.append(response["Location"])
        response = client.get(response["Location"])
    assert response.status_code not in (301, 302), f"redirect loop: {chain}"
    return response, chain


def test_the_demo_hanoi_administrator_gets_a_403_page_on_the_admin_site_not_a_loop(settings):
    settings.PRODUCTION = False
    ensure_demo_accounts()
    hanoi = get_user_model().objects.get(username="hanoi.quantri")
    client = Client()
    assert client.post("/account/login/", {"username": "hanoi.quantri", "password": DEMO_PASSWORD}).status_code == 302
    response, chain = follow_finitely(client, "/admin/")
    assert chain[0].startswith("/account/2fa/")  # the second factor first: not yet verified
    client = verified_client(hanoi)
    response, chain = follow_finitely(client, "/admin/")
    text = response.content.decode()
    assert response.status_code == 403 and chain == []
    assert "chỉ dành cho quản trị hệ thống" in text and 'href="/account/users/"' in text
    assert follow_finitely(client, "/admin/login/?next=/admin/")[0].status_code == 403


def test_a_viewer_gets_the_403_page_on_the_admin_site_too(make_user):
    viewer = make_user(Role.VIEWER, "01", "xem.admin")
    client = Client()
    client.force_login(viewer)
    response, _chain = follow_finitely(client, "/admin/")
    assert response.status_code == 403 and 'href="/account/users/"' not in response.content.decode()


def test_a_system_admin_past_the_second_factor_reaches_the_admin_site(settings):
    settings.PRODUCTION = False
    ensure_demo_accounts()
    admin = get_user_model().objects.get(username="admin")
    client = Client()
    client.post("/account/login/", {"username": "admin", "password": DEMO_PASSWORD})
    assert client.get("/admin/")["Location"].startswith("/account/2fa/")
    response, _chain = follow_finitely(verified_client(admin), "/admin/")
    assert response.status_code == 200 and b"/admin/accounts/membership/" in response.content


def test_staff_without_the_system_administrator_role_is_refused(make_user):
    staff = make_user(Role.VIEWER, "CP", "nhan.vien.staff")
    staff.is_staff = True
    staff.save()
    response, _chain = follow_finitely(verified_client(staff), "/admin/")
    assert response.status_code == 403


def test_a_system_admin_who_is_not_staff_is_told_so(make_user):
    admin = make_user(Role.SYSTEM_ADMIN, "CP", "qt.khong.staff")
    response, _chain = follow_finitely(verified_client(admin), "/admin/")
    assert response.status_code == 403 and 'id="needs-staff"' in response.content.decode()


def test_the_anonymous_are_sent_to_sign_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_no_new_link_for_a_user_who_has_a_password_even_if_never_signed_in_on_a_page(hanoi_admin, make_user, unit):
    """An account with a password that never signed in on a page (used through API tokens, or invited and past
    its link but not signed in yet) is not a unit administrator's to take over with a fresh link."""
    user, _link = user_admin.invite_user(hanoi_admin, username="le.van.c", full_name="Lê Văn C", email="",
                                         role=Role.DATA_ENTRY, unit=unit("00004"))
    assert user_admin.new_set_password_link(hanoi_admin, user).startswith("/account/set-password/")  # not yet chosen
    user.set_password("mat-khau-da-chon-2026")
    user.save()
    assert user.last_login is None
    with pytest.raises(Refused) as refused:
        user_admin.new_set_password_link(hanoi_admin, user)
    assert refused.value.code == "already_signed_in"


def test_a_deactivated_users_link_stops_working(client, hanoi_admin, unit):
    user, link = user_admin.invite_user(hanoi_admin, username="pham.thi.d", full_name="Phạm Thị D", email="",
                                        role=Role.DATA_ENTRY, unit=unit("00004"))
    user_admin.set_active(hanoi_admin, user, False)
    page = client.get(link, follow=True)
    assert b"new_password1" not in page.content and b"link-invalid" in page.content
    user.refresh_from_db()
    assert not user.has_usable_password()
