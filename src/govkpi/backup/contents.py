"""What a backup's manifest says of the data it holds, read from the same state as the dump.

Counts of the key tables and the audit chain's head let a restore prove it got back what was saved; the audit
key's fingerprint (an HMAC of a fixed text, never the key) lets it refuse a server whose key would make
`govkpi audit verify` call every restored row tampered.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

from django.conf import settings

_FINGERPRINT_TEXT = b"govkpi backup: audit key fingerprint, v1"
# Files under MEDIA_ROOT that are rebuilt from the database (govkpi opendata build), so never saved.
REBUILT_MEDIA = ("opendata",)


def _key_tables() -> dict[str, str]:
    from django.contrib.auth import get_user_model

    from govkpi.audit.models import AuditEntry
    from govkpi.datavalues.models import DataValue, DataValueHistory
    from govkpi.evaluation.models import Result
    from govkpi.events.models import ChangeEvent
    from govkpi.indicators.models import DataElement, Indicator
    from govkpi.orgunits.models import OrgUnit
    from govkpi.tasks.models import Evidence, Task

    models = {"data_values": DataValue, "data_value_history": DataValueHistory, "audit_entries": AuditEntry,
              "org_units": OrgUnit, "data_elements": DataElement, "indicators": Indicator, "results": Result,
              "tasks": Task, "evidence": Evidence, "users": get_user_model(), "change_events": ChangeEvent}
    return {name: model._meta.db_table for name, model in models.items()}


def counts(cursor: Any) -> dict[str, int]:
    """Rows of each key table, read with `cursor` (a Django cursor or a sqlite3 one, in the dump's state)."""
    found = {}
    for name, table in _key_tables().items():
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        found[name] = int(cursor.fetchone()[0])
    return found


def audit_head(cursor: Any) -> dict[str, Any] | None:
    """The newest audit entry's sequence number and digest (what `govkpi audit anchor` prints), or None."""
    from govkpi.audit.models import AuditEntry

    cursor.execute(f'SELECT seq, hash FROM "{AuditEntry._meta.db_table}" ORDER BY seq DESC LIMIT 1')
    row = cursor.fetchone()
    return {"seq": int(row[0]), "digest": row[1]} if row else None


def applied_migrations(cursor: Any) -> list[str]:
    cursor.execute('SELECT app, name FROM "django_migrations"')
    return sorted(f"{app}.{name}" for app, name in cursor.fetchall())


def known_migrations() -> set[str]:
    """Every migration this govkpi ships (and Django's own apps it uses)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {f"{app}.{name}" for app, name in loader.disk_migrations}


def key_fingerprint(key: str) -> str:
    return hmac.new(key.encode("utf-8"), _FINGERPRINT_TEXT, hashlib.sha256).hexdigest()


def key_fingerprints() -> list[str]:
    """Fingerprints of the keys audit rows may be signed with here: the retired ones, then the current one."""
    return [key_fingerprint(key) for key in [*settings.AUDIT_RETIRED_KEYS, settings.AUDIT_KEY]]


def key_source() -> str:
    """Which setting the audit key comes from: GOVKPI_AUDIT_KEY, or derived from GOVKPI_SECRET_KEY (or from the
    development key, which is public)."""
    derived = hashlib.sha256(f"audit:{settings.SECRET_KEY}".encode()).hexdigest()
    if settings.AUDIT_KEY != derived:
        return "GOVKPI_AUDIT_KEY"
    return "development" if settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY else "GOVKPI_SECRET_KEY"


def media_files(root: Path) -> list[tuple[str, Path]]:
    """The uploaded files to save (evidence), as (name in the archive, path), the rebuilt open-data files left out."""
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        # Hidden names are temporary files and a restore's staging folder, not uploads.
        hidden = any(part.startswith(".") for part in relative.parts)
        if path.is_file() and relative.parts[0] not in REBUILT_MEDIA and not hidden:
            found.append((f"media/{relative.as_posix()}", path))
    return found


def saved_media_present(root: Path) -> list[Path]:
    """Files under MEDIA_ROOT that a restore would mix with the backup's (anything but the rebuilt files)."""
    return [path for _name, path in media_files(root)]
