"""Approval of a unit's data for a period: the unit submits, its parent unit approves (and so locks) or returns;
unlocking approved data needs a reason. Levels follow the hierarchy: a commune's data is approved by its
province, a province's and a ministry's by the Government.

Integrity: submitted and approved values are read-only (the writer refuses them); an approval records the
digest of exactly the values it approved (`values_digest`, checked again by `verify`); and whoever entered or
submitted a unit-period's values may not approve them (`APPROVAL_SEPARATION`, on unless set to 0)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from govkpi.accounts.permissions import can
from govkpi.accounts.roles import Action
from govkpi.audit.trail import record
from govkpi.core.periods import parse_period
from govkpi.datavalues import cells
from govkpi.datavalues.models import ApprovalState, DataApproval, DataValue
from govkpi.events.outbox import emit
from govkpi.events.types import ApprovalChanged
from govkpi.orgunits.models import OrgUnit


class ApprovalError(Exception):
    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.code, self.message_vi, self.message_en = code, message_vi, message_en


def _name(actor: Any) -> str:
    return getattr(actor, "username", "") or ""


def approver_unit(unit: OrgUnit) -> OrgUnit:
    """The unit whose approvers decide on `unit`'s data: its parent (the Government approves its own)."""
    return unit.parent or unit


def state_of(unit: OrgUnit, period: str) -> str:
    approval = DataApproval.objects.filter(unit=unit, period=period).first()
    return approval.state if approval else "open"


# Bumped if what goes into the digest ever changes, so that an old digest is never compared with a new recipe.
DIGEST_VERSION = "govkpi-approval-v1"


_DIGEST_FIELDS = ("data_element__code", "value", "comment", "follow_up", "category_option_combo",
                  "attribute_option_combo")


def _canonical(code: str, value: str, comment: str, follow_up: bool, coc: str = "", aoc: str = "") -> list[Any]:
    """A value as the digest reads it: [element code, value, comment, follow-up], then its category and attribute
    option combos only when either is not the default, so that every digest recorded before disaggregation
    (every value was default then) still verifies."""
    return [code, value, comment, follow_up, coc, aoc] if coc or aoc else [code, value, comment, follow_up]


def _canonical_values(unit: OrgUnit, period: str) -> list[list[Any]]:
    """The unit-period's values as `_canonical` writes them."""
    rows = DataValue.objects.filter(unit=unit, period=period).values_list(*_DIGEST_FIELDS)
    return [_canonical(*row) for row in rows]


def digest_of(unit_code: str, period: str, values: list[list[Any]]) -> str:
    """The SHA-256 (hex) of a unit-period's values ([element code, value, comment, follow-up] each, then the
    option combos when not the default: `_canonical`), in canonical order (by element code). The one recipe: approve, the demo data and `record_digests` use it
    (migration 0005 keeps a frozen copy, as migrations must not import code that may change).

    JSON with fixed separators makes the text unambiguous whatever a comment holds (tabs, newlines, quotes)."""
    canonical = sorted([code, value, comment, bool(follow_up), *combos] for code, value, comment, follow_up, *combos
                       in values)
    text = json.dumps([DIGEST_VERSION, unit_code, period, canonical], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def values_digest(unit: OrgUnit, period: str) -> tuple[str, int]:
    """The digest of the unit-period's values as they are now, and how many values there are."""
    values = _canonical_values(unit, period)
    return digest_of(unit.code, period, values), len(values)


def record_digests(approvals: Any, chunk: int = 500) -> int:
    """Record the digest of their current values on approvals created without one (bulk: the demo data),
    reading the values a chunk of unit-periods at a time. Returns how many were recorded."""
    done = 0
    batch: list[DataApproval] = []
    for approval in approvals.select_related("unit").order_by("pk").iterator(chunk_size=chunk):
        batch.append(approval)
        if len(batch) == chunk:
            done += _record_chunk(batch)
            batch = []
    return done + (_record_chunk(batch) if batch else 0)


def _record_chunk(batch: list[DataApproval]) -> int:
    wanted = {(a.unit_id, a.period) for a in batch}
    values: dict[tuple[int, str], list[list[Any]]] = {key: [] for key in wanted}
    rows = (DataValue.objects.filter(unit_id__in={u for u, _p in wanted}, period__in={p for _u, p in wanted})
            .values_list("unit_id", "period", *_DIGEST_FIELDS))
    for unit_id, period, *value in rows:
        if (unit_id, period) in values:
            values[(unit_id, period)].append(_canonical(*value))
    for approval in batch:
        found = values[(approval.unit_id, approval.period)]
        approval.digest, approval.approved_values = digest_of(approval.unit.code, approval.period, found), len(found)
    DataApproval.objects.bulk_update(batch, ["digest", "approved_values"])
    return len(batch)


@dataclass(frozen=True)
class DigestCheck:
    """What `verify` found: the digest recorded at approval and the one the values give now."""

    state: str
    recorded: str
    current: str

    @property
    def intact(self) -> bool:
        """True when the values are still exactly those that were approved."""
        return bool(self.recorded) and self.recorded == self.current


def verify(unit: OrgUnit, period: str) -> DigestCheck:
    """Recompute the digest of the unit-period's values and set it beside the one its approval recorded.

    While approved the values are locked, so a difference means they changed outside the writer."""
    approval = DataApproval.objects.filter(unit=unit, period=period).first()
    current, _count = values_digest(unit, period)
    if approval is None:
        return DigestCheck("open", "", current)
    return DigestCheck(str(approval.state), approval.digest, current)


def entered_by(unit: OrgUnit, period: str) -> set[str]:
    """The user names that entered the unit-period's current values or submitted it (the system's own writes,
    with no account, name nobody)."""
    names = set(DataValue.objects.filter(unit=unit, period=period).values_list("stored_by", flat=True).distinct())
    submitted = DataApproval.objects.filter(unit=unit, period=period).values_list("submitted_by", flat=True).first()
    names.add(submitted or "")
    names.discard("")
    return names


def _change(approval: DataApproval, actor: Any, action: str, before: str) -> DataApproval:
    after: dict[str, Any] = {"state": approval.state, "reason": approval.reason}
    if action == "approve":  # the trail's chain keeps every approval's digest, even after an unlock
        after.update(digest=approval.digest, values=approval.approved_values)
    record(f"approval.{action}", actor=actor, object_type="DataApproval",
           object_key=f"{approval.unit.code}/{approval.period}", unit=approval.unit.code,
           before={"state": before}, after=after)
    emit(ApprovalChanged(state=str(approval.state), action=action), units=[approval.unit.code],
         periods=[approval.period])
    return approval


ACTIONS = ("submit", "approve", "return", "unlock")


def act(action: str, unit: OrgUnit, period: str, actor: Any, reason: str = "") -> DataApproval:
    """One approval step by name (submit, approve, return, unlock), for the page and the API alike."""
    steps = {"submit": lambda: submit(unit, period, actor), "approve": lambda: approve(unit, period, actor),
             "return": lambda: return_to_unit(unit, period, actor, reason),
             "unlock": lambda: unlock(unit, period, actor, reason)}
    if action not in steps:
        raise ApprovalError("bad_action", "Hành động phải là submit, approve, return hoặc unlock.",
                            "action must be submit, approve, return or unlock.")
    return steps[action]()


@transaction.atomic
def submit(unit: OrgUnit, period: str, actor: Any) -> DataApproval:
    """The unit's data entry staff send the period up for approval."""
    period = parse_period(period).id  # the writer's identifier: "2026-11" is 202611's cell, row and digest
    if not can(actor, Action.ENTER, unit):
        raise PermissionDenied(f"Không có quyền gửi số liệu của {unit.code}. / Not allowed to submit {unit.code}'s data.")
    cells.hold([(unit.id, period)])  # no write of this cell is in flight while its state changes
    approval, _created = DataApproval.objects.select_for_update().get_or_create(
        unit=unit, period=period, defaults={"state": ApprovalState.SUBMITTED})
    before = "open" if _created else approval.state
    if not _created and approval.state in (ApprovalState.SUBMITTED, ApprovalState.APPROVED):
        raise ApprovalError("already_" + approval.state, f"Số liệu đã ở trạng thái «{approval.get_state_display()}».",
                            f"The data is already {approval.state}.")
    approval.state, approval.submitted_by, approval.submitted_at = ApprovalState.SUBMITTED, _name(actor), timezone.now()
    approval.reason = ""
    approval.save()
    return _change(approval, actor, "submit", before)


def _decide(unit: OrgUnit, period: str, actor: Any) -> DataApproval:
    """The approval row of a submitted unit-period, held; `period` already the canonical identifier."""
    if not can(actor, Action.APPROVE, approver_unit(unit)):
        raise PermissionDenied(f"Chỉ cấp trên của {unit.code} được phê duyệt. / Only {unit.code}'s parent unit approves.")
    cells.hold([(unit.id, period)])  # no write of this cell is in flight while its state changes
    approval = DataApproval.objects.select_for_update().filter(unit=unit, period=period).first()
    if approval is None:
        raise ApprovalError("not_submitted", "Đơn vị chưa gửi số liệu kỳ này.", "The unit has not submitted this period.")
    return approval


@transaction.atomic
def approve(unit: OrgUnit, period: str, actor: Any) -> DataApproval:
    """The parent unit approves: the unit's values for the period are locked."""
    period = parse_period(period).id
    approval = _decide(unit, period, actor)
    if approval.state != ApprovalState.SUBMITTED:
        raise ApprovalError("not_submitted", "Chỉ phê duyệt được số liệu đã gửi.", "Only submitted data can be approved.")
    _separate_duties(unit, period, actor)
    approval.digest, approval.approved_values = values_digest(unit, period)
    approval.state, approval.decided_by, approval.decided_at = ApprovalState.APPROVED, _name(actor), timezone.now()
    approval.save()
    return _change(approval, actor, "approve", ApprovalState.SUBMITTED)


def _separate_duties(unit: OrgUnit, period: str, actor: Any) -> None:
    """Refuse an approver who entered or submitted the values (unless the setting relaxes the rule)."""
    if not settings.APPROVAL_SEPARATION:
        return
    name = _name(actor)
    if name and name in entered_by(unit, period):
        raise ApprovalError(
            "separation_of_duties",
            f"Người đã nhập hoặc gửi số liệu kỳ {period} của {unit.code} không được tự phê duyệt; "
            "cần một người phê duyệt khác.",
            f"Whoever entered or submitted {unit.code}'s data for {period} may not approve it; "
            "another approver must.")


@transaction.atomic
def return_to_unit(unit: OrgUnit, period: str, actor: Any, reason: str) -> DataApproval:
    """The parent unit sends submitted data back, saying why."""
    period = parse_period(period).id
    approval = _decide(unit, period, actor)
    if approval.state != ApprovalState.SUBMITTED or not reason.strip():
        raise ApprovalError("reason_required", "Trả lại số liệu đã gửi cần nêu lý do.",
                            "Returning submitted data needs a reason.")
    approval.state, approval.decided_by, approval.decided_at = ApprovalState.RETURNED, _name(actor), timezone.now()
    approval.reason = reason.strip()
    approval.save()
    return _change(approval, actor, "return", ApprovalState.SUBMITTED)


@transaction.atomic
def unlock(unit: OrgUnit, period: str, actor: Any, reason: str) -> DataApproval:
    """The parent unit unlocks approved data, with a reason that stays in the trail."""
    period = parse_period(period).id
    approval = _decide(unit, period, actor)
    if approval.state != ApprovalState.APPROVED:
        raise ApprovalError("not_approved", "Số liệu chưa được phê duyệt.", "The data is not approved.")
    if not reason.strip():
        raise ApprovalError("reason_required", "Mở khóa cần nêu lý do.", "Unlocking needs a reason.")
    approval.state, approval.decided_by, approval.decided_at = ApprovalState.UNLOCKED, _name(actor), timezone.now()
    approval.reason = reason.strip()
    approval.save()
    return _change(approval, actor, "unlock", ApprovalState.APPROVED)
