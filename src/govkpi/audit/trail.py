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

from govkpi.audit.anchor import Anchor
from govkpi.audit.context import current_actor, current_request
from govkpi.audit.models import AuditEntry
from govkpi.events.outbox import hold_write_order

GENESIS = "0" * 64
_CHAINED_FIELDS = ("seq", "at", "actor", "action", "object_type", "object_key", "unit", "ip", "before", "after",
                   "prev_hash")


def _keys() -> list[bytes]:
    """The keys rows may be signed with, oldest first: the retired ones (GOVKPI_AUDIT_RETIRED_KEYS), then the
    current one (GOVKPI_AUDIT_KEY), which signs every new row."""
    return [key.encode("utf-8") for key in [*settings.AUDIT_RETIRED_KEYS, settings.AUDIT_KEY]]


def _canonical(values: dict[str, Any]) -> bytes:
    # Dates and decimals serialised one way, keys sorted: the same content always hashes the same.
    return json.dumps(values, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def entry_hash(values: dict[str, Any], key: bytes | None = None) -> str:
    """Return the HMAC-SHA256 of an entry's chained fields (the previous hash among them), by default with the
    current key."""
    chained = {name: values[name] for name in _CHAINED_FIELDS}
    chained["at"] = chained["at"].isoformat(timespec="microseconds")
    # JSON columns come back from the database with their own key order and number types.
    chained["before"] = json.loads(_canonical(chained["before"]))
    chained["after"] = json.loads(_canonical(chained["after"]))
    return hmac.new(key if key is not None else _keys()[-1], _canonical(chained), hashlib.sha256).hexdigest()


def _client_ip(request: HttpRequest | None) -> str:
    request = request if request is not None else current_request()
    if request is None:
        return ""
    from govkpi.core.clientaddr import client_address

    return client_address(request)


def record(action: str, *, actor: Any = None, object_type: str = "", object_key: str = "", unit: str = "",
           before: Any = None, after: Any = None, request: HttpRequest | None = None) -> AuditEntry:
    """Append one entry to the trail, in the caller's transaction, chained to the previous one.

    Without `request`, the client address is the current request's (audit.context); without `actor`, the actor
    is the one named by `acting_as` or the current request's user. `actor=""` says "nobody" on purpose."""
    # No savepoint of its own (two queries on every write): an entry that cannot be written fails the
    # caller's whole transaction, as it should: no write goes unaudited.
    with transaction.atomic(savepoint=False):
        hold_write_order()  # serialises appends on PostgreSQL (SQLite's writers are serialised by its write lock)
        last = AuditEntry.objects.order_by("-seq").values("seq", "hash").first()
        if actor is None:
            actor = current_actor()
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


def head_anchor() -> Anchor | None:
    """The sequence number and digest of the newest row, or None while the trail is empty."""
    head = AuditEntry.objects.order_by("-seq").values("seq", "hash").first()
    return Anchor(head["seq"], head["hash"]) if head else None


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems


def _signing_key(row: dict[str, Any], keys: list[bytes]) -> int | None:
    """The index of the key that signed `row` (oldest first), or None when no known key did."""
    for index in range(len(keys) - 1, -1, -1):
        if hmac.compare_digest(entry_hash(row, keys[index]), row["hash"]):
            return index
    return None


def verify_trail(expect: Anchor | None = None) -> VerifyReport:
    """Walk the whole trail and return every row that was changed, removed or inserted out of band; with an
    anchor kept from before, also rows removed from the end (or the whole trail emptied)."""
    report = VerifyReport()
    keys = _keys()
    expected_seq, prev_hash, key_index, anchored = 1, GENESIS, 0, None
    for row in AuditEntry.objects.order_by("seq", "id").values(*_CHAINED_FIELDS, "hash", "id").iterator():
        report.checked += 1
        seq = row["seq"]
        if seq > expected_seq:
            report.problems.append(
                f"#{expected_seq}–#{seq - 1}: bị xóa / removed ({seq - expected_seq} rows missing before #{seq})")
        elif seq < expected_seq:
            report.problems.append(f"#{seq}: chèn thêm / inserted (sequence number out of order, row id {row['id']})")
        signed_by = _signing_key(row, keys)
        if signed_by is None:
            report.problems.append(f"#{seq}: bị sửa hoặc chèn / changed or forged (its hash does not match its content)")
        elif signed_by < key_index:
            # Keys only move forward: a row signed with a retired key after rows of a newer one was forged by
            # whoever kept the retired key.
            report.problems.append(f"#{seq}: ký bằng khóa đã thay / signed with a retired key after the rotation")
        elif row["prev_hash"] != prev_hash:
            report.problems.append(f"#{seq}: chuỗi đứt / chain broken (does not follow the row before it)")
        if signed_by is not None:
            key_index = max(key_index, signed_by)
        if expect is not None and seq == expect.seq:
            anchored = row["hash"]
        expected_seq, prev_hash = max(expected_seq, seq + 1), row["hash"]
    if expect is not None:
        report.problems.extend(_anchor_problems(expect, report.checked, expected_seq - 1, anchored))
    return report


def _anchor_problems(expect: Anchor, checked: int, head_seq: int, anchored: str | None) -> list[str]:
    if checked == 0:
        return [f"#1–#{expect.seq}: nhật ký trống / trail emptied (the anchor names row #{expect.seq})"]
    if head_seq < expect.seq:
        return [(f"#{head_seq + 1}–#{expect.seq}: bị cắt cuối / truncated (the newest row is #{head_seq}, "
                 f"the anchor names #{expect.seq})")]
    if anchored is None:
        return [f"#{expect.seq}: bị xóa / removed (the row the anchor names is missing)"]
    if not hmac.compare_digest(anchored, expect.digest):
        return [f"#{expect.seq}: khác mốc / differs from the anchor (the trail was rewritten from there or before)"]
    return []
