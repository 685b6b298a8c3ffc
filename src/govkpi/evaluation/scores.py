"""Unit scores and rankings: the composite index of indicators, tasks and data quality, per month and peer group.

A score is computed for each ministry, province and commune for each complete month, under the methodology
version in force at the month's end, and ranked within its peer group (ministries; provinces; the communes
of one province). Scores are stored versioned like results, so rankings "as they stood" on any day can be
read back. The engine calls `update_scores` with the groups and months a change touched; `recompute_scores`
does every group and month, and `verify_scores` compares a fresh computation with what is stored.
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from govkpi.bulk import add_rows
from govkpi.core import scoring
from govkpi.core.periods import PeriodType, parse_period, period_of, periods_between
from govkpi.core.task_status import State, deadline_on, stage_on, state_on
from govkpi.datavalues.models import DataValue
from govkpi.evaluation.models import Methodology, Result, Score
from govkpi.evaluation.quality import MonthReports, QualityCatalog, group_quality
from govkpi.indicators.models import Indicator
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
STORE_CHUNK = 2000  # score rows closed or added per statement


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
    return _group(unit.kind, unit.path) if unit.kind != "commune" or unit.parent_id else None


def _group(kind: str, path: str) -> str | None:
    if kind == "ministry":
        return MINISTRIES
    if kind == "province":
        return PROVINCES
    parts = path.strip("/").split("/")
    if kind == "commune" and len(parts) >= 2:
        return f"{COMMUNES}:{parts[-2]}"
    return None


def all_groups() -> list[str]:
    provinces = OrgUnit.objects.current().filter(kind="province").order_by("code").values_list("code", flat=True)
    return [MINISTRIES, PROVINCES, *[f"{COMMUNES}:{code}" for code in provinces]]


def scored_months(today: datetime.date | None = None) -> list[str]:
    """Every complete month from the first month with a monthly value or an assigned task."""
    today = today or timezone.localdate()
    starts = [d for d in (_first_value_start(), Task.objects.aggregate(first=Min("assigned_on"))["first"]) if d]
    last = period_of(PeriodType.MONTHLY, today).previous()
    if not starts or min(starts) > last.end:
        return []
    return [p.id for p in periods_between(PeriodType.MONTHLY, min(starts), last.end)]


LONGEST_PERIOD = datetime.timedelta(days=366)  # a year, the longest period type


def _first_value_start() -> datetime.date | None:
    """The earliest start of any value's period, without reading the whole values table: the earliest end comes
    from the (period_end, element) index, and the value that starts first ends at most a year after it starts,
    so no later than a year after that earliest end."""
    first_end = DataValue.objects.aggregate(first=Min("period_end"))["first"]
    if first_end is None:
        return None
    return DataValue.objects.filter(period_end__lte=first_end + LONGEST_PERIOD).aggregate(
        first=Min("period_start"))["first"]


# -- what a run reads once --------------------------------------------------------------------------------------

def _r(number: float | None) -> float | None:
    return None if number is None else round(number, DIGITS)


class Member(NamedTuple):
    """A unit as a peer group sees it."""

    id: int
    code: str
    kind: str


class Groups:
    """The peer groups of the units in force and their members in code order (one query per run)."""

    def __init__(self) -> None:
        self.members: dict[str, list[Member]] = defaultdict(list)
        for uid, code, kind, path in (OrgUnit.objects.current().filter(kind__in=("ministry", "province", "commune"))
                                      .order_by("code").values_list("id", "code", "kind", "path")):
            if (group := _group(kind, path)) is not None:
                self.members[group].append(Member(uid, code, kind))

    def unit_ids(self, groups: Iterable[str]) -> set[int]:
        return {u.id for g in groups for u in self.members.get(g, ())}


RESULT_FIELDS = ("unit_id", "indicator_id", "period", "period_end", "value", "target_value", "achievement",
                 "status", "demo", "inputs")
_UNIT, _INDICATOR, _END = 0, 1, 3


class LatestResults:
    """Each unit's latest judged result per indicator as the months advance: one pass over the current results
    in order of their period's end (a full recompute reads each result once, not once per month it counts in)."""

    def __init__(self, unit_ids: set[int] | None, since: datetime.date | None) -> None:
        query = Result.objects.filter(valid_to__isnull=True, achievement__isnull=False)
        if since is not None:  # nothing before the first month's window counts
            query = query.filter(period_end__gte=since)
        if unit_ids is not None:
            query = query.filter(unit_id__in=unit_ids)
        self._rows = query.order_by("period_end", "id").values_list(*RESULT_FIELDS).iterator(chunk_size=5000)
        self._next = next(self._rows, None)
        self.latest: dict[int, dict[int, tuple]] = defaultdict(dict)  # unit → indicator → row

    def up_to(self, end: datetime.date) -> None:
        while self._next is not None and self._next[_END] <= end:
            row = self._next
            self.latest[row[_UNIT]][row[_INDICATOR]] = row  # a later period replaces an earlier one
            self._next = next(self._rows, None)

    def close(self) -> None:
        self._rows.close()  # a server-side cursor on PostgreSQL: let it go now, not at garbage collection


class GroupTasks:
    """The tasks led by the units of the groups a run scores, with their dated facts (four queries per run)."""

    def __init__(self, unit_ids: set[int] | None) -> None:
        tasks = Task.objects.filter(lead_unit__isnull=False, children__isnull=True)
        if unit_ids is not None:
            tasks = tasks.filter(lead_unit_id__in=unit_ids)
        tasks = list(tasks.only("id", "code", "lead_unit_id", "assigned_on", "original_deadline"))
        self.facts = facts_for(tasks)
        self.by_unit: dict[int, list[Task]] = defaultdict(list)
        for task in tasks:
            self.by_unit[task.lead_unit_id].append(task)


# -- computing one group for one month -------------------------------------------------------------------------

def _window_start(month: str, definition: dict) -> datetime.date:
    return _months_back(month, definition.get("indicator_window_months", 12))


@functools.lru_cache(maxsize=4096)
def _months_back(month: str, window: int) -> datetime.date:
    """The first day of the window of `window` months that ends with `month`."""
    since = period_of(PeriodType.MONTHLY, parse_period(month).end)
    for _ in range(window - 1):
        since = since.previous()
    return since.start


def _indicator_component(unit: Member, month: str, definition: dict, latest: LatestResults,
                         names: dict[int, tuple[str, str]]) -> scoring.Component:
    since = _window_start(month, definition)
    weights = definition.get("indicators") or {}
    rows = sorted((r for r in latest.latest.get(unit.id, {}).values() if r[_END] >= since),
                  key=lambda r: names[r[_INDICATOR]][0])
    items = [dict(zip(RESULT_FIELDS, r, strict=True)) for r in rows]
    score, effective = scoring.weighted_mean({names[r["indicator_id"]][0]: r["achievement"] for r in items},
                                             weights, default_weight=1.0)
    return scoring.Component("indicators", _r(score), definition["components"].get("indicators", 0), details={
        "items": [{"indicator": (code := names[r["indicator_id"]][0]), "name": names[r["indicator_id"]][1],
                   "period": r["period"], "value": r["value"], "target": r["target_value"],
                   "achievement": r["achievement"], "status": r["status"], "weight": weights.get(code, 1.0),
                   "effective_weight": _r(effective.get(code, 0)), "demo": r["demo"], "inputs": r["inputs"]}
                  for r in items]})


def _task_outcome(facts, day: datetime.date) -> scoring.TaskOutcome:
    state = state_on(facts, day)
    days = 0
    if state is State.OVERDUE:
        days = (day - deadline_on(facts, day)).days
    elif state is State.DONE_LATE:
        _stage, since = stage_on(facts, day)
        days = (since - deadline_on(facts, since)).days
    return scoring.TaskOutcome(str(facts.key), state.value, days)


def _task_component(unit: Member, month: str, definition: dict, today: datetime.date,
                    tasks: GroupTasks) -> scoring.Component:
    day = min(parse_period(month).end, today)
    outcomes = [_task_outcome(tasks.facts[t.pk], day) for t in tasks.by_unit.get(unit.id, ()) if t.assigned_on <= day]
    late, overdue = definition.get("task_late_horizon_days", 180), definition.get("task_overdue_horizon_days", 90)
    score, counted = scoring.task_score(outcomes, late, overdue)
    states: dict[str, int] = defaultdict(int)
    for o in outcomes:
        states[o.state] += 1
    worst = sorted((o for o in outcomes if o.state in ("overdue", "done_late")), key=lambda o: (-o.days, o.key))
    return scoring.Component("tasks", _r(score), definition["components"].get("tasks", 0), details={
        "as_of": day.isoformat(), "assigned": len(outcomes), "counted": counted, "states": dict(sorted(states.items())),
        "items": [{"task": o.key, "state": o.state, "days": o.days,
                   "credit": _r(scoring.task_credit(o, late, overdue))} for o in worst[:10]]})


class Scorer:
    """Scores whole peer groups month by month, in increasing order of month. What a run needs is read once
    (groups, tasks, catalog, methodology versions, one ordered pass over the results); what a month needs is read
    once for all its groups (values, approvals, the previous month's ranks)."""

    def __init__(self, groups: Groups, unit_ids: set[int] | None, today: datetime.date, first: str) -> None:
        self.groups, self.today = groups, today
        self.versions = list(Methodology.objects.order_by("version")) or [ensure_methodology()]
        since = min(_window_start(first, v.definition) for v in self.versions)
        self.names = {i: (code, name) for i, code, name in Indicator.objects.values_list("id", "code", "name_vi")}
        self.quality = QualityCatalog()
        self.tasks = GroupTasks(unit_ids)
        self.results = LatestResults(unit_ids, since)
        self.unit_ids = unit_ids

    def month(self, month: str, groups: Iterable[str]) -> dict[str, dict[int, dict[str, Any]]]:
        """Every unit's score fields for each group in the month (units with no component defined left out)."""
        groups = sorted(set(groups))
        methodology = methodology_for(month, self.versions)
        definition = methodology.definition
        self.results.up_to(parse_period(month).end)
        ids = self.groups.unit_ids(groups) if self.unit_ids is not None else None
        reports = MonthReports(month, ids)
        previous = Score.objects.filter(period=parse_period(month).previous().id, valid_to__isnull=True,
                                        group__in=groups)
        previous_ranks = dict(previous.values_list("unit_id", "rank"))
        out: dict[str, dict[int, dict[str, Any]]] = {}
        for group in groups:
            units = self.groups.members.get(group, [])
            quality = group_quality(units, reports, self.quality, self.today)
            weight = definition["components"].get("quality", 0)
            scored: dict[int, dict[str, Any]] = {}
            for unit in units:
                measures, quality_demo = quality[unit.id]
                indicators = _indicator_component(unit, month, definition, self.results, self.names)
                parts = [indicators, _task_component(unit, month, definition, self.today, self.tasks),
                         scoring.Component("quality", _r(measures.score), weight, details={
                             k: _r(v) if isinstance(v, float) else v for k, v in measures.as_dict().items()})]
                value = scoring.composite(parts)
                if value is None:
                    continue
                scored[unit.id] = {
                    "methodology_id": methodology.id, "group": group, "value": _r(value),
                    "demo": quality_demo or any(i["demo"] for i in indicators.details["items"]),
                    "components": {p.name: {"score": p.score, "weight": p.weight,
                                            "effective_weight": _r(p.effective_weight),
                                            "contribution": _r(p.contribution), **p.details} for p in parts},
                }
            ranks = scoring.rank({str(uid): s["value"] for uid, s in scored.items()})
            for uid, fields in scored.items():
                fields.update(rank=ranks[str(uid)], group_size=len(scored), previous_rank=previous_ranks.get(uid))
            out[group] = scored
        return out

    def close(self) -> None:
        self.results.close()


class Stored(NamedTuple):
    """A stored current score, as compared with a computed one."""

    pk: int
    unit_id: int
    methodology_id: int
    group: str
    value: float | None
    components: dict
    rank: int | None
    group_size: int
    previous_rank: int | None
    demo: bool


def current_scores(month: str, groups: Iterable[str]) -> dict[str, dict[int, Stored]]:
    found: dict[str, dict[int, Stored]] = defaultdict(dict)
    for row in Score.objects.filter(period=month, valid_to__isnull=True, group__in=list(groups)).values_list(
            *Stored._fields):
        score = Stored(*row)
        found[score.group][score.unit_id] = score
    return found


# -- storing ---------------------------------------------------------------------------------------------------

@dataclass
class ScoreRun:
    group_months: int = 0
    changed: int = 0
    changed_units: set[str] = field(default_factory=set)
    changed_periods: set[str] = field(default_factory=set)


def _store_month(month: str, computed: dict[str, dict[int, dict[str, Any]]],
                 current: dict[str, dict[int, Stored]], codes: dict[int, str], now: datetime.datetime,
                 run: ScoreRun) -> set[str]:
    """Make the month's stored current scores of these groups equal the computed ones (every row closed before
    any is added, so a unit that changed group never holds two); return the groups whose ranks changed."""
    reranked: set[str] = set()
    closing, creating = [], []
    if missing := {u for scores in current.values() for u in scores} - codes.keys():  # units no longer in force
        codes.update(OrgUnit.objects.filter(id__in=missing).values_list("id", "code"))
    for group in computed.keys() | current.keys():
        new_scores, old_scores = computed.get(group, {}), current.get(group, {})
        for unit_id in old_scores.keys() | new_scores.keys():
            old, new = old_scores.get(unit_id), new_scores.get(unit_id)
            if old is not None and new is not None and all(getattr(old, n) == new[n] for n in COMPARED):
                continue
            if old is None or new is None or old.rank != new["rank"]:
                reranked.add(group)
            if old is not None:
                closing.append(old.pk)
            if new is not None:
                creating.append(Score(unit_id=unit_id, period=month, valid_from=now, **new))
            run.changed += 1
            run.changed_units.add(codes[unit_id])
            run.changed_periods.add(month)
    for start in range(0, len(closing), STORE_CHUNK):
        Score.objects.filter(pk__in=closing[start:start + STORE_CHUNK]).update(valid_to=now)
    add_rows(Score, creating)
    return reranked


GroupMonth = tuple[str, str]  # (peer group, month): always scored whole


def _by_month(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    months: dict[str, set[str]] = defaultdict(set)
    for group, month in pairs:
        months[month].add(group)
    return months


def update_scores(group_months: Iterable[GroupMonth], today: datetime.date | None = None,
                  months: list[str] | None = None) -> ScoreRun:
    """Recompute and store the whole peer groups of the given (group, month) pairs, month by month so ranks carry
    forward: a month whose ranks changed in a group scores that group's next month again (its previous ranks).
    A group is cheap enough to score whole, which keeps an update the same computation as a full recompute. A
    group and month with nothing to score (no value, no result in the window, no task assigned) comes out empty
    and closes any score stored for it."""
    today = today or timezone.localdate()
    scored = set(months if months is not None else scored_months(today))
    pending = _by_month(key for key in group_months if key[1] in scored)
    run = ScoreRun()
    if not pending:
        return run
    groups = Groups()
    touched = {g for gs in pending.values() for g in gs}
    everything = len(touched) >= len(groups.members)
    scorer = Scorer(groups, None if everything else groups.unit_ids(touched), today, min(pending))
    codes = {u.id: u.code for members in groups.members.values() for u in members}
    now = timezone.now()
    try:
        while pending:
            month = min(pending)
            chosen = pending.pop(month)
            computed = scorer.month(month, chosen)
            reranked = _store_month(month, computed, current_scores(month, chosen), codes, now, run)
            run.group_months += len(chosen)
            following = parse_period(month).next().id
            if reranked and following in scored:
                pending.setdefault(following, set()).update(reranked)
    finally:
        scorer.close()
    return run


def recompute_scores(today: datetime.date | None = None) -> ScoreRun:
    today = today or timezone.localdate()
    ensure_methodology()
    return update_scores({(g, m) for g in all_groups() for m in scored_months(today)}, today)


def verify_scores(today: datetime.date | None = None) -> list[str]:
    """Differences between a fresh computation of every group and month and the stored current scores (each
    month's previous ranks read from the stored scores, as an update reads them)."""
    today = today or timezone.localdate()
    if not Methodology.objects.exists():
        return []
    problems = []
    groups = Groups()
    codes = {u.id: u.code for members in groups.members.values() for u in members}
    codes.update(OrgUnit.objects.exclude(id__in=codes).values_list("id", "code"))
    pending = _by_month((g, m) for g in all_groups() for m in scored_months(today))
    if not pending:
        return []
    scorer = Scorer(groups, None, today, min(pending))
    try:
        for month in sorted(pending):
            computed = scorer.month(month, pending[month])
            stored = current_scores(month, pending[month])
            for group in sorted(pending[month]):
                new_scores, old_scores = computed.get(group, {}), stored.get(group, {})
                for unit_id in sorted(old_scores.keys() | new_scores.keys()):
                    old, new = old_scores.get(unit_id), new_scores.get(unit_id)
                    name = f"score/{codes[unit_id]}/{month}"
                    if old is None or new is None:
                        problems.append(f"{name}: {'missing' if old is None else 'stored but has no data'}")
                        continue
                    wrong = [f"{n} {getattr(old, n)!r} ≠ {new[n]!r}" for n in COMPARED if getattr(old, n) != new[n]]
                    if wrong:
                        problems.append(f"{name}: " + "; ".join(wrong))
    finally:
        scorer.close()
    return problems


def affected_group_months(units: Iterable[str], months: Iterable[str], all_units: bool = False,
                          later_too: bool = False, scored: list[str] | None = None) -> set[GroupMonth]:
    """The (group, month) pairs a change to these units (and so their ancestors) in these months can alter;
    `later_too` adds the following months (an indicator result counts for the next 12 months, a task fact from
    its day on)."""
    scored = scored if scored is not None else scored_months()
    if not scored:
        return set()
    if all_units:
        groups = set(all_groups())
    else:
        codes = set(units)
        for unit in OrgUnit.objects.filter(code__in=codes):
            codes.update(c for c in unit.path.strip("/").split("/") if c)
        groups = {g for unit in OrgUnit.objects.filter(code__in=codes) if (g := group_of(unit)) is not None}
    months = {m for m in months if m}
    if not months:
        chosen = set(scored)
    else:
        first = min(parse_period(m).end for m in months)
        chosen = {m for m in scored if parse_period(m).end >= first} if later_too else \
            {period_of(PeriodType.MONTHLY, parse_period(m).end).id for m in months}
    return {(group, month) for group in groups for month in chosen & set(scored)}


def scores_as_of(moment: datetime.datetime):
    return Score.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=moment), valid_from__lte=moment)
