"""A SQLite file that cannot be written (and its folder neither, so no -wal or -shm can be made), served by a
real `govkpi serve`: pages and API reads answer 200, a write a JSON 503 saying why, and the file is left exactly
as it was. Root writes through file modes, so as root the server runs in a mount namespace of its own where the
folder is bind-mounted read-only (as on a read-only volume); nothing outside that process sees the mount."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.faults.conftest import _sqlite_site

pytestmark = pytest.mark.slow


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def read_only_site(sqlite_seed):
    folder = Path(tempfile.mkdtemp(prefix="govkpi-faults-ro-"))
    site = _sqlite_site(sqlite_seed, folder)
    site.run("manage", "shell", "-c", "from django.db import connection; "
             "connection.cursor().execute('PRAGMA wal_checkpoint(TRUNCATE)')")  # one file, nothing in a WAL
    for leftover in folder.glob("govkpi.sqlite3-*"):
        leftover.unlink()
    database = folder / "govkpi.sqlite3"
    database.chmod(0o444)
    folder.chmod(0o555)
    read_only_mount = ()
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.skip("running as root without unshare: a file mode cannot stop root from writing")
        read_only_mount = ("unshare", "--mount", "--", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"',
                           str(folder))
    try:
        yield site, database, read_only_mount
    finally:
        site.end()
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_read_only_file_serves_pages_and_reads_and_refuses_a_write_with_a_json_503(read_only_site, tmp_path):
    site, database, read_only_mount = read_only_site
    before = _digest(database)
    server = site.server()
    server.logfile = tmp_path / "server.log"  # the site's folder cannot be written
    server.as_user = read_only_mount
    server.start()
    cookie = {"Cookie": f"sessionid={site.session}"}
    reader = {"Authorization": f"Bearer {site.reader}"}
    for path, headers in (("/", {}), ("/", cookie), ("/units/01/", cookie), ("/api/v1/results?limit=5", reader),
                          ("/api/v1/dataValueSets?dataElement=DVC_TONG&period=202001&orgUnit=CP&children=true",
                           reader)):
        answer = server.request("GET", path, headers=headers)
        assert answer.status == 200, (path, answer.status, answer.body[:1500], server.log()[-3000:])
    answer = server.post_values(site.writer, [{"dataElement": "DVC_TONG", "period": "202001", "orgUnit": "01",
                                               "value": "10"}])
    assert answer.status == 503, (answer.status, answer.body[:1500])
    assert answer.headers["content-type"].startswith("application/json")
    problem = answer.json()
    assert problem["code"] == "database_read_only" and problem["message"] and problem["message_en"], problem
    server.stop()
    assert _digest(database) == before
    assert sorted(p.name for p in database.parent.iterdir()) == ["govkpi.sqlite3"]
