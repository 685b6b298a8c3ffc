"""The evaluation engine: results per indicator × unit × period, kept current from the change events.

A cell's value is its indicator's formula over its data elements, each aggregated over the unit's subtree as
the element declares (a ratio of sums, never an average of ratios). The target in force at the period's end
(the unit's own, else its tier's, else the national one) gives achievement, the expected value on the
trajectory, the status, and with the cell's earlier periods a forecast and ESCAP's measures (core.evaluation).

`process_pending` reads the change events after its cursor and recomputes only the cells they touch: the
changed units and their ancestors, the changed periods and the later periods of the same cells (whose forecast
moved), for the indicators that use the changed elements. `recompute` does everything from scratch and
`verify` compares a fresh computation with what is stored.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Sum
from django.utils import timezone

from govkpi.core import evaluation as judge
from govkpi.core.formulas import FormulaError, MissingValues, evaluate, parse_formula
from govkpi.core.periods import parse_period
from govkpi.datavalues.models import ApprovalState, DataApproval, DataValue
from govkpi.datavalues.synthetic import DEMO_CHANNEL
from govkpi.evaluation.models import Cursor, Result
from govkpi.events.models import ChangeEvent
from govkpi.events.outbox import emit
from govkpi.events.types import (AnyChange, ApprovalChanged, ResultsChanged, ScoresChanged, TargetsChanged,
                                 TaskChanged, ValuesWritten, parse)
from govkpi.indicators.models import DataElement, Indicator, Target, TargetScope
from govkpi.orgunits.models import OrgUnit
from govkpi.reads.official import Calendar

ENGINE = "evaluation"
OFFICIAL_CURSOR = "official-cutoff"  # the day up to which periods were official at the last pass
SERIES_LENGTH = 24  # periods of history behind a forecast
BULK_FROM = 50  # from this many cells of one indicator, one pass over its values beats a query per cell
DIGITS = 9  # stored numbers are rounded so that a recomputation compares equal whatever the summing order
COMPARED = ("value", "inputs", "target_id", "target_value", "deadline", "achievement", "achievement_raw", "expected",
            "status", "forecast", "forecast_low", "forecast_high", "csi", "escap_ratio", "escap_category", "demo")


def _round(number: float | None) -> float | None:
    return None if number is None else round(number, DIGITS)


@dataclass
class _Indicator:
    model: Indicator
    formula: Any | None  # parsed; None for an indicator reported directly (its own data element)
    elements: list[DataElement]
    targets: list[Target] = field(default_factory=list)


class Catalog:
    """The indicators with their formulas, elements and targets, read once per run, and the day up to which
    periods are official: their cells count approved values only (docs/adr/0001-one-read-door.md)."""

    def __init__(self, calendar: Calendar | None = None) -> None:
        self.official_until = (calendar or Calendar()).cutoff
        self._approved: set[tuple[int, str]] | None = None
        elements = {e.code: e for e in DataElement.objects.all()}
        targets: dict[int, list[Target]] = defaultdict(list)
        for target in Target.objects.select_related("scope_unit").order_by("set_on", "id"):
            targets[target.indicator_id].append(target)
        self.indicators: dict[int, _Indicator] = {}
        self.by_element: dict[str, list[int]] = defaultdict(list)
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

    def approved(self) -> set[tuple[int, str]]:
        """(unit id, period) of every approved report (read once, for a set-based pass)."""
        if self._approved is None:
            self._approved = set(DataApproval.objects.filter(state=ApprovalState.APPROVED)
                                 .values_list("unit_id", "period"))
        return self._approved

    def counted(self) -> Q:
        """A filter on DataValue keeping what results are made of: every value of a provisional period, the
        approved units' values of an official one."""
        approved = DataApproval.objects.filter(unit_id=OuterRef("unit_id"), period=OuterRef("period"),
                                               state=ApprovalState.APPROVED)
        return Q(period_end__gt=self.official_until) | Q(Exists(approved))


def _target_for(indicator: _Indicator, unit: OrgUnit, day: datetime.date) -> Target | None:
    """The version in force on the day of the most specific target line: the unit's, its tier's, national."""
    versions = [t for t in indicator.targets if t.set_on <= day]
    for scope in (lambda t: t.scope == TargetScope.UNIT and t.scope_unit_id == unit.id,
                  lambda t: t.scope == TargetScope.EACH_UNIT and t.scope_kind == unit.kind,
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


def _series(indicator: _Indicator, unit: OrgUnit, period_end: datetime.date, period_type: str,
            counted: Q) -> list[_Point]:
    """The cell's points for its periods up to `period_end` (the last SERIES_LENGTH of them), from the values
    `counted` keeps."""
    codes = {e.id: e for e in indicator.elements}
    query = DataValue.objects.filter(counted, data_element_id__in=list(codes), period_end__lte=period_end,
                                     number__isnull=False)
    own = [e.id for e in indicator.elements if e.aggregation_units == "none"]
    subtree = Q(unit__path__startswith=unit.path)
    if own:
        subtree = (subtree & ~Q(data_element_id__in=own)) | Q(unit=unit, data_element_id__in=own)
    rows = (query.filter(subtree).values("data_element_id", "period", "period_end")
            .annotate(total=Sum("number"), low=Min("number"), high=Max("number"),
                      count=Count("id"), demo=Count("id", filter=Q(channel=DEMO_CHANNEL))))
    by_period: dict[str, _Point] = {}
    for row in rows:
        if parse_period(row["period"]).type.value != period_type:
            continue
        element = codes[row["data_element_id"]]
        point = by_period.setdefault(row["period"], _Point(row["period_end"], row["period"], {}))
        number = _aggregate(element.aggregation_units, row["total"], row["count"], row["low"], row["high"])
        point.inputs[element.code] = _round(float(number))
        point.reporting = max(point.reporting, row["count"])
        point.demo = point.demo or bool(row["demo"])
    return sorted(by_period.values(), key=lambda p: (p.end, p.period))[-SERIES_LENGTH:]


def _all_series(indicator: _Indicator, unit_ids: set[int] | None, ancestors: dict[int, list[int]],
                catalog: Catalog) -> dict[int, dict[str, list[_Point]]]:
    """Every unit's points by period type, from one pass over the indicator's values (set-based recompute):
    each value is added to the unit itself and each ancestor, as the per-cell query sums a subtree; an official
    period's unapproved values are left out, as `Catalog.counted` leaves them out of the per-cell query."""
    sums: dict[tuple[int, str], dict[str, list]] = {}
    ends: dict[str, datetime.date] = {}
    approved, official_until = catalog.approved(), catalog.official_until
    for element in indicator.elements:
        rows = DataValue.objects.filter(data_element_id=element.id, number__isnull=False).values_list(
            "unit_id", "period", "period_end", "number", "channel")
        for unit_id, period, end, number, channel in rows.iterator(chunk_size=20_000):
            if end <= official_until and (unit_id, period) not in approved:
                continue
            ends[period] = end
            owners = (unit_id,) if element.aggregation_units == "none" else ancestors[unit_id]
            for owner in owners:
                if unit_ids is not None and owner not in unit_ids:
                    continue
                acc = sums.setdefault((owner, period), {}).get(element.code)
                if acc is None:
                    sums[(owner, period)][element.code] = [number, 1, number, number, channel == DEMO_CHANNEL]
                else:
                    acc[0] += number
                    acc[1] += 1
                    acc[2] = min(acc[2], number)
                    acc[3] = max(acc[3], number)
                    acc[4] = acc[4] or channel == DEMO_CHANNEL
    methods = {e.code: e.aggregation_units for e in indicator.elements}
    out: dict[int, dict[str, list[_Point]]] = defaultdict(lambda: defaultdict(list))
    types = {}
    for (owner, period), by_element in sums.items():
        point = _Point(ends[period], period, {})
        for code, (total, count, low, high, demo) in by_element.items():
            point.inputs[code] = _round(float(_aggregate(methods[code], total, count, low, high)))
            point.reporting = max(point.reporting, count)
            point.demo = point.demo or demo
        if period not in types:
            types[period] = parse_period(period).type.value
        out[owner][types[period]].append(point)
    for by_type in out.values():
        for points in by_type.values():
            points.sort(key=lambda p: (p.end, p.period))
    return out


def _value(indicator: _Indicator, inputs: dict[str, float | None]) -> float | None:
    if indicator.formula is None:
        return inputs.get(indicator.elements[0].code)
    values = {e.code: inputs.get(e.code) for e in indicator.elements}
    return evaluate(indicator.formula, values, MissingValues(indicator.model.missing_values))


def compute_cell(catalog: Catalog, indicator_id: int, unit: OrgUnit, period: str) -> dict[str, Any] | None:
    """A cell's result as field values (None when no data lies behind it)."""
    indicator = catalog.indicators.get(indicator_id)
    if indicator is None:
        return None
    parsed = parse_period(period)
    return _judge(indicator, unit, period, _series(indicator, unit, parsed.end, parsed.type.value,
                                                   catalog.counted()))


def _judge(indicator: _Indicator, unit: OrgUnit, period: str, series: list[_Point]) -> dict[str, Any] | None:
    """The result of the cell whose series (ending with the cell's own period) is given."""
    if not series or series[-1].period != period:
        return None
    parsed = parse_period(period)
    last = series[-1]
    value = _round(_value(indicator, last.inputs))
    model = indicator.model
    target = _target_for(indicator, unit, parsed.end)
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
    baseline_date = parse_period(target.baseline_period).end if target.baseline_period else None
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
        points = [(p.end, v) for p in series if (v := _value(indicator, p.inputs)) is not None]
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


def compute_cells(catalog: Catalog, cells: Iterable[tuple[int, int, str]],
                  units: dict[int, OrgUnit]) -> dict[tuple[int, int, str], dict[str, Any] | None]:
    """Many cells at once: per indicator, one pass over its values when the cells are many, else per cell."""
    by_indicator: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for indicator_id, unit_id, period in cells:
        by_indicator[indicator_id].append((unit_id, period))
    ancestors: dict[int, list[int]] | None = None
    out: dict[tuple[int, int, str], dict[str, Any] | None] = {}
    for indicator_id, wanted in by_indicator.items():
        indicator = catalog.indicators.get(indicator_id)
        if indicator is None:
            out.update({(indicator_id, u, p): None for u, p in wanted})
            continue
        if len(wanted) < BULK_FROM:
            for unit_id, period in wanted:
                out[(indicator_id, unit_id, period)] = compute_cell(catalog, indicator_id, units[unit_id], period)
            continue
        if ancestors is None:
            ancestors = _ancestor_ids()
        series = _all_series(indicator, {u for u, _p in wanted}, ancestors, catalog)
        for unit_id, period in wanted:
            parsed = parse_period(period)
            points = series.get(unit_id, {}).get(parsed.type.value, [])
            upto = [p for p in points if p.end <= parsed.end][-SERIES_LENGTH:]
            out[(indicator_id, unit_id, period)] = _judge(indicator, units[unit_id], period, upto)
    return out


def _ancestor_ids() -> dict[int, list[int]]:
    """Each unit's id with its ancestors' ids, read from the materialised paths."""
    paths = dict(OrgUnit.objects.values_list("id", "path"))
    ids_by_code = dict(OrgUnit.objects.values_list("code", "id"))
    return {uid: [ids_by_code[c] for c in path.strip("/").split("/") if c in ids_by_code]
            for uid, path in paths.items()}


def _store_many(computed: dict[tuple[int, int, str], dict[str, Any] | None], now: datetime.datetime) -> list[
        tuple[int, int, str]]:
    """Make the stored current results equal the computed ones; return the cells that changed."""
    keys = list(computed)
    current: dict[tuple[int, int, str], Result] = {}
    by_indicator: dict[int, set[int]] = defaultdict(set)
    for indicator_id, unit_id, _period in keys:
        by_indicator[indicator_id].add(unit_id)
    for indicator_id, unit_ids in by_indicator.items():
        query = Result.objects.filter(indicator_id=indicator_id, valid_to__isnull=True)
        if len(unit_ids) <= 500:
            query = query.filter(unit_id__in=unit_ids)
        for result in query:
            key = (result.indicator_id, result.unit_id, result.period)
            if key in computed:
                current[key] = result
    changed, closing, creating = [], [], []
    for key, new in computed.items():
        old = current.get(key)
        if old is None and new is None:
            continue
        if old is not None and new is not None and all(getattr(old, n) == new[n] for n in COMPARED):
            continue
        if old is not None:
            closing.append(old.pk)
        if new is not None:
            creating.append(Result(indicator_id=key[0], unit_id=key[1], period=key[2],
                                   period_end=parse_period(key[2]).end, valid_from=now, **new))
        changed.append(key)
    for start in range(0, len(closing), 500):
        Result.objects.filter(pk__in=closing[start:start + 500]).update(valid_to=now)
    Result.objects.bulk_create(creating, batch_size=1000)
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


def _recompute_cells(catalog: Catalog, cells: Iterable[tuple[int, int, str]], run: Run) -> None:
    now = timezone.now()
    cells = set(cells)
    units = {u.id: u for u in OrgUnit.objects.filter(id__in={c[1] for c in cells})}
    computed = compute_cells(catalog, cells, units)
    run.cells += len(cells)
    for indicator_id, unit_id, period in _store_many(computed, now):
        run.changed += 1
        run.changed_units.add(units[unit_id].code)
        run.changed_periods.add(period)
        if len(run.changed_cells) < 500:
            run.changed_cells.append((catalog.indicators[indicator_id].model.code if indicator_id in
                                      catalog.indicators else str(indicator_id), units[unit_id].code, period))


def _with_ancestors(unit_codes: Iterable[str]) -> set[int]:
    paths = dict(OrgUnit.objects.filter(code__in=set(unit_codes)).values_list("id", "path"))
    codes = {code for path in paths.values() for code in path.strip("/").split("/") if code}
    return set(OrgUnit.objects.filter(code__in=codes).values_list("id", flat=True))


def affected_cells(catalog: Catalog, elements: Iterable[str], units: Iterable[str],
                   periods: Iterable[str]) -> set[tuple[int, int, str]]:
    """The cells a change to these elements, units and periods can alter (later periods too: their forecast)."""
    indicator_ids = {i for code in elements for i in catalog.by_element.get(code, [])}
    unit_ids = _with_ancestors(units)
    periods = set(periods)
    if not indicator_ids or not unit_ids or not periods:
        return set()
    cells = {(i, u, p) for i in indicator_ids for u in unit_ids for p in periods}
    earliest = min(parse_period(p).end for p in periods)
    later = Result.objects.filter(indicator_id__in=indicator_ids, unit_id__in=unit_ids, valid_to__isnull=True,
                                  period_end__gt=earliest).values_list("indicator_id", "unit_id", "period")
    cells.update(later)
    return cells


def all_cells(catalog: Catalog, indicator_ids: Iterable[int] | None = None) -> set[tuple[int, int, str]]:
    """Every cell some data lies behind (each reporting unit and its ancestors), plus every stored one."""
    wanted = set(indicator_ids) if indicator_ids is not None else set(catalog.indicators)
    paths = dict(OrgUnit.objects.values_list("id", "path"))
    ids_by_code = dict(OrgUnit.objects.values_list("code", "id"))
    ancestors: dict[int, list[int]] = {}
    cells: set[tuple[int, int, str]] = set()
    pairs = DataValue.objects.filter(number__isnull=False).values_list("data_element__code", "unit_id",
                                                                       "period").distinct()
    for code, unit_id, period in pairs.iterator(chunk_size=10_000):
        for indicator_id in catalog.by_element.get(code, []):
            if indicator_id not in wanted:
                continue
            if unit_id not in ancestors:
                ancestors[unit_id] = [ids_by_code[c] for c in paths[unit_id].strip("/").split("/") if c]
            for ancestor in ancestors[unit_id]:
                cells.add((indicator_id, ancestor, period))
    cells.update(Result.objects.filter(valid_to__isnull=True, indicator_id__in=wanted).values_list(
        "indicator_id", "unit_id", "period"))
    return cells


@transaction.atomic
def process_pending(limit: int = 1000) -> Run:
    """Apply the change events written since the last call, and the periods that turned official since then;
    emit one `results` event when results changed."""
    cursor, _created = Cursor.objects.select_for_update().get_or_create(name=ENGINE)
    events = list(ChangeEvent.objects.filter(id__gt=cursor.last_event_id).order_by("id")[:limit])
    run = Run(events=len(events))
    calendar = Calendar()
    official_before = _official_since(calendar)
    if not events and official_before is None:
        return run
    catalog = Catalog(calendar)
    cells: set[tuple[int, int, str]] = set()
    if official_before is not None:
        # The clock is a change too: these periods now count approved values only (and later forecasts move).
        cells |= {c for c in all_cells(catalog) if parse_period(c[2]).end > official_before}
    changes = [(event, parse(event)) for event in events]
    for event, change in changes:
        if isinstance(change, TargetsChanged) or (isinstance(change, ValuesWritten) and change.wide):
            indicator_ids = {i for code in change.elements for i in catalog.by_element.get(code, [])}
            if isinstance(change, TargetsChanged):
                indicator_ids |= set(Indicator.objects.filter(code__in=change.indicators).values_list("id", flat=True))
            cells |= all_cells(catalog, indicator_ids)
        elif isinstance(change, ValuesWritten):
            cells |= affected_cells(catalog, change.elements, event.units, event.periods)
        elif isinstance(change, ApprovalChanged):
            # Approving or unlocking a unit's official period adds its values to the figures or takes them out.
            official = [p for p in event.periods if parse_period(p).end <= catalog.official_until]
            cells |= affected_cells(catalog, list(catalog.by_element), event.units, official)
    _recompute_cells(catalog, cells, run)
    if events:
        cursor.last_event_id = events[-1].id
        cursor.save()
    if run.changed:
        emit(ResultsChanged(changed=run.changed, cells=tuple(run.changed_cells[:100])), units=run.changed_units,
             periods=run.changed_periods)
    _update_scores(changes, run, official_before, calendar)
    return run


def _official_since(calendar: Calendar) -> datetime.date | None:
    """The previous official cutoff when periods have turned official since the last call (the cursor holds
    the cutoff's ordinal); None when none has. A new database starts from today's."""
    cutoff = calendar.cutoff.toordinal()
    cursor, created = Cursor.objects.get_or_create(name=OFFICIAL_CURSOR, defaults={"last_event_id": cutoff})
    if created or cursor.last_event_id >= cutoff:
        return None
    before = datetime.date.fromordinal(cursor.last_event_id)
    cursor.last_event_id = cutoff
    cursor.save()
    return before


def _update_scores(changes: list[tuple[ChangeEvent, AnyChange]], run: Run, official_before: datetime.date | None,
                   calendar: Calendar) -> None:
    """Rescore the (peer group, month) pairs the events and the changed results touched: only the units
    concerned are computed again, their groups re-ranked. A month that turned official is rescored whole: until
    its due date a unit that had not reported was not yet counted as missing (evaluation.quality)."""
    from govkpi.evaluation import scores

    months = scores.scored_months()
    pairs: scores.Pairs = {}

    def add(more: scores.Pairs) -> None:
        for key, units in more.items():
            scores._merge(pairs, key, units)

    for event, change in changes:
        if isinstance(change, ValuesWritten | ApprovalChanged):
            add(scores.affected_group_months(event.units, event.periods, all_units=change.wide and not event.units,
                                             scored=months))
        elif isinstance(change, TaskChanged):
            add(scores.affected_group_months(event.units, [], later_too=True, scored=months))
    if run.changed:
        add(scores.affected_group_months(run.changed_units, run.changed_periods, later_too=True, scored=months))
    turned = [m for m in months if official_before is not None
              and official_before < parse_period(m).end <= calendar.cutoff]
    for key in _new_month(scores, months) | {(g, m) for m in turned for g in scores.all_groups()}:
        scores._merge(pairs, key, None)
    if not pairs:
        return
    scored = scores.update_scores(pairs, months=months)
    run.scores_changed = scored.changed
    if scored.changed:
        emit(ScoresChanged(changed=scored.changed), units=scored.changed_units, periods=scored.changed_periods)


def _new_month(scores, months: list[str]) -> set[tuple[str, str]]:
    """When a month has just ended, score it (the cursor holds the last month scored, as YYYYMM)."""
    if not months:
        return set()
    cursor, _created = Cursor.objects.get_or_create(name="scores-month")
    if cursor.last_event_id >= int(months[-1]):
        return set()
    cursor.last_event_id = int(months[-1])
    cursor.save()
    scores.ensure_methodology()
    return {(g, months[-1]) for g in scores.all_groups()}


@transaction.atomic
def recompute() -> Run:
    """Recompute every result from the data (the events so far are then taken as applied)."""
    catalog = Catalog()
    run = Run()
    _recompute_cells(catalog, all_cells(catalog), run)
    last = ChangeEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    Cursor.objects.update_or_create(name=ENGINE, defaults={"last_event_id": last})
    from govkpi.evaluation import scores

    run.scores_changed = scores.recompute_scores().changed
    months = scores.scored_months()
    if months:
        Cursor.objects.update_or_create(name="scores-month", defaults={"last_event_id": int(months[-1])})
    Cursor.objects.update_or_create(name=OFFICIAL_CURSOR, defaults={"last_event_id": Calendar().cutoff.toordinal()})
    return run


def verify() -> list[str]:
    """Compare a fresh computation of every cell with the stored current results; return the differences."""
    catalog = Catalog()
    units = {u.id: u for u in OrgUnit.objects.all()}
    problems = []
    stored = {(r.indicator_id, r.unit_id, r.period): r for r in Result.objects.filter(valid_to__isnull=True)}
    fresh = compute_cells(catalog, all_cells(catalog), units)
    for indicator_id, unit_id, period in sorted(fresh, key=lambda c: (c[2], c[0], c[1])):
        computed = fresh[(indicator_id, unit_id, period)]
        current = stored.get((indicator_id, unit_id, period))
        name = f"{catalog.indicators[indicator_id].model.code if indicator_id in catalog.indicators else indicator_id}" \
               f"/{units[unit_id].code}/{period}"
        if computed is None and current is None:
            continue
        if computed is None or current is None:
            problems.append(f"{name}: {'stored but has no data' if computed is None else 'missing'}")
            continue
        wrong = [f"{n} {getattr(current, n)!r} ≠ {computed[n]!r}" for n in COMPARED if getattr(current, n) != computed[n]]
        if wrong:
            problems.append(f"{name}: " + "; ".join(wrong))
    from govkpi.evaluation.scores import verify_scores

    return problems + verify_scores()


def results_as_of(moment: datetime.datetime):
    """The results as they stood at a moment."""
    return Result.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=moment), valid_from__lte=moment)
