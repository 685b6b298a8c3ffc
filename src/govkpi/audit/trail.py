"""Write to and check the audit trail. Every write of the application calls `record` in its transaction."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from govkpi.audit.models import AuditEntry
from govkpi.events.outbox import hold_write_order

GENESIS = "0" * 64
_CHAINED_FIELDS = ("seq", "at", "actor", "action", "object_type", "object_key", "unit", "ip", "before", "after",
                   "prev_hash")


def _key() -> bytes:
    return settings.AUDIT_KEY.encode("utf-8")


def _canonical(values: dict[str, Any]) -> bytes:
    # Dates and decimals serialised one way, keys sorted: the same content always hashes the same.
    return json.dumps(values, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def entry_hash(values: dict[str, Any]) -> str:
    """Return the HMAC-SHA256 of an entry's chained fields (the previous hash among them)."""
    chained = {name: values[name] for name in _CHAINED_FIELDS}
    chained["at"] = chained["at"].isoformat(timespec="microseconds")
    # JSON columns come back from the database with their own key order and number types.
    chained["before"] = json.loads(_canonical(chained["before"]))
    chained["after"] = json.loads(_canonical(chained["after"]))
    return hmac.new(_key(), _canonical(chained), hashlib.sha256).hexdigest()


def _client_ip(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return request.META.get("REMOTE_ADDR", "")[:64]


def record(action: str, *, actor: Any = None, object_type: str = "", object_key: str = "", unit: str = "",
           before: Any = None, after: Any = None, request: HttpRequest | None = None) -> AuditEntry:
    """Append one entry to the trail, in the caller's transaction, chained to the previous one."""
    # No savepoint of its own (two queries on every write): an entry that cannot be written fails the
    # caller's whole transaction, as it should: no write goes unaudited.
    with transaction.atomic(savepoint=False):
        hold_write_order()  # serialises appends on PostgreSQL (SQLite's writers are serialised by its write lock)
        last = AuditEntry.objects.order_by("-seq").values("seq", "hash").first()
        username = getattr(actor, "username", None) or (actor if isinstance(actor, str) else "")
        values = {
            "seq": (last["seq"] + 1) if last else 1,
            "at": timezone.now(),
            "actor": username or "",
            "action": action,
            "object_type": object_type,
            "object_key": str(object_key),
            "unit": unit,
            "ip": _client_ip(request),
            "before": json.loads(_canonical(before)),
            "after": json.loads(_canonical(after)),
            "prev_hash": last["hash"] if last else GENESIS,
        }
        entry = AuditEntry(**values, hash=entry_hash(values))
        entry.save()
        return entry


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems


def verify_trail() -> VerifyReport:
    """Walk the whole trail and return every row that was changed, removed or inserted out of band."""
    report = VerifyReport()
    expected_seq, prev_hash = 1, GENESIS
    for row in AuditEntry.objects.order_by("seq", "id").values(*_CHAINED_FIELDS, "hash", "id").iterator():
        report.checked += 1
        seq = row["seq"]
        if seq > expected_seq:
            report.problems.append(
                f"#{expected_seq}–#{seq - 1}: bị xóa / removed ({seq - expected_seq} rows missing before #{seq})")
        elif seq < expected_seq:
            report.problems.append(f"#{seq}: chèn thêm / inserted (sequence number out of order, row id {row['id']})")
        if entry_hash(row) != row["hash"]:
            report.problems.append(f"#{seq}: bị sửa hoặc chèn / changed or forged (its hash does not match its content)")
        elif row["prev_hash"] != prev_hash:
            report.problems.append(f"#{seq}: chuỗi đứt / chain broken (does not follow the row before it)")
        expected_seq, prev_hash = max(expected_seq, seq + 1), row["hash"]
    return report
