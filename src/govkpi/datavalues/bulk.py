"""A staged batch decided and written set-based, inside the database: the second half of `writer.write_values`.

The writer checks each item on its own and stages what passed (ids, canonical value, number) in a temporary
table. Everything that compares items with each other or with the stored values is then a handful of SQL
statements over that table, the same on SQLite and PostgreSQL, instead of a trip back through Python per value:
1. duplicates in the batch, 2. the import strategy (CREATE, UPDATE), 3. validation rules — `#{A} op #{B}` (every
rule the catalog derives) in one query, any other formula evaluated in Python over the cells it concerns, 4.
outliers (small batches only, in Python), 5. the plan: each staged value with the stored one of its key, sorted
into new, changed, removed and unchanged (`_PLAN`), 6. the writes: history rows, updates, deletions and new
values with `INSERT … SELECT`.
Only refused values come back to Python (to be reported with their row, field and reason), plus the few
distinct units, periods and elements the audit entry and the change event name. Steps 1–4 mark refused rows in
the staging table, so each step sees what the earlier ones left, exactly as the in-memory writer did.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection

from govkpi.core.outliers import is_outlier
from govkpi.datavalues.models import ApprovalState, DataApproval, DataValue, DataValueHistory
from govkpi.datavalues.rules import COMPARE, Rule, parsed_rules

if TYPE_CHECKING:  # the writer imports this module; at run time its objects are passed in
    from govkpi.datavalues.writer import Conflict, Strategy, _Context

STAGING = "govkpi_writer_staging"
_PLAN = "govkpi_writer_plan"
_VALUES = DataValue._meta.db_table
_HISTORY = DataValueHistory._meta.db_table
_IN_LIST = 1000  # ids per `IN (…)`: far below SQLite's and PostgreSQL's parameter limits
_KEY = ("d.data_element_id = s.element_id AND d.unit_id = s.unit_id AND d.period = s.period "
        "AND d.category_option_combo = s.coc AND d.attribute_option_combo = s.aoc")
# New, changed, removed; 0 is unchanged (or a deletion of a value that is not there).
NEW, CHANGED, REMOVED = 1, 2, 3


def _rows(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _run(sql: str, params: Sequence[Any] = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _mark_refused(indexes: Iterable[int]) -> None:
    """Take refused items out of every later step."""
    wanted = sorted(set(indexes))
    for start in range(0, len(wanted), _IN_LIST):
        chunk = wanted[start:start + _IN_LIST]
        _run(f"UPDATE {STAGING} SET refused = TRUE WHERE idx IN ({', '.join(['%s'] * len(chunk))})", chunk)


def key_words(code: str, unit: str, period: str, coc: str, aoc: str) -> tuple[str, str]:
    """A value's key for people, "(DVC, 01, 202509)" and the object "DVC/01/202509", combos only when given."""
    parts = [code, unit, period, *(c for c in (coc, aoc) if c)]
    return f"({', '.join(parts)})", "/".join(parts)


def refuse_duplicates(context: _Context, conflicts: list[Conflict]) -> None:
    """The same key twice in one batch: every item of that key refused, each conflict naming all of them."""
    from govkpi.datavalues.writer import Conflict

    rows = _rows(f"SELECT s.element_id, s.unit_id, s.period, s.coc, s.aoc, s.idx, s.row_number FROM {STAGING} s "
                 f"JOIN (SELECT element_id, unit_id, period, coc, aoc FROM {STAGING} WHERE NOT refused "
                 f"GROUP BY element_id, unit_id, period, coc, aoc HAVING COUNT(*) > 1) k "
                 f"ON k.element_id = s.element_id AND k.unit_id = s.unit_id AND k.period = s.period "
                 f"AND k.coc = s.coc AND k.aoc = s.aoc WHERE NOT s.refused "
                 f"ORDER BY s.unit_id, s.period, s.element_id, s.coc, s.aoc, s.idx")
    groups: dict[tuple, list[tuple[int, int | None]]] = defaultdict(list)
    for element_id, unit_id, period, coc, aoc, index, row in rows:
        groups[(element_id, unit_id, period, coc, aoc)].append((index, row))
    for (element_id, unit_id, period, coc, aoc), members in groups.items():
        code, unit = context.elements_by_id[element_id].code, context.units_by_id[unit_id].code
        words, key = key_words(code, unit, period, coc, aoc)
        indexes = [index for index, _row in members]
        where = ", ".join(str(row if row is not None else index) for index, row in members)
        for index, row in members:
            conflicts.append(Conflict(
                index, "key", "duplicate_in_batch",
                f"Trùng số liệu {words} ở các dòng/vị trí {where}.",
                f"The same value {words} appears at rows/indexes {where}.",
                key, indexes=indexes, row=row))
    _mark_refused(i for members in groups.values() for i, _row in members)


def refuse_locked(context: _Context, delete_all: bool, conflicts: list[Conflict]) -> None:
    """Staged values that would change a submitted or approved cell, read once the batch holds its cells
    (`cells`). A value equal to the stored one in value and comment, or a deletion of no value, changes nothing
    and passes (counted unchanged): a sync sending a locked month again converges instead of being refused."""
    from govkpi.datavalues.writer import locked_conflict

    deleted = "TRUE" if delete_all else "s.deleted"
    rows = _rows(f"SELECT s.idx, s.row_number, s.element_id, s.unit_id, s.period, a.state FROM {STAGING} s "
                 f"JOIN {DataApproval._meta.db_table} a ON a.unit_id = s.unit_id AND a.period = s.period "
                 f"LEFT JOIN {_VALUES} d ON {_KEY} "
                 "WHERE NOT s.refused AND a.state IN (%s, %s) AND NOT "
                 f"(CASE WHEN {deleted} THEN d.id IS NULL ELSE (d.id IS NOT NULL AND d.value = s.value "
                 "AND d.comment = COALESCE(s.comment, d.comment, '')) END) ORDER BY s.idx",
                 [ApprovalState.SUBMITTED, ApprovalState.APPROVED])
    for index, row, element_id, unit_id, period, state in rows:
        conflicts.append(locked_conflict(index, row, context.elements_by_id[element_id].code,
                                         context.units_by_id[unit_id].code, period, state))
    _mark_refused(index for index, *_rest in rows)


def refuse_by_strategy(strategy: Strategy, conflicts: list[Conflict], ignored: list[int] | None = None) -> None:
    """CREATE refuses values that exist, UPDATE values that do not (deletions pass either way).

    With `ignored` (the writer's `ignore_by_strategy`), DHIS2 2.40's rule instead: the items a strategy does not
    apply to are passed over, their indexes added to `ignored`, with no conflict (`ignore_by_strategy`)."""
    from govkpi.datavalues.writer import Conflict, Strategy

    if ignored is not None:
        ignore_by_strategy(strategy, ignored)
        return
    if strategy not in (Strategy.CREATE, Strategy.UPDATE):
        return
    exists = "EXISTS" if strategy is Strategy.CREATE else "NOT EXISTS"
    rows = _rows(f"SELECT s.idx, s.row_number, s.value FROM {STAGING} s WHERE NOT s.refused AND NOT s.deleted "
                 f"AND {exists} (SELECT 1 FROM {_VALUES} d WHERE {_KEY}) ORDER BY s.idx")
    for index, row, value in rows:
        if strategy is Strategy.CREATE:
            conflicts.append(Conflict(index, "key", "already_exists",
                                      "Số liệu đã có; chiến lược CREATE không sửa số liệu có sẵn.",
                                      "The value exists; strategy CREATE does not update.", value, row=row))
        else:
            conflicts.append(Conflict(index, "key", "does_not_exist", "Chưa có số liệu để sửa (chiến lược UPDATE).",
                                      "There is no value to update (strategy UPDATE).", value, row=row))
    _mark_refused(index for index, _row, _value in rows)


def ignore_by_strategy(strategy: Strategy, ignored: list[int]) -> None:
    """DHIS2 2.40 (dhis2-core DefaultDataValueSetService.importDataValue): CREATE passes over every item whose key
    has a value, UPDATE and DELETE every item whose key has none, deletions included; each is counted ignored
    and its index rejected, with no conflict. Taken out of every later step, so nothing of it is written."""
    from govkpi.datavalues.writer import Strategy

    if strategy is Strategy.CREATE_AND_UPDATE:
        return
    exists = "EXISTS" if strategy is Strategy.CREATE else "NOT EXISTS"
    rows = _rows(f"SELECT s.idx FROM {STAGING} s WHERE NOT s.refused "
                 f"AND {exists} (SELECT 1 FROM {_VALUES} d WHERE {_KEY}) ORDER BY s.idx")
    indexes = [index for (index,) in rows]
    ignored += indexes
    _mark_refused(indexes)


def refuse_by_rules(context: _Context, conflicts: list[Conflict]) -> None:
    """Apply every validation rule to each (unit, period) where the batch gives one of its elements.

    A cell's values are the batch's own (a deletion counts as no value), then the stored ones; an element's value
    is its total over its option combos. A broken rule refuses the batch's values of the elements it names, each
    conflict naming all of them. A rule over a disaggregated element is evaluated in Python (`_formula_rule`),
    which sums the combos; the one-query check of `#{A} op #{B}` takes one value per element and cell."""
    found: list[tuple] = []  # (rule position, element id, index, (unit id, period), conflict)
    simple, other = [], []
    for rule in parsed_rules():
        pair = rule.simple()
        if pair is not None and any(code in context.elements and context.disaggregated(context.elements[code])
                                    for code in pair):
            pair = None
        if pair is None:
            other.append(rule)
        elif all(code in context.elements for code in pair):  # an unknown element never has a value
            simple.append((rule, context.elements[pair[0]].id, context.elements[pair[1]].id))
    if simple:
        found += _simple_rules(simple)
    for rule in other:
        found += _formula_rule(rule, context)
    # The in-memory writer's order: by rule, then by element and index within a cell.
    found.sort(key=lambda f: (f[0], f[1], f[2]))
    named: dict[tuple, list[int]] = defaultdict(list)  # the indexes each broken rule of a cell names
    for position, _element, index, cell, _conflict in found:
        named[(position, cell)].append(index)
    for position, _element, _index, cell, conflict in found:
        conflict.indexes = named[(position, cell)]
        conflicts.append(conflict)
    _mark_refused(f[2] for f in found)


def _rule_conflict(rule: Rule, a: float, b: float, index: int, row: int | None, value: str) -> Conflict:
    from govkpi.datavalues.writer import Conflict

    r = rule.rule
    return Conflict(index, "value", f"rule:{r.code}", f"{r.message_vi} ({r.left} = {a:g}, {r.right} = {b:g})",
                    f"{r.message_en} ({r.left} = {a:g}, {r.right} = {b:g})", value, row=row)


def _simple_rules(rules: list[tuple[Rule, int, int]]) -> list[tuple]:
    """`#{A} op #{B}` rules, all in one query: the batch's values of A and B (`x`), their cells with the
    batch's value of each side or else the stored one, the broken cells, and the items of `x` in them.

    One pass over the staging table per side and a grouping, no self-join: a stored value is looked up
    only for a side the batch does not give."""
    values = ", ".join(f"({rule.position}, {a}, {b}, '{rule.rule.operator}')" for rule, a, b in rules)
    # The operators are the model's choices (Operator); inlined because SQL cannot take one as a parameter.
    broken = " OR ".join(f"(c.op = '{op}' AND NOT (c.a {op.replace('==', '=')} c.b))" for op in COMPARE)
    stored = ("(SELECT d.number FROM {values} d WHERE d.data_element_id = r.{side}_id AND d.unit_id = g.unit_id "
              "AND d.period = g.period)")
    sql = (
        f"WITH r (pos, a_id, b_id, op) AS (VALUES {values}), "
        f"x AS MATERIALIZED (SELECT r.pos, s.unit_id, s.period, s.element_id, 1 AS side, s.number, s.idx, "
        f"s.row_number, s.value FROM {STAGING} s JOIN r ON s.element_id = r.a_id WHERE NOT s.refused "
        f"UNION ALL SELECT r.pos, s.unit_id, s.period, s.element_id, 2, s.number, s.idx, s.row_number, s.value "
        f"FROM {STAGING} s JOIN r ON s.element_id = r.b_id WHERE NOT s.refused), "
        f"g AS (SELECT pos, unit_id, period, MAX(CASE WHEN side = 1 THEN 1 END) AS has_a, "
        f"MAX(CASE WHEN side = 1 THEN number END) AS a_given, MAX(CASE WHEN side = 2 THEN 1 END) AS has_b, "
        f"MAX(CASE WHEN side = 2 THEN number END) AS b_given FROM x GROUP BY pos, unit_id, period), "
        f"c AS (SELECT g.pos, g.unit_id, g.period, r.op, "
        f"CASE WHEN g.has_a = 1 THEN g.a_given ELSE {stored.format(values=_VALUES, side='a')} END AS a, "
        f"CASE WHEN g.has_b = 1 THEN g.b_given ELSE {stored.format(values=_VALUES, side='b')} END AS b "
        f"FROM g JOIN r ON r.pos = g.pos) "
        f"SELECT c.pos, c.a, c.b, x.element_id, x.idx, x.row_number, x.value, x.unit_id, x.period FROM c "
        f"JOIN x ON x.pos = c.pos AND x.unit_id = c.unit_id AND x.period = c.period "
        f"WHERE c.a IS NOT NULL AND c.b IS NOT NULL AND ({broken})")
    by_position = {rule.position: rule for rule, _a, _b in rules}
    seen: set[tuple[int, int]] = set()  # a rule naming one element on both sides reports its item once
    found = []
    for position, a, b, element_id, index, row, value, unit_id, period in _rows(sql):
        if (position, index) not in seen:
            seen.add((position, index))
            found.append((position, element_id, index, (unit_id, period),
                          _rule_conflict(by_position[position], float(a), float(b), index, row, value)))
    return found


def _formula_rule(rule: Rule, context: _Context) -> list[tuple]:
    """Any other rule: the values of its elements in the cells where the batch gives one, evaluated here."""
    ids = {context.elements[code].id: code for code in rule.references if code in context.elements}
    if not ids:
        return []
    listed = ", ".join(str(i) for i in ids)
    staged = _rows(f"SELECT unit_id, period, element_id, coc, aoc, number, idx, row_number, value FROM {STAGING} "
                   f"WHERE NOT refused AND element_id IN ({listed})")
    stored = _rows(f"SELECT d.unit_id, d.period, d.data_element_id, d.category_option_combo, d.attribute_option_combo, "
                   f"d.number FROM {_VALUES} d JOIN (SELECT DISTINCT "
                   f"unit_id, period FROM {STAGING} WHERE NOT refused AND element_id IN ({listed})) c "
                   f"ON d.unit_id = c.unit_id AND d.period = c.period WHERE d.data_element_id IN ({listed})")
    parts: dict[tuple[int, str], dict[tuple[int, str, str], float | None]] = defaultdict(dict)
    for unit_id, period, element_id, coc, aoc, number in stored:
        parts[(unit_id, period)][(element_id, coc, aoc)] = number
    members: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    for unit_id, period, element_id, coc, aoc, number, index, row, value in staged:
        parts[(unit_id, period)][(element_id, coc, aoc)] = number  # the batch's own wins (none for a deletion)
        members[(unit_id, period)].append((element_id, index, row, value))
    found = []
    for cell, given in members.items():
        broken = rule.broken(element_totals(parts[cell], ids))
        if broken is None:
            continue
        for element_id, index, row, value in given:
            found.append((rule.position, element_id, index, cell, _rule_conflict(rule, *broken, index, row, value)))
    return found


def element_totals(parts: dict[tuple[int, str, str], float | None], codes: dict[int, str]) -> dict[str, float | None]:
    """A cell's values by element code from its (element id, COC, AOC) parts: the sum of the numbers, None when
    no part has one (the element has no value there)."""
    totals: dict[str, float | None] = {}
    for (element_id, _coc, _aoc), number in parts.items():
        code = codes[element_id]
        if number is not None:
            totals[code] = (totals.get(code) or 0.0) + number
        else:
            totals.setdefault(code, None)
    return totals


def flag_outliers(context: _Context, history: dict[tuple[int, int, str, str], list[tuple[datetime.date, float]]],
                  warnings: list[Conflict]) -> None:
    """Flag values far from the unit's own history and ask for a comment; nothing is refused here."""
    from govkpi.datavalues.writer import Conflict

    flagged = []
    for index, row, element_id, unit_id, coc, aoc, start, value, number, comment in _rows(
            f"SELECT idx, row_number, element_id, unit_id, coc, aoc, period_start, value, number, comment "
            f"FROM {STAGING} WHERE NOT refused AND NOT deleted AND number IS NOT NULL ORDER BY idx"):
        start = start if isinstance(start, datetime.date) else datetime.date.fromisoformat(start)
        earlier = sorted((end, n) for end, n in history.get((element_id, unit_id, coc, aoc), []) if end < start)
        if is_outlier(number, [n for _end, n in earlier[-12:]]) and not (comment or "").strip():
            flagged.append(index)
            unit = context.units_by_id[unit_id].code
            warnings.append(Conflict(
                index, "value", "outlier_needs_comment",
                f"Giá trị {value} khác xa các kỳ trước của {unit}: đề nghị ghi chú giải thích (đã đánh dấu cần xem lại).",
                f"Value {value} is far from {unit}'s earlier periods: please add a comment (flagged for follow-up).",
                value, row=row, warning=True))
    for start in range(0, len(flagged), _IN_LIST):
        chunk = flagged[start:start + _IN_LIST]
        _run(f"UPDATE {STAGING} SET flagged = TRUE WHERE idx IN ({', '.join(['%s'] * len(chunk))})", chunk)


def make_plan(delete_all: bool) -> dict[int, int]:
    """Each value still staged with the stored value of its key and what becomes of it; counts by action.

    A comment or follow-up flag not given keeps the stored one; an outlier is flagged for follow-up; a value
    equal to the stored one in value and comment keeps its flag and is unchanged (a file sent again after a
    crash, its `followup` column false, cleared the flags an outlier check had set: 8,829 history rows of no
    change)."""
    deleted = "TRUE" if delete_all else "s.deleted"
    comment = "COALESCE(s.comment, d.comment, '')"
    follow_up = (f"CASE WHEN d.value = s.value AND d.comment = {comment} THEN d.follow_up "
                 "WHEN s.follow_up IS NULL AND NOT s.flagged THEN COALESCE(d.follow_up, FALSE) "
                 "ELSE (s.flagged OR COALESCE(s.follow_up, FALSE)) END")
    _run(f"DROP TABLE IF EXISTS {_PLAN}")
    _run(f"CREATE TEMP TABLE {_PLAN} AS SELECT s.idx, s.element_id, s.unit_id, s.period, s.coc, s.aoc, s.period_start, "
         f"s.period_end, s.value, s.number, {comment} AS comment, {follow_up} AS follow_up, d.id AS old_id, "
         f"d.value AS old_value, d.comment AS old_comment, d.stored_by AS old_stored_by, "
         f"d.updated_at AS old_updated_at, CASE WHEN {deleted} THEN (CASE WHEN d.id IS NULL THEN 0 ELSE {REMOVED} END) "
         f"WHEN d.id IS NULL THEN {NEW} WHEN d.value = s.value AND d.comment = {comment} "
         f"AND d.follow_up = {follow_up} THEN 0 ELSE {CHANGED} END AS action "
         f"FROM {STAGING} s LEFT JOIN {_VALUES} d ON {_KEY} WHERE NOT s.refused")
    return {action: count for action, count in _rows(f"SELECT action, COUNT(*) FROM {_PLAN} GROUP BY action")}


def drop_plan() -> None:
    _run(f"DROP TABLE IF EXISTS {_PLAN}")


def write_plan(counts: dict[int, int], *, batch_id: int, username: str, channel: str,
               now: datetime.datetime) -> None:
    """History rows of the changed and removed values, then the updates, deletions and new values."""
    at = connection.ops.adapt_datetimefield_value(now)
    if counts.get(CHANGED) or counts.get(REMOVED):
        # Before the change itself: the history keeps the state each value had.
        _run(f"INSERT INTO {_HISTORY} (data_element_id, unit_id, period, category_option_combo, "
             f"attribute_option_combo, kind, previous_value, previous_comment, "
             f"previous_stored_by, previous_updated_at, new_value, changed_by, changed_at, channel, batch_id) "
             f"SELECT element_id, unit_id, period, coc, aoc, CASE WHEN action = {CHANGED} THEN 'updated' ELSE 'deleted' END, "
             f"old_value, old_comment, old_stored_by, old_updated_at, "
             f"CASE WHEN action = {CHANGED} THEN value ELSE '' END, %s, %s, %s, %s FROM {_PLAN} "
             f"WHERE action IN ({CHANGED}, {REMOVED}) ORDER BY action, unit_id, period, element_id, coc, aoc, idx",
             [username, at, channel, batch_id])
    if counts.get(CHANGED):
        _run(f"UPDATE {_VALUES} SET value = p.value, number = p.number, comment = p.comment, "
             f"follow_up = p.follow_up, stored_by = %s, channel = %s, updated_at = %s, batch_id = %s "
             f"FROM {_PLAN} p WHERE {_VALUES}.id = p.old_id AND p.action = {CHANGED}",
             [username, channel, at, batch_id])
    if counts.get(REMOVED):
        _run(f"DELETE FROM {_VALUES} WHERE id IN (SELECT old_id FROM {_PLAN} WHERE action = {REMOVED})")
    if counts.get(NEW):
        _run(f"INSERT INTO {_VALUES} (data_element_id, unit_id, period, category_option_combo, attribute_option_combo, "
             f"period_start, period_end, value, number, comment, follow_up, stored_by, channel, created_at, updated_at, "
             f"batch_id) SELECT element_id, unit_id, period, coc, aoc, period_start, period_end, value, number, "
             f"comment, follow_up, %s, %s, %s, %s, %s FROM {_PLAN} WHERE action = {NEW} "
             f"ORDER BY element_id, unit_id, period, coc, aoc",
             [username, channel, at, at, batch_id])


@dataclass
class Touched:
    """What a batch wrote, for its audit entry and change event: codes, and the one value if only one."""

    units: set[str]
    periods: set[str]
    elements: set[str]
    # element, unit, period, value, previous value, COC, AOC
    single: tuple[str, str, str, str, str | None, str, str] | None


def touched(context: _Context, count: int) -> Touched:
    units = {context.units_by_id[u].code for (u,) in _rows(f"SELECT DISTINCT unit_id FROM {_PLAN} WHERE action > 0")}
    periods = {p for (p,) in _rows(f"SELECT DISTINCT period FROM {_PLAN} WHERE action > 0")}
    elements = {context.elements_by_id[e].code
                for (e,) in _rows(f"SELECT DISTINCT element_id FROM {_PLAN} WHERE action > 0")}
    single = None
    if count == 1:
        element_id, unit_id, period, value, old_value, coc, aoc = _rows(
            f"SELECT element_id, unit_id, period, value, old_value, coc, aoc FROM {_PLAN} WHERE action > 0")[0]
        single = (context.elements_by_id[element_id].code, context.units_by_id[unit_id].code, period, value,
                  old_value, coc, aoc)
    return Touched(units, periods, elements, single)
