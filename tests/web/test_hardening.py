"""Hardening: CSP without inline scripts, security headers, escaping, body size, API rate limits."""

import re

import pytest

from govkpi.orgunits.models import OrgUnit, build_path

pytestmark = pytest.mark.django_db
PAGES = ["/", "/units/", "/units/01/", "/units/P63-02/", "/account/login/", "/rankings/", "/rankings/methodology/",
         "/panels/headline/", "/panels/changes/"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_a_strict_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_scripts_or_outside_assets(client, path):
    html = client.get(path).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert " on" not in re.sub(r"\s+", " ", " ".join(re.findall(r"<[^>]+\son\w+=", html)))


def test_security_headers(client):
    response = client.get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_names_with_markup_are_escaped(client):
    hanoi = OrgUnit.objects.get(code="01")
    OrgUnit.objects.create(code="99999", name='Xã <script>alert("x")</script> & "Hòa"', short_name="<b>Hòa</b>",
                           kind="commune", legal_type="commune", parent=hanoi, level=2,
                           path=build_path(hanoi.path, "99999"))
    html = client.get("/units/01/").content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;Hòa&quot;" in html
    assert "<b>Hòa</b>" not in client.get("/units/99999/").content.decode()


def test_oversized_request_bodies_are_refused(client, settings, make_user):
    from govkpi.accounts.roles import Role

    client.force_login(make_user(Role.CATALOG_MANAGER, "CP"))
    body = '{"code": "X", "padding": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + '"}'
    response = client.post("/api/v1/indicators", body, content_type="application/json")
    assert response.status_code == 400


def test_api_rate_limit_answers_429_beyond_the_limit(client, settings):
    settings.API_RATE_ANONYMOUS = "3/m"
    statuses = [client.get("/api/v1/orgunits", {"limit": 1}, REMOTE_ADDR="10.9.9.9").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    assert client.get("/api/v1/orgunits", {"limit": 1}, REMOTE_ADDR="10.9.9.8").status_code == 200
