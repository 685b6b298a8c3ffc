"""API tokens: hashed, shown once, scoped to units and actions, expiring and revocable."""

import datetime

import pytest
from django.utils import timezone

from govkpi.accounts.models import ApiToken
from govkpi.accounts.permissions import can
from govkpi.accounts.roles import Action, Role
from govkpi.accounts.tokens import active_token, create_token, revoke_token
from govkpi.audit.models import AuditEntry
from govkpi.cli import main
from govkpi.indicators.catalog import apply_catalog

pytestmark = pytest.mark.django_db
NEW = {"code": "TOKEN_TEST", "name_vi": "Thử", "value_type": "count"}


def bearer(text):
    return {"HTTP_AUTHORIZATION": f"Bearer {text}"}


def test_token_is_stored_hashed_and_shown_once(make_user):
    user = make_user(Role.CATALOG_MANAGER, "CP")
    token, text = create_token(user, name="integration")
    assert text.startswith("gk_") and len(text) > 40
    assert text not in token.digest and token.digest != text
    assert not ApiToken.objects.filter(digest__contains=text[10:]).exists()
    assert active_token(text).pk == token.pk
    assert AuditEntry.objects.filter(action="token.create", object_key=token.prefix).exists()


def test_a_valid_token_writes_the_catalog_and_records_last_use(client, make_user, small_catalog):
    apply_catalog(small_catalog)
    token, text = create_token(make_user(Role.CATALOG_MANAGER, "CP"))
    response = client.post("/api/v1/indicators", NEW, content_type="application/json", **bearer(text))
    assert response.status_code == 200, response.content
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_token_never_exceeds_its_user(client, make_user):
    token, text = create_token(make_user(Role.VIEWER, "CP"), actions=["manage_catalog"])
    assert client.post("/api/v1/indicators", NEW, content_type="application/json", **bearer(text)).status_code == 403


def test_a_token_outside_its_actions_or_units_is_refused(make_user, unit):
    user = make_user(Role.UNIT_ADMIN, "01")
    token, _ = create_token(user, units=[unit("00004")], actions=["enter"])
    user._govkpi_token = token
    assert can(user, Action.ENTER, unit("00004"))
    assert not can(user, Action.ENTER, unit("00008"))  # the user may, the token may not
    assert not can(user, Action.APPROVE, unit("00004"))


def test_a_token_limited_to_read_cannot_write(client, make_user):
    _, text = create_token(make_user(Role.CATALOG_MANAGER, "CP"), actions=["read"])
    assert client.post("/api/v1/indicators", NEW, content_type="application/json", **bearer(text)).status_code == 403


def test_expired_revoked_and_unknown_tokens_are_refused(client, make_user):
    user = make_user(Role.CATALOG_MANAGER, "CP")
    _, expired = create_token(user, expires_at=timezone.now() - datetime.timedelta(seconds=1))
    revoked_row, revoked = create_token(user)
    revoke_token(revoked_row)
    for text in (expired, revoked, "gk_00000000_not-a-token", "not even the shape"):
        response = client.post("/api/v1/indicators", NEW, content_type="application/json", **bearer(text))
        assert response.status_code == 401, text
    assert AuditEntry.objects.filter(action="token.revoke").exists()


def test_a_token_shows_internal_catalog_entries_to_its_system(client, make_user, small_catalog):
    apply_catalog(small_catalog)
    _, text = create_token(make_user(Role.VIEWER, "CP"))
    assert client.get("/api/v1/indicators/NOI_BO").status_code == 404
    assert client.get("/api/v1/indicators/NOI_BO", **bearer(text)).status_code == 200


def test_token_command_prints_the_token_on_its_last_line(capsys, make_user):
    make_user(Role.DATA_ENTRY, "01", username="hanoi.he.thong")
    assert main(["token", "create", "hanoi.he.thong", "--units", "01", "--permissions", "read,enter",
                 "--expires", "2030-12-31", "--name", "Hệ thống một cửa"]) == 0
    text = capsys.readouterr().out.strip().splitlines()[-1]
    token = active_token(text)
    assert token is not None and token.actions == ["enter", "read"]
    assert [u.code for u in token.units.all()] == ["01"]
    assert token.expires_at.date() == datetime.date(2030, 12, 31)
    assert main(["token", "revoke", token.prefix]) == 0
    assert active_token(text) is None
    assert main(["token", "create", "hanoi.he.thong", "--permissions", "fly"]) == 1
    assert main(["token", "create", "khong.co"]) == 1
