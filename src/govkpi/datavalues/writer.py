"""The one way values are written, whatever the channel (web form, JSON API, DHIS2 API, Excel, CSV, CLI).

`write_values` checks every item (metadata, period, unit, scope, reporting window, type and range, the lock,
duplicates in the batch, validation rules, outliers), then writes in one transaction: new values, changed
values with their previous state in the history, deletions, one import batch row, one audit entry and one
change event. Writing a value that is already there changes nothing and is counted as unchanged.

Atomic (the default): one refused item refuses the whole batch and nothing is written. Not atomic
(DHIS2's atomicMode=NONE): the good items are written, the refused ones reported.

How a batch of any size goes through in bounded memory (a million values in a few hundred MB):
1. *Check and stage.* The items are read as a stream, `STAGE_CHUNK` at a time: each is checked on its own
   (everything that needs only the item and the metadata), and what passed is copied, as
   resolved ids and canonical values, into a temporary table (`_Staging`). Nothing of the item stays in memory.
2. *Hold the cells* (`cells`: on PostgreSQL one writer per unit-period at a time, approval steps included), so that
   what is read from here on stays true until the commit.
3. *Decide and write in the database* (`bulk`): the lock (submitted or approved data, for a value that would
   change it), duplicates, strategies, validation rules and the plan (new,
   changed, removed, unchanged against the stored value of each key) are a few set-based statements over the
   staging table, and the values go in with `INSERT … SELECT`: only refused values come back to Python.
   Outliers look across periods; they are checked only for small batches, from a history read before any write.
All of it runs in one transaction, and nothing is written before every check is done: an atomic batch refused
anywhere writes nothing, and a crash leaves the database as it was.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from govkpi.accounts.permissions import can
from govkpi.accounts.roles import Action
from govkpi.audit.trail import record
from govkpi.core.periods import Period, PeriodError, parse_period
from govkpi.core.values import ValueProblem, read_value
from govkpi.core.windows import Window, default_window
from govkpi.datavalues import bulk, cells, combos
from govkpi.datavalues.combos import DEFAULT_COMBOS, CatalogCombos
from govkpi.datavalues.models import ApprovalState, DataApproval, DataValue, ImportBatch, ReportingWindow
from govkpi.events.outbox import emit
from govkpi.events.types import ValuesWritten
from govkpi.indicators.models import DataElement, Theme
from govkpi.orgunits.models import CodeScheme, OrgUnit, UnitCode
from govkpi.orgunits.resolve import resolve_unit, units_by_code

# Items checked and staged at a time: large enough for COPY to pay off, small enough that memory does not
# grow with the batch.
STAGE_CHUNK = 20_000
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
    # DHIS2's disaggregation, as sent ("" or "default": none); checked against the catalog (datavalues.combos)
    # and stored as the option combo's code, part of the value's key.
    category_option_combo: str = ""
    attribute_option_combo: str = ""


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
    # Passed over by the strategy, as DHIS2 2.40 does (`ignore_by_strategy`): no conflict, nothing written.
    ignored: int = 0
    ignored_indexes: list[int] = field(default_factory=list)
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
                "deleted": self.deleted, "rejected": self.rejected, "ignored": self.ignored}

    def summary(self) -> str:
        verb = "kiểm tra (không ghi) / dry run" if self.dry_run else ("đã ghi / written" if self.written
                                                                        else "không ghi gì / nothing written")
        ignored = f", {self.ignored} bỏ qua theo chiến lược/ignored by strategy" if self.ignored else ""
        return (f"{verb}: {self.created} mới/created, {self.updated} sửa/updated, {self.unchanged} không đổi/unchanged, "
                f"{self.deleted} xóa/deleted, {self.rejected} từ chối/rejected{ignored}")


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
    coc: str = ""  # the stored codes of the option combos ("" is the default)
    aoc: str = ""

    def staged_row(self) -> tuple:
        item = self.item
        period = self.period
        return (item.index, item.row, self.element.id, self.unit.id, period.id, self.coc, self.aoc, period.start,
                period.end, self.value, self.number, item.comment, item.follow_up, bool(item.deleted))

    def staged_line(self) -> str:
        """`staged_row` in COPY's text format."""
        item = self.item
        period = self.period
        return (f"{item.index}\t{_NULL if item.row is None else item.row}\t{self.element.id}\t{self.unit.id}\t"
                f"{_copy_text(period.id)}\t{_copy_text(self.coc)}\t{_copy_text(self.aoc)}\t{period.start}\t"
                f"{period.end}\t{_copy_text(self.value)}\t"
                f"{_copy_number(self.number)}\t"
                f"{_copy_text(item.comment)}\t{_copy_flag(item.follow_up)}\t{_copy_flag(bool(item.deleted))}\n")


class _Context:
    """Metadata looked up once per batch: elements, units (by code, by official code as of a date, and by written
    name), periods, scope."""

    def __init__(self, actor: Any, today: datetime.date, check_windows: bool, machine_input: bool = False,
                 ignore_by_strategy: bool = False) -> None:
        self.actor = actor
        self.machine_input = machine_input
        self.ignore_by_strategy = ignore_by_strategy
        self.today = today
        self.check_windows = check_windows
        self.elements = {e.code: e for e in DataElement.objects.all()}
        self.elements_by_id = {e.id: e for e in self.elements.values()}
        self.units: dict[str, OrgUnit | None] = {}
        self.units_by_id: dict[int, OrgUnit] = {}  # every unit an item resolved to, by code or by name
        # Machine input: (code, period end) -> the unit the code named that day (units_by_code), for every code
        # whose primary unit was not in force then; and the official codes that named no unit on some such day.
        self.dated: dict[tuple[str, datetime.date], OrgUnit | None] = {}
        self.code_spans: dict[str, list[UnitCode]] = {}
        self.periods: dict[str, Period | PeriodError] = {}
        self.periods_by_id: dict[str, Period] = {}
        self.allowed: dict[int, bool] = {}
        self.names: dict[tuple[str, datetime.date], Any] = {}
        self.windows = list(ReportingWindow.objects.select_related("unit"))
        self._combos: CatalogCombos | None = None
        self._attributes: bool | None = None  # whether any theme has an attribute combo

    @property
    def combos(self) -> CatalogCombos:
        """The catalog's option combos, read when first needed (a batch of default combos never reads them)."""
        if self._combos is None:
            self._combos = CatalogCombos()
        return self._combos

    def disaggregated(self, element: DataElement) -> bool:
        """True when the element may hold several values for one unit and period (combos, attribute combos)."""
        if element.category_combo_id is None and self._combos is None and not self._any_attribute_combo():
            return False
        return self.combos.disaggregated(element)

    def _any_attribute_combo(self) -> bool:
        if self._attributes is None:
            self._attributes = Theme.objects.filter(attribute_combo__isnull=False).exists()
        return self._attributes

    def load_units(self, items: Sequence[Item]) -> None:
        """Look up the units the items name by code, a few queries for many items: by primary code, and for
        machine input also as of each item's period end (`_load_dated`)."""
        wanted = [c for c in {item.unit for item in items} if c not in self.units]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            found = {u.code: u for u in OrgUnit.objects.filter(code__in=chunk)}
            for code in chunk:
                self.units[code] = found.get(code)
        if self.machine_input:
            self._load_dated(items)

    def _load_dated(self, items: Sequence[Item]) -> None:
        """A code as of the item's period end (`units_by_code`: `08` is old Tuyên Quang for 202505 and the new
        one for 202508), for the codes whose primary unit did not exist that day; grouped by day, so two queries
        per distinct period end, none for a primary code in force. The period's end because that is the day the
        writer checks a unit against (`unit_not_in_force`) and reads a written name on: the unit that holds the
        code at the period's end is the one that reports the period."""
        by_day: dict[datetime.date, set[str]] = defaultdict(set)
        for code, text in {(item.unit, item.period) for item in items}:  # many items share a unit and period
            period = self.period(text)
            if isinstance(period, PeriodError) or (code, period.end) in self.dated:
                continue
            primary = self.units.get(code)
            if primary is None or not primary.valid_on(period.end):  # else units_by_code's rule 1, known already
                by_day[period.end].add(code)
        nameless: set[str] = set()
        for day, codes in sorted(by_day.items()):
            found = units_by_code(codes, on=day)
            for code in codes:
                self.dated[(code, day)] = found.get(code)
                if code not in found and code not in self.code_spans:
                    nameless.add(code)
        wanted = sorted(nameless)  # an official code out of its span, or not a code at all (a name)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            spans: dict[str, list[UnitCode]] = defaultdict(list)
            for alt in (UnitCode.objects.filter(code__in=chunk, scheme=CodeScheme.GSO).select_related("unit")
                        .order_by("valid_from", "valid_to", "unit__code")):
                spans[alt.code].append(alt)
            for code in chunk:
                self.code_spans[code] = spans.get(code, [])

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


def _refuse(item: Item, field_name: str, code: str, vi: str, en: str, obj: Any = "") -> Conflict:
    return Conflict(item.index, field_name, code, vi, en, str(obj) if obj is not None else "", row=item.row)


def _resolve_unit(context: _Context, item: Item, period: Period, warnings: list[Conflict]) -> OrgUnit | Conflict:
    unit = context.units.get(item.unit)
    if context.machine_input and (item.unit, period.end) in context.dated:  # the primary unit was not in force
        unit = context.dated[(item.unit, period.end)]
        if unit is None and context.code_spans.get(item.unit):
            return _code_named_no_unit(item, period, context.code_spans[item.unit])
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
    if resolution.matched is not None and context.machine_input:
        # A system names units by code: an old name for a later period must not land on a unit it did not name.
        successor = resolution.unit
        return _refuse(item, "orgUnit", "unit_succeeded",
                       f"«{item.unit}» không còn tồn tại vào cuối kỳ {period.id}; đơn vị kế thừa là {successor.name} "
                       f"(mã {successor.code}): gửi số liệu theo mã đó.",
                       f"«{item.unit}» no longer existed at the end of {period.id}; its successor is {successor.name} "
                       f"(code {successor.code}): send the value under that code.", item.unit)
    if resolution.matched is not None:
        warnings.append(Conflict(item.index, "orgUnit", "unit_succeeded", resolution.message_vi,
                                 resolution.message_en, item.unit, row=item.row, warning=True))
    return resolution.unit


def _code_named_no_unit(item: Item, period: Period, spans: list[UnitCode]) -> Conflict:
    """An official code that named no unit at the period's end: the conflict names who held it, and when."""
    def held(language: str) -> str:
        parts = []
        for span in spans:
            if language == "vi":
                since = f"từ {span.valid_from:%d/%m/%Y} " if span.valid_from else ""
                until = f"đến {span.valid_to:%d/%m/%Y}" if span.valid_to else "đến nay"
            else:
                since = f"from {span.valid_from.isoformat()} " if span.valid_from else ""
                until = f"until {span.valid_to.isoformat()}" if span.valid_to else "until now"
            parts.append(f"{span.unit.name} ({span.unit.code}) {since}{until}")
        return "; ".join(parts)

    return _refuse(item, "orgUnit", "unit_code_not_in_force",
                   f"Mã «{item.unit}» không thuộc đơn vị nào vào cuối kỳ {period.id} ({period.end:%d/%m/%Y}); "
                   f"mã này là của {held('vi')}. Gửi số liệu theo mã của đơn vị báo cáo kỳ đó.",
                   f"The code «{item.unit}» named no unit at the end of {period.id} ({period.end.isoformat()}); "
                   f"it was the code of {held('en')}. Send the value under the code of the unit that reports "
                   f"that period.", item.unit)


def _check_item(context: _Context, item: Item, strategy: Strategy,
                warnings: list[Conflict]) -> _Checked | Conflict:
    element = context.elements.get(item.data_element)
    if element is None:
        return _refuse(item, "dataElement", "unknown_data_element", f"Không có chỉ tiêu dữ liệu mã «{item.data_element}».",
                       f"No data element with code «{item.data_element}».", item.data_element)
    coc = aoc = ""
    if item.category_option_combo not in DEFAULT_COMBOS or element.category_combo_id is not None:
        found = combos.category_option_combo(context.combos, element, item.category_option_combo or "",
                                             deleting=item.deleted or strategy is Strategy.DELETE)
        if isinstance(found, combos.Refusal):  # refused, never written over another combination's value
            return _refuse(item, "categoryOptionCombo", found.code, found.message_vi, found.message_en,
                           item.category_option_combo)
        coc = found
    if item.attribute_option_combo not in DEFAULT_COMBOS:
        found = combos.attribute_option_combo(context.combos, element, item.attribute_option_combo)
        if isinstance(found, combos.Refusal):
            return _refuse(item, "attributeOptionCombo", found.code, found.message_vi, found.message_en,
                           item.attribute_option_combo)
        aoc = found
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
    checked = _Checked(item, element, unit, period, coc=coc, aoc=aoc)
    if not (item.deleted or strategy is Strategy.DELETE):
        try:
            checked.value, checked.number = read_value(element.value_type, item.value, element.minimum,
                                                       element.maximum, machine=context.machine_input)
        except ValueProblem as problem:
            return _refuse(item, "value", problem.code, problem.message_vi, problem.message_en, item.value)
    return checked


def locked_conflict(index: int, row: int | None, element: str, unit: str, period: str, state: str) -> Conflict:
    """The refusal of a value whose cell is submitted (read-only until returned) or approved (until unlocked)."""
    if state == ApprovalState.SUBMITTED:
        return Conflict(index, "period", "submitted_locked",
                        f"Số liệu kỳ {period} của {unit} đã gửi phê duyệt nên chỉ được xem ({element}); "
                        "muốn sửa, cấp phê duyệt phải trả lại.",
                        f"{unit}'s data for {period} is submitted for approval and read-only ({element}); "
                        "the approver must return it before it can change.", period, row=row)
    return Conflict(index, "period", "approved_locked",
                    f"Số liệu kỳ {period} của {unit} đã được phê duyệt và khóa; cần mở khóa (nêu lý do).",
                    f"{unit}'s data for {period} is approved and locked; it must be unlocked (with a reason).",
                    period, row=row)


def settle_ignored(result: WriteResult) -> None:
    """Count the items the strategy passed over, once every check is done: none when an atomic batch is
    refused (nothing is taken, and every item is counted rejected)."""
    if result.atomic and result.conflicts:
        result.ignored_indexes.clear()
    result.ignored_indexes.sort()
    result.ignored = len(result.ignored_indexes)


def _in_chunks(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


_STAGED_COLUMNS = ("idx, row_number, element_id, unit_id, period, coc, aoc, period_start, period_end, value, number, "
                   "comment, follow_up, deleted")


class _Staging:
    """The checked values of one batch, in a temporary table (private to the connection, emptied before use).

    Kept in the database rather than in memory so that memory does not grow with the batch, and so that the
    batch can be decided and written there (`bulk`): `refused` and `flagged` are set by those steps."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            # "bool", not "boolean": the name SQLite's converter knows, and PostgreSQL's alias.
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {bulk.STAGING} (idx bigint NOT NULL, row_number bigint, "
                           "element_id bigint NOT NULL, unit_id bigint NOT NULL, period varchar(16) NOT NULL, "
                           "coc varchar(64) NOT NULL, aoc varchar(64) NOT NULL, period_start date NOT NULL, period_end date NOT NULL, "
                           "value varchar(64) NOT NULL, number double precision, comment text, follow_up bool, "
                           "deleted bool NOT NULL, refused bool NOT NULL DEFAULT FALSE, "
                           "flagged bool NOT NULL DEFAULT FALSE)")
            self.clear(cursor)
            if self.postgres:  # the set-based steps group and sort the whole batch: in memory, not on disk
                cursor.execute("SET LOCAL work_mem = '64MB'")

    def clear(self, cursor: Any = None) -> None:
        if cursor is None:
            with connection.cursor() as cursor:
                self.clear(cursor)
            return
        cursor.execute(f"TRUNCATE {bulk.STAGING}" if self.postgres else f"DELETE FROM {bulk.STAGING}")

    def add(self, checked: list[_Checked]) -> None:
        if not checked:
            return
        with connection.cursor() as cursor:
            if self.postgres:
                _copy_lines(cursor, f"COPY {bulk.STAGING} ({_STAGED_COLUMNS}) FROM STDIN",
                            (c.staged_line() for c in checked))
            else:
                cursor.executemany(f"INSERT INTO {bulk.STAGING} ({_STAGED_COLUMNS}) VALUES ({', '.join(['%s'] * 14)})",
                                   [c.staged_row() for c in checked])

    def outlier_history(self) -> dict[tuple[int, int, str, str], list[tuple[datetime.date, float]]]:
        """The stored numbers of every series (element, unit, option combos) that has a staged number."""
        history: dict[tuple[int, int, str, str], list[tuple[datetime.date, float]]] = defaultdict(list)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT d.data_element_id, d.unit_id, d.category_option_combo, d.attribute_option_combo, "
                f"d.period_end, d.number FROM {DataValue._meta.db_table} d "
                f"JOIN (SELECT DISTINCT element_id, unit_id FROM {bulk.STAGING} WHERE number IS NOT NULL) p "
                f"ON d.data_element_id = p.element_id AND d.unit_id = p.unit_id WHERE d.number IS NOT NULL")
            for element_id, unit_id, coc, aoc, end, number in cursor.fetchall():
                history[(element_id, unit_id, coc, aoc)].append((end, number))
        return history


def write_values(items: Iterable[Item], *, actor: Any, channel: str, strategy: Strategy = Strategy.CREATE_AND_UPDATE,
                 atomic: bool = True, dry_run: bool = False, filename: str = "", check_windows: bool = True,
                 today: datetime.date | None = None, refused: Sequence[Conflict] = (),
                 machine_input: bool = False, ignore_by_strategy: bool = False) -> WriteResult:
    """Check and write a batch of values; see the module's docstring. `refused`: items a file reader already
    refused (they count as part of the batch: an atomic batch with any of them writes nothing).
    `machine_input`: sent by a system on DHIS2's paths: machine numbers and ISO dates, and a unit's old name for
    a period after its merger is refused (naming the successor) rather than written on the successor; a unit's
    code is read as of the item's period end (`_Context._load_dated`: an old province's official code `02` for
    202505 is P63-02; a code that named no unit then is refused naming who held it).
    `ignore_by_strategy`: DHIS2 2.40's strategies (dhis2-core DefaultDataValueSetService.importDataValue): CREATE
    on a value that exists, UPDATE or DELETE of one that does not, are passed over and counted `ignored`, with
    no conflict, rather than refused (already_exists / does_not_exist)."""
    result = WriteResult(dry_run=dry_run, atomic=atomic, conflicts=list(refused))
    context = _Context(actor, today or timezone.localdate(), check_windows, machine_input, ignore_by_strategy)
    with transaction.atomic():
        writer = _BatchWriter(actor, channel, strategy, atomic, filename)
        from govkpi.datavalues import light  # imports this module

        if isinstance(items, Sequence) and len(items) <= light.LIGHT_BATCH:  # a few values: in memory
            light.check_and_write(items, context, strategy, result, writer, len(refused))
        else:
            _check_and_write(items, context, strategy, result, writer, len(refused))
    return result


def _check_and_write(items: Iterable[Item], context: _Context, strategy: Strategy, result: WriteResult,
                     writer: _BatchWriter, refused_by_reader: int) -> None:
    """Check and stage every item, then decide and write the batch set-based (`bulk`): nothing is written
    before every check is done, so an atomic batch refused anywhere writes nothing."""
    staging = _Staging()
    count = _check_and_stage(items, context, strategy, staging, result)
    result.total = count + refused_by_reader
    cells.hold_staged(bulk.STAGING)  # from here on, what is read about these cells stays so until the commit
    bulk.refuse_locked(context, strategy is Strategy.DELETE, result.conflicts)  # only what passed every item check
    history = None
    if count <= OUTLIER_CHECK_LIMIT:
        history = staging.outlier_history()  # read before any write
    else:
        result.notes.append((f"Không kiểm tra giá trị bất thường cho lô trên {OUTLIER_CHECK_LIMIT:,} giá trị.",
                             f"Outliers are not checked for batches over {OUTLIER_CHECK_LIMIT:,} values."))
    bulk.refuse_duplicates(context, result.conflicts)
    bulk.refuse_by_strategy(strategy, result.conflicts,
                            result.ignored_indexes if context.ignore_by_strategy else None)
    bulk.refuse_by_rules(context, result.conflicts)
    if history is not None:
        bulk.flag_outliers(context, history, result.warnings)
    result.conflicts.sort(key=lambda c: c.index)
    result.warnings.sort(key=lambda c: c.index)
    settle_ignored(result)
    if result.atomic and result.conflicts:
        staging.clear()
        return  # nothing is taken; the counts stay 0
    counts = bulk.make_plan(strategy is Strategy.DELETE)
    result.created, result.updated = counts.get(bulk.NEW, 0), counts.get(bulk.CHANGED, 0)
    result.deleted, result.unchanged = counts.get(bulk.REMOVED, 0), counts.get(0, 0)
    if not result.dry_run:
        writer.write(counts, context, result)
    bulk.drop_plan()
    staging.clear()


def _check_and_stage(items: Iterable[Item], context: _Context, strategy: Strategy, staging: _Staging,
                     result: WriteResult) -> int:
    """Check each item on its own (a chunk at a time) and stage those that pass; return how many items came."""
    count = 0
    for chunk in _in_chunks(items, STAGE_CHUNK):
        count += len(chunk)
        context.load_units(chunk)
        checked: list[_Checked] = []
        for item in chunk:
            outcome = _check_item(context, item, strategy, result.warnings)
            (result.conflicts.append if isinstance(outcome, Conflict) else checked.append)(outcome)
        staging.add(checked)
    return count


class _BatchWriter:
    """Writes a batch's plan, its import batch row, one audit entry and one change event.

    A batch that changes nothing leaves no trace."""

    def __init__(self, actor: Any, channel: str, strategy: Strategy, atomic: bool, filename: str) -> None:
        self.actor, self.channel, self.strategy, self.atomic, self.filename = actor, channel, strategy, atomic, filename
        self.username = getattr(actor, "username", None) or (actor if isinstance(actor, str) else "")

    def write(self, counts: dict[int, int], context: _Context, result: WriteResult) -> None:
        touched = sum(n for action, n in counts.items() if action)
        if not touched:
            return
        now = timezone.now()  # one moment for the whole batch
        batch = ImportBatch.objects.create(at=now, actor=self.username, channel=self.channel,
                                           filename=self.filename[:255], strategy=self.strategy.value,
                                           atomic=self.atomic, counts=result.counts())
        bulk.write_plan(counts, batch_id=batch.id, username=self.username, channel=str(self.channel), now=now)
        self._trace(batch, bulk.touched(context, touched), result)

    def _trace(self, batch: ImportBatch, touched: bulk.Touched, result: WriteResult) -> None:
        """One audit entry and one change event for the batch."""
        counts, single, units = result.counts(), touched.single, touched.units
        record("datavalues.write", actor=self.actor, object_type="ImportBatch", object_key=str(batch.id),
               unit=single[1] if single else (next(iter(units)) if len(units) == 1 else ""),
               before={"value": single[4]} if single and single[4] is not None else None,
               after={"channel": self.channel, "filename": self.filename, "strategy": self.strategy.value, **counts,
                      "elements": sorted(touched.elements)[:50],
                      **({"key": [*single[:3], *(c for c in single[5:] if c)], "value": single[3]}
                         if single else {})})
        emit(ValuesWritten(elements=tuple(sorted(touched.elements)), batch=batch.id, imported=result.created,
                           updated=result.updated, deleted=result.deleted,
                           ignored=result.unchanged + result.rejected + result.ignored, channel=str(self.channel)),
             units=units, periods=touched.periods)
        result.written = True
        result.batch_id = batch.id
