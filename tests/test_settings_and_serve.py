"""The process-level promises: production refuses the development secret; the two commands serve."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import copy_demo

GOVKPI = str(Path(sys.executable).with_name("govkpi"))


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "govkpi.settings", **env}
    return subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=60)


def test_production_mode_refuses_the_development_secret():
    result = run_python("import django; django.setup()", GOVKPI_MODE="production")
    assert result.returncode != 0
    assert "GOVKPI_SECRET_KEY" in result.stderr


# Strong enough for production: 50+ characters, not one repeated (the check in settings.weak_secret).
STRONG_SECRET = "s3cret-Hanoi-" + "0123456789abcdefghijklmnopqrstuvwxyz-secret"
STRONG_AUDIT_KEY = "audit-Hue-" + "zyxwvutsrqponmlkjihgfedcba9876543210-audit-key"
PRODUCTION = {"GOVKPI_MODE": "production", "GOVKPI_SECRET_KEY": STRONG_SECRET, "GOVKPI_AUDIT_KEY": STRONG_AUDIT_KEY}


def test_production_mode_starts_with_a_real_secret_and_turns_debug_off():
    result = run_python(
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)",
        **PRODUCTION, GOVKPI_DEBUG="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_demo_is_refused_in_production_mode(tmp_path):
    env = {**os.environ, **PRODUCTION,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}"}
    result = subprocess.run([GOVKPI, "demo"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "production" in result.stderr


@pytest.mark.parametrize("weak", ["x" * 50, "short-but-random-9f8e7d", "django-insecure-" + "a1b2c3d4e5" * 5])
def test_production_refuses_a_weak_secret(weak):
    result = run_python("import django; django.setup()", **{**PRODUCTION, "GOVKPI_SECRET_KEY": weak})
    assert result.returncode != 0
    assert "GOVKPI_SECRET_KEY" in result.stderr and "ít nhất 50 ký tự" in result.stderr


@pytest.mark.parametrize("audit_key", [None, "x" * 60, STRONG_SECRET])
def test_production_refuses_to_start_without_its_own_audit_key(audit_key):
    env = {**PRODUCTION}
    if audit_key is None:
        del env["GOVKPI_AUDIT_KEY"]
    else:
        env["GOVKPI_AUDIT_KEY"] = audit_key
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "govkpi.settings", **env}
    full_env.pop("GOVKPI_AUDIT_KEY", None) if audit_key is None else None
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=full_env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "GOVKPI_AUDIT_KEY" in result.stderr


def test_https_setting_turns_on_redirect_hsts_and_secure_cookies():
    show = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)")
    on = run_python(show, GOVKPI_HTTPS="1")
    assert on.returncode == 0, on.stderr
    assert on.stdout.split() == ["True", "31536000", "True", "True"]
    off = run_python(show, GOVKPI_HTTPS="0")
    assert off.stdout.split() == ["False", "0", "False", "False"]


def test_https_redirects_plain_http_and_sends_hsts():
    code = ("import django; django.setup(); from django.test import Client; c = Client(); "
            "r = c.get('/api/v1/openapi.json'); print(r.status_code, r['Location']); "
            "r = c.get('/api/v1/openapi.json', secure=True); print(r.status_code, r['Strict-Transport-Security'])")
    result = run_python(code, GOVKPI_HTTPS="1", DATABASE_URL="sqlite:///:memory:")
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()[-2:]
    assert first == "301 https://testserver/api/v1/openapi.json"
    assert second.split()[1].startswith("max-age=31536000")


def test_production_logs_one_json_line_per_request():
    code = ("import django; django.setup(); from django.test import Client; "
            "Client(raise_request_exception=False).get('/account/login/', secure=True)")
    result = run_python(code, **PRODUCTION, DATABASE_URL="sqlite:///:memory:")
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "govkpi.requests"]
    assert len(requests) == 1, result.stderr
    assert requests[0]["path"] == "/account/login/" and requests[0]["method"] == "GET"
    assert isinstance(requests[0]["status"], int) and "ms" in requests[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_demo_then_serve_answers_with_34_provinces(demo_file, tmp_path):
    """The README's first command in miniature: load a fresh SQLite database (the session's `govkpi demo`, run
    in its own process without DJANGO_SETTINGS_MODULE: tests/conftest.py), serve a copy of it, ask it."""
    assert "admin" in demo_file["stdout"]
    env = copy_demo(demo_file, tmp_path)["env"]
    env.pop("DJANGO_SETTINGS_MODULE", None)
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([GOVKPI, "serve", "--port", str(port)], env=env, cwd=tmp_path,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/orgunits?kind=province", timeout=5) as r:
                    body = json.load(r)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        assert body["count"] == 34
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert "Hệ thống đơn vị" in r.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
