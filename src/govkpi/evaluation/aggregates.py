"""The running aggregates results are made of: per data element, unit and period, the sum, count, minimum,
maximum and demo count of the counted values in the unit's subtree (evaluation.models.Aggregate). A value here is
an element's total for a unit and period, summed over its option combos (datavalues.totals), so `count` counts
reporting units and the minimum and maximum are units' totals, whatever the disaggregation.

A write touches a few (element, unit, period) keys; the engine `refresh`es the aggregates of those elements
and periods for the written units and their ancestors, from the values, in one grouped query per scope, and
learns which aggregates really changed. So a cell's inputs are a lookup, and a pass costs what the change
touches: the national aggregate of one element and month re-sums that month's values of that element (a few
thousand rows at most), never the element's history. Why re-sum instead of adding the difference: events do
not carry the old values, a minimum or maximum cannot be un-added, and a sum read from the values cannot
drift. `rebuild` fills the whole table with one INSERT … SELECT; `fresh` recomputes without writing (verify).

"Counted" is the read door's rule (docs/adr/0001-one-read-door.md): every value of a provisional period, the
approved units' values of an official one (its end on or before the calendar's cutoff).
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from govkpi.bulk import add_rows
from govkpi.datavalues import totals
from govkpi.datavalues.models import ApprovalState, DataApproval, DataValue
from govkpi.datavalues.synthetic import DEMO_CHANNEL
from govkpi.evaluation.models import Aggregate, Cursor, UnitAncestor
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit

CLOSURE_CURSOR = "unit-closure"  # a fingerprint of the paths the closure table was built from
BUILT_CURSOR = "aggregates-built"  # present once the table has been filled (a database from before it has not)
IN_LIST_MAX = 500  # past this many owners, a scope names none (every owner of those elements and periods)

Key = tuple[int, int, str]  # (data element id, unit id, period)
Row = tuple[float, int, float, float, int, datetime.date]  # total, count, low, high, demo, period end


@dataclass(frozen=True)
class Units:
    """Every unit's ancestors (itself included, root first), read from the materialised paths."""

    ancestors: dict[int, tuple[int, ...]]
    ids_by_code: dict[str, int]
    code_by_id: dict[int, str]
    kind_by_id: dict[int, str]
    fingerprint: int

    @classmethod
    def read(cls) -> Units:
        rows = list(OrgUnit.objects.order_by("id").values_list("id", "code", "path", "kind"))
        ids_by_code = {code: uid for uid, code, _path, _kind in rows}
        ancestors = {uid: tuple(ids_by_code[c] for c in path.strip("/").split("/") if c in ids_by_code)
                     for uid, _code, path, _kind in rows}
        digest = hashlib.blake2b("\n".join(f"{uid} {path}" for uid, _c, path, _k in rows).encode(), digest_size=7)
        return cls(ancestors, ids_by_code, {uid: code for code, uid in ids_by_code.items()},
                   {uid: kind for uid, _c, _p, kind in rows}, int.from_bytes(digest.digest(), "big"))

    def owners(self, unit_codes: Iterable[str]) -> set[int]:
        """The units whose aggregates a value of these units enters: each of them and its ancestors."""
        out: set[int] = set()
        for code in unit_codes:
            uid = self.ids_by_code.get(code)
            if uid is not None:
                out.update(self.ancestors.get(uid, (uid,)))
        return out


def sync_closure(units: Units) -> bool:
    """Rebuild the closure table when the paths changed since it was built; True when it was rebuilt."""
    cursor, _created = Cursor.objects.get_or_create(name=CLOSURE_CURSOR)
    if cursor.last_event_id == units.fingerprint and UnitAncestor.objects.exists() == bool(units.ancestors):
        return False
    UnitAncestor.objects.all().delete()
    UnitAncestor.objects.bulk_create([UnitAncestor(unit_id=uid, ancestor_id=a)
                                      for uid, chain in units.ancestors.items() for a in set(chain)],
                                     batch_size=5000)
    cursor.last_event_id = units.fingerprint
    cursor.save()
    return True


@dataclass(frozen=True)
class Scope:
    """Which aggregates to recompute: these elements × periods × owners (None: every one)."""

    elements: frozenset[int] | None
    periods: frozenset[str] | None
    owners: frozenset[int] | None

    def __post_init__(self) -> None:
        if self.owners is not None and len(self.owners) > IN_LIST_MAX:
            object.__setattr__(self, "owners", None)


def merge(scopes: Iterable[Scope]) -> list[Scope]:
    """Coalesce a pass's scopes: those of the same periods become one, their elements and owners united (the
    writes of one deadline day share a month, so a thousand events make a scope or two). The union may name
    a few aggregates no event touched: they are re-summed, found unchanged and left alone."""
    by_periods: dict[frozenset[str] | None, tuple[set[int] | None, set[int] | None]] = {}
    for scope in scopes:
        elements, owners = by_periods.get(scope.periods, (set(), set()))
        elements = None if elements is None or scope.elements is None else elements | scope.elements
        owners = None if owners is None or scope.owners is None else owners | scope.owners
        by_periods[scope.periods] = (elements, owners)
    merged = [Scope(None if e is None else frozenset(e), p, None if o is None else frozenset(o))
              for p, (e, o) in by_periods.items()]
    # A scope of every element and period absorbs the rest.
    if any(s.elements is None and s.periods is None and s.owners is None for s in merged):
        return [Scope(None, None, None)]
    return merged


def _own_elements() -> list[int]:
    return list(DataElement.objects.filter(aggregation_units="none").values_list("id", flat=True))


def _select(scope: Scope, official_until: datetime.date) -> tuple[str, list]:
    """The grouped query computing the scope's aggregates from the element totals (datavalues.totals: a
    disaggregated element's value for a unit and period is the sum of its option combos')."""
    closure, approvals = UnitAncestor._meta.db_table, DataApproval._meta.db_table
    inner, params = ["t.number IS NOT NULL"], [DEMO_CHANNEL]
    for column, members in (("t.data_element_id", scope.elements), ("t.period", scope.periods)):
        if members is not None:
            inner.append(f"{column} IN ({', '.join(['%s'] * len(members))})" if members else "1 = 0")
            params.extend(sorted(members))
    where: list[str] = []
    if scope.owners is not None:
        owners = f"({', '.join(['%s'] * len(scope.owners))})" if scope.owners else "(NULL)"
        # Inside the totals too, so that only the owners' subtrees are summed.
        inner.append(f"t.unit_id IN (SELECT unit_id FROM {closure} WHERE ancestor_id IN {owners})")
        params.extend(sorted(scope.owners))
        where.append(f"a.ancestor_id IN {owners}")
    outer: list = sorted(scope.owners) if scope.owners is not None else []
    where.append(f"(v.period_end > %s OR EXISTS (SELECT 1 FROM {approvals} ap WHERE ap.unit_id = v.unit_id "
                 f"AND ap.period = v.period AND ap.state = %s))")
    outer.extend([official_until, ApprovalState.APPROVED.value])
    own = _own_elements()
    if own:
        where.append(f"(v.data_element_id NOT IN ({', '.join(['%s'] * len(own))}) OR a.ancestor_id = v.unit_id)")
        outer.extend(own)
    sql = (f"SELECT v.data_element_id, a.ancestor_id, v.period, MAX(v.period_end), SUM(v.number), COUNT(*), "
           f"MIN(v.number), MAX(v.number), SUM(v.demo) "
           f"FROM ({totals.select(inner)}) v JOIN {closure} a ON a.unit_id = v.unit_id WHERE {' AND '.join(where)} "
           f"GROUP BY v.data_element_id, a.ancestor_id, v.period")
    return sql, params + outer


def _as_date(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))


def fresh(scope: Scope, official_until: datetime.date) -> dict[Key, Row]:
    """The scope's aggregates as the values make them now (nothing written)."""
    sql, params = _select(scope, official_until)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(element, owner, period): (float(total), int(count), float(low), float(high), int(demo or 0),
                                           _as_date(end))
                for element, owner, period, end, total, count, low, high, demo in cursor.fetchall()}


def _stored_query(scope: Scope):
    query = Aggregate.objects.all()
    if scope.elements is not None:
        query = query.filter(data_element_id__in=scope.elements)
    if scope.periods is not None:
        query = query.filter(period__in=scope.periods)
    if scope.owners is not None:
        query = query.filter(unit_id__in=scope.owners)
    return query


def stored(scope: Scope | None = None) -> dict[Key, Row]:
    query = _stored_query(scope) if scope is not None else Aggregate.objects.all()
    return {(e, u, p): (total, count, low, high, demo, end) for e, u, p, total, count, low, high, demo, end in
            query.values_list("data_element_id", "unit_id", "period", "total", "count", "low", "high", "demo",
                              "period_end").iterator(chunk_size=20_000)}


def refresh(scope: Scope, official_until: datetime.date) -> set[Key]:
    """Make the scope's stored aggregates equal what the values make them; return the keys that changed
    (appeared, vanished or moved)."""
    new, old = fresh(scope, official_until), stored(scope)
    changed = {key for key in new.keys() | old.keys() if new.get(key) != old.get(key)}
    if not changed:
        return changed
    gone = [key for key in changed if key in old]
    by_element_period: dict[tuple[int, str], list[int]] = defaultdict(list)
    for element, owner, period in gone:
        by_element_period[(element, period)].append(owner)
    for (element, period), owners in by_element_period.items():
        for start in range(0, len(owners), IN_LIST_MAX):
            Aggregate.objects.filter(data_element_id=element, period=period,
                                     unit_id__in=owners[start:start + IN_LIST_MAX]).delete()
    add_rows(Aggregate, [Aggregate(data_element_id=e, unit_id=u, period=p, period_end=row[5], total=row[0],
                                   count=row[1], low=row[2], high=row[3], demo=row[4])
                         for (e, u, p) in changed if (row := new.get((e, u, p))) is not None])
    return changed


def built() -> bool:
    return Cursor.objects.filter(name=BUILT_CURSOR).exists()


def rebuild(official_until: datetime.date) -> None:
    """Empty the table and fill it from every value, in the database (one INSERT … SELECT)."""
    Cursor.objects.get_or_create(name=BUILT_CURSOR)
    Aggregate.objects.all().delete()
    sql, params = _select(Scope(None, None, None), official_until)
    table = Aggregate._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (data_element_id, unit_id, period, period_end, total, count, low, high, "
                       f"demo) {sql}", params)


def load(owners: Iterable[int] | None, elements: Iterable[int]) -> dict[tuple[int, int], dict[str, Row]]:
    """The stored aggregates of these owners (None: all) and elements: (owner, element) → period → row."""
    query = Aggregate.objects.filter(data_element_id__in=set(elements))
    if owners is not None:
        query = query.filter(unit_id__in=set(owners))
    out: dict[tuple[int, int], dict[str, Row]] = defaultdict(dict)
    for e, u, p, total, count, low, high, demo, end in query.values_list(
            "data_element_id", "unit_id", "period", "total", "count", "low", "high", "demo",
            "period_end").iterator(chunk_size=20_000):
        out[(u, e)][p] = (total, count, low, high, demo, end)
    return out


def periods_ending(after: datetime.date, upto: datetime.date) -> set[str]:
    """The periods with values whose end lies in (after, upto]: those that turned official in between."""
    return set(DataValue.objects.filter(period_end__gt=after, period_end__lte=upto)
               .values_list("period", flat=True).distinct())
