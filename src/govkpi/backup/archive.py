"""The backup file: a tar holding a manifest first, then every member the manifest lists with its SHA-256.

The manifest comes first so that a restore reads what a file is before anything else, and it carries every
member's digest so that a damaged or truncated file is refused before a byte of it is restored. Plain tar, no
compression of the whole: the PostgreSQL dump is compressed already, evidence files are PDFs and images, and the
SQLite database is stored gzip-compressed as a member of its own.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import shutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

FORMAT = "govkpi-backup"
FORMAT_VERSION = 1
MANIFEST = "govkpi-backup.json"
CHUNK = 1 << 20


class BackupRefused(Exception):
    """A backup or restore refused before anything was changed, with the reason in Vietnamese and English."""

    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.code, self.message_vi, self.message_en = code, message_vi, message_en


def damaged(path: Path, why: str) -> BackupRefused:
    return BackupRefused("damaged", f"«{path}» không phải bản sao lưu govkpi hoặc đã hỏng ({why}); không khôi phục gì.",
                         f"«{path}» is not a govkpi backup or is damaged ({why}); nothing was restored.")


def sha256_of(stream: IO[bytes], size: int | None = None) -> str:
    """The digest of the stream to its end, or of its first `size` bytes (a file still growing is read only as
    far as it was when its size was taken, never chased)."""
    digest = hashlib.sha256()
    left = size
    while (chunk := stream.read(CHUNK if left is None else min(CHUNK, left))):
        digest.update(chunk)
        if left is not None:
            left -= len(chunk)
            if not left:
                break
    return digest.hexdigest()


ATTEMPTS = 3  # a file that changes while it is copied (an upload being written) is read again this often


def write_archive(path: Path, manifest: dict[str, Any], members: list[tuple[str, Path]]) -> None:
    """Write the archive to `path` (never over an existing file): the manifest, with each member's size and
    digest added, then the members. Written beside it under a temporary name, synced, read back whole as a
    restore reads it, and only then linked into place: a file that changed between its digest and its copy (an
    evidence upload still being written) would otherwise make a backup reported written that no restore takes.
    Such a backup is made again, up to ATTEMPTS times."""
    partial = path.with_name(f".{path.name}.partial")
    problem: BackupRefused | None = None
    for _attempt in range(ATTEMPTS):
        try:
            _write_once(partial, manifest, members)
            Archive.open(partial)
        except BackupRefused as refused:
            problem = refused
            partial.unlink(missing_ok=True)
            continue
        try:
            _put_in_place(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        return
    assert problem is not None
    raise BackupRefused("changing", f"Tệp thay đổi trong khi sao lưu ({ATTEMPTS} lần); thử lại sau: {problem.message_vi}",
                        f"Files changed while being backed up ({ATTEMPTS} times); try again later: {problem.message_en}")


def _put_in_place(partial: Path, path: Path) -> None:
    """Move the finished file to its name, failing rather than replacing when a file of that name appeared
    meanwhile: a hard link where the file system has them, else an exclusive create then a rename over it (FAT
    and exFAT disks, some network shares)."""
    try:
        os.link(partial, path)
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK):
            raise
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        os.replace(partial, path)


def _write_once(partial: Path, manifest: dict[str, Any], members: list[tuple[str, Path]]) -> None:
    listed = {}
    for name, source in members:
        with source.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            listed[name] = {"size": size, "sha256": sha256_of(stream, size)}
    body = json.dumps({**manifest, "members": listed}, ensure_ascii=False, indent=1, sort_keys=True).encode()
    try:
        with partial.open("xb") as raw, tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(manifest.get("created_epoch", 0)), 0o600
            tar.addfile(info, io.BytesIO(body))
            for name, source in members:
                info = tar.gettarinfo(str(source), arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                with source.open("rb") as stream:
                    tar.addfile(info, stream)
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name == str(path) and bool(name)


@dataclass
class Archive:
    """An archive whose manifest was read and every member checked against its digest."""

    path: Path
    manifest: dict[str, Any]

    @classmethod
    def open(cls, path: Path) -> Archive:
        """Read and check the whole file; BackupRefused("damaged") at the first thing that is not as written."""
        try:
            with tarfile.open(path, mode="r:") as tar:
                first = tar.next()
                if first is None or first.name != MANIFEST or not first.isfile():
                    raise damaged(path, f"no {MANIFEST} first")
                manifest = json.loads(tar.extractfile(first).read())  # type: ignore[union-attr]
                if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                    raise damaged(path, "not a govkpi backup manifest")
                if manifest.get("format_version") != FORMAT_VERSION:
                    raise BackupRefused("format_version",
                                        f"Bản sao lưu định dạng {manifest.get('format_version')}, bản govkpi này chỉ "
                                        f"đọc định dạng {FORMAT_VERSION}.",
                                        f"The backup is format {manifest.get('format_version')}; this govkpi reads "
                                        f"format {FORMAT_VERSION} only.")
                listed: dict[str, dict[str, Any]] = manifest.get("members") or {}
                seen = set()
                while (member := tar.next()) is not None:  # iterating the TarFile would start again at the first
                    if not member.isfile() or member.name not in listed or member.name in seen:
                        raise damaged(path, f"unexpected member {member.name!r}")
                    stream = tar.extractfile(member)
                    if stream is None or sha256_of(stream) != listed[member.name].get("sha256"):
                        raise damaged(path, f"{member.name}: digest differs")
                    seen.add(member.name)
        except BackupRefused:
            raise
        except (tarfile.TarError, OSError, EOFError, ValueError, UnicodeDecodeError, AttributeError) as error:
            raise damaged(path, type(error).__name__ + (f": {error}" if str(error) else "")) from None
        if missing := set(listed) - seen:
            raise damaged(path, f"missing {min(missing)!r}")
        if unsafe := [name for name in listed if not _safe_name(name)]:
            raise damaged(path, f"unsafe name {unsafe[0]!r}")
        return cls(path, manifest)

    def names(self, prefix: str = "") -> list[str]:
        return sorted(name for name in self.manifest["members"] if name.startswith(prefix))

    def extract(self, name: str, destination: Path) -> None:
        """Copy one member to `destination` (a new file)."""
        with tarfile.open(self.path, mode="r:") as tar:
            stream = tar.extractfile(name)
            assert stream is not None  # checked by open()
            with destination.open("xb") as out:
                shutil.copyfileobj(stream, out, CHUNK)

    def extract_prefix(self, prefix: str, root: Path) -> Iterator[Path]:
        """Copy every member under `prefix` below `root`, keeping the rest of its path; yield each file made."""
        with tarfile.open(self.path, mode="r:") as tar:
            for member in tar:
                if not member.name.startswith(prefix):
                    continue
                target = root / member.name[len(prefix):]
                target.parent.mkdir(parents=True, exist_ok=True)
                stream = tar.extractfile(member)
                assert stream is not None
                with target.open("xb") as out:
                    shutil.copyfileobj(stream, out, CHUNK)
                yield target
