"""Changes made through the admin site are audited: who, from where, which object, what changed."""

import pytest
from django.contrib.auth import get_user_model
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from govkpi.accounts.models import Membership
from govkpi.accounts.roles import Role
from govkpi.audit.models import AuditEntry
from govkpi.audit.trail import verify_trail
from govkpi.datavalues.models import DataValue
from govkpi.indicators.models import Indicator

pytestmark = pytest.mark.django_db
CLIENT = "192.0.2.44"


@pytest.fixture
def admin_client(client, make_user):
    """A superuser signed in with a second factor, as the admin site asks."""
    user = make_user(Role.SYSTEM_ADMIN, "CP", "quantri.audit")
    user.is_staff = user.is_superuser = True
    user.save()
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    request = type("Request", (), {"session": client.session, "user": user})()
    otp_login(request, device)
    request.session.save()
    client.defaults["REMOTE_ADDR"] = CLIENT
    return client


def test_granting_superuser_through_the_admin_is_audited_with_what_changed(admin_client, make_user):
    target = make_user(Role.VIEWER, "01", "nguoi.thuong")
    date_joined = target.date_joined
    response = admin_client.post(f"/admin/auth/user/{target.pk}/change/", {
        "username": "nguoi.thuong", "first_name": "", "last_name": "", "email": "", "is_active": "on",
        "is_staff": "on", "is_superuser": "on", "date_joined_0": date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": date_joined.strftime("%H:%M:%S"), "last_login_0": "", "last_login_1": "", "_save": "Lưu"})
    assert response.status_code == 302, response.content
    assert get_user_model().objects.get(pk=target.pk).is_superuser
    row = AuditEntry.objects.get(action="admin.auth.user.update")
    assert (row.actor, row.ip, row.object_type, row.object_key) == ("quantri.audit", CLIENT, "User", str(target.pk))
    assert row.before["is_superuser"] is False and row.after["is_superuser"] is True
    assert row.before["is_staff"] is False and row.after["is_staff"] is True
    assert "username" not in row.after  # only what changed
    assert verify_trail().clean


def test_an_indicator_formula_edited_in_the_admin_is_audited_before_and_after(admin_client):
    indicator = Indicator.objects.create(code="ADMIN_TEST", name_vi="Thử", value_type="count",
                                         formula="#{A} + #{B}", unit_kinds=["province"])
    response = admin_client.get(f"/admin/indicators/indicator/{indicator.pk}/change/")
    assert response.status_code == 200
    data = {**_form_data(response), "formula": "#{A} * 100", "_save": "Lưu"}
    answer = admin_client.post(f"/admin/indicators/indicator/{indicator.pk}/change/", data)
    assert answer.status_code == 302, answer.context["adminform"].form.errors
    row = AuditEntry.objects.get(action="admin.indicators.indicator.update")
    assert row.before == {"formula": "#{A} + #{B}"} and row.after == {"formula": "#{A} * 100"}


def test_a_bulk_delete_in_the_admin_writes_one_row_per_object_and_names_the_actor(admin_client, make_user):
    memberships = [make_user(Role.VIEWER, code).memberships.get() for code in ("01", "79")]
    response = admin_client.post("/admin/accounts/membership/", {
        "action": "delete_selected", "_selected_action": [m.pk for m in memberships], "post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk__in=[m.pk for m in memberships]).exists()
    rows = AuditEntry.objects.filter(action="admin.accounts.membership.delete")
    assert sorted(row.object_key for row in rows) == sorted(str(m.pk) for m in memberships)
    assert {(row.actor, row.ip) for row in rows} == {("quantri.audit", CLIENT)}
    signal_rows = AuditEntry.objects.filter(action="membership.delete")
    assert {(row.actor, row.ip) for row in signal_rows} == {("quantri.audit", CLIENT)}


def test_secrets_changed_in_the_admin_are_not_copied_into_the_trail(admin_client, make_user):
    target = make_user(Role.VIEWER, "01", "doi.matkhau")
    response = admin_client.post(f"/admin/auth/user/{target.pk}/password/", {
        "password1": "Mật-khẩu-mới-đủ-dài-2026", "password2": "Mật-khẩu-mới-đủ-dài-2026", "usable_password": "true"})
    assert response.status_code == 302, response.content
    row = AuditEntry.objects.get(action="admin.auth.user.update", object_key=str(target.pk))
    assert row.after == {"password": "***"}


def test_signing_in_to_the_admin_is_no_admin_change(client, make_user):
    client.get("/admin/login/")
    assert not AuditEntry.objects.filter(action__startswith="admin.").exists()


def test_models_the_admin_does_not_edit_keep_their_fast_deletes():
    from django.db.models.signals import post_delete, pre_delete

    assert not post_delete.has_listeners(DataValue) and not pre_delete.has_listeners(DataValue)
    assert post_delete.has_listeners(Indicator)


def _form_data(response):
    """The values the admin's change page would send back unchanged, inlines' management forms included."""
    data = {}
    for form in [response.context["adminform"].form] + [f for fs in response.context["inline_admin_formsets"]
                                                        for f in [fs.formset.management_form, *fs.formset.forms]]:
        for name in form.fields:
            bound = form[name]
            value = bound.value()
            if value is None or value is False:
                continue
            if isinstance(value, (list, tuple)):
                data[bound.html_name] = [str(v) for v in value]
            elif value is True:
                data[bound.html_name] = "on"
            else:
                data[bound.html_name] = str(value)
    return data
