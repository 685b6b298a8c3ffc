"""The one way values are written, whatever the channel (web form, JSON API, DHIS2 API, Excel, CSV, CLI).

`write_values` checks every item (metadata, period, unit, scope, reporting window, lock, type and range,
duplicates in the batch, validation rules, outliers), then writes in one transaction: new values, changed
values with their previous state in the history, deletions, one import batch row, one audit entry and one
change event. Writing a value that is already there changes nothing and is counted as unchanged.

Atomic (the default): one refused item refuses the whole batch and nothing is written. Not atomic
(DHIS2's atomicMode=NONE): the good items are written, the refused ones reported.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from govkpi.accounts.permissions import can
from govkpi.accounts.roles import Action
from govkpi.audit.trail import record
from govkpi.core.formulas import FormulaError, evaluate, parse_formula
from govkpi.core.outliers import is_outlier
from govkpi.core.periods import Period, PeriodError, parse_period
from govkpi.core.values import ValueProblem, read_value
from govkpi.core.windows import Window, default_window
from govkpi.datavalues.models import (ApprovalState, DataApproval, DataValue, DataValueHistory, HistoryKind,
                                      ImportBatch, ReportingWindow, ValidationRule)
from govkpi.events.outbox import emit
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.resolve import resolve_unit

CHUNK = 2000
# Above this many items the outlier check (one history query per chunk) is skipped and the summary says so.
OUTLIER_CHECK_LIMIT = 20_000
MAX_COMMENT = 2000
_FREQUENCY_PERIOD = {"daily": "daily", "weekly": "weekly", "monthly": "monthly", "quarterly": "quarterly",
                     "sixmonthly": "sixmonthly", "yearly": "yearly"}


class Strategy(str, Enum):
    CREATE_AND_UPDATE = "CREATE_AND_UPDATE"
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


@dataclass(slots=True)
class Item:
    """One value as submitted, before any check; `index` is its position in the payload (0-based)."""

    index: int
    data_element: str
    period: str
    unit: str
    value: Any = None
    comment: str | None = None
    follow_up: bool | None = None
    deleted: bool = False
    row: int | None = None  # the row in a file, for people


@dataclass
class Conflict:
    """A refused item (or, with warning=True, an accepted one that needs attention)."""

    index: int
    field: str
    code: str
    message_vi: str
    message_en: str
    object: str = ""
    indexes: list[int] = field(default_factory=list)
    row: int | None = None
    warning: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "row": self.row, "field": self.field, "code": self.code,
                "object": self.object, "message": self.message_vi, "message_en": self.message_en,
                "indexes": self.indexes or [self.index], "warning": self.warning}


@dataclass
class WriteResult:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    warnings: list[Conflict] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    dry_run: bool = False
    atomic: bool = True
    written: bool = False
    batch_id: int | None = None

    @property
    def rejected(self) -> int:
        """Items not taken: every item when an atomic batch was refused, else the refused ones."""
        if self.atomic and self.conflicts:
            return self.total
        return len({i for c in self.conflicts for i in (c.indexes or [c.index])})

    @property
    def status(self) -> str:
        """DHIS2's words: ERROR when nothing was taken because of conflicts, WARNING when some were, else SUCCESS."""
        if self.conflicts and (self.atomic or self.rejected == self.total):
            return "ERROR"
        return "WARNING" if self.conflicts or self.warnings else "SUCCESS"

    def counts(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "deleted": self.deleted, "rejected": self.rejected}

    def summary(self) -> str:
        verb = "kiểm tra (không ghi) / dry run" if self.dry_run else ("đã ghi / written" if self.written
                                                                        else "không ghi gì / nothing written")
        return (f"{verb}: {self.created} mới/created, {self.updated} sửa/updated, {self.unchanged} không đổi/unchanged, "
                f"{self.deleted} xóa/deleted, {self.rejected} từ chối/rejected")


@dataclass(slots=True)
class _Checked:
    item: Item
    element: DataElement
    unit: OrgUnit
    period: Period
    value: str = ""
    number: float | None = None
    follow_up: bool = False

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.element.id, self.unit.id, self.period.id)


class _Context:
    """Metadata looked up once per batch: elements, units (by code and by written name), periods, scope."""

    def __init__(self, actor: Any, today: datetime.date, check_windows: bool) -> None:
        self.actor = actor
        self.today = today
        self.check_windows = check_windows
        self.elements = {e.code: e for e in DataElement.objects.all()}
        self.units: dict[str, OrgUnit | None] = {}
        self.periods: dict[str, Period | PeriodError] = {}
        self.allowed: dict[int, bool] = {}
        self.names: dict[tuple[str, datetime.date], Any] = {}
        self.windows = list(ReportingWindow.objects.select_related("unit"))
        self.locked: set[tuple[int, str]] = set()

    def load_units(self, codes: Iterable[str]) -> None:
        wanted = [c for c in set(codes) if c not in self.units]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            found = {u.code: u for u in OrgUnit.objects.filter(code__in=chunk)}
            for code in chunk:
                self.units[code] = found.get(code)

    def load_locks(self, unit_ids: set[int], period_ids: set[str]) -> None:
        ids = list(unit_ids)
        for start in range(0, len(ids), 500):
            self.locked.update(DataApproval.objects.filter(
                unit_id__in=ids[start:start + 500], period__in=list(period_ids), state=ApprovalState.APPROVED,
            ).values_list("unit_id", "period"))

    def period(self, text: str) -> Period | PeriodError:
        if text not in self.periods:
            try:
                self.periods[text] = parse_period(text)
            except PeriodError as error:
                self.periods[text] = error
        return self.periods[text]

    def may_enter(self, unit: OrgUnit) -> bool:
        if self.actor is None:
            return True  # the system itself (reference data, the command line): no account to narrow
        if unit.id not in self.allowed:
            self.allowed[unit.id] = can(self.actor, Action.ENTER, unit)
        return self.allowed[unit.id]

    def window(self, unit: OrgUnit, period: Period) -> Window:
        state = default_window(period, self.today, settings.REPORTING_CLOSES_AFTER_DAYS)
        if state is Window.FUTURE:
            return state
        for window in self.windows:  # oldest first: the last matching decision wins
            if window.period == period.id and (window.unit is None or unit.is_within(window.unit)):
                state = Window(window.state)
        return state


def _refuse(item: Item, field_name: str, code: str, vi: str, en: str, obj: Any = "") -> Conflict:
    return Conflict(item.index, field_name, code, vi, en, str(obj) if obj is not None else "", row=item.row)


def _resolve_unit(context: _Context, item: Item, period: Period, warnings: list[Conflict]) -> OrgUnit | Conflict:
    unit = context.units.get(item.unit)
    if unit is not None:
        return unit
    # Not a code: a name as people write it, read as of the period's last day (old names of merged units too).
    key = (item.unit, period.end)
    if key not in context.names:
        context.names[key] = resolve_unit(item.unit, on=period.end)
    resolution = context.names[key]
    if not resolution.found:
        return _refuse(item, "orgUnit", resolution.outcome.value, resolution.message_vi or
                       f"Không tìm thấy đơn vị «{item.unit}».", resolution.message_en or
                       f"No unit «{item.unit}».", item.unit)
    if resolution.matched is not None:
        warnings.append(Conflict(item.index, "orgUnit", "unit_succeeded", resolution.message_vi,
                                 resolution.message_en, item.unit, row=item.row, warning=True))
    return resolution.unit


def _check_item(context: _Context, item: Item, strategy: Strategy,
                warnings: list[Conflict]) -> _Checked | Conflict:
    element = context.elements.get(item.data_element)
    if element is None:
        return _refuse(item, "dataElement", "unknown_data_element", f"Không có chỉ tiêu dữ liệu mã «{item.data_element}».",
                       f"No data element with code «{item.data_element}».", item.data_element)
    period = context.period(item.period)
    if isinstance(period, PeriodError):
        return _refuse(item, "period", period.code, period.message_vi, period.message_en, item.period)
    expected = _FREQUENCY_PERIOD.get(element.frequency)
    if expected and period.type.value != expected:
        return _refuse(item, "period", "period_type_mismatch",
                       f"Chỉ tiêu {element.code} báo cáo theo kỳ «{element.get_frequency_display()}», không nhận kỳ {period.id}.",
                       f"{element.code} is reported {expected}; period {period.id} does not fit.", item.period)
    unit = _resolve_unit(context, item, period, warnings)
    if isinstance(unit, Conflict):
        return unit
    if not unit.valid_on(period.end):
        return _refuse(item, "orgUnit", "unit_not_in_force",
                       f"Đơn vị {unit.code} ({unit.name}) không còn/chưa tồn tại vào cuối kỳ {period.id}.",
                       f"Unit {unit.code} ({unit.name}) did not exist at the end of period {period.id}.", item.unit)
    if element.unit_kinds and unit.kind not in element.unit_kinds:
        return _refuse(item, "orgUnit", "unit_kind_not_reporting",
                       f"Cấp «{unit.get_kind_display()}» không báo cáo chỉ tiêu {element.code}.",
                       f"Units of kind {unit.kind} do not report {element.code}.", item.unit)
    if not context.may_enter(unit):
        return _refuse(item, "orgUnit", "forbidden", f"Không có quyền nhập số liệu cho {unit.code} ({unit.name}).",
                       f"Not allowed to enter data for {unit.code} ({unit.name}).", item.unit)
    if context.check_windows:
        window = context.window(unit, period)
        if window is Window.FUTURE:
            return _refuse(item, "period", "future_period", f"Kỳ {period.id} chưa bắt đầu: không nhận số liệu tương lai.",
                           f"Period {period.id} has not started: future values are refused.", item.period)
        if window is Window.CLOSED:
            return _refuse(item, "period", "period_closed",
                           f"Kỳ {period.id} đã đóng; đề nghị cấp phê duyệt mở lại.",
                           f"Period {period.id} is closed; ask the approver to reopen it.", item.period)
    if item.comment and len(item.comment) > MAX_COMMENT:
        return _refuse(item, "comment", "comment_too_long", f"Ghi chú dài quá {MAX_COMMENT} ký tự.",
                       f"The comment is longer than {MAX_COMMENT} characters.")
    checked = _Checked(item, element, unit, period, follow_up=bool(item.follow_up))
    if item.deleted or strategy is Strategy.DELETE:
        return checked
    try:
        checked.value, checked.number = read_value(element.value_type, item.value, element.minimum, element.maximum)
    except ValueProblem as problem:
        return _refuse(item, "value", problem.code, problem.message_vi, problem.message_en, item.value)
    return checked


def _existing(keys: Sequence[tuple[int, int, str]]) -> dict[tuple[int, int, str], dict[str, Any]]:
    """The stored values for the keys, by key."""
    found: dict[tuple[int, int, str], dict[str, Any]] = {}
    wanted = set(keys)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        rows = DataValue.objects.filter(
            data_element_id__in={k[0] for k in chunk}, unit_id__in={k[1] for k in chunk},
            period__in={k[2] for k in chunk},
        ).values("id", "data_element_id", "unit_id", "period", "value", "number", "comment", "follow_up",
                 "stored_by", "updated_at")
        for row in rows.iterator(chunk_size=CHUNK):
            key = (row["data_element_id"], row["unit_id"], row["period"])
            if key in wanted:
                found[key] = row
    return found


def _check_outliers(checked: list[_Checked], warnings: list[Conflict]) -> None:
    """Flag values far from the unit's own history and ask for a comment; nothing is refused here."""
    numeric = [c for c in checked if c.number is not None and not c.item.deleted]
    pairs = {(c.element.id, c.unit.id) for c in numeric}
    history: dict[tuple[int, int], list[tuple[datetime.date, float]]] = defaultdict(list)
    pair_list = list(pairs)
    for start in range(0, len(pair_list), 500):
        chunk = pair_list[start:start + 500]
        query = Q()
        for element_id, unit_id in chunk:
            query |= Q(data_element_id=element_id, unit_id=unit_id)
        for element_id, unit_id, end, number in DataValue.objects.filter(query, number__isnull=False).values_list(
                "data_element_id", "unit_id", "period_end", "number"):
            history[(element_id, unit_id)].append((end, number))
    for c in numeric:
        earlier = sorted((end, n) for end, n in history.get((c.element.id, c.unit.id), []) if end < c.period.start)
        if is_outlier(c.number, [n for _end, n in earlier[-12:]]) and not (c.item.comment or "").strip():
            c.follow_up = True
            warnings.append(Conflict(
                c.item.index, "value", "outlier_needs_comment",
                f"Giá trị {c.value} khác xa các kỳ trước của {c.unit.code}: đề nghị ghi chú giải thích (đã đánh dấu cần xem lại).",
                f"Value {c.value} is far from {c.unit.code}'s earlier periods: please add a comment (flagged for follow-up).",
                c.value, row=c.item.row, warning=True))


def _check_rules(checked: list[_Checked], conflicts: list[Conflict]) -> set[int]:
    """Apply the validation rules to every (unit, period) the batch touches; return the refused item indexes."""
    rules = []
    for rule in ValidationRule.objects.all():
        try:
            rules.append((rule, parse_formula(rule.left), parse_formula(rule.right)))
        except FormulaError:
            continue  # the catalog refuses such rules on the way in
    if not rules:
        return set()
    referenced = {code for _r, left, right in rules for code in left.references | right.references}
    element_ids = {e.code: e.id for e in DataElement.objects.filter(code__in=referenced)}
    cells: dict[tuple[int, str], list[_Checked]] = defaultdict(list)
    for c in checked:
        if c.element.code in referenced:
            cells[(c.unit.id, c.period.id)].append(c)
    if not cells:
        return set()
    values: dict[tuple[int, str], dict[str, float | None]] = defaultdict(dict)
    codes_by_id = {v: k for k, v in element_ids.items()}
    cell_list = list(cells)
    for start in range(0, len(cell_list), 500):
        chunk = cell_list[start:start + 500]
        for element_id, unit_id, period, number in DataValue.objects.filter(
                data_element_id__in=list(element_ids.values()), unit_id__in={u for u, _p in chunk},
                period__in={p for _u, p in chunk}).values_list("data_element_id", "unit_id", "period", "number"):
            if (unit_id, period) in cells:
                values[(unit_id, period)][codes_by_id[element_id]] = number
    refused: set[int] = set()
    compare = {"<=": float.__le__, "<": float.__lt__, "==": float.__eq__, ">=": float.__ge__, ">": float.__gt__}
    for cell, members in cells.items():
        cell_values = values[cell]
        for c in members:
            cell_values[c.element.code] = None if c.item.deleted else c.number
        for rule, left, right in rules:
            a, b = evaluate(left, cell_values), evaluate(right, cell_values)
            if a is None or b is None or compare[rule.operator](float(a), float(b)):
                continue
            involved = [c for c in members if c.element.code in left.references | right.references]
            indexes = [c.item.index for c in involved]
            for c in involved:
                conflicts.append(Conflict(c.item.index, "value", f"rule:{rule.code}",
                                          f"{rule.message_vi} ({rule.left} = {a:g}, {rule.right} = {b:g})",
                                          f"{rule.message_en} ({rule.left} = {a:g}, {rule.right} = {b:g})",
                                          c.value, indexes=indexes, row=c.item.row))
                refused.add(c.item.index)
    return refused


def write_values(items: Iterable[Item], *, actor: Any, channel: str, strategy: Strategy = Strategy.CREATE_AND_UPDATE,
                 atomic: bool = True, dry_run: bool = False, filename: str = "", check_windows: bool = True,
                 today: datetime.date | None = None, refused: Sequence[Conflict] = ()) -> WriteResult:
    """Check and write a batch of values; see the module's docstring. `refused`: items a file reader already
    refused (they count as part of the batch: an atomic batch with any of them writes nothing)."""
    items = list(items)
    result = WriteResult(total=len(items) + len(refused), dry_run=dry_run, atomic=atomic, conflicts=list(refused))
    context = _Context(actor, today or timezone.localdate(), check_windows)
    context.load_units(i.unit for i in items)
    checked: list[_Checked] = []
    for item in items:
        outcome = _check_item(context, item, strategy, result.warnings)
        (result.conflicts.append if isinstance(outcome, Conflict) else checked.append)(outcome)
    # Locks are read once the units and periods are known, then applied to what passed the other checks.
    context.load_locks({c.unit.id for c in checked}, {c.period.id for c in checked})
    if context.locked:
        kept = []
        for c in checked:
            if (c.unit.id, c.period.id) in context.locked:
                result.conflicts.append(_refuse(
                    c.item, "period", "approved_locked",
                    f"Số liệu kỳ {c.period.id} của {c.unit.code} đã được phê duyệt và khóa; cần mở khóa (nêu lý do).",
                    f"{c.unit.code}'s data for {c.period.id} is approved and locked; it must be unlocked (with a reason).",
                    c.period.id))
            else:
                kept.append(c)
        checked = kept
    checked = _drop_duplicates(checked, result.conflicts)
    existing = _existing([c.key for c in checked])
    checked = _apply_strategy(checked, existing, strategy, result)
    refused = _check_rules(checked, result.conflicts)
    if refused:
        checked = [c for c in checked if c.item.index not in refused]
    if len(items) <= OUTLIER_CHECK_LIMIT:
        _check_outliers(checked, result.warnings)
    else:
        result.notes.append((f"Không kiểm tra giá trị bất thường cho lô trên {OUTLIER_CHECK_LIMIT:,} giá trị.",
                             f"Outliers are not checked for batches over {OUTLIER_CHECK_LIMIT:,} values."))
    result.conflicts.sort(key=lambda c: c.index)
    if result.conflicts and atomic:
        return result
    plan = _plan(checked, existing, strategy, result)
    if dry_run or not (plan.new or plan.changed or plan.removed):
        return result
    _write(plan, actor, channel, strategy, atomic, filename, result)
    return result


def _drop_duplicates(checked: list[_Checked], conflicts: list[Conflict]) -> list[_Checked]:
    """The same key twice in one batch: both refused, each conflict naming both indexes."""
    seen: dict[tuple[int, int, str], list[_Checked]] = defaultdict(list)
    for c in checked:
        seen[c.key].append(c)
    kept = []
    for group in seen.values():
        if len(group) == 1:
            kept.append(group[0])
            continue
        indexes = [c.item.index for c in group]
        rows = ", ".join(str(c.item.row if c.item.row is not None else c.item.index) for c in group)
        for c in group:
            conflicts.append(Conflict(
                c.item.index, "key", "duplicate_in_batch",
                f"Trùng số liệu ({c.element.code}, {c.unit.code}, {c.period.id}) ở các dòng/vị trí {rows}.",
                f"The same value ({c.element.code}, {c.unit.code}, {c.period.id}) appears at rows/indexes {rows}.",
                f"{c.element.code}/{c.unit.code}/{c.period.id}", indexes=indexes, row=c.item.row))
    return kept  # groups keep first-seen order, so the survivors are in batch order


def _apply_strategy(checked: list[_Checked], existing: dict, strategy: Strategy, result: WriteResult) -> list[_Checked]:
    kept = []
    for c in checked:
        present = c.key in existing
        if strategy is Strategy.CREATE and present and not c.item.deleted:
            result.conflicts.append(_refuse(c.item, "key", "already_exists",
                                            "Số liệu đã có; chiến lược CREATE không sửa số liệu có sẵn.",
                                            "The value exists; strategy CREATE does not update.", c.value))
        elif strategy is Strategy.UPDATE and not present and not c.item.deleted:
            result.conflicts.append(_refuse(c.item, "key", "does_not_exist",
                                            "Chưa có số liệu để sửa (chiến lược UPDATE).",
                                            "There is no value to update (strategy UPDATE).", c.value))
        else:
            kept.append(c)
    return kept


@dataclass
class _Plan:
    new: list[_Checked] = field(default_factory=list)
    changed: list[tuple[_Checked, dict]] = field(default_factory=list)
    removed: list[tuple[_Checked, dict]] = field(default_factory=list)


def _plan(checked: list[_Checked], existing: dict, strategy: Strategy, result: WriteResult) -> _Plan:
    """Sort the checked items into new, changed and removed values; count the unchanged ones."""
    plan = _Plan()
    for c in checked:
        old = existing.get(c.key)
        if c.item.deleted or strategy is Strategy.DELETE:
            if old is None:
                result.unchanged += 1  # nothing to delete: DHIS2 counts it as ignored
            else:
                plan.removed.append((c, old))
                result.deleted += 1
            continue
        if old is None:
            plan.new.append(c)
            result.created += 1
            continue
        comment = old["comment"] if c.item.comment is None else c.item.comment
        follow_up = old["follow_up"] if c.item.follow_up is None and not c.follow_up else c.follow_up
        if old["value"] == c.value and old["comment"] == comment and old["follow_up"] == follow_up:
            result.unchanged += 1
            continue
        c.item.comment, c.follow_up = comment, follow_up
        plan.changed.append((c, old))
        result.updated += 1
    return plan


def _write(plan: _Plan, actor: Any, channel: str, strategy: Strategy, atomic: bool, filename: str,
           result: WriteResult) -> None:
    now = timezone.now()
    username = getattr(actor, "username", None) or (actor if isinstance(actor, str) else "")
    with transaction.atomic():
        batch = ImportBatch.objects.create(at=now, actor=username, channel=channel, filename=filename[:255],
                                           strategy=strategy.value, atomic=atomic, counts=result.counts())
        _insert_new(plan.new, batch, username, channel, now)
        history = [
            DataValueHistory(data_element_id=old["data_element_id"], unit_id=old["unit_id"], period=old["period"],
                             kind=HistoryKind.UPDATED, previous_value=old["value"], previous_comment=old["comment"],
                             previous_stored_by=old["stored_by"], previous_updated_at=old["updated_at"],
                             new_value=c.value, changed_by=username, changed_at=now, channel=channel, batch=batch)
            for c, old in plan.changed
        ] + [
            DataValueHistory(data_element_id=old["data_element_id"], unit_id=old["unit_id"], period=old["period"],
                             kind=HistoryKind.DELETED, previous_value=old["value"], previous_comment=old["comment"],
                             previous_stored_by=old["stored_by"], previous_updated_at=old["updated_at"],
                             changed_by=username, changed_at=now, channel=channel, batch=batch)
            for _c, old in plan.removed
        ]
        DataValueHistory.objects.bulk_create(history, batch_size=CHUNK)
        updates = [DataValue(id=old["id"], value=c.value, number=c.number, comment=c.item.comment or "",
                             follow_up=c.follow_up, stored_by=username, channel=channel, updated_at=now, batch=batch)
                   for c, old in plan.changed]
        DataValue.objects.bulk_update(updates, ["value", "number", "comment", "follow_up", "stored_by", "channel",
                                                "updated_at", "batch"], batch_size=CHUNK)
        removed_ids = [old["id"] for _c, old in plan.removed]
        for start in range(0, len(removed_ids), CHUNK):
            DataValue.objects.filter(id__in=removed_ids[start:start + CHUNK]).delete()
        touched = plan.new + [c for c, _old in plan.changed] + [c for c, _old in plan.removed]
        units = {c.unit.code for c in touched}
        periods = {c.period.id for c in touched}
        elements = sorted({c.element.code for c in touched})
        single = touched[0] if len(touched) == 1 else None
        record("datavalues.write", actor=actor, object_type="ImportBatch", object_key=str(batch.id),
               unit=single.unit.code if single else (next(iter(units)) if len(units) == 1 else ""),
               before={"value": plan.changed[0][1]["value"]} if single and plan.changed else
               ({"value": plan.removed[0][1]["value"]} if single and plan.removed else None),
               after={"channel": channel, "filename": filename, "strategy": strategy.value, **result.counts(),
                      "elements": elements[:50],
                      **({"key": [single.element.code, single.unit.code, single.period.id], "value": single.value}
                         if single else {})})
        emit("datavalues", units=units, periods=periods, batch=batch.id, elements=elements, **result.counts())
    result.written = True
    result.batch_id = batch.id


def _insert_new(new: list[_Checked], batch: ImportBatch, username: str, channel: str, now: datetime.datetime) -> None:
    """Insert new values: COPY on PostgreSQL for big batches (several times faster), bulk INSERT otherwise."""
    if connection.vendor == "postgresql" and len(new) > 5000:
        columns = ("data_element_id", "unit_id", "period", "period_start", "period_end", "value", "number",
                   "comment", "follow_up", "stored_by", "channel", "created_at", "updated_at", "batch_id")
        table = DataValue._meta.db_table
        with connection.cursor() as cursor, cursor.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for c in new:
                copy.write_row((c.element.id, c.unit.id, c.period.id, c.period.start, c.period.end, c.value,
                                c.number, c.item.comment or "", c.follow_up, username, channel, now, now, batch.id))
        return
    DataValue.objects.bulk_create(
        [DataValue(data_element_id=c.element.id, unit_id=c.unit.id, period=c.period.id, period_start=c.period.start,
                   period_end=c.period.end, value=c.value, number=c.number, comment=c.item.comment or "",
                   follow_up=c.follow_up, stored_by=username, channel=channel, created_at=now, updated_at=now,
                   batch=batch) for c in new],
        batch_size=CHUNK)
