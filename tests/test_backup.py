"""govkpi backup and restore: a restore into an empty database gives back the values, the audit trail and the
evidence files, and its checks pass; a backup taken while another process writes is one committed state; a
damaged file, another audit key or a database in use is refused with nothing changed.

Runs on the session's own vendor: on SQLite the target is a new file, on PostgreSQL a scratch database of this
test's own (created and dropped here; never "test" or "test_test")."""

from __future__ import annotations

import datetime
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from govkpi.audit.models import AuditEntry
from govkpi.backup import contents, database
from govkpi.backup.archive import Archive, BackupRefused, write_archive
from govkpi.backup.operations import PG_MEMBER, SQLITE_MEMBER, create_backup, restore_backup
from govkpi.core.periods import PeriodType, period_of
from govkpi.datavalues.models import DataValue, DataValueHistory
from govkpi.datavalues.writer import Item, write_values
from govkpi.indicators.models import DataElement
from govkpi.tasks import actions
from govkpi.tasks.models import Directive, DirectiveKind, Evidence

pytestmark = [pytest.mark.slow,  # runs govkpi backup/restore and a writer in processes of their own
              pytest.mark.django_db(transaction=True)]  # the backup reads what is committed, as in production

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
GOVKPI = [sys.executable, "-m", "govkpi.cli"]
# What each table is compared by: the audit rows by their chained digests (which cover every field).
COMPARED = {
    DataValue: "id, data_element_id, unit_id, period, value, number, comment, stored_by, channel",
    DataValueHistory: "id, data_element_id, unit_id, period, kind, previous_value, new_value, changed_by",
    AuditEntry: "seq, action, object_key, prev_hash, hash",
    Evidence: "id, task_id, file, name, size, sha256",
}


class Target:
    """The empty database and uploads folder a restore goes to, and plain DB-API access to read it back."""

    def __init__(self, tmp_path: Path, name: str = "restored") -> None:
        self.media = tmp_path / f"{name}-media"
        config = connection.settings_dict
        self.vendor = connection.vendor
        if self.vendor == "sqlite":
            self.path = tmp_path / f"{name}.sqlite3"
            self.url = f"sqlite:///{self.path}"
            return
        self.name = f"govkpi_backup_{name}_{os.getpid()}"
        auth = config["USER"] + (f":{config['PASSWORD']}" if config.get("PASSWORD") else "")
        self.server = f"postgresql://{auth}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}"
        self.url = f"{self.server}/{self.name}"
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)', f'CREATE DATABASE "{self.name}"')

    def _admin(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as admin:
            for statement in statements:
                admin.execute(statement)

    def drop(self) -> None:
        if self.vendor == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def connect(self):  # a DB-API connection
        if self.vendor == "sqlite":  # the same converters as Django's connection, so values compare equal
            return sqlite3.connect(self.path, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)
        import psycopg

        return psycopg.connect(self.url)

    def tables(self) -> list[str]:
        if self.vendor == "sqlite" and not self.path.exists():
            return []
        with self.connect() as db:
            query = ("SELECT name FROM sqlite_master WHERE type = 'table'" if self.vendor == "sqlite" else
                     "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
            return [row[0] for row in db.execute(query).fetchall()]

    def load(self, archive: Archive, tmp_path: Path) -> None:
        """Put the archive's database here as it is, without `govkpi restore` (the files of a test's own)."""
        if self.vendor == "sqlite":
            archive.extract(SQLITE_MEMBER, tmp_path / f"{self.path.stem}.gz")
            database.gunzip_file(tmp_path / f"{self.path.stem}.gz", self.path)
            return
        archive.extract(PG_MEMBER, tmp_path / f"{self.name}.pgdump")
        tool = database.pg_tool("pg_restore", archive.manifest["database"]["pg_dump_major"])
        subprocess.run([tool.path, "--no-owner", "--exit-on-error", f"--dbname={self.url}",
                        str(tmp_path / f"{self.name}.pgdump")], check=True, capture_output=True)

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "DATABASE_URL": self.url, "GOVKPI_MEDIA_ROOT": str(self.media),
                       "GOVKPI_OPENDATA_BUILD_AHEAD": "0", **env}
        return subprocess.run([*GOVKPI, *args], capture_output=True, text=True, env=environment, timeout=120,
                              check=False)


def rows(cursor, model) -> list[tuple]:
    key = "seq" if model is AuditEntry else "id"
    cursor.execute(f'SELECT {COMPARED[model]} FROM "{model._meta.db_table}" ORDER BY {key}')
    return [tuple(row) for row in cursor.fetchall()]


def source_rows() -> dict:
    with connection.cursor() as cursor:
        return {model: rows(cursor, model) for model in COMPARED}


@pytest.fixture
def target(tmp_path):
    made = Target(tmp_path)
    yield made
    made.drop()


@pytest.fixture
def month():
    """Last month: open for reporting today."""
    return period_of(PeriodType.MONTHLY, timezone.localdate()).previous().id


@pytest.fixture
def backup(unit, make_user, settings, tmp_path, month):
    """Values written, updated and audited through the one writer, a task's evidence file, an open-data file
    (rebuilt, so left out), then a backup of it all."""
    DataElement.objects.create(code="BK_TONG", name_vi="Tổng số thủ tục", value_type="count", frequency="monthly",
                               unit_kinds=["ministry", "province"])
    DataElement.objects.create(code="BK_LIVE", name_vi="Số ghi liên tục", value_type="count", frequency="monthly",
                               unit_kinds=["ministry", "province"])
    clerk = make_user("data_entry", "01")
    items = [Item(index=i, data_element="BK_TONG", unit=code, period=month, value=v)
             for i, (code, v) in enumerate([("01", 120), ("79", 95), ("48", 40)])]
    assert write_values(items, actor=None, channel="api").created == 3
    assert write_values([Item(index=0, data_element="BK_TONG", unit="01", period=month, value=150)], actor=clerk,
                        channel="web").updated == 1
    directive = Directive.objects.create(code="CT-BK", kind=DirectiveKind.values[0], issued_on=datetime.date(2025, 2, 6),
                                         title="Chỉ thị thử", issuing_body=unit("CP"))
    task = actions.create_task(code="BK-1", title="Sao lưu", assigned_on=datetime.date(2025, 2, 6), lead=unit("BCA"),
                               deadline_text="tháng 8/2025", directive=directive)
    actions.report_progress(task, make_user("task_manager", "BCA"), percent=40, narrative="Đã làm",
                            files=[SimpleUploadedFile("bien-ban.pdf", PDF)])
    opendata = Path(settings.MEDIA_ROOT) / "opendata" / "results-abc.csv"
    opendata.parent.mkdir(parents=True)
    opendata.write_text("rebuilt from the database\n")
    path = tmp_path / "govkpi.backup"
    manifest = create_backup(path)
    return path, manifest


def test_restore_into_an_empty_database_gives_back_values_audit_and_files_and_its_checks_pass(backup, target,
                                                                                             settings):
    path, manifest = backup
    assert manifest["counts"]["data_values"] == DataValue.objects.count() == 3
    assert manifest["counts"]["audit_entries"] == AuditEntry.objects.count()
    assert manifest["audit_head"]["seq"] == AuditEntry.objects.latest("seq").seq
    assert manifest["audit_key"]["fingerprints"][-1] == contents.key_fingerprint(settings.AUDIT_KEY)
    assert settings.AUDIT_KEY not in path.read_bytes().decode("latin-1")  # a fingerprint, never the key
    evidence = Evidence.objects.get()
    assert Archive.open(path).names("media/") == [f"media/{evidence.file.name}"]  # open data left out

    done = target.run("restore", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    head = f"{manifest['audit_head']['seq']}:{manifest['audit_head']['digest']}"
    for check in ("counts", "govkpi evaluate", "govkpi recompute --verify", f"govkpi audit verify --expect {head}"):
        assert f"[ĐẠT/OK] {check}" in done.stdout
    assert "LỖI" not in done.stdout
    with target.connect() as db:
        cursor = db.cursor()
        assert {model: rows(cursor, model) for model in COMPARED} == source_rows()
    assert (target.media / evidence.file.name).read_bytes() == PDF
    assert not (target.media / "opendata").exists()


def test_restore_refuses_a_damaged_file_another_audit_key_a_database_in_use_or_a_newer_govkpi(backup, target,
                                                                                              tmp_path, settings):
    path, manifest = backup
    damaged = tmp_path / "damaged.backup"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte inside the database member
    damaged.write_bytes(bytes(data))
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(bytes(data[: len(data) // 3]))
    for bad in (damaged, truncated, Path(settings.MEDIA_ROOT) / Evidence.objects.get().file.name):
        with pytest.raises(BackupRefused) as refused:
            Archive.open(bad)
        assert refused.value.code == "damaged"

    done = target.run("restore", str(damaged))
    assert (done.returncode, target.tables()) == (1, [])
    assert "không phải bản sao lưu govkpi hoặc đã hỏng" in done.stderr and "is damaged" in done.stderr
    assert done.stderr.index("đã hỏng") < done.stderr.index("is damaged")  # Vietnamese first

    done = target.run("restore", str(path), GOVKPI_AUDIT_KEY="another-key-" + "x" * 40)
    assert (done.returncode, target.tables()) == (1, [])
    assert "GOVKPI_AUDIT_KEY" in done.stderr and "audit verify" in done.stderr
    assert not target.media.exists() or not any(target.media.rglob("*"))

    before = source_rows()
    files = sorted(Path(settings.MEDIA_ROOT).rglob("*"))
    with pytest.raises(BackupRefused) as refused:
        restore_backup(path)  # into the session's database: it holds the very data backed up
    assert refused.value.code == "not_empty"
    assert source_rows() == before and sorted(Path(settings.MEDIA_ROOT).rglob("*")) == files

    # A key rotated since the backup, the old one kept as retired, passes the key check (and meets the data).
    settings.AUDIT_RETIRED_KEYS, settings.AUDIT_KEY = [settings.AUDIT_KEY], "rotated-key-" + "y" * 40
    with pytest.raises(BackupRefused) as refused:
        restore_backup(path)
    assert refused.value.code == "not_empty"

    archive = Archive.open(path)
    member = SQLITE_MEMBER if SQLITE_MEMBER in archive.names() else PG_MEMBER
    archive.extract(member, tmp_path / member)
    newer = tmp_path / "newer.backup"
    future = {key: value for key, value in manifest.items() if key != "members"}
    write_archive(newer, {**future, "migrations": [*manifest["migrations"], "datavalues.9999_future"]},
                  [(member, tmp_path / member)])
    with pytest.raises(BackupRefused) as refused:
        restore_backup(newer)
    assert refused.value.code == "newer" and "datavalues.9999_future" in refused.value.message_en


WRITER = """
import sys, django
django.setup()
from govkpi.datavalues.writer import Item, write_values
for k in range(1, 100_000):
    write_values([Item(index=0, data_element="BK_LIVE", unit="01", period=sys.argv[1], value=k)], actor=None,
                 channel="api")
    print(k, flush=True)  # acknowledged: committed
"""


def test_a_backup_taken_while_another_process_writes_is_one_committed_state_with_every_acknowledged_write(
        backup, target, tmp_path, month):
    path, _manifest = backup
    live = target
    live.load(Archive.open(path), tmp_path)  # a database of its own that another process can write to
    env = {**os.environ, "DATABASE_URL": live.url, "GOVKPI_MEDIA_ROOT": str(live.media),
           "GOVKPI_OPENDATA_BUILD_AHEAD": "0"}
    copy = Target(tmp_path, "copy")
    errors = (tmp_path / "writer.err").open("w")
    try:
        with errors, subprocess.Popen([sys.executable, "-c", WRITER, month], stdout=subprocess.PIPE, stderr=errors,
                                      text=True, env=env) as writer:
            try:
                acknowledged = 0
                while acknowledged < 20:  # the writer is under way
                    line = writer.stdout.readline()
                    assert line, (tmp_path / "writer.err").read_text()
                    acknowledged = int(line)
                during = tmp_path / "during.backup"
                done = live.run("backup", str(during))
                assert done.returncode == 0, done.stderr
                taken = Archive.open(during)
                copy.load(taken, tmp_path)
                value, writes, updates, audit = snapshot_facts(copy)
                later = acknowledged
                while later <= value and (line := writer.stdout.readline()):  # the writer was never held up
                    later = int(line)
            finally:
                writer.kill()
    finally:
        copy.drop()
    base = AuditEntry.objects.filter(action="datavalues.write").count()
    print(f"acknowledged before the backup: {acknowledged}, in it: {value}, written after it: {later}")
    assert acknowledged <= value < later  # taken while the writes went on, and never held them up
    assert writes - base == value and updates == value - 1  # whole writes only: value, history, audit together
    assert audit == (taken.manifest["counts"]["audit_entries"], taken.manifest["audit_head"]["seq"])


def snapshot_facts(copy: Target) -> tuple[int, int, int, tuple[int, int]]:
    """The live cell's value, the writes audited, the cell's history rows, and (audit rows, head) in a backup."""
    with closing(copy.connect()) as db:
        if copy.vendor == "sqlite":
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        value = int(db.execute("SELECT value FROM datavalues_datavalue v JOIN indicators_dataelement e ON "
                               "e.id = v.data_element_id WHERE e.code = 'BK_LIVE'").fetchone()[0])
        writes = db.execute("SELECT COUNT(*) FROM audit_auditentry WHERE action = 'datavalues.write'").fetchone()[0]
        updates = db.execute("SELECT COUNT(*) FROM datavalues_datavaluehistory h JOIN indicators_dataelement e ON "
                             "e.id = h.data_element_id WHERE e.code = 'BK_LIVE'").fetchone()[0]
        audit = tuple(db.execute("SELECT COUNT(*), MAX(seq) FROM audit_auditentry").fetchone())
    return value, writes, updates, audit


@pytest.mark.django_db(transaction=False)
def test_a_file_growing_while_it_is_backed_up_never_gives_a_backup_no_restore_takes(tmp_path):
    """An evidence upload still being written when a backup copies it: the archive is read back before it is
    put in place, and made again if a file changed; it is either whole or refused, never written and damaged."""
    import threading

    growing = tmp_path / "growing.pdf"
    growing.write_bytes(PDF * 200_000)  # ~10 MB: its digest and its copy are two passes of some milliseconds
    stop = threading.Event()

    def append() -> None:  # an upload arriving: 4 KB at a time, at most 40 MB more
        with growing.open("ab") as out:
            for _ in range(10_000):
                if stop.is_set():
                    return
                out.write(b"x" * 4096)
                out.flush()
                time.sleep(0.0002)

    writer = threading.Thread(target=append)
    writer.start()
    target = tmp_path / "growing.backup"
    try:
        write_archive(target, {"format": "govkpi-backup", "format_version": 1}, [("media/evidence/growing.pdf", growing)])
        written = True
    except BackupRefused as refused:
        written = False
        assert refused.code == "changing" and "changed while being backed up" in refused.message_en
    finally:
        stop.set()
        writer.join()
    if written:
        Archive.open(target)  # whole: what it lists is what it holds
    assert written == target.exists() and not list(tmp_path.glob(".*partial"))
    still = tmp_path / "still.backup"  # the same file once it stops changing
    write_archive(still, {"format": "govkpi-backup", "format_version": 1}, [("media/evidence/growing.pdf", growing)])
    assert Archive.open(still).names("media/") == ["media/evidence/growing.pdf"]
