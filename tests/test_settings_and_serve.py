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

GOVKPI = str(Path(sys.executable).with_name("govkpi"))


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "govkpi.settings", **env}
    return subprocess.run([sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=60)


def test_production_mode_refuses_the_development_secret():
    result = run_python("import django; django.setup()", GOVKPI_MODE="production")
    assert result.returncode != 0
    assert "GOVKPI_SECRET_KEY" in result.stderr


def test_production_mode_starts_with_a_real_secret_and_turns_debug_off():
    result = run_python(
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)",
        GOVKPI_MODE="production", GOVKPI_SECRET_KEY="x" * 50, GOVKPI_DEBUG="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_demo_is_refused_in_production_mode(tmp_path):
    env = {**os.environ, "GOVKPI_MODE": "production", "GOVKPI_SECRET_KEY": "y" * 50,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}"}
    result = subprocess.run([GOVKPI, "demo"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "production" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_demo_then_serve_answers_with_34_provinces(tmp_path):
    """The README's first command in miniature: load a fresh SQLite database, serve it, ask it."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'govkpi.sqlite3'}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    demo = subprocess.run([GOVKPI, "demo"], env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert "admin" in demo.stdout
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
