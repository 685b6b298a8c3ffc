"""`govkpi backup FILE` and `govkpi restore FILE`: the database, the uploaded files and a manifest in one file.

A restore checks everything it can before it changes anything (the file whole, made by a govkpi this one can
read, the same audit key, an empty database and no uploaded files in the way), then loads the database in one
step and moves the files into place; `verify_restored` then proves what came back (counts, the audit head,
evaluation, a recomputation, the audit chain up to the head the backup recorded).
"""

from __future__ import annotations

import datetime
import os
import secrets
import shutil
import sqlite3
import sys
import tempfile
from contextlib import closing
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import OperationalError, connections, transaction

from govkpi.backup import contents, database
from govkpi.backup.archive import FORMAT, FORMAT_VERSION, Archive, BackupRefused, write_archive

SQLITE_MEMBER = "database.sqlite3.gz"
PG_MEMBER = "database.pgdump"


def govkpi_version() -> str:
    try:
        return version("govkpi")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "unknown"


def _facts(cursor: Any) -> dict[str, Any]:
    return {"counts": contents.counts(cursor), "audit_head": contents.audit_head(cursor),
            "migrations": contents.applied_migrations(cursor)}


def _check_source() -> None:
    """A database to back up: reachable, and made by `migrate` (a wrong DATABASE_URL is not backed up as empty)."""
    config = connections["default"].settings_dict
    if connections["default"].vendor == "sqlite" and not str(config["NAME"]).startswith(("file:", ":memory:")) \
            and not Path(config["NAME"]).is_file():
        raise BackupRefused("no_database", f"Không có tệp cơ sở dữ liệu «{config['NAME']}» (DATABASE_URL).",
                            f"No database file «{config['NAME']}» (DATABASE_URL).")
    try:
        migrated = database.has_tables()
    except OperationalError as error:
        raise BackupRefused("no_database", f"Không kết nối được cơ sở dữ liệu (DATABASE_URL): {error}",
                            f"The database cannot be reached (DATABASE_URL): {error}") from None
    if not migrated:
        raise BackupRefused("no_tables", "Cơ sở dữ liệu chưa có bảng nào: DATABASE_URL có đúng không?",
                            "The database has no tables: is DATABASE_URL right?")


def _dump(work: Path) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """Dump the database into `work`: (the member's file, what the manifest says of the database, the facts read
    from the dumped state)."""
    _check_source()
    connection = connections["default"]
    if connection.vendor == "sqlite":
        snapshot = work / "database.sqlite3"
        database.sqlite_snapshot(database.raw_sqlite(), snapshot)
        with closing(sqlite3.connect(snapshot)) as copy:
            facts = _facts(copy.cursor())
        packed = work / SQLITE_MEMBER
        database.gzip_file(snapshot, packed)
        snapshot.unlink()
        return packed, {"vendor": "sqlite", "sqlite_version": sqlite3.sqlite_version}, facts
    if connection.vendor == "postgresql":
        dump = work / PG_MEMBER
        with transaction.atomic(using="default"), connection.cursor() as cursor:
            # The counts and the dump see one snapshot: pg_dump imports the one this transaction exports.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = cursor.fetchone()[0]
            facts = _facts(cursor)
            tool = database.pg_dump(dump, snapshot_id)
        return dump, {"vendor": "postgresql", "server_version": connection.pg_version, "pg_dump": tool.version,
                      "pg_dump_major": tool.major}, facts
    raise BackupRefused("vendor", f"Không sao lưu được cơ sở dữ liệu {connection.vendor}.",
                        f"A {connection.vendor} database cannot be backed up.")


def create_backup(path: Path) -> dict[str, Any]:
    """Write a backup of the database and the uploaded files to `path` (a new file); return its manifest."""
    if path.exists():
        raise BackupRefused("exists", f"«{path}» đã có; chọn tên khác (không ghi đè bản sao lưu).",
                            f"«{path}» exists; choose another name (a backup is never overwritten).")
    if not path.parent.is_dir():
        raise BackupRefused("no_folder", f"Không có thư mục «{path.parent}».", f"No folder «{path.parent}».")
    now = datetime.datetime.now(datetime.UTC)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".govkpi-backup-") as work:
        member, about, facts = _dump(Path(work))
        # After the dump: evidence files are only ever added, so every file a dumped row names is there by now
        # (a file uploaded meanwhile comes along without its row, which is harmless).
        media = contents.media_files(Path(settings.MEDIA_ROOT))
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "govkpi_version": govkpi_version(),
            "created_at": now.isoformat(timespec="seconds"), "created_epoch": int(now.timestamp()),
            "database": about, **facts,
            "audit_key": {"source": contents.key_source(), "fingerprints": contents.key_fingerprints()},
            "media": {"files": len(media), "bytes": sum(p.stat().st_size for _n, p in media)},
        }
        write_archive(path, manifest, [(member.name, member), *media])
    return manifest


# Restore --------------------------------------------------------------------------------------------------------

def _check_vendor(manifest: dict[str, Any]) -> str:
    vendor, here = manifest["database"]["vendor"], connections["default"].vendor
    if vendor != here:
        raise BackupRefused("vendor", f"Bản sao lưu của {vendor}, cơ sở dữ liệu đích là {here} (DATABASE_URL).",
                            f"The backup is of {vendor}; the target database is {here} (DATABASE_URL).")
    return vendor


def _check_migrations(manifest: dict[str, Any]) -> list[str]:
    """The migrations this govkpi has and the backup lacks (migrate runs them after the load); refused when the
    backup was made by a newer govkpi."""
    known, applied = contents.known_migrations(), set(manifest["migrations"])
    if unknown := sorted(applied - known):
        raise BackupRefused("newer", f"Bản sao lưu do govkpi {manifest['govkpi_version']} tạo, mới hơn bản này "
                            f"({govkpi_version()}; thiếu {unknown[0]}…): cài bản mới hơn rồi khôi phục.",
                            f"The backup was made by govkpi {manifest['govkpi_version']}, newer than this one "
                            f"({govkpi_version()}; {unknown[0]}… unknown): install it, then restore.")
    return sorted(known - applied)


_SETTING_HINT = {
    "GOVKPI_AUDIT_KEY": ("đặt GOVKPI_AUDIT_KEY bằng khóa kiểm toán dùng lúc sao lưu",
                         "set GOVKPI_AUDIT_KEY to the audit key in force when the backup was made"),
    "GOVKPI_SECRET_KEY": (("khóa khi đó suy ra từ GOVKPI_SECRET_KEY: đặt lại GOVKPI_SECRET_KEY lúc ấy (và không "
                           "đặt GOVKPI_AUDIT_KEY)"),
                          ("the key was then derived from GOVKPI_SECRET_KEY: set that GOVKPI_SECRET_KEY again (and "
                           "leave GOVKPI_AUDIT_KEY unset)")),
    "development": ("bản sao lưu dùng khóa phát triển: bỏ GOVKPI_AUDIT_KEY và GOVKPI_SECRET_KEY",
                    "the backup used the development key: unset GOVKPI_AUDIT_KEY and GOVKPI_SECRET_KEY"),
}


def _check_keys(manifest: dict[str, Any]) -> None:
    theirs = manifest["audit_key"]["fingerprints"]
    ours = set(contents.key_fingerprints())
    missing = [fingerprint for fingerprint in theirs if fingerprint not in ours]
    if not missing:
        return
    vi, en = _SETTING_HINT.get(manifest["audit_key"]["source"], _SETTING_HINT["GOVKPI_AUDIT_KEY"])
    retired = len(missing) - (theirs[-1] in missing)
    more_vi = f"; thiếu {retired} khóa cũ trong GOVKPI_AUDIT_RETIRED_KEYS" if retired else ""
    more_en = f"; {retired} retired key(s) missing from GOVKPI_AUDIT_RETIRED_KEYS" if retired else ""
    raise BackupRefused("audit_key", f"Khóa kiểm toán ở đây khác khóa lúc sao lưu: `govkpi audit verify` sẽ coi mọi "
                        f"bản ghi là bị sửa. {vi.capitalize()} (đã đổi khóa sau đó: khóa mới ở GOVKPI_AUDIT_KEY, khóa "
                        f"cũ ở GOVKPI_AUDIT_RETIRED_KEYS){more_vi}. Không khôi phục gì.",
                        f"The audit key here differs from the backup's: `govkpi audit verify` would call every row "
                        f"tampered. {en.capitalize()} (rotated since: the new key in GOVKPI_AUDIT_KEY, the old one in "
                        f"GOVKPI_AUDIT_RETIRED_KEYS){more_en}. Nothing was restored.")


def _check_empty(media_root: Path) -> None:
    try:
        tables = database.tables_with_rows()
    except OperationalError as error:
        raise BackupRefused("no_database", f"Không kết nối được cơ sở dữ liệu đích (DATABASE_URL): {error}. Tạo nó "
                            f"trước (createdb) rồi khôi phục.", f"The target database cannot be reached "
                            f"(DATABASE_URL): {error}. Create it first (createdb), then restore.") from None
    if tables:
        raise BackupRefused("not_empty", f"Cơ sở dữ liệu đích không trống ({len(tables)} bảng có dữ liệu, ví dụ "
                            f"{tables[0]}): chỉ khôi phục vào cơ sở dữ liệu mới tạo hoặc trống; không xóa gì.",
                            f"The target database is not empty ({len(tables)} tables hold rows, e.g. {tables[0]}): "
                            f"restore only into a new or empty database; nothing was deleted.")
    if files := contents.saved_media_present(media_root):
        raise BackupRefused("media_not_empty", f"Thư mục tệp tải lên «{media_root}» (GOVKPI_MEDIA_ROOT) đã có "
                            f"{len(files)} tệp, ví dụ {files[0]}: cần thư mục trống.",
                            f"The uploads folder «{media_root}» (GOVKPI_MEDIA_ROOT) holds {len(files)} files, e.g. "
                            f"{files[0]}: it must be empty.")


@dataclass
class Restored:
    manifest: dict[str, Any]
    media_files: int = 0
    migrated: list[str] = field(default_factory=list)


def _move_into(staging: Path, media_root: Path) -> int:
    moved = 0
    for entry in sorted(staging.iterdir()):
        target = media_root / entry.name
        if target.is_dir():  # an empty folder (checked): the staged one takes its place whole
            shutil.rmtree(target)
        entry.rename(target)
        moved += sum(1 for p in target.rglob("*") if p.is_file()) if target.is_dir() else 1
    return moved


def _load(archive: Archive, vendor: str, work: Path) -> None:
    if vendor == "sqlite":
        packed, snapshot = work / SQLITE_MEMBER, work / "database.sqlite3"
        archive.extract(SQLITE_MEMBER, packed)
        database.gunzip_file(packed, snapshot)
        packed.unlink()
        database.sqlite_load(snapshot)
    else:
        dump = work / PG_MEMBER
        archive.extract(PG_MEMBER, dump)
        database.pg_restore(dump, archive.manifest["database"]["pg_dump_major"])


def restore_backup(path: Path) -> Restored:
    """Restore a backup into the empty database and uploads folder the settings name; BackupRefused, with nothing
    changed, when the file, the key or the target is not as it must be."""
    if not path.is_file():
        raise BackupRefused("missing", f"Không có tệp «{path}».", f"No file «{path}».")
    archive = Archive.open(path)
    manifest = archive.manifest
    vendor = _check_vendor(manifest)
    missing_migrations = _check_migrations(manifest)
    _check_keys(manifest)
    media_root = Path(settings.MEDIA_ROOT)
    _check_empty(media_root)
    restored = Restored(manifest)
    media_root.mkdir(parents=True, exist_ok=True)
    staging = media_root / f".restore-{secrets.token_hex(6)}"  # beside its place: moved in by a rename
    work_dir = path.parent if os.access(path.parent, os.W_OK) else None
    loaded = False
    try:
        staging.mkdir()
        list(archive.extract_prefix("media/", staging))
        with tempfile.TemporaryDirectory(dir=work_dir, prefix=".govkpi-restore-") as work:
            _load(archive, vendor, Path(work))
        loaded = True
        restored.media_files = _move_into(staging, media_root)
    except BaseException:
        if loaded:  # the database is restored: the files not yet moved are kept, and said where
            print(f"Cơ sở dữ liệu đã khôi phục nhưng tệp minh chứng chưa chuyển hết; còn ở «{staging}»: chuyển vào "
                  f"«{media_root}» bằng tay. / The database is restored but not every evidence file was moved; the "
                  f"rest is in «{staging}»: move it into «{media_root}» by hand.", file=sys.stderr)
        raise
    finally:
        if not loaded:
            shutil.rmtree(staging, ignore_errors=True)
        elif staging.exists() and not any(staging.iterdir()):
            staging.rmdir()
    if missing_migrations:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        restored.migrated = missing_migrations
    return restored


@dataclass
class Verdict:
    name: str  # the command it stands for
    ok: bool
    lines: list[str]


def verify_restored(manifest: dict[str, Any]) -> list[Verdict]:
    """What came back, checked: counts and audit head as the manifest says, then `govkpi evaluate`,
    `govkpi recompute --verify` and `govkpi audit verify --expect HEAD`, each with its verdict."""
    from govkpi.audit.anchor import Anchor
    from govkpi.audit.trail import verify_trail
    from govkpi.evaluation.engine import process_pending, verify

    verdicts = []
    with connections["default"].cursor() as cursor:
        found, head = contents.counts(cursor), contents.audit_head(cursor)
    differ = [f"{name}: {found.get(name)} ≠ {count}" for name, count in manifest["counts"].items()
              if found.get(name) != count]
    if head != manifest["audit_head"]:
        differ.append(f"audit head: {head} ≠ {manifest['audit_head']}")
    verdicts.append(Verdict("counts", not differ, differ or [
        "Số bản ghi khớp bản kê / counts match the manifest: " + ", ".join(f"{k}={v}" for k, v in found.items())]))
    run = process_pending(limit=100_000)
    verdicts.append(Verdict("govkpi evaluate", True, [
        f"Sự kiện / events: {run.events}, ô / cells: {run.cells}, thay đổi / changed: {run.changed}"]))
    problems = verify()
    verdicts.append(Verdict("govkpi recompute --verify", not problems, problems or [
        "Kết quả khớp với tính lại từ đầu / results match a recomputation from scratch"]))
    expect = Anchor(manifest["audit_head"]["seq"], manifest["audit_head"]["digest"]) if manifest["audit_head"] else None
    report = verify_trail(expect=expect)
    verdicts.append(Verdict("govkpi audit verify" + (f" --expect {expect}" if expect else ""), report.clean,
                            report.problems or [f"Nhật ký toàn vẹn / audit trail intact: {report.checked} bản ghi/rows"]))
    return verdicts
