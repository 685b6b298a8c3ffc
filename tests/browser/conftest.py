"""A real server and a real browser: a copy of the session's `govkpi demo` SQLite file, `govkpi serve` on a free port,
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

from tests.conftest import copy_demo

DEMO_PASSWORD = "govkpi-demo-2025"
INTERNAL_INDICATOR = "TTHC_HAILONG_TYLE"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


GOVKPI = [sys.executable, "-m", "govkpi.cli"]


def _shell(database: dict, code: str) -> str:
    """Run Python in `govkpi manage shell` against the demo database; the last line it prints (the shell
    prints its automatic imports first)."""
    done = subprocess.run([*GOVKPI, "manage", "shell", "-c", code], env=database["env"],
                          cwd=database["folder"], check=True, capture_output=True, text=True, timeout=120)
    return (done.stdout.strip().splitlines() or [""])[-1]


@pytest.fixture(scope="session")
def demo_database(demo_file, tmp_path_factory):  # noqa: ANN001
    """The browser tests' own copy of the session's `govkpi demo` SQLite file (tests/conftest.py): its folder and
    the environment that points at it."""
    database = copy_demo(demo_file, tmp_path_factory.mktemp("server"))
    # The reference catalog publishes every indicator; one is made internal so that the tests can check it
    # never reaches a public page.
    _shell(database, f"from govkpi.indicators.models import Indicator; "
                     f"Indicator.objects.filter(code='{INTERNAL_INDICATOR}').update(published=False)")
    return database


@pytest.fixture(scope="session")
def open_month(demo_database) -> str:
    """The newest month holding demo values (e.g. "202611"): the latest ended month, still open for entry and
    not yet approved. Read from the server's database, whose clock this process's --today cannot reach."""
    month = _shell(demo_database, "from govkpi.datavalues.models import DataValue; "
                                  "print(DataValue.objects.filter(channel='demo').order_by('-period_start')"
                                  ".values_list('period', flat=True).first())")
    assert month.isdigit() and len(month) == 6, f"no demo month in the server's database: {month!r}"
    return month


@pytest.fixture(scope="session")
def entry_month(demo_database) -> str:
    """The month a value entered today lands in provisional figures, by the server's clock: the last ended month
    while it is still being reported (up to its due date), else the month in progress."""
    return _shell(demo_database, "from govkpi.core.periods import PeriodType, period_of; "
                                 "from govkpi.reads.official import Calendar; c = Calendar(); "
                                 "last = period_of(PeriodType.MONTHLY, c.today).previous(); "
                                 "print(period_of(PeriodType.MONTHLY, c.today).id if c.is_official(last.id) else last.id)")


@pytest.fixture(scope="session")
def server(demo_database):
    """The application as a newcomer runs it: reference data loaded, served over HTTP."""
    folder, env = demo_database["folder"], demo_database["env"]
    port = _free_port()
    log = (folder / "server.log").open("w")
    process = subprocess.Popen([*GOVKPI, "serve", "--port", str(port)], env=env, cwd=folder,
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
