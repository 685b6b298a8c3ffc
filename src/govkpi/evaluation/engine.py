"""The evaluation engine: results per indicator × unit × period, kept current from the change events.

A cell's value is its indicator's formula over its data elements, each aggregated over the unit's subtree as
the element declares (a ratio of sums, never an average of ratios). The target in force at the period's end
(the unit's own, else its tier's, else the national one) gives achievement, the expected value on the
trajectory, the status, and with the cell's earlier periods a forecast and ESCAP's measures (core.evaluation).

The subtree aggregates are kept in a table of their own (evaluation.aggregates), so a cell's inputs and its
series are lookups. `process_pending` takes every change event after its cursor in one pass: it coalesces
what they touched into a few scopes (elements × periods × the written units and their ancestors), refreshes
those aggregates, and recomputes only the cells whose aggregates really changed, with the later periods of
the same cells (their forecast moved). `recompute` rebuilds the aggregates in the database and judges every
cell from them; `verify` recomputes both without writing and compares.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from govkpi.bulk import add_rows
from govkpi.core import evaluation as judge
from govkpi.core.formulas import FormulaError, MissingValues, evaluate, parse_formula
from govkpi.core.periods import parse_period
from govkpi.evaluation import aggregates
from govkpi.evaluation.aggregates import Scope, Units
from govkpi.evaluation.models import Aggregate, Cursor, Result
from govkpi.events.models import ChangeEvent
from govkpi.events.outbox import emit
from govkpi.events.types import (AnyChange, ApprovalChanged, ResultsChanged, ScoresChanged, TargetsChanged,
                                 TaskChanged, ValuesWritten, parse)
from govkpi.indicators.models import DataElement, Indicator, Target, TargetScope
from govkpi.reads.official import Calendar

ENGINE = "evaluation"
OFFICIAL_CURSOR = "official-cutoff"  # the day up to which periods were official at the last pass
SCORES = "scores"  # the scores' own cursor in the outbox
SCORES_OFFICIAL_CURSOR = "scores-official-cutoff"
SCORES_MONTH = "scores-month"  # the last month scored, as YYYYMM
SERIES_LENGTH = 24  # periods of history behind a forecast
OWNER_CHUNK = 400  # units whose aggregates a full recompute holds in memory at once
DIGITS = 9  # stored numbers are rounded so that a recomputation compares equal whatever the summing order
COMPARED = ("value", "inputs", "target_id", "target_value", "deadline", "achievement", "achievement_raw", "expected",
            "status", "forecast", "forecast_low", "forecast_high", "csi", "escap_ratio", "escap_category", "demo")

Cell = tuple[int, int, str]  # (indicator id, unit id, period)


def _round(number: float | None) -> float | None:
    return None if number is None else round(number, DIGITS)


@functools.lru_cache(maxsize=4096)
def _parsed(period: str):
    return parse_period(period)


@dataclass
class _Indicator:
    model: Indicator
    formula: Any | None  # parsed; None for an indicator reported directly (its own data element)
    elements: list[DataElement]
    targets: list[Target] = field(default_factory=list)


def _catalog_fingerprint() -> str:
    """What the parsed catalog depends on, hashed: a pass reuses the previous pass's catalog while it holds."""
    digest = hashlib.blake2b(digest_size=16)
    for query in (DataElement.objects.order_by("id").values_list("id", "code", "aggregation_units"),
                  Indicator.objects.order_by("id").values_list(),
                  Target.objects.order_by("id").values_list()):
        digest.update(repr(list(query)).encode())
    return digest.hexdigest()


class Catalog:
    """The indicators with their formulas, elements and targets, and the day up to which periods are official:
    their cells count approved values only (docs/adr/0001-one-read-door.md). `Catalog.current` keeps the parsed
    catalog between passes while the catalog's rows are unchanged."""

    _cached: tuple[str, Catalog] | None = None

    def __init__(self, calendar: Calendar | None = None) -> None:
        self.official_until = (calendar or Calendar()).cutoff
        elements = {e.code: e for e in DataElement.objects.all()}
        self.element_ids = {code: e.id for code, e in elements.items()}
        targets: dict[int, list[Target]] = defaultdict(list)
        for target in Target.objects.select_related("scope_unit").order_by("set_on", "id"):
            targets[target.indicator_id].append(target)
        self.indicators: dict[int, _Indicator] = {}
        self.by_element: dict[str, list[int]] = defaultdict(list)
        self.by_element_id: dict[int, list[int]] = defaultdict(list)
        for indicator in Indicator.objects.all():
            formula = None
            if indicator.formula:
                try:
                    formula = parse_formula(indicator.formula)
                except FormulaError:
                    continue  # the catalog refuses such formulas on the way in
                codes = sorted(formula.references)
            else:
                codes = [indicator.code]
            used = [elements[c] for c in codes if c in elements]
            if not used or len(used) != len(codes):
                continue  # not computable from reported data (yet)
            self.indicators[indicator.id] = _Indicator(indicator, formula, used, targets[indicator.id])
            for element in used:
                self.by_element[element.code].append(indicator.id)
                self.by_element_id[element.id].append(indicator.id)

    @classmethod
    def current(cls, calendar: Calendar) -> Catalog:
        fingerprint = _catalog_fingerprint()
        if cls._cached is None or cls._cached[0] != fingerprint:
            cls._cached = (fingerprint, cls(calendar))
        catalog = cls._cached[1]
        catalog.official_until = calendar.cutoff
        return catalog

    def element_ids_of(self, codes: Iterable[str]) -> frozenset[int]:
        return frozenset(self.element_ids[c] for c in codes if c in self.element_ids)


def _target_for(indicator: _Indicator, unit_id: int, kind: str, day: datetime.date) -> Target | None:
    """The version in force on the day of the most specific target line: the unit's, its tier's, national."""
    versions = [t for t in indicator.targets if t.set_on <= day]
    for scope in (lambda t: t.scope == TargetScope.UNIT and t.scope_unit_id == unit_id,
                  lambda t: t.scope == TargetScope.EACH_UNIT and t.scope_kind == kind,
                  lambda t: t.scope == TargetScope.NATIONAL):
        line = [t for t in versions if scope(t)]
        if line:
            return max(line, key=lambda t: (t.set_on, t.id))
    return None


@dataclass
class _Point:
    """One period of a cell's series: each element aggregated over the subtree, units reporting, demo or not."""

    end: datetime.date
    period: str
    inputs: dict[str, float | None]
    reporting: int = 0
    demo: bool = False


def _aggregate(method: str, total: float, count: int, low: float, high: float) -> float:
    return {"sum": total, "average": total / count if count else total, "min": low, "max": high}.get(method, total)


def _series(indicator: _Indicator, owner: int, loaded: dict[tuple[int, int], dict[str, aggregates.Row]],
            since: dict[str, datetime.date] | None = None) -> dict[str, list[_Point]]:
    """The owner's points for the indicator by period type, oldest first, from its elements' aggregates. With
    `since` (period type → the first end judged), only those types, from SERIES_LENGTH - 1 points before the
    first judged one (what the judged cells' series hold): a pass after an import judges a few months of cells
    whose aggregates go back years."""
    ends: dict[str, datetime.date] = {}
    for element in indicator.elements:
        for period, row in loaded.get((owner, element.id), {}).items():
            ends[period] = row[5]
    kept: set[str] | None = None
    if since is not None:
        by_type_ends: dict[str, list[tuple[datetime.date, str]]] = defaultdict(list)
        for period, end in ends.items():
            period_type = _parsed(period).type.value
            if period_type in since:
                by_type_ends[period_type].append((end, period))
        kept = set()
        for period_type, keys in by_type_ends.items():
            keys.sort()
            begin = next((i for i, (end, _p) in enumerate(keys) if end >= since[period_type]), len(keys))
            kept.update(period for _end, period in keys[max(0, begin + 1 - SERIES_LENGTH):])
    by_period: dict[str, _Point] = {}
    for element in indicator.elements:
        for period, (total, count, low, high, demo, end) in loaded.get((owner, element.id), {}).items():
            if kept is not None and period not in kept:
                continue
            point = by_period.get(period)
            if point is None:
                point = by_period[period] = _Point(end, period, {})
            number = _aggregate(element.aggregation_units, total, count, low, high)
            point.inputs[element.code] = _round(float(number))
            point.reporting = max(point.reporting, count)
            point.demo = point.demo or demo > 0
    by_type: dict[str, list[_Point]] = defaultdict(list)
    for point in by_period.values():
        by_type[_parsed(point.period).type.value].append(point)
    for points in by_type.values():
        points.sort(key=lambda p: (p.end, p.period))
    return by_type


def _value(indicator: _Indicator, inputs: dict[str, float | None]) -> float | None:
    if indicator.formula is None:
        return inputs.get(indicator.elements[0].code)
    values = {e.code: inputs.get(e.code) for e in indicator.elements}
    return evaluate(indicator.formula, values, MissingValues(indicator.model.missing_values))


def _judge(indicator: _Indicator, unit_id: int, kind: str, period: str, series: list[_Point],
           values: list[float | None]) -> dict[str, Any] | None:
    """The result of the cell whose series (ending with the cell's own period) and the indicator's value at
    each of its points are given."""
    if not series or series[-1].period != period:
        return None
    parsed = _parsed(period)
    last = series[-1]
    value = _round(values[-1])
    model = indicator.model
    target = _target_for(indicator, unit_id, kind, parsed.end)
    result: dict[str, Any] = {
        "value": value, "inputs": {**last.inputs, "_units": last.reporting}, "target_id": target.id if target else None,
        "target_value": target.value if target else None, "deadline": target.deadline if target else None,
        "achievement": None, "achievement_raw": None, "expected": None,
        "status": judge.Status.NO_DATA.value if value is None else "no_target", "forecast": None,
        "forecast_low": None, "forecast_high": None, "csi": None, "escap_ratio": None, "escap_category": "",
        "demo": last.demo,
    }
    if target is None or value is None:
        return result
    band = (model.band_low, model.band_high) if model.band_low is not None and model.band_high is not None else None
    capped, raw = judge.achievement(value, target.value, model.direction, band)
    baseline_date = _parsed(target.baseline_period).end if target.baseline_period else None
    expected = judge.expected_on_trajectory(target.baseline_value, baseline_date, target.value, target.deadline,
                                            parsed.end)
    result.update(achievement=_round(capped), achievement_raw=_round(raw), expected=_round(expected),
                  status=judge.status(value, target.value, expected, model.direction, target.green_from,
                                      target.amber_from, band).value)
    if parsed.end > target.deadline:
        # The deadline has passed: the target was met or missed; "at risk" and a forecast no longer apply.
        if result["status"] != judge.Status.ACHIEVED.value:
            result["status"] = judge.Status.OFF_TRACK.value
        points = []
    else:
        points = [(p.end, v) for p, v in zip(series, values, strict=True) if v is not None]
    predicted = judge.forecast(points, target.deadline)
    if predicted is not None:
        result.update(forecast=_round(predicted.value), forecast_low=_round(predicted.low),
                      forecast_high=_round(predicted.high))
    if target.baseline_value is not None and baseline_date is not None:
        index = judge.current_status_index(value, target.baseline_value, target.value)
        progress = judge.anticipated_progress(value, parsed.end, target.baseline_value, baseline_date, target.value,
                                              target.deadline)
        result.update(csi=_round(index[0]) if index else None,
                      escap_ratio=_round(progress[0]) if progress else None,
                      escap_category=progress[1].value if progress else "")
    return result


Wanted = dict[tuple[int, int], "set[str] | None"]  # (indicator, owner) → the periods to judge (None: all)


def _compute(catalog: Catalog, units: Units, wanted: Wanted,
             loaded: dict[tuple[int, int], dict[str, aggregates.Row]]) -> dict[Cell, dict[str, Any] | None]:
    """Judge the wanted cells from the loaded aggregates. A period named is judged with every later period of
    its type (their forecast includes it); a period with no data left is judged None (its result closes)."""
    out: dict[Cell, dict[str, Any] | None] = {}
    for (indicator_id, owner), periods in wanted.items():
        indicator = catalog.indicators.get(indicator_id)
        if indicator is None:
            out.update({(indicator_id, owner, p): None for p in periods or ()})
            continue
        kind = units.kind_by_id.get(owner, "")
        firsts: dict[str, datetime.date] = {}
        if periods is not None:
            out.update({(indicator_id, owner, p): None for p in periods})
            for p in periods:
                parsed = _parsed(p)
                first = firsts.get(parsed.type.value)
                firsts[parsed.type.value] = parsed.end if first is None else min(first, parsed.end)
        by_type = _series(indicator, owner, loaded, firsts if periods is not None else None)
        for period_type, points in by_type.items():
            if periods is not None and period_type not in firsts:
                continue
            since = firsts[period_type] if periods is not None else None
            begin = 0 if since is None else next((i for i, p in enumerate(points) if p.end >= since), len(points))
            values = [_value(indicator, p.inputs) for p in points]  # _series kept only what judged cells read
            for i in range(begin, len(points)):
                point = points[i]
                start = max(0, i + 1 - SERIES_LENGTH)
                out[(indicator_id, owner, point.period)] = _judge(indicator, owner, kind, point.period,
                                                                  points[start:i + 1], values[start:i + 1])
    return out


def _store(computed: dict[Cell, dict[str, Any] | None], now: datetime.datetime,
           complete_for: set[int] | None = None) -> list[Cell]:
    """Make the stored current results equal the computed ones; return the cells that changed. With
    `complete_for` (owners), every current result of those owners that was not computed is closed too."""
    by_indicator: dict[int, set[int]] = defaultdict(set)
    periods: set[str] = set()
    for indicator_id, unit_id, period in computed:
        by_indicator[indicator_id].add(unit_id)
        periods.add(period)
    query = Result.objects.filter(valid_to__isnull=True)
    if complete_for is not None:
        queries = [query.filter(unit_id__in=complete_for)]
    else:
        # Only the computed periods: a pass after an import judges a few months of cells whose history is years.
        if len(periods) <= 500:
            query = query.filter(period__in=periods)
        queries = [query.filter(indicator_id=i, **({"unit_id__in": u} if len(u) <= 500 else {}))
                   for i, u in by_indicator.items()]
    current: dict[Cell, tuple] = {}  # (pk, *COMPARED): tuples, not models (a full recompute reads 500,000)
    for part in queries:
        for row in part.values_list("indicator_id", "unit_id", "period", "pk", *COMPARED):
            key = row[:3]
            if key in computed or complete_for is not None:
                current[key] = row[3:]
    changed, closing, creating = [], [], []
    for key in computed.keys() | current.keys():
        new, old = computed.get(key), current.get(key)
        if old is None and new is None:
            continue
        if old is not None and new is not None and all(a == new[n] for n, a in zip(COMPARED, old[1:], strict=True)):
            continue
        if old is not None:
            closing.append(old[0])
        if new is not None:
            creating.append(Result(indicator_id=key[0], unit_id=key[1], period=key[2],
                                   period_end=_parsed(key[2]).end, valid_from=now, **new))
        changed.append(key)
    for start in range(0, len(closing), 500):
        Result.objects.filter(pk__in=closing[start:start + 500]).update(valid_to=now)
    add_rows(Result, creating)
    return changed


@dataclass
class Run:
    cells: int = 0
    changed: int = 0
    events: int = 0
    changed_cells: list[tuple[str, str, str]] = field(default_factory=list)
    changed_units: set[str] = field(default_factory=set)
    changed_periods: set[str] = field(default_factory=set)
    scores_changed: int = 0
    aggregates_changed: int = 0

    def record(self, catalog: Catalog, units: Units, cells: int, changed: Iterable[Cell]) -> None:
        self.cells += cells
        for indicator_id, unit_id, period in changed:
            self.changed += 1
            self.changed_units.add(units.code_by_id[unit_id])
            self.changed_periods.add(period)
            if len(self.changed_cells) < 500:
                indicator = catalog.indicators.get(indicator_id)
                self.changed_cells.append((indicator.model.code if indicator else str(indicator_id),
                                           units.code_by_id[unit_id], period))


def _wanted_from(catalog: Catalog, keys: Iterable[aggregates.Key]) -> Wanted:
    """The cells whose inputs moved with these aggregates (each with its later periods, see `_compute`)."""
    wanted: Wanted = {}
    for element_id, owner, period in keys:
        for indicator_id in catalog.by_element_id.get(element_id, ()):
            periods = wanted.setdefault((indicator_id, owner), set())
            if periods is not None:
                periods.add(period)
    return wanted


def _judge_and_store(catalog: Catalog, units: Units, wanted: Wanted, run: Run) -> None:
    """Judge the wanted cells from the stored aggregates and store what changed, a chunk of owners at a time."""
    owners = sorted({owner for _i, owner in wanted})
    now = timezone.now()
    for start in range(0, len(owners), OWNER_CHUNK):
        chunk = set(owners[start:start + OWNER_CHUNK])
        part = {key: periods for key, periods in wanted.items() if key[1] in chunk}
        elements = {e.id for i, _o in part if i in catalog.indicators for e in catalog.indicators[i].elements}
        computed = _compute(catalog, units, part, aggregates.load(chunk, elements))
        run.record(catalog, units, len(computed), _store(computed, now))


def _scopes(catalog: Catalog, units: Units, event: ChangeEvent, change: AnyChange) -> list[Scope]:
    """The aggregates an event can move."""
    periods = frozenset(event.periods) if event.periods else None
    owners = frozenset(units.owners(event.units)) if event.units else None
    if isinstance(change, ValuesWritten):
        if not change.wide and (not event.units or not event.periods):
            return []
        return [Scope(catalog.element_ids_of(change.elements) if change.elements else None, periods, owners)]
    if isinstance(change, ApprovalChanged):
        # Approving or unlocking a unit's official period adds its values to the figures or takes them out.
        official = frozenset(p for p in event.periods if _parsed(p).end <= catalog.official_until)
        return [Scope(None, official, owners)] if official else []
    return []


def process_pending(limit: int = 5000) -> Run:
    """Apply the change events written since the last call, and the periods that turned official since then:
    the results in one transaction (its `results` event reaches the streams when it commits), then the scores
    in another, which follows the outbox with a cursor of its own (the `results` event included), so a crash
    between the two loses nothing and scores never hold results back."""
    ensure_cursors()
    run = results_pass(limit)
    run.scores_changed = scores_pass(limit)
    return run


def ensure_cursors() -> None:
    """The scores' cursor starts where the results' stands (a database evaluated before it existed)."""
    with transaction.atomic():
        engine = Cursor.objects.filter(name=ENGINE).values_list("last_event_id", flat=True).first()
        Cursor.objects.get_or_create(name=SCORES, defaults={"last_event_id": engine or 0})


@transaction.atomic
def results_pass(limit: int = 5000) -> Run:
    """Apply the change events after the results' cursor (and the clock) to the aggregates and results."""
    cursor, _created = Cursor.objects.select_for_update().get_or_create(name=ENGINE)
    events = list(ChangeEvent.objects.filter(id__gt=cursor.last_event_id).order_by("id")[:limit])
    run = Run(events=len(events))
    calendar = Calendar()
    official_before = _official_since(calendar, OFFICIAL_CURSOR)
    if not events and official_before is None:
        return run
    catalog = Catalog.current(calendar)
    units = Units.read()
    if aggregates.sync_closure(units) or not aggregates.built():
        # A new closure (units moved, merged, created) or no aggregates yet: every aggregate anew.
        aggregates.rebuild(catalog.official_until)
        scopes: list[Scope] = [Scope(None, None, None)]
        rebuilt = True
    else:
        scopes, rebuilt = [], False
    if official_before is not None:
        # The clock is a change too: these periods now count approved values only.
        turned = aggregates.periods_ending(official_before, catalog.official_until)
        if turned:
            scopes.append(Scope(None, frozenset(turned), None))
    changes = [(event, parse(event)) for event in events]
    judged_again: set[int] = set()
    for event, change in changes:
        scopes.extend(_scopes(catalog, units, event, change))
        if isinstance(change, TargetsChanged):
            judged_again |= set(Indicator.objects.filter(code__in=change.indicators).values_list("id", flat=True))
            judged_again |= {i for code in change.elements for i in catalog.by_element.get(code, [])}
    if rebuilt:
        wanted: Wanted = {(i, o): None for i, o in _all_owner_cells(catalog)}
    else:
        keys: set[aggregates.Key] = set()
        for scope in aggregates.merge(scopes):
            keys |= aggregates.refresh(scope, catalog.official_until)
        run.aggregates_changed = len(keys)
        wanted = _wanted_from(catalog, keys)
        if judged_again:
            for indicator_id, owner in _all_owner_cells(catalog, judged_again):
                wanted[(indicator_id, owner)] = None
    _judge_and_store(catalog, units, wanted, run)
    if events:
        cursor.last_event_id = events[-1].id
        cursor.save()
    if run.changed:
        emit(ResultsChanged(changed=run.changed, cells=tuple(run.changed_cells[:100])), units=run.changed_units,
             periods=run.changed_periods)
    return run


@transaction.atomic
def scores_pass(limit: int = 5000) -> int:
    """Rescore what the events after the scores' cursor touched; return how many scores changed."""
    cursor = Cursor.objects.select_for_update().get(name=SCORES)
    events = list(ChangeEvent.objects.filter(id__gt=cursor.last_event_id).order_by("id")[:limit])
    calendar = Calendar()
    official_before = _official_since(calendar, SCORES_OFFICIAL_CURSOR)
    if not events and official_before is None and not _month_ended():
        return 0
    changed = _update_scores([(event, parse(event)) for event in events], official_before, calendar)
    if events:
        cursor.last_event_id = events[-1].id
        cursor.save()
    return changed


def _all_owner_cells(catalog: Catalog, indicator_ids: Iterable[int] | None = None) -> set[tuple[int, int]]:
    """Every (indicator, unit) some aggregate or some stored result lies behind."""
    wanted = set(indicator_ids) if indicator_ids is not None else set(catalog.indicators)
    elements = {e.id for i in wanted if i in catalog.indicators for e in catalog.indicators[i].elements}
    pairs: set[tuple[int, int]] = set()
    for element_id, owner in Aggregate.objects.filter(data_element_id__in=elements).values_list(
            "data_element_id", "unit_id").distinct():
        pairs.update((i, owner) for i in catalog.by_element_id.get(element_id, ()) if i in wanted)
    pairs.update(Result.objects.filter(valid_to__isnull=True, indicator_id__in=wanted)
                 .values_list("indicator_id", "unit_id").distinct())
    return pairs


def _official_since(calendar: Calendar, name: str) -> datetime.date | None:
    """The previous official cutoff when periods have turned official since the last call (the cursor `name`
    holds the cutoff's ordinal); None when none has. A new database starts from today's."""
    cutoff = calendar.cutoff.toordinal()
    cursor, created = Cursor.objects.get_or_create(name=name, defaults={"last_event_id": cutoff})
    if created or cursor.last_event_id >= cutoff:
        return None
    before = datetime.date.fromordinal(cursor.last_event_id)
    cursor.last_event_id = cutoff
    cursor.save()
    return before


def _update_scores(changes: list[tuple[ChangeEvent, AnyChange]], official_before: datetime.date | None,
                   calendar: Calendar) -> int:
    """Rescore the (peer group, month) pairs the events and the results they changed (`results` events)
    touched, each group whole. A month that turned official is rescored for every group: until its due date a
    unit that had not reported was not yet counted as missing (evaluation.quality)."""
    from govkpi.evaluation import scores

    months = scores.scored_months()
    pairs: set[scores.GroupMonth] = set()
    add = pairs.update

    # Coalesced: the events of the same periods name their units together (one lookup, not one per event).
    values: dict[tuple[frozenset[str], bool], set[str]] = defaultdict(set)
    tasks: set[str] = set()
    results: dict[frozenset[str], set[str]] = defaultdict(set)
    for event, change in changes:
        if isinstance(change, ValuesWritten | ApprovalChanged):
            values[(frozenset(event.periods), change.wide and not event.units)].update(event.units)
        elif isinstance(change, TaskChanged):
            tasks.update(event.units)
        elif isinstance(change, ResultsChanged):
            results[frozenset(event.periods)].update(event.units)
    for (periods, every_unit), unit_codes in values.items():
        add(scores.affected_group_months(unit_codes, periods, all_units=every_unit, scored=months))
    if tasks:
        add(scores.affected_group_months(tasks, [], later_too=True, scored=months))
    for periods, unit_codes in results.items():  # an indicator result counts for the months after it too
        add(scores.affected_group_months(unit_codes, periods, later_too=True, scored=months,
                                         all_units=not unit_codes))
    turned = [m for m in months if official_before is not None
              and official_before < parse_period(m).end <= calendar.cutoff]
    pairs |= _new_month(scores, months) | {(g, m) for m in turned for g in scores.all_groups()}
    if not pairs:
        return 0
    scored = scores.update_scores(pairs, months=months)
    if scored.changed:
        emit(ScoresChanged(changed=scored.changed), units=scored.changed_units, periods=scored.changed_periods)
    return scored.changed


def _month_ended() -> bool:
    """A month has ended since the last one scored (a pass with no event still scores it)."""
    from govkpi.core.periods import PeriodType, period_of

    last = int(period_of(PeriodType.MONTHLY, timezone.localdate()).previous().id)
    stored = Cursor.objects.filter(name=SCORES_MONTH).values_list("last_event_id", flat=True).first()
    return stored is None or stored < last


def _new_month(scores, months: list[str]) -> set[tuple[str, str]]:
    """When a month has just ended, score it (the cursor holds the last month scored, as YYYYMM)."""
    if not months:
        return set()
    cursor, _created = Cursor.objects.get_or_create(name=SCORES_MONTH)
    if cursor.last_event_id >= int(months[-1]):
        return set()
    cursor.last_event_id = int(months[-1])
    cursor.save()
    scores.ensure_methodology()
    return {(g, months[-1]) for g in scores.all_groups()}


@transaction.atomic
def recompute() -> Run:
    """Recompute every aggregate and result from the data (the events so far are then taken as applied), then
    every score."""
    calendar = Calendar()
    catalog = Catalog(calendar)
    units = Units.read()
    aggregates.sync_closure(units)
    aggregates.rebuild(catalog.official_until)
    run = Run()
    pairs = _all_owner_cells(catalog)
    owners = sorted({o for _i, o in pairs} | set(Result.objects.filter(valid_to__isnull=True)
                                                 .values_list("unit_id", flat=True).distinct()))
    now = timezone.now()
    elements = {e.id for i in catalog.indicators.values() for e in i.elements}
    for start in range(0, len(owners), OWNER_CHUNK):
        chunk = set(owners[start:start + OWNER_CHUNK])
        wanted: Wanted = {(i, o): None for i, o in pairs if o in chunk}
        computed = _compute(catalog, units, wanted, aggregates.load(chunk, elements))
        run.record(catalog, units, len(computed), _store(computed, now, complete_for=chunk))
    last = ChangeEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for name in (ENGINE, SCORES):
        Cursor.objects.update_or_create(name=name, defaults={"last_event_id": last})
    from govkpi.evaluation import scores

    run.scores_changed = scores.recompute_scores().changed
    months = scores.scored_months()
    if months:
        Cursor.objects.update_or_create(name=SCORES_MONTH, defaults={"last_event_id": int(months[-1])})
    for name in (OFFICIAL_CURSOR, SCORES_OFFICIAL_CURSOR):
        Cursor.objects.update_or_create(name=name, defaults={"last_event_id": calendar.cutoff.toordinal()})
    return run


def _same_row(a: aggregates.Row, b: aggregates.Row) -> bool:
    """Aggregates compare equal up to the summing order's last bits."""
    return a[1:] == b[1:] and abs(a[0] - b[0]) <= 1e-9 * max(1.0, abs(a[0]), abs(b[0]))


def verify() -> list[str]:
    """Compare a fresh computation of every aggregate, cell and score with what is stored, and the stored data
    with every validation rule (the writer refuses a broken one; `broken_in_store` finds any that got past it);
    return the differences."""
    calendar = Calendar()
    catalog = Catalog(calendar)
    units = Units.read()
    problems: list[str] = []
    if aggregates.sync_closure(units):
        problems.append("unit closure: stale (rebuilt now)")
    elements = {e.id for i in catalog.indicators.values() for e in i.elements}
    codes = {v: k for k, v in catalog.element_ids.items()}
    owners = sorted(set(units.ancestors))
    for start in range(0, len(owners), OWNER_CHUNK):
        chunk = frozenset(owners[start:start + OWNER_CHUNK])
        scope = Scope(None, None, chunk)
        fresh, kept = aggregates.fresh(scope, catalog.official_until), aggregates.stored(scope)
        for key in sorted(fresh.keys() | kept.keys(), key=lambda k: (k[2], k[0], k[1])):
            if key not in fresh or key not in kept or not _same_row(fresh[key], kept[key]):
                problems.append(f"aggregate {codes.get(key[0], key[0])}/{units.code_by_id.get(key[1], key[1])}/"
                                f"{key[2]}: stored {kept.get(key)!r} ≠ {fresh.get(key)!r}")
        loaded: dict[tuple[int, int], dict[str, aggregates.Row]] = defaultdict(dict)
        for (e, u, p), row in fresh.items():
            if e in elements:
                loaded[(u, e)][p] = row
        wanted: Wanted = {(i, u): None for (u, e) in loaded for i in catalog.by_element_id.get(e, ())}
        computed = _compute(catalog, units, wanted, loaded)
        stored = {(r.indicator_id, r.unit_id, r.period): r
                  for r in Result.objects.filter(valid_to__isnull=True, unit_id__in=chunk)}
        for cell in sorted(computed.keys() | stored.keys(), key=lambda c: (c[2], c[0], c[1])):
            new, current = computed.get(cell), stored.get(cell)
            indicator = catalog.indicators.get(cell[0])
            name = f"{indicator.model.code if indicator else cell[0]}/{units.code_by_id[cell[1]]}/{cell[2]}"
            if new is None and current is None:
                continue
            if new is None or current is None:
                problems.append(f"{name}: {'stored but has no data' if new is None else 'missing'}")
                continue
            wrong = [f"{n} {getattr(current, n)!r} ≠ {new[n]!r}" for n in COMPARED if getattr(current, n) != new[n]]
            if wrong:
                problems.append(f"{name}: " + "; ".join(wrong))
    from govkpi.datavalues.rules import broken_in_store
    from govkpi.evaluation.scores import verify_scores

    return problems + verify_scores() + broken_in_store()


def results_as_of(moment: datetime.datetime):
    """The results as they stood at a moment."""
    return Result.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=moment), valid_from__lte=moment)
