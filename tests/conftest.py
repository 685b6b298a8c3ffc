"""Fixtures that build real objects: the whole reference hierarchy is loaded once per run.

`--today=YYYY-MM-DD` runs the whole session as of that day (10:00 in Viet Nam, the clock ticking), so that the
tests that depend on the date can be run as of any day: `./dev test tests/datavalues --today=2026-12-31`."""

from __future__ import annotations

import copy
import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from govkpi.accounts.models import Membership
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.reference import reference_hierarchy
from govkpi.orgunits.sync import sync_reference_hierarchy

TRAVEL_HOUR = datetime.time(10)
TRAVEL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")  # settings.TIME_ZONE


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--today", metavar="YYYY-MM-DD", type=datetime.date.fromisoformat, default=None,
                     help="run the session as of this day, 10:00 in Asia/Ho_Chi_Minh, the clock ticking "
                          "(time-machine)")


def pytest_configure(config: pytest.Config) -> None:
    day = config.getoption("today", None)
    if day is None:
        return
    import time_machine

    travel = time_machine.travel(datetime.datetime.combine(day, TRAVEL_HOUR, TRAVEL_ZONE), tick=True)
    travel.start()  # before any fixture: the session database is built on that day too
    config.add_cleanup(travel.stop)


def pytest_report_header(config: pytest.Config) -> str | None:
    day = config.getoption("today", None)
    if day is None:
        return None
    return f"today: {day.isoformat()} {TRAVEL_HOUR:%H:%M} {TRAVEL_ZONE.key} (--today, time-machine)"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # noqa: ANN001 - pytest-django's fixtures
    """The test database with Viet Nam's real units in it, shared by every test (each test rolls back)."""
    with django_db_blocker.unblock():
        sync_reference_hierarchy(reference_hierarchy())
    yield
    # The wake-up listener (events.wakeup) holds a connection of its own: end it before the database is dropped.
    from govkpi.events.wakeup import stop_listening

    stop_listening()


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory):  # noqa: ANN001
    """The README's first command, once for the session: `govkpi demo` in its own process (no
    DJANGO_SETTINGS_MODULE) into a fresh SQLite file. A dict: its folder, the file, what it printed. Tests that
    serve or change it work on their own copy (`copy_demo`), so the file stays as the demo left it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    folder = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'govkpi.sqlite3'}", "GOVKPI_MEDIA_ROOT": str(folder)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run([str(Path(sys.executable).with_name("govkpi")), "demo"], env=env, cwd=folder,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return {"folder": folder, "file": folder / "govkpi.sqlite3", "stdout": done.stdout}


def copy_demo(demo_file: dict, folder) -> dict:  # noqa: ANN001 - a pathlib.Path
    """A private copy of the session's demo database in `folder` (through SQLite's backup, whole and consistent):
    the folder and the environment that points a govkpi process at it."""
    import os
    import shutil
    import sqlite3

    for entry in demo_file["folder"].iterdir():  # whatever else the demo left beside its database (media)
        if not entry.name.startswith("govkpi.sqlite3"):
            (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, folder / entry.name)
    target = folder / "govkpi.sqlite3"
    source, copy_ = sqlite3.connect(demo_file["file"]), sqlite3.connect(target)
    try:
        source.backup(copy_)
    finally:
        source.close()
        copy_.close()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{target}", "GOVKPI_MEDIA_ROOT": str(folder),
           "DJANGO_SETTINGS_MODULE": "govkpi.settings"}
    return {"folder": folder, "env": env}


@pytest.fixture(autouse=True)
def _reference_units_outside_transactions(request):  # noqa: ANN001
    """A test outside a transaction (`transaction=True`) ends by emptying every table, the reference units loaded
    once by django_db_setup with them: the next such test finds them loaded again."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    if not OrgUnit.objects.filter(parent__isnull=True).exists():
        sync_reference_hierarchy(reference_hierarchy())


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_files(settings, tmp_path):  # noqa: ANN001
    """Open-data files are kept on disk under their fingerprint: every test starts with none (SQLite gives a
    rolled-back test's ids to the next one, so two tests could otherwise share a fingerprint)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OPENDATA_BUILD_AHEAD = False  # a builder process would not see the test's database; tests that
    # build ahead turn it on, and tests/test_server.py's processes have it on


@pytest.fixture
def unit(db):  # noqa: ANN001
    """Look a reference unit up by code."""
    return lambda code: OrgUnit.objects.get(code=code)


@pytest.fixture
def make_user(db):  # noqa: ANN001
    """Create a user holding one role over one unit's subtree."""
    counter = iter(range(1, 10_000))

    def make(role: str, unit_code: str, username: str | None = None):
        user = get_user_model().objects.create_user(username or f"user{next(counter)}", password=None)
        Membership.objects.create(user=user, unit=OrgUnit.objects.get(code=unit_code), role=role)
        return user

    return make


D = datetime.date

SMALL_CATALOG = {
    "sources": [
        {"id": "T2024", "date": D(2024, 7, 11), "title": "Kết luận 2024", "meeting": "Phiên họp giữa năm 2024"},
        {"id": "T2025", "date": D(2025, 2, 6), "title": "Kết luận 2025", "meeting": "Phiên họp lần thứ 10"},
    ],
    "data_elements": [
        {"code": "DVC_TOANTRINH", "name_vi": "Số DVC trực tuyến toàn trình", "value_type": "count",
         "aggregation_units": "sum", "aggregation_periods": "last"},
        {"code": "DVC_TONG", "name_vi": "Tổng số DVC trực tuyến", "value_type": "count"},
    ],
    "indicators": [
        {"code": "DVC_TOANTRINH_TYLE", "name_vi": "Tỷ lệ DVC trực tuyến toàn trình", "name_en": "End-to-end rate",
         "value_type": "percentage", "unit": "%", "decimals": 2, "frequency": "monthly", "direction": "higher_is_better",
         "unit_kinds": ["government", "ministry", "province"], "owner": "BCA", "themes": ["CDS", "DA06"],
         "formula": "#{DVC_TOANTRINH} / #{DVC_TONG} * 100",
         "targets": [
             {"value": 100, "deadline": D(2025, 12, 31), "scope": "national", "set_by": "T2024", "set_on": D(2024, 7, 11)},
             {"value": 80, "deadline": D(2025, 12, 31), "scope": "national", "set_by": "T2025", "set_on": D(2025, 2, 6),
              "supersedes": True},
         ],
         "figures": [
             {"value": 39.51, "period": "202507", "unit": "CP", "source": "T2025"},
             {"value": 15.21, "period": "202507", "unit": "CP", "scope": "provinces", "source": "T2025"},
         ]},
        {"code": "NOI_BO", "name_vi": "Chỉ tiêu nội bộ", "value_type": "count", "published": False},
    ],
}


@pytest.fixture
def small_catalog():
    """A catalog document shaped like the reference one, small enough to read in a test."""
    return copy.deepcopy(SMALL_CATALOG)


@pytest.fixture
def approve(make_user):
    """Submit and approve units' data for a period through the real approval steps: an official period's
    figures are made of approved data only (docs/adr/0001-one-read-door.md)."""
    from govkpi.accounts.roles import Role
    from govkpi.datavalues import approval

    approver = []

    def run(period: str, *codes: str) -> None:
        if not approver:  # two people: whoever submits may not approve (separation of duties)
            approver.extend([make_user(Role.SYSTEM_ADMIN, "CP"), make_user(Role.DATA_ENTRY, "CP")])
        for code in codes:
            unit = OrgUnit.objects.select_related("parent").get(code=code)
            approval.submit(unit, period, approver[1])
            approval.approve(unit, period, approver[0])

    return run


@pytest.fixture
def all_provisional(settings):
    """Every period still being reported, so results count every value received: for the tests of the engine's
    arithmetic (the approved-only basis of official periods has its own tests)."""
    settings.OFFICIAL_AFTER_DAYS = 100_000


def json_body(response):  # noqa: ANN001, ANN201 - a test client's response
    """The JSON of an answer, streamed (the dataValueSets export) or not."""
    import json

    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return json.loads(raw)
