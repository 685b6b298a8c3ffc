"""A consistent dump of the database and its load into an empty one, for SQLite and PostgreSQL.

SQLite: the online backup API (`sqlite3.Connection.backup`) in one step, so the copy is one committed state,
pages still in the write-ahead log included; a copy of the file alone misses what the WAL holds (the last
acknowledged writes) and may catch a write half done. PostgreSQL: `pg_dump` in its custom format, run on a
snapshot exported by the transaction that also reads the manifest's counts, so the counts are the dump's;
`pg_restore` loads it in a single transaction, so a failed restore leaves the target as it was.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connections

from govkpi.backup.archive import CHUNK, BackupRefused

# Rows that `migrate` writes by itself into a new database: a database holding only these is empty.
MIGRATE_OWN_TABLES = {"django_migrations", "django_content_type", "auth_permission"}


def tables_with_rows(using: str = "default") -> list[str]:
    """The application tables of the database that hold at least one row (none: an empty database)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in MIGRATE_OWN_TABLES or table.startswith("sqlite_"):
                continue
            cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")
            if cursor.fetchone():
                found.append(table)
    return found


def has_tables(using: str = "default") -> bool:
    connection = connections[using]
    with connection.cursor() as cursor:
        return bool(connection.introspection.table_names(cursor))


# SQLite ---------------------------------------------------------------------------------------------------------

def sqlite_snapshot(source: sqlite3.Connection, destination: Path) -> None:
    """Copy a live database into a new file with the online backup API, in one step (a single read transaction:
    one consistent state, the WAL's pages included, writers not blocked), left in rollback-journal mode so the
    file stands alone."""
    target = sqlite3.connect(destination)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()


def raw_sqlite(using: str = "default") -> sqlite3.Connection:
    """Django's own sqlite3 connection (the in-memory test database has no file another connection could open)."""
    connection = connections[using]
    connection.ensure_connection()
    return connection.connection


def gzip_file(source: Path, destination: Path) -> None:
    # Level 1: the database shrinks to a fifth at level 1 already; level 6 takes 2.7 times as long for 12 % less
    # (the demo database's 63.8 MB: 12.8 MB in 0.33 s, 11.3 MB in 0.88 s), and a national one is gigabytes.
    with source.open("rb") as raw, gzip.open(destination, "xb", compresslevel=1) as packed:
        shutil.copyfileobj(raw, packed, CHUNK)


def gunzip_file(source: Path, destination: Path) -> None:
    with gzip.open(source, "rb") as packed, destination.open("xb") as raw:
        shutil.copyfileobj(packed, raw, CHUNK)


def sqlite_load(snapshot: Path, using: str = "default") -> None:
    """Replace the (empty) target's content with the snapshot's, through the backup API: the target's write lock
    is held for the whole copy, so no one reads a half-restored database."""
    target = raw_sqlite(using)
    source = sqlite3.connect(snapshot)
    try:
        source.backup(target)
    finally:
        source.close()
    target.execute("PRAGMA journal_mode=WAL")  # the snapshot was stored in rollback-journal mode


# PostgreSQL -----------------------------------------------------------------------------------------------------

# Where client binaries live besides PATH: Debian and Ubuntu keep one folder per major version (/usr/bin holds
# a wrapper that picks one), builds from source and the official images use /usr/local.
_FOLDERS = ["/usr/local/bin", "/usr/local/pgsql/bin", "/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin"]


@dataclass(frozen=True)
class PgTool:
    path: str
    major: int
    version: str  # as `--version` prints it


def _candidates(name: str) -> list[str]:
    found = [shutil.which(name)] + [str(p) for folder in _FOLDERS for p in sorted(Path("/").glob(
        folder.lstrip("/") + "/" + name))]
    return list(dict.fromkeys(p for p in found if p and os.access(p, os.X_OK)))


def _version_of(path: str) -> PgTool | None:
    try:
        text = subprocess.run([path, "--version"], check=False, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\) (\d+)(?:\.(\d+))?", text)
    return PgTool(path, int(match.group(1)), text) if match else None


def pg_tool(name: str, at_least: int) -> PgTool:
    """The client binary `name` of the oldest major version that is not older than `at_least`: pg_dump must be
    at least the server's version (an older one refuses to dump), and the nearest one is the one made for it; a
    real binary is preferred to Debian's wrapper of the same version."""
    tools = [tool for path in _candidates(name) if (tool := _version_of(path))]
    usable = [tool for tool in tools if tool.major >= at_least]
    if not usable:
        seen = ", ".join(f"{tool.path} ({tool.major})" for tool in tools) or "không có / none"
        raise BackupRefused("pg_client", f"Cần {name} phiên bản {at_least} trở lên (đã thấy: {seen}); cài gói "
                            f"postgresql-client-{at_least}.",
                            f"{name} {at_least} or newer is needed (found: {seen}); install "
                            f"postgresql-client-{at_least}.")
    return min(usable, key=lambda tool: (tool.major, Path(tool.path).resolve().name != name))


def server_major(using: str = "default") -> int:
    connection = connections[using]
    connection.ensure_connection()
    return connection.pg_version // 10000


def _libpq(using: str) -> tuple[list[str], dict[str, str]]:
    """Command-line connection arguments and environment for the database Django is configured with."""
    config: dict[str, Any] = connections[using].settings_dict
    args = ["--dbname", config["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if config.get(key):
            args += [flag, str(config[key])]
    env = {**os.environ}
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    return args, env


def _run(tool: PgTool, args: list[str], env: dict[str, str], code: str) -> None:
    done = subprocess.run([tool.path, *args], check=False, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        tail = done.stderr.strip()[-2000:]
        raise BackupRefused(code, f"{Path(tool.path).name} thất bại (mã {done.returncode}): {tail}",
                            f"{Path(tool.path).name} failed (exit {done.returncode}): {tail}")


def pg_dump(destination: Path, snapshot: str, using: str = "default") -> PgTool:
    """Dump the database as of an exported snapshot, in the custom format; return the pg_dump used."""
    tool = pg_tool("pg_dump", server_major(using))
    args, env = _libpq(using)
    _run(tool, ["--format=custom", f"--snapshot={snapshot}", f"--file={destination}", *args], env, "pg_dump")
    return tool


def pg_restore(dump: Path, dumped_with: int, using: str = "default") -> PgTool:
    """Load a custom-format dump in one transaction (all or nothing); a target that `migrate` already made has its
    tables replaced by the dump's (--clean), since they hold no row."""
    tool = pg_tool("pg_restore", max(server_major(using), dumped_with))
    args, env = _libpq(using)
    clean = ["--clean", "--if-exists"] if has_tables(using) else []
    connections[using].close()  # pg_restore --clean waits for no lock of ours
    _run(tool, ["--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges", *clean, *args,
                str(dump)], env, "pg_restore")
    return tool
