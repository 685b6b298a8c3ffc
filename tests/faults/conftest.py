"""Fixtures for the fault tests: a seeded database made once per session (a SQLite file; a database in a
PostgreSQL cluster of the session's own) and copied for each test, so that a test starts in a second or two."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.site import Cluster, Site, postgres_bin


@pytest.fixture(scope="session")
def sqlite_seed(tmp_path_factory) -> dict:
    """One seeded SQLite file and its tokens, copied by each test that asks for `sqlite_site`."""
    folder = tmp_path_factory.mktemp("faults-sqlite-seed")
    site = Site(folder, f"sqlite:///{folder / 'govkpi.sqlite3'}")
    site.seed()
    return {"file": folder / "govkpi.sqlite3", "session": site.session,
            "writer": site.token("ghi", "read,enter"), "reader": site.token("xem", "read")}


def _sqlite_site(seed: dict, folder: Path) -> Site:
    copy = folder / "govkpi.sqlite3"
    for suffix in ("", "-wal"):
        if Path(f"{seed['file']}{suffix}").exists():
            shutil.copy(f"{seed['file']}{suffix}", f"{copy}{suffix}")
    site = Site(folder, f"sqlite:///{copy}")
    site.session, site.writer, site.reader = seed["session"], seed["writer"], seed["reader"]
    return site


@pytest.fixture
def sqlite_site(sqlite_seed, tmp_path) -> Iterator[Site]:
    site = _sqlite_site(sqlite_seed, tmp_path)
    yield site
    site.end()


@pytest.fixture(scope="session")
def cluster(tmp_path_factory) -> Iterator[dict]:
    """A PostgreSQL cluster of the session's own with a seeded database that each test copies (TEMPLATE)."""
    binaries = postgres_bin()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl)")
    made = Cluster(binaries)
    try:
        try:
            made.build()
        except (RuntimeError, OSError) as error:
            pytest.skip(f"the test's PostgreSQL cluster could not start: {error}")
        made.sql("CREATE DATABASE seed")
        site = Site(tmp_path_factory.mktemp("faults-pg-seed"), made.url("seed"))
        site.seed()
        yield {"cluster": made, "session": site.session, "writer": site.token("ghi", "read,enter"),
               "reader": site.token("xem", "read"), "names": itertools.count(1)}
    finally:
        made.remove()


@pytest.fixture
def pg_site(cluster, tmp_path) -> Iterator[Site]:
    name = f"t{next(cluster['names'])}"
    cluster["cluster"].sql(f"CREATE DATABASE {name} TEMPLATE seed")
    site = Site(tmp_path, cluster["cluster"].url(name))
    site.session, site.writer, site.reader = cluster["session"], cluster["writer"], cluster["reader"]
    site.cluster = cluster["cluster"]
    yield site
    site.end()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_site(request) -> Site:
    """Each test that takes it runs on both databases."""
    return request.getfixturevalue("sqlite_site" if request.param == "sqlite" else "pg_site")
