"""The open-data files on disk: one per dataset and format, named after the published fingerprint.

A download is a file produced from the published data (reads.publication), not a body rebuilt per request: at
national scale results.csv is about 100 MB of rows. A file is written once per change of what is published —
never because of a write in a month still being reported — to a temporary name beside it and renamed into
place, so a reader never sees half a file; while one process writes it, others asking for it wait for it.
The files live in MEDIA_ROOT/opendata/ (GOVKPI_MEDIA_ROOT), outside the static files.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from django.conf import settings

from govkpi.portal import opendata
from govkpi.reads.publication import fingerprint
from govkpi.reads.visibility import Viewer


def directory() -> Path:
    return Path(settings.MEDIA_ROOT) / "opendata"


def published_file(name: str, fmt: str) -> tuple[Path, str]:
    """The file of dataset `name` in format `fmt` for what is published now, written if it is not yet, and
    the fingerprint it holds (an ETag)."""
    version = fingerprint(Viewer.public().calendar)
    folder = directory()
    path = folder / f"{name}-{version}.{fmt}"
    if path.exists():
        return path, version
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f".{name}.{fmt}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one writer per file across processes; the others wait, then read it
        if not path.exists():
            partial = folder / f".{path.name}.{os.getpid()}.part"
            try:
                opendata.write(name, fmt, partial)
                os.replace(partial, path)
            finally:
                partial.unlink(missing_ok=True)
            _remove_older(folder, name, fmt, keep=path)
    return path, version


def _remove_older(folder: Path, name: str, fmt: str, keep: Path) -> None:
    """Files of earlier fingerprints go (a download already reading one keeps its open file)."""
    for old in folder.glob(f"{name}-*.{fmt}"):
        if old != keep:
            old.unlink(missing_ok=True)
