"""A real server and a real browser: `govkpi demo` into a fresh SQLite file, `govkpi serve` on a free port,
Debian's Chromium driven by Playwright. These tests touch no database in this process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

DEMO_PASSWORD = "govkpi-demo-2025"
INTERNAL_INDICATOR = "TTHC_HAILONG_TYLE"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The application as a newcomer runs it: reference data loaded, served over HTTP."""
    folder = tmp_path_factory.mktemp("server")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'govkpi.sqlite3'}", "GOVKPI_MEDIA_ROOT": str(folder),
           "DJANGO_SETTINGS_MODULE": "govkpi.settings"}
    govkpi = [sys.executable, "-m", "govkpi.cli"]
    subprocess.run([*govkpi, "demo"], env=env, cwd=folder, check=True, capture_output=True, timeout=600)
    # The reference catalog publishes every indicator; one is made internal so that the tests can check it
    # never reaches a public page.
    subprocess.run([*govkpi, "manage", "shell", "-c",
                    f"from govkpi.indicators.models import Indicator; "
                    f"Indicator.objects.filter(code='{INTERNAL_INDICATOR}').update(published=False)"],
                   env=env, cwd=folder, check=True, capture_output=True, timeout=120)
    port = _free_port()
    log = (folder / "server.log").open("w")
    process = subprocess.Popen([*govkpi, "serve", "--port", str(port)], env=env, cwd=folder,
                               stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                log.close()
                raise RuntimeError((folder / "server.log").read_text()) from None
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=20)
    log.close()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("GOVKPI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(executable).exists(), "Chromium is needed for the browser tests: ./dev test installs it with apt"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser context (its own cookies) whose console errors and CSP violations are collected."""
    context = chromium.new_context(locale="vi-VN")
    page = context.new_page()
    page.problems = []
    page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    yield page
    context.close()


def sign_in(page, server: str, username: str) -> None:
    page.goto(f"{server}/account/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main form button[type=submit]")  # the sign-in form, not the language switch
    page.wait_for_load_state()
