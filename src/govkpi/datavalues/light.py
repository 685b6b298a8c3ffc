"""A small batch decided and written in memory: the light write path of `writer.write_values`.

A single value posted through the API is the commonest write on deadline day. Through the staging table and
the set-based steps (`bulk`), built for batches of a million values, it took 35 queries; here it takes the
queries its checks need and no more. The items are checked on their own by the writer's own `_check_item`
(element, period, unit, scope, window, lock, type and range), the stored values they are compared with are
read in one query, and the decisions of `bulk` are taken in the same order on the same terms: duplicates in
the batch, the strategy, the validation rules, outliers, then the plan (new, changed, removed, unchanged).
The import batch, the audit entry and the change event are the writer's own (`_BatchWriter._trace`).
tests/datavalues/test_light.py runs the same batches through both paths and compares what they answer and store.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from govkpi.core.outliers import is_outlier
from govkpi.datavalues import bulk, cells
from govkpi.datavalues.models import ApprovalState, DataApproval, DataValue, DataValueHistory, HistoryKind, ImportBatch
from govkpi.datavalues.rules import parsed_rules

if TYPE_CHECKING:  # the writer imports this module when it writes; its objects are passed in
    from govkpi.datavalues.writer import Conflict, Strategy, WriteResult, _BatchWriter, _Checked, _Context

LIGHT_BATCH = 50  # batches of at most this many items take this path; larger ones go through `bulk`


def _refuse_locked(checked: list[_Checked], stored: _Stored, delete_all: bool,
                   conflicts: list[Conflict]) -> list[_Checked]:
    """bulk.refuse_locked: the items that would change a submitted or approved cell; return the others."""
    from govkpi.datavalues.writer import locked_conflict

    locked = dict(((unit_id, period), state) for unit_id, period, state in DataApproval.objects.filter(
        unit_id__in={c.unit.id for c in checked}, period__in={c.period.id for c in checked},
        state__in=(ApprovalState.SUBMITTED, ApprovalState.APPROVED)).values_list("unit_id", "period", "state"))
    kept = []
    for c in checked:
        state = locked.get((c.unit.id, c.period.id))
        if state is None or _changes_nothing(c, delete_all, stored):
            kept.append(c)
        else:
            conflicts.append(locked_conflict(c.item.index, c.item.row, c.element.code, c.unit.code, c.period.id, state))
    return kept


def _changes_nothing(c: _Checked, delete_all: bool, stored: _Stored) -> bool:
    """The value is the stored one in value and comment (its flag then stays), or a deletion of no value."""
    old = stored.by_key.get(_key(c))
    if delete_all or c.item.deleted:
        return old is None
    return old is not None and old[5] == c.value and old[7] == (c.item.comment if c.item.comment is not None else old[7])


class _Stored:
    """The stored values the batch is compared with: its keys', its cells' (rules: each element's parts, one per
    option combo) and its series' (outliers: one per element, unit and option combos)."""

    def __init__(self, checked: list[_Checked]) -> None:
        self.by_key: dict[tuple[int, int, str, str, str], tuple] = {}
        self.cells: dict[tuple[int, str], dict[tuple[int, str, str], float | None]] = defaultdict(dict)
        self.series: dict[tuple[int, int, str, str], list[tuple[datetime.date, float]]] = defaultdict(list)
        if not checked:
            return
        wanted = Q()
        for c in checked:
            wanted |= Q(data_element_id=c.element.id, unit_id=c.unit.id) | Q(unit_id=c.unit.id, period=c.period.id)
        rows = DataValue.objects.filter(wanted).values_list(
            "id", "data_element_id", "unit_id", "period", "period_end", "value", "number", "comment", "follow_up",
            "stored_by", "updated_at", "category_option_combo", "attribute_option_combo")
        for row in rows:
            _id, element_id, unit_id, period, end, _value, number, *_rest, coc, aoc = row
            self.by_key[(element_id, unit_id, period, coc, aoc)] = row
            self.cells[(unit_id, period)][(element_id, coc, aoc)] = number
            if number is not None:
                self.series[(element_id, unit_id, coc, aoc)].append((end, number))


@dataclass
class _Planned:
    checked: _Checked
    action: int  # bulk.NEW, CHANGED, REMOVED, or 0: unchanged
    comment: str
    follow_up: bool
    old: tuple | None


def check_and_write(items: Sequence, context: _Context, strategy: Strategy, result: WriteResult,
                    writer: _BatchWriter, refused_by_reader: int) -> None:
    """`writer._check_and_write` for a small batch, in memory."""
    from govkpi.datavalues.writer import Conflict, Strategy, _check_item, settle_ignored

    result.total = len(items) + refused_by_reader
    context.load_units(items)
    checked: list[_Checked] = []
    for item in items:
        outcome = _check_item(context, item, strategy, result.warnings)
        (result.conflicts.append if isinstance(outcome, Conflict) else checked.append)(outcome)
    cells.hold((c.unit.id, c.period.id) for c in checked)
    stored = _Stored(checked)  # read before any write, after any other writer of these cells
    checked = _refuse_locked(checked, stored, strategy is Strategy.DELETE, result.conflicts)
    kept = _refuse_duplicates(checked, result.conflicts)
    kept = _refuse_by_strategy(kept, strategy, stored, result.conflicts,
                               result.ignored_indexes if context.ignore_by_strategy else None)
    kept = _refuse_by_rules(kept, context, stored, result.conflicts)
    flagged = _flag_outliers(kept, stored, result.warnings)
    result.conflicts.sort(key=lambda c: c.index)
    result.warnings.sort(key=lambda c: c.index)
    settle_ignored(result)
    if result.atomic and result.conflicts:
        return  # nothing is taken; the counts stay 0
    plan = [_planned(c, strategy is Strategy.DELETE, stored, c.item.index in flagged) for c in kept]
    actions = [p.action for p in plan]
    result.created, result.updated = actions.count(bulk.NEW), actions.count(bulk.CHANGED)
    result.deleted, result.unchanged = actions.count(bulk.REMOVED), actions.count(0)
    if not result.dry_run and any(actions):
        _write(plan, writer, result)


def _key(c: _Checked) -> tuple[int, int, str, str, str]:
    return c.element.id, c.unit.id, c.period.id, c.coc, c.aoc


def _refuse_duplicates(checked: list[_Checked], conflicts: list[Conflict]) -> list[_Checked]:
    """bulk.refuse_duplicates: every item of a key given twice, each conflict naming all of them."""
    from govkpi.datavalues.writer import Conflict

    groups: dict[tuple, list[_Checked]] = defaultdict(list)
    for c in checked:
        groups[_key(c)].append(c)
    for key in sorted((k for k, members in groups.items() if len(members) > 1),
                      key=lambda k: (k[1], k[2], k[0], k[3], k[4])):
        members = sorted(groups[key], key=lambda c: c.item.index)
        words, name = bulk.key_words(members[0].element.code, members[0].unit.code, key[2], key[3], key[4])
        indexes = [c.item.index for c in members]
        where = ", ".join(str(c.item.row if c.item.row is not None else c.item.index) for c in members)
        for c in members:
            conflicts.append(Conflict(
                c.item.index, "key", "duplicate_in_batch",
                f"Trùng số liệu {words} ở các dòng/vị trí {where}.",
                f"The same value {words} appears at rows/indexes {where}.",
                name, indexes=indexes, row=c.item.row))
    return [c for c in checked if len(groups[_key(c)]) == 1]


def _refuse_by_strategy(checked: list[_Checked], strategy: Strategy, stored: _Stored, conflicts: list[Conflict],
                        ignored: list[int] | None = None) -> list[_Checked]:
    """bulk.refuse_by_strategy: CREATE refuses values that exist, UPDATE values that do not; with `ignored`,
    bulk.ignore_by_strategy: CREATE passes over the items whose key exists, UPDATE and DELETE those whose key
    does not, deletions included."""
    from govkpi.datavalues.writer import Conflict, Strategy

    if ignored is not None:
        if strategy is Strategy.CREATE_AND_UPDATE:
            return checked
        passed_over = {c.item.index for c in checked if (_key(c) in stored.by_key) == (strategy is Strategy.CREATE)}
        ignored += sorted(passed_over)
        return [c for c in checked if c.item.index not in passed_over]
    if strategy not in (Strategy.CREATE, Strategy.UPDATE):
        return checked
    kept = []
    for c in sorted(checked, key=lambda c: c.item.index):
        exists = _key(c) in stored.by_key
        if c.item.deleted or exists == (strategy is Strategy.UPDATE):
            kept.append(c)
        elif strategy is Strategy.CREATE:
            conflicts.append(Conflict(c.item.index, "key", "already_exists",
                                      "Số liệu đã có; chiến lược CREATE không sửa số liệu có sẵn.",
                                      "The value exists; strategy CREATE does not update.", c.value, row=c.item.row))
        else:
            conflicts.append(Conflict(c.item.index, "key", "does_not_exist",
                                      "Chưa có số liệu để sửa (chiến lược UPDATE).",
                                      "There is no value to update (strategy UPDATE).", c.value, row=c.item.row))
    return kept


def _refuse_by_rules(checked: list[_Checked], context: _Context, stored: _Stored,
                     conflicts: list[Conflict]) -> list[_Checked]:
    """bulk.refuse_by_rules: every rule over each (unit, period) where the batch gives one of its elements; the
    batch's values win over the stored ones (a deletion counts as no value)."""
    cells: dict[tuple[int, str], list[_Checked]] = defaultdict(list)
    for c in checked:
        cells[(c.unit.id, c.period.id)].append(c)
    found: list[tuple] = []  # (rule position, element id, index, cell, conflict), as bulk orders them
    for rule in parsed_rules():
        ids = {context.elements[code].id: code for code in rule.references if code in context.elements}
        if not ids or (rule.simple() is not None and len(ids) < len(set(rule.simple()))):
            continue  # an unknown element never has a value
        for cell, members in cells.items():
            given = [c for c in members if c.element.id in ids]
            if not given:
                continue
            parts = {key: n for key, n in stored.cells.get(cell, {}).items() if key[0] in ids}
            for c in given:
                parts[(c.element.id, c.coc, c.aoc)] = c.number  # the batch's own wins (none for a deletion)
            broken = rule.broken(bulk.element_totals(parts, ids))
            if broken is None:
                continue
            found += [(rule.position, c.element.id, c.item.index, cell,
                       bulk._rule_conflict(rule, *broken, c.item.index, c.item.row, c.value)) for c in given]
    found.sort(key=lambda f: (f[0], f[1], f[2]))
    named: dict[tuple, list[int]] = defaultdict(list)
    for position, _element, index, cell, _conflict in found:
        named[(position, cell)].append(index)
    for position, _element, _index, cell, conflict in found:
        conflict.indexes = named[(position, cell)]
        conflicts.append(conflict)
    refused = {f[2] for f in found}
    return [c for c in checked if c.item.index not in refused]


def _flag_outliers(checked: list[_Checked], stored: _Stored, warnings: list[Conflict]) -> set[int]:
    """bulk.flag_outliers: values far from the unit's own history, without a comment, flagged for follow-up."""
    from govkpi.datavalues.writer import Conflict

    flagged = set()
    for c in sorted(checked, key=lambda c: c.item.index):
        if c.item.deleted or c.number is None:
            continue
        earlier = sorted((end, n) for end, n in stored.series.get((c.element.id, c.unit.id, c.coc, c.aoc), [])
                         if end < c.period.start)
        if is_outlier(c.number, [n for _end, n in earlier[-12:]]) and not (c.item.comment or "").strip():
            flagged.add(c.item.index)
            warnings.append(Conflict(
                c.item.index, "value", "outlier_needs_comment",
                f"Giá trị {c.value} khác xa các kỳ trước của {c.unit.code}: đề nghị ghi chú giải thích (đã đánh dấu cần xem lại).",
                f"Value {c.value} is far from {c.unit.code}'s earlier periods: please add a comment (flagged for follow-up).",
                c.value, row=c.item.row, warning=True))
    return flagged


def _planned(c: _Checked, delete_all: bool, stored: _Stored, flagged: bool) -> _Planned:
    """bulk.make_plan for one value: a comment or flag not given keeps the stored one; an outlier is flagged; an
    unchanged value and comment keep their flag."""
    old = stored.by_key.get(_key(c))
    old_value, old_comment, old_follow_up = (old[5], old[7], old[8]) if old else (None, None, None)
    comment = c.item.comment if c.item.comment is not None else (old_comment if old_comment is not None else "")
    if old is not None and old_value == c.value and old_comment == comment:
        follow_up = bool(old_follow_up)
    elif c.item.follow_up is None and not flagged:
        follow_up = bool(old_follow_up)
    else:
        follow_up = flagged or bool(c.item.follow_up)
    if delete_all or c.item.deleted:
        action = bulk.REMOVED if old else 0
    elif old is None:
        action = bulk.NEW
    elif old_value == c.value and old_comment == comment and old_follow_up == follow_up:
        action = 0
    else:
        action = bulk.CHANGED
    return _Planned(c, action, comment, follow_up, old)


def _write(plan: list[_Planned], writer: _BatchWriter, result: WriteResult) -> None:
    """bulk.write_plan, then the writer's own audit entry and change event."""
    now = timezone.now()
    username, channel = writer.username, str(writer.channel)
    batch = ImportBatch.objects.create(at=now, actor=username, channel=writer.channel,
                                       filename=writer.filename[:255], strategy=writer.strategy.value,
                                       atomic=writer.atomic, counts=result.counts())
    written = [p for p in plan if p.action]
    order = sorted((p for p in written if p.action in (bulk.CHANGED, bulk.REMOVED)),
                   key=lambda p: (p.action, p.checked.unit.id, p.checked.period.id, p.checked.element.id,
                                  p.checked.coc, p.checked.aoc, p.checked.item.index))
    DataValueHistory.objects.bulk_create([DataValueHistory(
        data_element_id=p.checked.element.id, unit_id=p.checked.unit.id, period=p.checked.period.id,
        category_option_combo=p.checked.coc, attribute_option_combo=p.checked.aoc,
        kind=HistoryKind.UPDATED if p.action == bulk.CHANGED else HistoryKind.DELETED, previous_value=p.old[5],
        previous_comment=p.old[7], previous_stored_by=p.old[9], previous_updated_at=p.old[10],
        new_value=p.checked.value if p.action == bulk.CHANGED else "", changed_by=username, changed_at=now,
        channel=channel, batch=batch) for p in order])
    changed = [p for p in written if p.action == bulk.CHANGED]
    if len(changed) == 1:  # one UPDATE … WHERE id, not bulk_update's CASE over the ids
        p = changed[0]
        DataValue.objects.filter(id=p.old[0]).update(
            value=p.checked.value, number=p.checked.number, comment=p.comment, follow_up=p.follow_up,
            stored_by=username, channel=channel, updated_at=now, batch=batch)
    elif changed:
        DataValue.objects.bulk_update(
            [DataValue(id=p.old[0], value=p.checked.value, number=p.checked.number, comment=p.comment,
                       follow_up=p.follow_up, stored_by=username, channel=channel, updated_at=now, batch=batch)
             for p in changed],
            ["value", "number", "comment", "follow_up", "stored_by", "channel", "updated_at", "batch"])
    removed = [p.old[0] for p in written if p.action == bulk.REMOVED]
    if removed:
        DataValue.objects.filter(id__in=removed).delete()
    new = sorted((p for p in written if p.action == bulk.NEW), key=lambda p: _key(p.checked))
    DataValue.objects.bulk_create([DataValue(
        data_element_id=p.checked.element.id, unit_id=p.checked.unit.id, period=p.checked.period.id,
        category_option_combo=p.checked.coc, attribute_option_combo=p.checked.aoc, period_start=p.checked.period.start, period_end=p.checked.period.end, value=p.checked.value,
        number=p.checked.number, comment=p.comment, follow_up=p.follow_up, stored_by=username, channel=channel,
        created_at=now, updated_at=now, batch=batch) for p in new])
    single = None
    if len(written) == 1:
        c, old = written[0].checked, written[0].old
        single = (c.element.code, c.unit.code, c.period.id, c.value, old[5] if old else None, c.coc, c.aoc)
    writer._trace(batch, bulk.Touched({p.checked.unit.code for p in written}, {p.checked.period.id for p in written},
                                      {p.checked.element.code for p in written}, single), result)
