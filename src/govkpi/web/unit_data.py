"""What a unit's dashboard, its score explanation and an indicator's page show (queries only, no rendering)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q

from govkpi.accounts.permissions import User
from govkpi.core.task_status import State
from govkpi.evaluation.models import Result, Score
from govkpi.indicators.models import Indicator, ReportedFigure, Target
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks.figures import facts_for
from govkpi.tasks.models import Task
from govkpi.core.task_status import figures_on, state_on
from govkpi.web.dashboard_data import (
    COMPONENT_LABELS,
    STATUS_LABELS,
    TASK_STATE_LABELS,
    empty_figures,
    latest_per_indicator,
    sees_unit_unpublished,
)

SCORED_KINDS = ("ministry", "province", "commune")
OVERDUE_LISTED = 10


def unit_results(user: User, unit: OrgUnit) -> dict[str, Any]:
    """The unit's latest current result per indicator it may be shown."""
    query = Result.objects.filter(unit=unit, valid_to__isnull=True).select_related("indicator")
    if not sees_unit_unpublished(user, unit):
        query = query.filter(indicator__published=True)
    rows = [{"result": r, "indicator": r.indicator, "status_label": STATUS_LABELS.get(r.status, r.status)}
            for r in latest_per_indicator(query)]
    return {"rows": rows, "demo": any(row["result"].demo for row in rows)}


def unit_score(unit: OrgUnit, period: str = "") -> Score | None:
    """The unit's current score for the month (default: its latest)."""
    query = Score.objects.filter(unit=unit, valid_to__isnull=True).select_related("methodology")
    if period:
        return query.filter(period=period).first()
    return query.order_by("-period").first()


def score_parts(score: Score | None) -> list[dict[str, Any]]:
    """The components of a score in a fixed order with their labels."""
    if score is None:
        return []
    return [{"name": name, "label": COMPONENT_LABELS.get(name, name), **score.components[name]}
            for name in ("indicators", "tasks", "quality") if name in score.components]


def unit_tasks(unit: OrgUnit, day: datetime.date) -> dict[str, Any]:
    """Counts of the tasks the unit leads on the day, and its overdue tasks (longest overdue first)."""
    tasks = list(Task.objects.filter(lead_unit=unit, children__isnull=True).order_by("code"))
    facts = facts_for(tasks)
    figures = figures_on(facts.values(), day) if tasks else empty_figures()
    overdue = []
    for task in tasks:
        if state_on(facts[task.pk], day) is State.OVERDUE:
            overdue.append(task)
    overdue.sort(key=lambda t: (t.deadline or day, t.code))
    return {"figures": figures, "overdue": overdue[:OVERDUE_LISTED], "day": day,
            "demo": any(t.demo_status for t in tasks)}


def commune_table(province: OrgUnit) -> dict[str, Any]:
    """Every current commune of the province with its latest score and rank among the province's communes."""
    group = f"communes:{province.code}"
    period = (Score.objects.filter(group=group, valid_to__isnull=True).order_by("-period")
              .values_list("period", flat=True).first())
    scores = {s.unit_id: s for s in Score.objects.filter(group=group, period=period, valid_to__isnull=True)
              .select_related("unit")}
    communes = OrgUnit.objects.filter(parent=province, kind="commune").current().order_by("code")
    rows = [{"unit": c, "score": scores.get(c.id)} for c in communes]
    rows.sort(key=lambda row: (row["score"] is None or row["score"].rank is None,
                               row["score"].rank if row["score"] and row["score"].rank else 0, row["unit"].code))
    return {"period": period, "rows": rows, "group": group, "demo": any(s.demo for s in scores.values())}


def explain(user: User, unit: OrgUnit, period: str = "") -> dict[str, Any] | None:
    """Why the unit has its score and rank: components, indicator and task items, quality, peers."""
    score = unit_score(unit, period)
    if score is None:
        return None
    show_all = sees_unit_unpublished(user, unit)
    codes = [i["indicator"] for i in score.components.get("indicators", {}).get("items", [])]
    published = set(Indicator.objects.filter(code__in=codes, published=True).values_list("code", flat=True))
    items = []
    for item in score.components.get("indicators", {}).get("items", []):
        hidden = item["indicator"] not in published and not show_all
        items.append({**item, "hidden": hidden, "status_label": STATUS_LABELS.get(item.get("status"), "")})
    peers = list(Score.objects.filter(group=score.group, period=score.period, valid_to__isnull=True)
                 .select_related("unit").order_by("rank", "unit__code"))
    periods = list(Score.objects.filter(unit=unit, valid_to__isnull=True).order_by("-period")
                   .values_list("period", flat=True))
    tasks = dict(score.components.get("tasks") or {})
    if tasks.get("as_of"):
        tasks["as_of"] = datetime.date.fromisoformat(tasks["as_of"])
    tasks["states"] = [(TASK_STATE_LABELS.get(k, k), k, n) for k, n in (tasks.get("states") or {}).items()]
    tasks["items"] = [{**t, "label": TASK_STATE_LABELS.get(t["state"], t["state"])} for t in tasks.get("items", [])]
    return {"score": score, "parts": score_parts(score), "indicator_items": items, "tasks": tasks, "quality": score.components.get("quality") or {},
            "methodology": score.methodology, "peers": peers, "periods": periods,
            "demo": score.demo or any(p.demo for p in peers)}


def indicator_page(user: User, indicator: Indicator) -> dict[str, Any]:
    """An indicator's definition, every target version, the figures published with their sources."""
    targets = list(Target.objects.filter(indicator=indicator)
                   .select_related("directive", "scope_unit", "supersedes").order_by("set_on", "id"))
    superseded = {t.supersedes_id for t in targets if t.supersedes_id}
    figures = list(ReportedFigure.objects.filter(indicator=indicator).select_related("unit", "source")
                   .order_by("period", "id"))
    return {"targets": targets, "superseded": superseded, "figures": figures,
            "themes": list(indicator.themes.all()), "tasks": list(indicator.tasks.select_related("lead_unit")
                                                                  .filter(Q(children__isnull=True))[:20])}
