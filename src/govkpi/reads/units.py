"""What a unit's dashboard and an indicator's page show beyond results: tasks, communes, targets, figures."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q

from govkpi.core.task_status import AgencyFigures, State, figures_on, state_on
from govkpi.indicators.models import Indicator, ReportedFigure, Target
from govkpi.orgunits.models import OrgUnit
from govkpi.reads.rankings import ranking
from govkpi.reads.visibility import Viewer
from govkpi.tasks.figures import facts_for
from govkpi.tasks.models import Task

OVERDUE_LISTED = 10


def unit_tasks(unit: OrgUnit, day: datetime.date) -> dict[str, Any]:
    """Counts of the tasks the unit leads on the day, and its overdue tasks (longest overdue first)."""
    tasks = list(Task.objects.filter(lead_unit=unit, children__isnull=True).order_by("code"))
    facts = facts_for(tasks)
    figures = figures_on(facts.values(), day) if tasks else AgencyFigures()
    overdue = [task for task in tasks if state_on(facts[task.pk], day) is State.OVERDUE]
    overdue.sort(key=lambda t: (t.deadline or day, t.code))
    return {"figures": figures, "overdue": overdue[:OVERDUE_LISTED], "day": day,
            "demo": any(t.demo_status for t in tasks)}


def commune_table(viewer: Viewer, province: OrgUnit) -> dict[str, Any]:
    """Every current commune of the province with its score and rank among the province's communes in the
    latest official month."""
    group = f"communes:{province.code}"
    table = ranking(viewer, group)
    scores = {s.unit_id: s for s in table.rows}
    communes = OrgUnit.objects.filter(parent=province, kind="commune").current().order_by("code")
    rows = [{"unit": c, "score": scores.get(c.id)} for c in communes]
    rows.sort(key=lambda row: (row["score"] is None or row["score"].rank is None,
                               row["score"].rank if row["score"] and row["score"].rank else 0, row["unit"].code))
    return {"period": table.period, "rows": rows, "group": group, "demo": table.demo}


def indicator_page(indicator: Indicator) -> dict[str, Any]:
    """An indicator's definition, every target version, the figures published with their sources."""
    targets = list(Target.objects.filter(indicator=indicator)
                   .select_related("directive", "scope_unit", "supersedes").order_by("set_on", "id"))
    superseded = {t.supersedes_id for t in targets if t.supersedes_id}
    figures = list(ReportedFigure.objects.filter(indicator=indicator).select_related("unit", "source")
                   .order_by("period", "id"))
    return {"targets": targets, "superseded": superseded, "figures": figures,
            "themes": list(indicator.themes.all()), "tasks": list(indicator.tasks.select_related("lead_unit")
                                                                  .filter(Q(children__isnull=True))[:20])}
