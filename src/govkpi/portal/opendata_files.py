"""The open-data files on disk: one per dataset and format, named after the published fingerprint.

A download is a file produced from the published data (reads.publication), not a body rebuilt per request: at
national scale results.csv is about 100 MB of rows. A file is written once per change of what is published —
never because of a write in a month still being reported — to a temporary name beside it and renamed into
place, so a reader never sees half a file. The files live in MEDIA_ROOT/opendata/ (GOVKPI_MEDIA_ROOT), outside
the static files.

Built ahead: after a scores pass, `build_ahead()` starts `govkpi opendata build` in a process of its own when a
file of what is now published is missing, so that the first download does not wait for it (results.xlsx takes
about 50 s at national scale). While a file is being built, its URL never answers with the previous file as if it
were current: it answers 503 "đang cập nhật / being updated" with Retry-After, and names the previous version,
which stays downloadable at `?version=` marked as superseded until the new one replaces it
(docs/performance.md, "Reads at national scale", says why).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from django.conf import settings
from django.db import transaction

from govkpi.portal import opendata
from govkpi.reads.publication import fingerprint
from govkpi.reads.visibility import Viewer

# Quick files first: while results.xlsx (the slow one) is written, every CSV and JSON is already there.
BUILD_ORDER = [(name, fmt) for fmt in ("csv", "json", "xlsx") for name in opendata.DATASETS]
assert {fmt for _n, fmt in BUILD_ORDER} == set(opendata.FORMATS)


class Updating(Exception):
    """The file of what is published now is being written by someone else; `previous` is the last complete
    file of the dataset and format (None when there is none), and `version` its fingerprint."""

    def __init__(self, previous: Path | None) -> None:
        super().__init__("đang cập nhật / being updated")
        self.previous = previous
        self.version = _version_of(previous) if previous else None


def directory() -> Path:
    return Path(settings.MEDIA_ROOT) / "opendata"


def current_version() -> str:
    """The fingerprint of what is published now (a new Calendar: today's)."""
    return fingerprint(Viewer.public().calendar)


def _version_of(path: Path) -> str:
    return path.stem.rsplit("-", 1)[-1]


def _path(name: str, fmt: str, version: str) -> Path:
    return directory() / f"{name}-{version}.{fmt}"


@contextmanager
def _lock(filename: str, blocking: bool) -> Iterator[bool]:
    """An exclusive lock across processes on a lock file of the open-data folder: yields whether it was taken."""
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / filename).open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True  # the lock goes with the file's closing


def _file_lock(name: str, fmt: str, blocking: bool):  # noqa: ANN201 - the context manager of _lock
    """One writer per file."""
    return _lock(f".{name}.{fmt}.lock", blocking)


def _builder_slot(slot: str, blocking: bool):  # noqa: ANN201 - the context manager of _lock
    """One builder running ("running") and at most one waiting ("waiting")."""
    return _lock(f".builder-{slot}.lock", blocking)


def _write(name: str, fmt: str, path: Path) -> None:
    """Write the file (the lock held), then let the earlier versions go."""
    partial = path.parent / f".{path.name}.{os.getpid()}.part"
    try:
        opendata.write(name, fmt, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    _remove_older(path.parent, name, fmt, keep=path)


def published_file(name: str, fmt: str) -> tuple[Path, str]:
    """The file of dataset `name` in format `fmt` for what is published now and the fingerprint it holds (an
    ETag). Written here when missing and nobody is writing it; raises Updating when someone is."""
    version = current_version()
    path = _path(name, fmt, version)
    if path.exists():
        return path, version
    with _file_lock(name, fmt, blocking=False) as mine:
        if not mine:
            raise Updating(previous_file(name, fmt, version))
        if not path.exists():
            _write(name, fmt, path)
    return path, version


def previous_file(name: str, fmt: str, current: str) -> Path | None:
    """The newest complete file of another fingerprint still on disk."""
    older = [p for p in directory().glob(f"{name}-*.{fmt}") if _version_of(p) != current]
    return max(older, key=lambda p: p.stat().st_mtime_ns, default=None)


def file_of_version(name: str, fmt: str, version: str) -> Path | None:
    """The file of that fingerprint, while it is still on disk."""
    path = _path(name, fmt, version)
    return path if version.isalnum() and path.exists() else None


def build_published_files() -> list[Path]:
    """Every dataset in every format for what is published now, written where missing (waiting for a file
    someone else is writing); the files this call wrote."""
    version = current_version()
    written = []
    for name, fmt in BUILD_ORDER:
        path = _path(name, fmt, version)
        if path.exists():
            continue
        with _file_lock(name, fmt, blocking=True):
            if not path.exists():
                _write(name, fmt, path)
                written.append(path)
    return written


def missing_files() -> list[tuple[str, str]]:
    """The datasets and formats with no file of what is published now."""
    version = current_version()
    return [(name, fmt) for name, fmt in BUILD_ORDER if not _path(name, fmt, version).exists()]


def build_until_current() -> list[Path] | None:
    """`govkpi opendata build`: build the missing files, again while what is published changes under it; None
    when another builder is already waiting to run (it will see what is published when it starts).

    One builder runs and at most one waits: a builder started while another runs waits for it and then reads
    the fingerprint afresh, so a change published during a build is never left unbuilt, and a burst of passes
    starts no crowd of processes."""
    written: list[Path] = []
    with ExitStack() as held:
        with _builder_slot("waiting", blocking=False) as waiting:
            if not waiting:
                return None
            held.enter_context(_builder_slot("running", blocking=True))  # kept after "waiting" is let go
        while True:
            version = current_version()
            written += build_published_files()
            if current_version() == version:
                return written


def _builder_waiting() -> bool:
    with _builder_slot("waiting", blocking=False) as free:
        return not free


def build_ahead() -> None:
    """Call after the engine's scores pass commits: when a file of what is now published is missing, start
    `govkpi opendata build` in a process of its own (at once, or when the open transaction commits: a builder
    started before the commit would read the figures as they were).

    A process of its own: writing results.xlsx takes ~50 s of CPU at national scale, which would hold the engine
    (and, in a thread, its share of the interpreter) from the next change."""
    transaction.on_commit(start_builder)


_builders: list[subprocess.Popen] = []  # started by this process: waited for once ended (no zombie is left)


def start_builder() -> subprocess.Popen | None:
    """The builder process, started when a file of what is published is missing and no builder is waiting
    (None otherwise: nothing to do, or the waiting one will read what is published when it runs; or
    OPENDATA_BUILD_AHEAD is off)."""
    _builders[:] = [p for p in _builders if p.poll() is None]
    if not settings.OPENDATA_BUILD_AHEAD or not missing_files() or _builder_waiting():
        return None
    builder = subprocess.Popen([sys.executable, "-m", "govkpi.cli", "opendata", "build", "--quiet"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
    _builders.append(builder)
    return builder


def _remove_older(folder: Path, name: str, fmt: str, keep: Path) -> None:
    """Files of earlier fingerprints go (a download already reading one keeps its open file)."""
    for old in folder.glob(f"{name}-*.{fmt}"):
        if old != keep:
            old.unlink(missing_ok=True)
