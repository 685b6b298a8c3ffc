"""The approval loop as people read it: the submissions waiting for an approver, what changed in each since the
period before, its review flags, and the last decision on a unit's period (the return reason the official sees).

Who may decide is `datavalues.approval`'s rule (`approver_unit` and the APPROVE action); this module only finds
the submitted rows that rule lets the viewer decide, and reads their values through the read door
(`Viewer.values()`): an approver reads the units it approves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import get_language, gettext

from govkpi.accounts.permissions import can, units_where
from govkpi.accounts.roles import Action
from govkpi.core.outliers import big_change, is_outlier
from govkpi.core.periods import PeriodError, parse_period
from govkpi.datavalues import approval as approval_rule
from govkpi.datavalues.models import ApprovalState, DataApproval, DataValue
from govkpi.datavalues.rules import parsed_rules
from govkpi.orgunits.models import OrgUnit
from govkpi.reads.visibility import Viewer

WAITING_SHOWN = 100  # rows on one page of the inbox; the count says how many wait in all
OUTLIER_HISTORY = 12  # the writer looks at the unit's last twelve values of the element, so does the review


@dataclass(frozen=True)
class ElementChange:
    """One data element of a submission: its value this period and the period before, and the change in %."""

    code: str
    name: str
    value: float | None
    previous: float | None
    follow_up: bool = False
    outlier: bool = False

    @property
    def change_pct(self) -> float | None:
        """(value − previous) / |previous| × 100; None when either is missing or the previous is zero."""
        if self.value is None or self.previous is None or self.previous == 0:
            return None
        return (self.value - self.previous) / abs(self.previous) * 100


@dataclass
class Waiting:
    """A submission waiting for the viewer's decision, with what the approver reviews before deciding."""

    approval: DataApproval
    unit: OrgUnit
    period_label: str
    previous_label: str
    changes: list[ElementChange] = field(default_factory=list)
    rule_breaks: list[str] = field(default_factory=list)

    @property
    def flags(self) -> list[str]:
        """The review flags in words (the active language): values flagged for follow-up, outliers (or, with little
        history, a change by half or more since the period before), values reported before and missing now,
        broken rules."""
        found = [gettext("Cần xem lại: %(name)s") % {"name": c.name} for c in self.changes if c.follow_up]
        found += [gettext("Khác xa các kỳ trước: %(name)s") % {"name": c.name} for c in self.changes if c.outlier]
        found += [gettext("Thay đổi lớn so với kỳ trước: %(name)s") % {"name": c.name}
                  for c in self.changes if not c.outlier and big_change(c.value, c.previous)]
        found += [gettext("Kỳ trước có, kỳ này chưa có số liệu: %(name)s") % {"name": c.name}
                  for c in self.changes if c.value is None and c.previous is not None]
        return found + [gettext("Vi phạm quy tắc: %(rule)s") % {"rule": text} for text in self.rule_breaks]


@dataclass
class Inbox:
    """What waits for an approver: the rows shown (oldest submission first) and how many wait in all."""

    rows: list[Waiting]
    total: int


def full_name(unit: OrgUnit) -> str:
    """The unit's name with its parent's ("Phường Ba Đình, Thành phố Hà Nội"); the Government and the ministries
    stand alone."""
    parent = unit.parent
    return f"{unit.name}, {parent.name}" if parent is not None and parent.parent_id else unit.name


def decidable(user: Any, unit: OrgUnit) -> bool:
    """True when the user may approve or return the unit's data (approval.py's rule)."""
    return can(user, Action.APPROVE, approval_rule.approver_unit(unit))


def waiting_for(user: Any, limit: int = WAITING_SHOWN) -> Inbox:
    """The submitted unit-periods the user may decide, oldest submission first, each reviewed."""
    # Every unit whose approver unit lies in an APPROVE subtree lies in it too, so the subtree narrows the rows
    # in SQL; approval.py's own rule then decides each one.
    candidates = (DataApproval.objects.filter(state=ApprovalState.SUBMITTED)
                  .filter(unit__in=OrgUnit.objects.filter(units_where(user, Action.APPROVE)))
                  .select_related("unit__parent").order_by("submitted_at", "id"))
    mine = [a for a in candidates if decidable(user, a.unit)]
    shown = mine[:limit]
    return Inbox(rows=review(Viewer(user), shown), total=len(mine))


def waiting_count(user: Any) -> int:
    """How many submissions wait for the user's decision."""
    return waiting_for(user, limit=0).total


def _english() -> bool:
    """True when the page is read in English (the names, periods and rules of a row follow the interface)."""
    return get_language() == "en"


def _period_pair(period: str) -> tuple[str, str, str, str]:
    try:
        parsed = parse_period(period)
    except PeriodError:
        return period, "", period, ""
    before = parsed.previous()
    if _english():
        return parsed.id, before.id, parsed.label_en, before.label_en
    return parsed.id, before.id, parsed.label_vi, before.label_vi


def review(viewer: Viewer, approvals: list[DataApproval]) -> list[Waiting]:
    """Each approval's changes since the period before and its flags, read in a few queries for all of them."""
    if not approvals:
        return []
    pairs = {a.pk: _period_pair(a.period) for a in approvals}
    units = {a.unit_id for a in approvals}
    periods = {p for this, before, _l, _p in pairs.values() for p in (this, before)}
    totals, flagged, names = _totals(viewer, units, periods)
    history = _history(viewer, approvals)
    rules = parsed_rules()
    rows = []
    for a in approvals:
        this, before, label, before_label = pairs[a.pk]
        now, then = totals.get((a.unit_id, this), {}), totals.get((a.unit_id, before), {})
        changes = [ElementChange(code, names[code], now.get(code), then.get(code),
                                 follow_up=(a.unit_id, this, code) in flagged,
                                 outlier=now.get(code) is not None
                                 and is_outlier(now[code], history.get((a.unit_id, code, this), [])))
                   for code in sorted(set(now) | set(then), key=lambda c: names[c])]
        breaks = []
        for rule in rules:
            broken = rule.broken(now)
            if broken is not None:
                said = (rule.rule.message_en if _english() else "") or rule.rule.message_vi
                breaks.append(f"{said} ({rule.rule.left} = {broken[0]:g}, "
                              f"{rule.rule.right} = {broken[1]:g})")
        rows.append(Waiting(a, a.unit, label, before_label, changes, breaks))
    return rows


def _totals(viewer: Viewer, units: set[int], periods: set[str]) -> tuple[dict, set, dict[str, str]]:
    """Element totals by (unit, period) → {code: number}, the flagged (unit, period, code), and element names."""
    rows = (DataValue.objects.filter(viewer.values()).filter(unit_id__in=units, period__in=periods)
            .values_list("unit_id", "period", "data_element__code", "data_element__name_vi", "data_element__name_en",
                         "number", "follow_up"))
    totals: dict[tuple[int, str], dict[str, float | None]] = defaultdict(dict)
    flagged: set[tuple[int, str, str]] = set()
    names: dict[str, str] = {}
    english = _english()
    for unit_id, period, code, name, name_en, number, follow_up in rows:
        names[code] = (name_en if english else "") or name
        cell = totals[(unit_id, period)]
        if number is not None:
            cell[code] = (cell.get(code) or 0.0) + number
        else:
            cell.setdefault(code, None)
        if follow_up:
            flagged.add((unit_id, period, code))
    return totals, flagged, names


def _history(viewer: Viewer, approvals: list[DataApproval]) -> dict[tuple[int, str, str], list[float]]:
    """For each approval's unit and element, the totals of up to OUTLIER_HISTORY earlier periods (oldest first),
    keyed by (unit, element code, the approval's period)."""
    wanted: dict[int, list[tuple[str, Any]]] = defaultdict(list)
    for a in approvals:
        try:
            wanted[a.unit_id].append((a.period, parse_period(a.period).start))
        except PeriodError:
            continue
    if not wanted:
        return {}
    latest = max(start for starts in wanted.values() for _p, start in starts)
    rows = (DataValue.objects.filter(viewer.values()).filter(unit_id__in=list(wanted), period_end__lt=latest)
            .values_list("unit_id", "data_element__code", "period", "period_end", "number"))
    series: dict[tuple[int, str], dict[str, tuple[Any, float]]] = defaultdict(dict)
    for unit_id, code, period, end, number in rows:
        if number is None:
            continue
        had = series[(unit_id, code)].get(period)
        series[(unit_id, code)][period] = (end, number + (had[1] if had else 0.0))
    history: dict[tuple[int, str, str], list[float]] = {}
    for (unit_id, code), by_period in series.items():
        ordered = sorted(by_period.values())
        for period, start in wanted.get(unit_id, []):
            earlier = [n for end, n in ordered if end < start]
            history[(unit_id, code, period)] = earlier[-OUTLIER_HISTORY:]
    return history


@dataclass(frozen=True)
class Decision:
    """The last decision on a unit's period as the official reads it: returned (or unlocked), why, who, when."""

    state: str
    reason: str
    by: str  # the decider's full name, else the user name
    at: Any


def last_decision(unit: OrgUnit, period: str) -> Decision | None:
    """The return (or unlock) the unit's people must act on, or None while nothing was sent back."""
    try:
        period = parse_period(period).id
    except PeriodError:
        return None
    row = DataApproval.objects.filter(unit=unit, period=period).first()
    if row is None or row.state not in (ApprovalState.RETURNED, ApprovalState.UNLOCKED) or not row.reason:
        return None
    person = get_user_model().objects.filter(username=row.decided_by).first() if row.decided_by else None
    name = (person.get_full_name() or person.get_username()) if person is not None else row.decided_by
    return Decision(str(row.state), row.reason, name, row.decided_at)


def returned_to(user: Any, limit: int = 50) -> list[tuple[DataApproval, str]]:
    """Unit-periods returned to units where the user enters data (newest decision first), with the unit's full
    name: what the official must correct and submit again."""
    rows = (DataApproval.objects.filter(state=ApprovalState.RETURNED)
            .filter(Q(unit__in=OrgUnit.objects.filter(units_where(user, Action.ENTER))))
            .select_related("unit__parent").order_by("-decided_at", "-id")[:limit])
    return [(row, full_name(row.unit)) for row in rows]
