"""A token that is presented and does not work is answered 401 in Vietnamese and English, on reads and writes:
never "CSRF check Failed" (the session's check, which a system holding a token has nothing to do with), never
the anonymous answer (which hid from a system that its token had expired)."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from govkpi.accounts.tokens import create_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def expired():
    user = get_user_model().objects.create_user("he-thong", password=None)
    _token, text = create_token(user, actions=["read", "enter"],
                                expires_at=timezone.now() - datetime.timedelta(days=1))
    return text


@pytest.mark.parametrize("method, path", [("post", "/api/v1/dataValueSets"), ("get", "/api/v1/scores"),
                                          ("get", "/api/v1/dataValueSets?dataSet=x&period=202507&orgUnit=01")])
@pytest.mark.parametrize("scheme", ["Bearer", "ApiToken"])
def test_an_expired_or_unknown_token_is_a_401_that_says_so(client, expired, method, path, scheme):
    for token in (expired, "khong-phai-ma-that"):
        response = getattr(client, method)(path, data="{}" if method == "post" else None,
                                           content_type="application/json",
                                           HTTP_AUTHORIZATION=f"{scheme} {token}")
        assert response.status_code == 401, response.content
        body = response.json()
        assert body["code"] == "unauthorized" and "hết hạn" in body["message"] and "expired" in body["message"]
        assert "CSRF" not in response.content.decode()
        assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", ["/api/v1/dataValueSets", "/api/v1/memberships", "/api/v1/tasks"])
def test_a_write_with_neither_token_nor_session_is_a_401_not_a_csrf_failure(path):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(path, data="{}", content_type="application/json")
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "unauthorized" and "CSRF" not in response.content.decode()
