"""Unit scores and rankings: the composite index of indicators, tasks and data quality, per month and peer group.

A score is computed for each ministry, province and commune for each complete month, under the methodology
version in force at the month's end, and ranked within its peer group (ministries; provinces; the communes
of one province). Scores are stored versioned like results, so rankings "as they stood" on any day can be
read back. The engine calls `update_scores` with the groups and months a change touched; `recompute_scores`
does every group and month, and `verify_scores` compares a fresh computation with what is stored.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from govkpi.core import scoring
from govkpi.core.periods import PeriodType, parse_period, period_of, periods_between
from govkpi.core.task_status import State, deadline_on, stage_on, state_on
from govkpi.datavalues.models import DataValue
from govkpi.evaluation.models import Methodology, Result, Score
from govkpi.evaluation.quality import quality_for
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks.figures import facts_for
from govkpi.tasks.models import Task

DIGITS = 6
DEFAULT_METHODOLOGY: dict[str, Any] = {
    "components": {"indicators": 0.5, "tasks": 0.3, "quality": 0.2},
    "indicators": {},  # indicator code → weight; an indicator not named weighs 1
    "indicator_window_months": 12,  # an indicator counts with its latest result ending in the last 12 months
    "task_late_horizon_days": scoring.LATE_HORIZON_DAYS,
    "task_overdue_horizon_days": scoring.OVERDUE_HORIZON_DAYS,
    "groups": {"ministries": "ministry", "provinces": "province", "communes": "commune within a province"},
}
COMPARED = ("methodology_id", "group", "value", "components", "rank", "group_size", "previous_rank", "demo")
MINISTRIES, PROVINCES, COMMUNES = "ministries", "provinces", "communes"
PRELOAD_FROM = 3  # months of one group in a run from which its results are read once for all of them


# -- methodology ---------------------------------------------------------------------------------------------

def ensure_methodology() -> Methodology:
    """The first version, published with the reference dataset (in force from the start of the data)."""
    first = Methodology.objects.order_by("version").first()
    if first is not None:
        return first
    return Methodology.objects.create(version=1, in_force_from=datetime.date(2024, 1, 1),
                                      definition=DEFAULT_METHODOLOGY, published_by="govkpi",
                                      notes="Phiên bản đầu tiên / first version")


def publish_methodology(definition: dict[str, Any], in_force_from: datetime.date, notes: str = "",
                        by: str = "") -> Methodology:
    """Publish a new version; the months from `in_force_from` on are rescored, earlier months keep theirs."""
    _check_definition(definition)
    with transaction.atomic():
        latest = Methodology.objects.select_for_update().order_by("-version").first()
        if latest is not None and in_force_from < latest.in_force_from:
            raise ValueError("A new version cannot take effect before the version in force.")
        version = Methodology.objects.create(version=(latest.version + 1) if latest else 1,
                                             in_force_from=in_force_from, definition=definition, notes=notes,
                                             published_by=by)
        months = [m for m in scored_months() if parse_period(m).end >= in_force_from]
        update_scores({(g, m) for g in all_groups() for m in months})
    return version


def _check_definition(definition: dict[str, Any]) -> None:
    weights = definition.get("components")
    if not isinstance(weights, dict) or not weights or set(weights) - {"indicators", "tasks", "quality"}:
        raise ValueError("components: weights for indicators, tasks and quality")
    if any(not isinstance(w, int | float) or w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise ValueError("components: weights must be non-negative and not all zero")
    for code, weight in (definition.get("indicators") or {}).items():
        if not isinstance(weight, int | float) or weight < 0:
            raise ValueError(f"indicators.{code}: weight must be a non-negative number")


def methodology_for(month: str, versions: list[Methodology] | None = None) -> Methodology:
    versions = versions if versions is not None else list(Methodology.objects.order_by("version"))
    end = parse_period(month).end
    in_force = [v for v in versions if v.in_force_from <= end]
    return in_force[-1] if in_force else (versions[0] if versions else ensure_methodology())


# -- groups and months ---------------------------------------------------------------------------------------

def group_of(unit: OrgUnit) -> str | None:
    if unit.kind == "ministry":
        return MINISTRIES
    if unit.kind == "province":
        return PROVINCES
    if unit.kind == "commune" and unit.parent_id:
        return f"{COMMUNES}:{unit.path.strip('/').split('/')[-2]}"
    return None


def all_groups() -> list[str]:
    provinces = OrgUnit.objects.current().filter(kind="province").order_by("code").values_list("code", flat=True)
    return [MINISTRIES, PROVINCES, *[f"{COMMUNES}:{code}" for code in provinces]]


def group_units(group: str) -> list[OrgUnit]:
    current = OrgUnit.objects.current()
    if group == MINISTRIES:
        return list(current.filter(kind="ministry").order_by("code"))
    if group == PROVINCES:
        return list(current.filter(kind="province").order_by("code"))
    province = group.split(":", 1)[1]
    return list(current.filter(kind="commune", parent__code=province).order_by("code"))


def scored_months(today: datetime.date | None = None) -> list[str]:
    """Every complete month from the first month with a monthly value or an assigned task."""
    today = today or timezone.localdate()
    starts = [d for d in (DataValue.objects.aggregate(first=Min("period_start"))["first"],
                          Task.objects.aggregate(first=Min("assigned_on"))["first"]) if d]
    last = period_of(PeriodType.MONTHLY, today).previous()
    if not starts or min(starts) > last.end:
        return []
    return [p.id for p in periods_between(PeriodType.MONTHLY, min(starts), last.end)]


# -- computing one group for one month -------------------------------------------------------------------------

def _r(number: float | None) -> float | None:
    return None if number is None else round(number, DIGITS)


class GroupResults:
    """The current judged results of a group's units, read once for all the months a run scores the group
    (a full recompute scores each group for every month: one query per group, not one per month)."""

    def __init__(self, units: list[OrgUnit]) -> None:
        self.rows = list(Result.objects.filter(unit__in=units, valid_to__isnull=True, achievement__isnull=False)
                         .select_related("indicator").order_by("period_end", "id"))

    def between(self, since: datetime.date, end: datetime.date) -> list[Result]:
        return [r for r in self.rows if since <= r.period_end <= end]


def _indicator_component(units: list[OrgUnit], month: str, definition: dict,
                         preloaded: GroupResults | None = None) -> dict[int, scoring.Component]:
    end = parse_period(month).end
    window = definition.get("indicator_window_months", 12)
    since = period_of(PeriodType.MONTHLY, end)
    for _ in range(window - 1):
        since = since.previous()
    weights = definition.get("indicators") or {}
    latest: dict[tuple[int, int], Result] = {}
    if preloaded is not None:
        wanted = {u.id for u in units}
        found = [r for r in preloaded.between(since.start, end) if r.unit_id in wanted]
    else:
        found = list(Result.objects.filter(unit__in=units, valid_to__isnull=True, period_end__lte=end,
                                           period_end__gte=since.start, achievement__isnull=False)
                     .select_related("indicator").order_by("period_end", "id"))
    for result in found:
        latest[(result.unit_id, result.indicator_id)] = result  # the latest period wins
    by_unit: dict[int, list[Result]] = defaultdict(list)
    for (unit_id, _i), result in latest.items():
        by_unit[unit_id].append(result)
    weight = definition["components"].get("indicators", 0)
    out = {}
    for unit in units:
        results = sorted(by_unit.get(unit.id, []), key=lambda r: r.indicator.code)
        score, effective = scoring.weighted_mean({r.indicator.code: r.achievement for r in results},
                                                 weights, default_weight=1.0)
        out[unit.id] = scoring.Component("indicators", _r(score), weight, details={"items": [
            {"indicator": r.indicator.code, "name": r.indicator.name_vi, "period": r.period, "value": r.value,
             "target": r.target_value, "achievement": r.achievement, "status": r.status,
             "weight": weights.get(r.indicator.code, 1.0), "effective_weight": _r(effective.get(r.indicator.code, 0)),
             "demo": r.demo, "inputs": r.inputs} for r in results]})
    return out


def _task_outcome(facts, day: datetime.date) -> scoring.TaskOutcome:
    state = state_on(facts, day)
    days = 0
    if state is State.OVERDUE:
        days = (day - deadline_on(facts, day)).days
    elif state is State.DONE_LATE:
        _stage, since = stage_on(facts, day)
        days = (since - deadline_on(facts, since)).days
    return scoring.TaskOutcome(str(facts.key), state.value, days)


def _task_component(units: list[OrgUnit], month: str, definition: dict, today: datetime.date,
                    facts_cache: dict | None = None) -> dict[int, scoring.Component]:
    day = min(parse_period(month).end, today)
    key = tuple(u.id for u in units)
    if facts_cache is not None and key in facts_cache:
        tasks, facts = facts_cache[key]
    else:
        tasks = list(Task.objects.filter(lead_unit__in=units, children__isnull=True))
        facts = facts_for(tasks)
        if facts_cache is not None:
            facts_cache[key] = (tasks, facts)
    by_unit: dict[int, list[scoring.TaskOutcome]] = defaultdict(list)
    for task in tasks:
        if task.assigned_on <= day:
            by_unit[task.lead_unit_id].append(_task_outcome(facts[task.pk], day))
    late, overdue = definition.get("task_late_horizon_days", 180), definition.get("task_overdue_horizon_days", 90)
    weight = definition["components"].get("tasks", 0)
    out = {}
    for unit in units:
        outcomes = by_unit.get(unit.id, [])
        score, counted = scoring.task_score(outcomes, late, overdue)
        states: dict[str, int] = defaultdict(int)
        for o in outcomes:
            states[o.state] += 1
        worst = sorted((o for o in outcomes if o.state in ("overdue", "done_late")), key=lambda o: (-o.days, o.key))
        out[unit.id] = scoring.Component("tasks", _r(score), weight, details={
            "as_of": day.isoformat(), "assigned": len(outcomes), "counted": counted, "states": dict(sorted(states.items())),
            "items": [{"task": o.key, "state": o.state, "days": o.days,
                       "credit": _r(scoring.task_credit(o, late, overdue))} for o in worst[:10]]})
    return out


def _quality_component(units: list[OrgUnit], month: str, definition: dict, group: list[OrgUnit],
                       today: datetime.date) -> tuple[dict[int, scoring.Component], dict[int, bool]]:
    weight = definition["components"].get("quality", 0)
    out, demo = {}, {}
    for unit_id, (quality, is_demo) in quality_for(units, month, group, today).items():
        out[unit_id] = scoring.Component("quality", _r(quality.score), weight,
                                         details={k: _r(v) if isinstance(v, float) else v
                                                  for k, v in quality.as_dict().items()})
        demo[unit_id] = is_demo
    return out, demo


def compute_group(group: str, month: str, *, methodology: Methodology | None = None,
                  today: datetime.date | None = None, previous_ranks: dict[int, int | None] | None = None,
                  facts_cache: dict | None = None, only: set[int] | None = None,
                  stored: dict[int, Score] | None = None,
                  units: list[OrgUnit] | None = None,
                  preloaded: GroupResults | None = None) -> dict[int, dict[str, Any]]:
    """Every unit's score fields for the group and month (units with no component defined are left out).

    With `only` and the group's `stored` scores, only those units' components are computed again; the others
    keep their stored components, and ranks are redone over the whole group (an incremental update)."""
    today = today or timezone.localdate()
    methodology = methodology or methodology_for(month)
    definition = methodology.definition
    units = units if units is not None else group_units(group)
    partial = only is not None and stored is not None
    fresh = [u for u in units if u.id in only] if partial else units
    indicators = _indicator_component(fresh, month, definition, preloaded)
    tasks = _task_component(fresh, month, definition, today, None if partial else facts_cache)
    quality, quality_demo = _quality_component(fresh, month, definition, units, today)
    scored: dict[int, dict[str, Any]] = {}
    for unit in units:
        if partial and unit.id not in only:
            if unit.id in stored:
                old = stored[unit.id]
                scored[unit.id] = {"methodology_id": old.methodology_id, "group": group, "value": old.value,
                                   "demo": old.demo, "components": old.components}
            continue
        parts = [indicators[unit.id], tasks[unit.id], quality[unit.id]]
        value = scoring.composite(parts)
        if value is None:
            continue
        demo = quality_demo.get(unit.id, False) or any(i["demo"] for i in indicators[unit.id].details["items"])
        scored[unit.id] = {
            "methodology_id": methodology.id, "group": group, "value": _r(value), "demo": demo,
            "components": {p.name: {"score": p.score, "weight": p.weight, "effective_weight": _r(p.effective_weight),
                                    "contribution": _r(p.contribution), **p.details} for p in parts},
        }
    ranks = scoring.rank({str(uid): s["value"] for uid, s in scored.items()})
    if previous_ranks is None:
        previous_ranks = dict(Score.objects.filter(group=group, period=parse_period(month).previous().id,
                                                   valid_to__isnull=True).values_list("unit_id", "rank"))
    for uid, fields in scored.items():
        fields.update(rank=ranks[str(uid)], group_size=len(scored), previous_rank=previous_ranks.get(uid))
    return scored


# -- storing ---------------------------------------------------------------------------------------------------

@dataclass
class ScoreRun:
    group_months: int = 0
    changed: int = 0
    changed_units: set[str] = field(default_factory=set)
    changed_periods: set[str] = field(default_factory=set)


def _store_group(group: str, month: str, computed: dict[int, dict[str, Any]], current: dict[int, Score],
                 now: datetime.datetime, run: ScoreRun) -> set[int]:
    """Make the stored current scores equal the computed ones; return the units whose rank changed."""
    codes = dict(OrgUnit.objects.filter(id__in=set(current) | set(computed)).values_list("id", "code"))
    reranked: set[int] = set()
    closing, creating = [], []
    for unit_id in set(current) | set(computed):
        old, new = current.get(unit_id), computed.get(unit_id)
        if old is not None and new is not None and all(getattr(old, n) == new[n] for n in COMPARED):
            continue
        if old is None or new is None or old.rank != new["rank"]:
            reranked.add(unit_id)
        if old is not None:
            closing.append(old.pk)
        if new is not None:
            creating.append(Score(unit_id=unit_id, period=month, valid_from=now, **new))
        run.changed += 1
        run.changed_units.add(codes[unit_id])
        run.changed_periods.add(month)
    Score.objects.filter(pk__in=closing).update(valid_to=now)
    Score.objects.bulk_create(creating)
    return reranked


Pairs = dict[tuple[str, str], "set[int] | None"]  # (group, month) → the units to compute again (None: all)


def _merge(pairs: Pairs, key: tuple[str, str], units: set[int] | None) -> None:
    """Add a pair; None (every unit) absorbs any set of units."""
    if units is None or (key in pairs and pairs[key] is None):
        pairs[key] = None
    else:
        pairs[key] = (pairs.get(key) or set()) | (units or set())


def active_group_months(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Of these (group, month) pairs, those that can have a score: some unit of the group reported that month,
    has an indicator result counting that month, or leads a task assigned by then; or a score is stored."""
    pairs = set(pairs)
    if not pairs:
        return set()
    months = sorted({m for _g, m in pairs})
    ends = {m: parse_period(m).end for m in months}
    wanted = {g for g, _m in pairs}
    groups: dict[int, str] = {}
    units = OrgUnit.objects.current().filter(kind__in=("ministry", "province", "commune"))
    if len(wanted) < 4:  # a change: only the groups named
        query = Q()
        for group in wanted:
            query |= (Q(kind="ministry") if group == MINISTRIES else Q(kind="province") if group == PROVINCES
                      else Q(kind="commune", parent__code=group.split(":", 1)[1]))
        units = units.filter(query)
    for unit in units.only("id", "kind", "path", "parent_id"):
        if (group := group_of(unit)) in wanted:
            groups[unit.id] = group
    ids = list(groups)
    active: set[tuple[str, str]] = set()
    values = DataValue.objects.filter(period__in=months)
    results = Result.objects.filter(valid_to__isnull=True, achievement__isnull=False,
                                    period_end__lte=ends[months[-1]])
    tasks = Task.objects.filter(lead_unit__isnull=False)
    if len(ids) <= 500:
        values, results, tasks = (values.filter(unit_id__in=ids), results.filter(unit_id__in=ids),
                                  tasks.filter(lead_unit_id__in=ids))
    for unit_id, period in values.values_list("unit_id", "period").distinct():
        if unit_id in groups:
            active.add((groups[unit_id], period))
    window = datetime.timedelta(days=366)  # results count for the 12 months after their period ends
    for unit_id, end in results.values_list("unit_id", "period_end").distinct():
        if unit_id in groups:
            active.update((groups[unit_id], m) for m in months if end <= ends[m] < end + window)
    for unit_id, first in tasks.values("lead_unit_id").annotate(first=Min("assigned_on")).values_list(
            "lead_unit_id", "first"):
        if unit_id in groups:
            active.update((groups[unit_id], m) for m in months if first <= ends[m])
    active.update(Score.objects.filter(valid_to__isnull=True, period__in=months, group__in=wanted)
                  .values_list("group", "period").distinct())
    return active & pairs


def update_scores(group_months: Iterable[tuple[str, str]] | Pairs, today: datetime.date | None = None,
                  months: list[str] | None = None) -> ScoreRun:
    """Recompute and store the given (group, month) pairs, month by month so ranks carry forward. A pair may name
    the units whose inputs changed: only their components are computed again, the group is re-ranked. A month
    whose ranks changed refreshes the next month's previous ranks. Pairs with nothing to score are skipped."""
    today = today or timezone.localdate()
    scored = set(months if months is not None else scored_months(today))
    asked: Pairs = group_months if isinstance(group_months, dict) else {gm: None for gm in group_months}
    pending: Pairs = {}
    for key, units in asked.items():
        if key[1] in scored:
            _merge(pending, key, units)
    active = active_group_months(pending)
    run = ScoreRun()
    versions = list(Methodology.objects.order_by("version")) or [ensure_methodology()]
    now = timezone.now()
    facts_cache: dict = {}
    members: dict[str, list[OrgUnit]] = {}  # each group's units, read once per run
    preloaded: tuple[str, GroupResults] | None = None
    # Group by group, months in order: a group's ranks carry forward to its next month, never to another group.
    while pending:
        (group, month) = min(pending)
        only = pending.pop((group, month))
        if (group, month) not in active:
            continue
        methodology = methodology_for(month, versions)
        current = {s.unit_id: s for s in Score.objects.filter(group=group, period=month, valid_to__isnull=True)}
        if group not in members:
            members[group] = group_units(group)
        units = members[group]
        incremental = bool(only is not None and current
                           and all(s.methodology_id == methodology.id for s in current.values())
                           and not _collection_changed(units, month, current))
        if preloaded is None or preloaded[0] != group:
            many = sum(1 for g, _m in pending if g == group) >= PRELOAD_FROM
            preloaded = (group, GroupResults(units)) if many else None
        computed = compute_group(group, month, methodology=methodology, today=today, facts_cache=facts_cache,
                                 only=only if incremental else None, stored=current if incremental else None,
                                 units=units, preloaded=preloaded[1] if preloaded else None)
        reranked = _store_group(group, month, computed, current, now, run)
        run.group_months += 1
        following = parse_period(month).next().id
        if reranked and following in scored:
            _merge(pending, (group, following), set())  # previous ranks only
            active |= active_group_months({(group, following)})
    return run


def _collection_changed(units: list[OrgUnit], month: str, current: dict[int, Score]) -> bool:
    """True when what the group owes for the month differs from what the stored scores assumed (a first report
    of an element puts it in collection for every unit of the group)."""
    if not units:
        return False
    kind = units[0].kind
    monthly = [e for e, k in DataElement.objects.filter(frequency="monthly").values_list("id", "unit_kinds")
               if not k or kind in k]
    owed = DataValue.objects.filter(unit__in=units, period=month, data_element_id__in=monthly).values(
        "data_element_id").distinct().count()
    assumed = {(s.components.get("quality") or {}).get("expected") for s in current.values()}
    return assumed != {owed}


def recompute_scores(today: datetime.date | None = None) -> ScoreRun:
    today = today or timezone.localdate()
    ensure_methodology()
    return update_scores({(g, m) for g in all_groups() for m in scored_months(today)}, today)


def verify_scores(today: datetime.date | None = None) -> list[str]:
    """Differences between a fresh computation of every group and month and the stored current scores."""
    today = today or timezone.localdate()
    problems = []
    versions = list(Methodology.objects.order_by("version"))
    if not versions:
        return []
    codes = dict(OrgUnit.objects.values_list("id", "code"))
    facts_cache: dict = {}
    months = scored_months(today)
    active = active_group_months({(g, m) for g in all_groups() for m in months})
    for month in months:
        for group in all_groups():
            if (group, month) not in active:
                continue
            stored = {s.unit_id: s for s in Score.objects.filter(group=group, period=month, valid_to__isnull=True)}
            computed = compute_group(group, month, methodology=methodology_for(month, versions), today=today,
                                     facts_cache=facts_cache)
            for unit_id in set(stored) | set(computed):
                old, new = stored.get(unit_id), computed.get(unit_id)
                name = f"score/{codes[unit_id]}/{month}"
                if old is None or new is None:
                    problems.append(f"{name}: {'missing' if old is None else 'stored but has no data'}")
                    continue
                wrong = [f"{n} {getattr(old, n)!r} ≠ {new[n]!r}" for n in COMPARED if getattr(old, n) != new[n]]
                if wrong:
                    problems.append(f"{name}: " + "; ".join(wrong))
    return problems


def affected_group_months(units: Iterable[str], months: Iterable[str], all_units: bool = False,
                          later_too: bool = False, scored: list[str] | None = None) -> Pairs:
    """The (group, month) pairs a change to these units in these months can alter, each with the units to
    compute again; `later_too` adds the following months (an indicator result counts for the next 12 months,
    a task fact from its day on)."""
    scored = scored if scored is not None else scored_months()
    if not scored:
        return {}
    by_group: dict[str, set[int] | None] = {}
    if all_units:
        by_group = {g: None for g in all_groups()}
    else:
        codes = set(units)
        for unit in OrgUnit.objects.filter(code__in=codes):
            codes.update(c for c in unit.path.strip("/").split("/") if c)
        for unit in OrgUnit.objects.filter(code__in=codes):
            if (group := group_of(unit)) is not None:
                by_group.setdefault(group, set()).add(unit.id)
    months = {m for m in months if m}
    if not months:
        chosen = set(scored)
    else:
        first = min(parse_period(m).end for m in months)
        chosen = {m for m in scored if parse_period(m).end >= first} if later_too else \
            {period_of(PeriodType.MONTHLY, parse_period(m).end).id for m in months}
    pairs: Pairs = {}
    for group, unit_ids in by_group.items():
        for month in chosen & set(scored):
            _merge(pairs, (group, month), None if unit_ids is None else set(unit_ids))
    return pairs


def scores_as_of(moment: datetime.datetime):
    return Score.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=moment), valid_from__lte=moment)
