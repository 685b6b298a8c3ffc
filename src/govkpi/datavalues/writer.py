"""The one way values are written, whatever the channel (web form, JSON API, DHIS2 API, Excel, CSV, CLI).

`write_values` checks every item (metadata, period, unit, scope, reporting window, lock, type and range,
duplicates in the batch, validation rules, outliers), then writes in one transaction: new values, changed
values with their previous state in the history, deletions, one import batch row, one audit entry and one
change event. Writing a value that is already there changes nothing and is counted as unchanged.

Atomic (the default): one refused item refuses the whole batch and nothing is written. Not atomic
(DHIS2's atomicMode=NONE): the good items are written, the refused ones reported.

How a batch of any size goes through in bounded memory (a million values in a few hundred MB):
1. *Check and stage.* The items are read as a stream, `STAGE_CHUNK` at a time: each is checked on its own
   (everything that needs only the item and the metadata, locks included), and what passed is copied, as
   resolved ids and canonical values, into a temporary table (`_Staging`). Nothing of the item stays in memory.
2. *Plan and write.* One query joins the staged values with the stored ones on the exact key, ordered by
   unit, period, element and position, and is read `PLAN_CHUNK` rows at a time, each chunk ending on a
   (unit, period) boundary. Everything that compares items with each other or with stored values concerns
   one key (duplicates, strategies, unchanged values) or one (unit, period) (validation rules), so each chunk
   can be decided on its own, exactly as if the whole batch were in memory, and written at once.
   Outliers look across periods; they are checked only for small batches, from a history read before any write.
All of it runs in one transaction: an atomic batch refused in its last chunk rolls back the earlier ones.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from itertools import groupby, islice
from operator import attrgetter
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
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
from govkpi.events.types import ValuesWritten
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.resolve import resolve_unit

CHUNK = 2000
# Items checked and staged at a time, and staged values planned and written at a time: large enough for
# COPY and the queries to pay off, small enough that memory does not grow with the batch.
STAGE_CHUNK = 20_000
PLAN_CHUNK = 50_000
# Above this many items the outlier check is skipped and the summary says so.
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


# COPY's text format, written by hand: psycopg's write_row, which adapts each value by its type, took
# about as long as everything else the writer does per value.
_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
COPY_BLOCK = 10_000  # lines sent to COPY at a time


def _copy_text(text: str | None) -> str:
    return _NULL if text is None else text.translate(_COPY_ESCAPES)


def _copy_number(number: float | None) -> str:
    return _NULL if number is None else repr(float(number))


def _copy_flag(flag: bool | None) -> str:
    return _NULL if flag is None else ("t" if flag else "f")


def _copy_lines(cursor: Any, statement: str, lines: Iterable[str]) -> None:
    """COPY text-format lines, sent a block at a time."""
    with cursor.copy(statement) as copy:
        block: list[str] = []
        for line in lines:
            block.append(line)
            if len(block) >= COPY_BLOCK:
                copy.write("".join(block))
                block = []
        if block:
            copy.write("".join(block))


@dataclass(slots=True)
class _Checked:
    """An item that passed the checks made on its own, with its metadata resolved."""

    item: Item
    element: DataElement
    unit: OrgUnit
    period: Period
    value: str = ""
    number: float | None = None

    def staged_row(self) -> tuple:
        item = self.item
        return (item.index, item.row, self.element.id, self.unit.id, self.period.id, self.value, self.number,
                item.comment, item.follow_up, bool(item.deleted))

    def staged_line(self) -> str:
        """`staged_row` in COPY's text format."""
        item = self.item
        return (f"{item.index}\t{_NULL if item.row is None else item.row}\t{self.element.id}\t{self.unit.id}\t"
                f"{_copy_text(self.period.id)}\t{_copy_text(self.value)}\t{_copy_number(self.number)}\t"
                f"{_copy_text(item.comment)}\t{_copy_flag(item.follow_up)}\t{_copy_flag(bool(item.deleted))}\n")


class _Context:
    """Metadata looked up once per batch: elements, units (by code and by written name), periods, scope."""

    def __init__(self, actor: Any, today: datetime.date, check_windows: bool) -> None:
        self.actor = actor
        self.today = today
        self.check_windows = check_windows
        self.elements = {e.code: e for e in DataElement.objects.all()}
        self.elements_by_id = {e.id: e for e in self.elements.values()}
        self.units: dict[str, OrgUnit | None] = {}
        self.units_by_id: dict[int, OrgUnit] = {}  # every unit an item resolved to, by code or by name
        self.periods: dict[str, Period | PeriodError] = {}
        self.periods_by_id: dict[str, Period] = {}
        self.allowed: dict[int, bool] = {}
        self.names: dict[tuple[str, datetime.date], Any] = {}
        self.windows = list(ReportingWindow.objects.select_related("unit"))
        self.locked: dict[str, frozenset[int]] = {}  # by period: the units whose data is approved (locked)

    def load_units(self, codes: Iterable[str]) -> None:
        wanted = [c for c in set(codes) if c not in self.units]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            found = {u.code: u for u in OrgUnit.objects.filter(code__in=chunk)}
            for code in chunk:
                self.units[code] = found.get(code)

    def is_locked(self, unit: OrgUnit, period: Period) -> bool:
        """Is the unit's data for the period approved (and so locked)? Read once per period."""
        locked = self.locked.get(period.id)
        if locked is None:
            locked = self.locked[period.id] = frozenset(DataApproval.objects.filter(
                period=period.id, state=ApprovalState.APPROVED).values_list("unit_id", flat=True))
        return unit.id in locked

    def period(self, text: str) -> Period | PeriodError:
        if text not in self.periods:
            try:
                period = self.periods[text] = parse_period(text)
                self.periods_by_id[period.id] = period
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


def _refuse(item: Item | _Staged, field_name: str, code: str, vi: str, en: str, obj: Any = "") -> Conflict:
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
    context.units_by_id[unit.id] = unit
    checked = _Checked(item, element, unit, period)
    if not (item.deleted or strategy is Strategy.DELETE):
        try:
            checked.value, checked.number = read_value(element.value_type, item.value, element.minimum,
                                                       element.maximum)
        except ValueProblem as problem:
            return _refuse(item, "value", problem.code, problem.message_vi, problem.message_en, item.value)
    if context.is_locked(unit, period):  # last: a locked value is reported as such only if nothing else is wrong
        return _refuse(
            item, "period", "approved_locked",
            f"Số liệu kỳ {period.id} của {unit.code} đã được phê duyệt và khóa; cần mở khóa (nêu lý do).",
            f"{unit.code}'s data for {period.id} is approved and locked; it must be unlocked (with a reason).",
            period.id)
    return checked


def _in_chunks(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


_STAGING = "govkpi_writer_staging"
_STAGED_COLUMNS = "idx, row_number, element_id, unit_id, period, value, number, comment, follow_up, deleted"


class _Staging:
    """The checked values of one batch, in a temporary table (private to the connection, emptied before use).

    Kept in the database rather than in memory so that memory does not grow with the batch, and so that the
    stored values of the same keys come back with them from one exact join."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            # "bool", not "boolean": the name SQLite's converter knows, and PostgreSQL's alias.
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} (idx bigint NOT NULL, row_number bigint, "
                           "element_id bigint NOT NULL, unit_id bigint NOT NULL, period varchar(16) NOT NULL, "
                           "value varchar(64) NOT NULL, number double precision, comment text, follow_up bool, "
                           "deleted bool NOT NULL)")
            self.clear(cursor)

    def clear(self, cursor: Any = None) -> None:
        if cursor is None:
            with connection.cursor() as cursor:
                self.clear(cursor)
            return
        cursor.execute(f"TRUNCATE {_STAGING}" if self.postgres else f"DELETE FROM {_STAGING}")

    def add(self, checked: list[_Checked]) -> None:
        if not checked:
            return
        with connection.cursor() as cursor:
            if self.postgres:
                _copy_lines(cursor, f"COPY {_STAGING} ({_STAGED_COLUMNS}) FROM STDIN",
                            (c.staged_line() for c in checked))
            else:
                cursor.executemany(f"INSERT INTO {_STAGING} ({_STAGED_COLUMNS}) VALUES ({', '.join(['%s'] * 10)})",
                                   [c.staged_row() for c in checked])

    def joined(self) -> Iterator[tuple]:
        """Each staged value with the stored value of its key (NULLs if none), by unit, period, element, index."""
        sql = (f"SELECT s.idx, s.row_number, s.element_id, s.unit_id, s.period, s.value, s.number, s.comment, "
               f"s.follow_up, s.deleted, d.id, d.value, d.comment, d.follow_up, d.stored_by, d.updated_at "
               f"FROM {_STAGING} s LEFT JOIN {DataValue._meta.db_table} d ON d.data_element_id = s.element_id "
               f"AND d.unit_id = s.unit_id AND d.period = s.period ORDER BY s.unit_id, s.period, s.element_id, s.idx")
        if not self.postgres:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                rows = cursor.fetchall()  # read in full: SQLite's reads are not isolated from the writes that follow
            yield from rows
            return
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")  # sort the join in memory rather than on disk
        # A server-side cursor, read a chunk at a time. It sees the table as it was when it was opened, so the
        # chunks written meanwhile do not show up in it.
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql)
            while rows := cursor.fetchmany(PLAN_CHUNK):
                yield from rows

    def outlier_history(self) -> dict[tuple[int, int], list[tuple[datetime.date, float]]]:
        """The stored numbers of every (element, unit) that has a staged number, by pair."""
        history: dict[tuple[int, int], list[tuple[datetime.date, float]]] = defaultdict(list)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT d.data_element_id, d.unit_id, d.period_end, d.number FROM {DataValue._meta.db_table} d "
                f"JOIN (SELECT DISTINCT element_id, unit_id FROM {_STAGING} WHERE number IS NOT NULL) p "
                f"ON d.data_element_id = p.element_id AND d.unit_id = p.unit_id WHERE d.number IS NOT NULL")
            for element_id, unit_id, end, number in cursor.fetchall():
                history[(element_id, unit_id)].append((end, number))
        return history


class _Stored(NamedTuple):
    """The stored value of a key, as it was before this batch."""

    id: int
    value: str
    comment: str
    follow_up: bool
    stored_by: str
    updated_at: datetime.datetime


@dataclass(slots=True)
class _Staged:
    """A checked value read back from the staging table, with the stored value of its key (None if none)."""

    index: int
    row: int | None
    element: DataElement
    unit: OrgUnit
    period: Period
    value: str
    number: float | None
    comment: str | None  # None: not given, the stored comment stays
    given_follow_up: bool | None  # None: not given
    deleted: bool
    old: _Stored | None
    follow_up: bool  # what is written: as given, or set for an outlier
    key: tuple[int, int, str]  # (element id, unit id, period)


def _aware(moment: datetime.datetime) -> datetime.datetime:
    # A raw query on SQLite gives naive UTC datetimes (the ORM would make them aware).
    return timezone.make_aware(moment, datetime.UTC) if timezone.is_naive(moment) else moment


def _staged(row: tuple, context: _Context) -> _Staged:
    (index, number_in_file, element_id, unit_id, period, value, number, comment, follow_up, deleted,
     old_id, old_value, old_comment, old_follow_up, old_stored_by, old_updated_at) = row
    old = None if old_id is None else _Stored(old_id, old_value, old_comment, bool(old_follow_up), old_stored_by,
                                              _aware(old_updated_at))
    given = None if follow_up is None else bool(follow_up)
    return _Staged(index, number_in_file, context.elements_by_id[element_id], context.units_by_id[unit_id],
                   context.periods_by_id[period], value, number, comment, given, bool(deleted), old, bool(given),
                   row[2:5])


def _cell_chunks(rows: Iterable[tuple], size: int, context: _Context) -> Iterator[list[_Staged]]:
    """The joined rows, about `size` at a time, each chunk ending where a (unit, period) ends."""
    chunk: list[_Staged] = []
    for row in rows:
        if len(chunk) >= size and (row[3], row[4]) != (chunk[-1].unit.id, chunk[-1].period.id):
            yield chunk
            chunk = []
        chunk.append(_staged(row, context))
    if chunk:
        yield chunk


class _Rules:
    """The validation rules, parsed once and indexed by the data elements they refer to."""

    def __init__(self) -> None:
        self.by_element: dict[str, list[tuple[int, ValidationRule, Any, Any, frozenset[str]]]] = defaultdict(list)
        position = 0
        for rule in ValidationRule.objects.all():
            try:
                left, right = parse_formula(rule.left), parse_formula(rule.right)
            except FormulaError:
                continue  # the catalog refuses such rules on the way in
            references = left.references | right.references
            for code in references:
                self.by_element[code].append((position, rule, left, right, references))
            position += 1

    def check(self, staged: list[_Staged], context: _Context, conflicts: list[Conflict]) -> set[int]:
        """Apply the rules to every (unit, period) of `staged` (whole cells); return the refused item indexes.

        A cell's values are the batch's own, then the stored ones of the other elements the rules need."""
        cells: dict[tuple[int, str], list[_Staged]] = defaultdict(list)
        for s in staged:
            if s.element.code in self.by_element:
                cells[(s.unit.id, s.period.id)].append(s)
        if not cells:
            return set()
        relevant = {cell: self._rules_of(members) for cell, members in cells.items()}
        stored = self._stored_values(cells, relevant, context)
        refused: set[int] = set()
        for cell, members in cells.items():
            cell_values = stored.get(cell, {})
            for s in members:
                cell_values[s.element.code] = None if s.deleted else s.number
            for _position, rule, left, right, references in relevant[cell]:
                a, b = evaluate(left, cell_values), evaluate(right, cell_values)
                if a is None or b is None or _COMPARE[rule.operator](float(a), float(b)):
                    continue
                involved = [s for s in members if s.element.code in references]
                indexes = [s.index for s in involved]
                for s in involved:
                    conflicts.append(Conflict(s.index, "value", f"rule:{rule.code}",
                                              f"{rule.message_vi} ({rule.left} = {a:g}, {rule.right} = {b:g})",
                                              f"{rule.message_en} ({rule.left} = {a:g}, {rule.right} = {b:g})",
                                              s.value, indexes=indexes, row=s.row))
                    refused.add(s.index)
        return refused

    def _rules_of(self, members: list[_Staged]) -> list[tuple]:
        """The rules that refer to any member's element, in the rules' order (each once)."""
        found = {}
        for s in members:
            for entry in self.by_element[s.element.code]:
                found[entry[0]] = entry
        return [found[position] for position in sorted(found)]

    @staticmethod
    def _stored_values(cells: dict[tuple[int, str], list[_Staged]], relevant: dict[tuple[int, str], list[tuple]],
                       context: _Context) -> dict[tuple[int, str], dict[str, float | None]]:
        """The stored values the rules need beyond the batch's own (elements the batch does not give)."""
        missing: set[str] = set()
        for cell, members in cells.items():
            given = {s.element.code for s in members}
            missing.update(code for entry in relevant[cell] for code in entry[4] if code not in given)
        ids = {context.elements[code].id: code for code in missing if code in context.elements}
        values: dict[tuple[int, str], dict[str, float | None]] = defaultdict(dict)
        if not ids:
            return values
        units = sorted({u for u, _p in cells})
        periods = list({p for _u, p in cells})
        for start in range(0, len(units), 500):
            for element_id, unit_id, period, number in DataValue.objects.filter(
                    data_element_id__in=list(ids), unit_id__in=units[start:start + 500],
                    period__in=periods).values_list("data_element_id", "unit_id", "period", "number"):
                if (unit_id, period) in cells:
                    values[(unit_id, period)][ids[element_id]] = number
        return values


_COMPARE = {"<=": float.__le__, "<": float.__lt__, "==": float.__eq__, ">=": float.__ge__, ">": float.__gt__}


def _check_outliers(staged: list[_Staged], history: dict[tuple[int, int], list[tuple[datetime.date, float]]],
                    warnings: list[Conflict]) -> None:
    """Flag values far from the unit's own history and ask for a comment; nothing is refused here."""
    for s in sorted(staged, key=lambda s: s.index):  # warnings in batch order
        if s.number is None or s.deleted:
            continue
        earlier = sorted((end, n) for end, n in history.get((s.element.id, s.unit.id), []) if end < s.period.start)
        if is_outlier(s.number, [n for _end, n in earlier[-12:]]) and not (s.comment or "").strip():
            s.follow_up = True
            warnings.append(Conflict(
                s.index, "value", "outlier_needs_comment",
                f"Giá trị {s.value} khác xa các kỳ trước của {s.unit.code}: đề nghị ghi chú giải thích (đã đánh dấu cần xem lại).",
                f"Value {s.value} is far from {s.unit.code}'s earlier periods: please add a comment (flagged for follow-up).",
                s.value, row=s.row, warning=True))


class _Refused(Exception):
    """Raised inside the transaction to roll back the chunks already written of an atomic batch refused later."""


def write_values(items: Iterable[Item], *, actor: Any, channel: str, strategy: Strategy = Strategy.CREATE_AND_UPDATE,
                 atomic: bool = True, dry_run: bool = False, filename: str = "", check_windows: bool = True,
                 today: datetime.date | None = None, refused: Sequence[Conflict] = ()) -> WriteResult:
    """Check and write a batch of values; see the module's docstring. `refused`: items a file reader already
    refused (they count as part of the batch: an atomic batch with any of them writes nothing)."""
    result = WriteResult(dry_run=dry_run, atomic=atomic, conflicts=list(refused))
    context = _Context(actor, today or timezone.localdate(), check_windows)
    try:
        with transaction.atomic():
            writer = _BatchWriter(actor, channel, strategy, atomic, filename)
            _check_and_write(items, context, strategy, result, writer, len(refused))
    except _Refused:
        pass  # the transaction is rolled back; `result` says why
    return result


def _check_and_write(items: Iterable[Item], context: _Context, strategy: Strategy, result: WriteResult,
                     writer: _BatchWriter, refused_by_reader: int) -> None:
    staging = _Staging()
    count = _check_and_stage(items, context, strategy, staging, result)
    result.total = count + refused_by_reader
    history = None
    if count <= OUTLIER_CHECK_LIMIT:
        history = staging.outlier_history()
    else:
        result.notes.append((f"Không kiểm tra giá trị bất thường cho lô trên {OUTLIER_CHECK_LIMIT:,} giá trị.",
                             f"Outliers are not checked for batches over {OUTLIER_CHECK_LIMIT:,} values."))
    rules = _Rules()
    for chunk in _cell_chunks(staging.joined(), PLAN_CHUNK, context):
        plan = _decide(chunk, context, strategy, rules, history, result)
        if not result.dry_run and not (result.atomic and result.conflicts):
            writer.write(plan, result)
    staging.clear()
    result.conflicts.sort(key=lambda c: c.index)
    if result.atomic and result.conflicts:
        result.created = result.updated = result.unchanged = result.deleted = 0  # nothing is taken
        if writer.batch is not None:
            raise _Refused
        return
    writer.finish(result)


def _check_and_stage(items: Iterable[Item], context: _Context, strategy: Strategy, staging: _Staging,
                     result: WriteResult) -> int:
    """Check each item on its own (a chunk at a time) and stage those that pass; return how many items came."""
    count = 0
    for chunk in _in_chunks(items, STAGE_CHUNK):
        count += len(chunk)
        context.load_units(item.unit for item in chunk)
        checked: list[_Checked] = []
        for item in chunk:
            outcome = _check_item(context, item, strategy, result.warnings)
            (result.conflicts.append if isinstance(outcome, Conflict) else checked.append)(outcome)
        staging.add(checked)
    return count


def _decide(chunk: list[_Staged], context: _Context, strategy: Strategy, rules: _Rules,
            history: dict | None, result: WriteResult) -> _Plan:
    """Duplicates, strategy, validation rules and outliers for whole cells, then what to write."""
    staged = _drop_duplicates(chunk, result.conflicts)
    staged = _apply_strategy(staged, strategy, result)
    refused = rules.check(staged, context, result.conflicts)
    if refused:
        staged = [s for s in staged if s.index not in refused]
    if history is not None:
        _check_outliers(staged, history, result.warnings)
    return _plan(staged, strategy, result)


def _drop_duplicates(staged: list[_Staged], conflicts: list[Conflict]) -> list[_Staged]:
    """The same key twice in one batch: both refused, each conflict naming both indexes.

    `staged` is ordered by key, then by index, so the items of one key are next to each other."""
    kept = []
    for _key, members in groupby(staged, key=attrgetter("key")):
        group = list(members)
        if len(group) == 1:
            kept.append(group[0])
            continue
        indexes = [s.index for s in group]
        rows = ", ".join(str(s.row if s.row is not None else s.index) for s in group)
        for s in group:
            conflicts.append(Conflict(
                s.index, "key", "duplicate_in_batch",
                f"Trùng số liệu ({s.element.code}, {s.unit.code}, {s.period.id}) ở các dòng/vị trí {rows}.",
                f"The same value ({s.element.code}, {s.unit.code}, {s.period.id}) appears at rows/indexes {rows}.",
                f"{s.element.code}/{s.unit.code}/{s.period.id}", indexes=indexes, row=s.row))
    return kept


def _apply_strategy(staged: list[_Staged], strategy: Strategy, result: WriteResult) -> list[_Staged]:
    kept = []
    for s in staged:
        present = s.old is not None
        if strategy is Strategy.CREATE and present and not s.deleted:
            result.conflicts.append(_refuse(s, "key", "already_exists",
                                            "Số liệu đã có; chiến lược CREATE không sửa số liệu có sẵn.",
                                            "The value exists; strategy CREATE does not update.", s.value))
        elif strategy is Strategy.UPDATE and not present and not s.deleted:
            result.conflicts.append(_refuse(s, "key", "does_not_exist",
                                            "Chưa có số liệu để sửa (chiến lược UPDATE).",
                                            "There is no value to update (strategy UPDATE).", s.value))
        else:
            kept.append(s)
    return kept


@dataclass
class _Plan:
    new: list[_Staged] = field(default_factory=list)
    changed: list[_Staged] = field(default_factory=list)
    removed: list[_Staged] = field(default_factory=list)


def _plan(staged: list[_Staged], strategy: Strategy, result: WriteResult) -> _Plan:
    """Sort the checked values into new, changed and removed ones; count the unchanged ones."""
    plan = _Plan()
    for s in staged:
        old = s.old
        if s.deleted or strategy is Strategy.DELETE:
            if old is None:
                result.unchanged += 1  # nothing to delete: DHIS2 counts it as ignored
            else:
                plan.removed.append(s)
                result.deleted += 1
            continue
        if old is None:
            plan.new.append(s)
            result.created += 1
            continue
        comment = old.comment if s.comment is None else s.comment
        follow_up = old.follow_up if s.given_follow_up is None and not s.follow_up else s.follow_up
        if old.value == s.value and old.comment == comment and old.follow_up == follow_up:
            result.unchanged += 1
            continue
        s.comment, s.follow_up = comment, follow_up
        plan.changed.append(s)
        result.updated += 1
    return plan


class _BatchWriter:
    """Writes the plans of a batch's chunks, then the import batch's counts, the audit entry and the event.

    The import batch row is made with the first write; a batch that changes nothing leaves no trace."""

    def __init__(self, actor: Any, channel: str, strategy: Strategy, atomic: bool, filename: str) -> None:
        self.actor, self.channel, self.strategy, self.atomic, self.filename = actor, channel, strategy, atomic, filename
        self.username = getattr(actor, "username", None) or (actor if isinstance(actor, str) else "")
        self.now = timezone.now()  # set again when the first chunk is written: one moment for the whole batch
        self.batch: ImportBatch | None = None
        self.units: set[str] = set()
        self.periods: set[str] = set()
        self.elements: set[str] = set()
        self.touched = 0
        self.first: _Staged | None = None  # the first value written, named in the audit entry if it is the only one

    def write(self, plan: _Plan, result: WriteResult) -> None:
        if not (plan.new or plan.changed or plan.removed):
            return
        if self.batch is None:
            self.now = timezone.now()
            self.batch = ImportBatch.objects.create(
                at=self.now, actor=self.username, channel=self.channel, filename=self.filename[:255],
                strategy=self.strategy.value, atomic=self.atomic, counts={})
        _insert_new(plan.new, self.batch, self.username, self.channel, self.now)
        self._write_changes(plan)
        for s in (*plan.new, *plan.changed, *plan.removed):
            self.units.add(s.unit.code)
            self.periods.add(s.period.id)
            self.elements.add(s.element.code)
            if self.first is None:
                self.first = s
        self.touched += len(plan.new) + len(plan.changed) + len(plan.removed)

    def _write_changes(self, plan: _Plan) -> None:
        """Changed and removed values: their previous state into the history, then the change itself."""
        history = [self._history(s, HistoryKind.UPDATED, s.value) for s in plan.changed] + [
            self._history(s, HistoryKind.DELETED, "") for s in plan.removed]
        DataValueHistory.objects.bulk_create(history, batch_size=CHUNK)
        updates = [DataValue(id=s.old.id, value=s.value, number=s.number, comment=s.comment or "",
                             follow_up=s.follow_up, stored_by=self.username, channel=self.channel,
                             updated_at=self.now, batch=self.batch) for s in plan.changed]
        DataValue.objects.bulk_update(updates, ["value", "number", "comment", "follow_up", "stored_by", "channel",
                                                "updated_at", "batch"], batch_size=CHUNK)
        removed_ids = [s.old.id for s in plan.removed]
        for start in range(0, len(removed_ids), CHUNK):
            DataValue.objects.filter(id__in=removed_ids[start:start + CHUNK]).delete()

    def _history(self, s: _Staged, kind: HistoryKind, new_value: str) -> DataValueHistory:
        old = s.old
        return DataValueHistory(data_element_id=s.element.id, unit_id=s.unit.id, period=s.period.id, kind=kind,
                                previous_value=old.value, previous_comment=old.comment,
                                previous_stored_by=old.stored_by, previous_updated_at=old.updated_at,
                                new_value=new_value, changed_by=self.username, changed_at=self.now,
                                channel=self.channel, batch=self.batch)

    def finish(self, result: WriteResult) -> None:
        """The import batch's final counts, one audit entry and one change event, if anything was written."""
        if self.batch is None:
            return
        batch, counts = self.batch, result.counts()
        ImportBatch.objects.filter(id=batch.id).update(counts=counts)
        single = self.first if self.touched == 1 else None
        units = self.units
        record("datavalues.write", actor=self.actor, object_type="ImportBatch", object_key=str(batch.id),
               unit=single.unit.code if single else (next(iter(units)) if len(units) == 1 else ""),
               before={"value": single.old.value} if single and single.old else None,
               after={"channel": self.channel, "filename": self.filename, "strategy": self.strategy.value, **counts,
                      "elements": sorted(self.elements)[:50],
                      **({"key": [single.element.code, single.unit.code, single.period.id], "value": single.value}
                         if single else {})})
        emit(ValuesWritten(elements=tuple(sorted(self.elements)), batch=batch.id, imported=result.created,
                           updated=result.updated, deleted=result.deleted,
                           ignored=result.unchanged + result.rejected, channel=str(self.channel)),
             units=units, periods=self.periods)
        result.written = True
        result.batch_id = batch.id


def _insert_new(new: list[_Staged], batch: ImportBatch, username: str, channel: str, now: datetime.datetime) -> None:
    """Insert new values: COPY on PostgreSQL for big batches (several times faster), bulk INSERT otherwise."""
    if connection.vendor == "postgresql" and len(new) > 5000:
        columns = ("data_element_id", "unit_id", "period", "period_start", "period_end", "value", "number",
                   "comment", "follow_up", "stored_by", "channel", "created_at", "updated_at", "batch_id")
        table = DataValue._meta.db_table
        tail = f"\t{_copy_text(username)}\t{_copy_text(channel)}\t{now.isoformat()}\t{now.isoformat()}\t{batch.id}\n"
        lines = (f"{s.element.id}\t{s.unit.id}\t{_copy_text(s.period.id)}\t{s.period.start}\t{s.period.end}\t"
                 f"{_copy_text(s.value)}\t{_copy_number(s.number)}\t{_copy_text(s.comment or '')}\t"
                 f"{_copy_flag(s.follow_up)}{tail}" for s in new)
        with connection.cursor() as cursor:
            _copy_lines(cursor, f"COPY {table} ({', '.join(columns)}) FROM STDIN", lines)
        return
    DataValue.objects.bulk_create(
        [DataValue(data_element_id=s.element.id, unit_id=s.unit.id, period=s.period.id, period_start=s.period.start,
                   period_end=s.period.end, value=s.value, number=s.number, comment=s.comment or "",
                   follow_up=s.follow_up, stored_by=username, channel=channel, created_at=now, updated_at=now,
                   batch=batch) for s in new],
        batch_size=CHUNK)
