"""Load the seed articles' tasks (data/reference-tasks.yaml) through the same action as every other task."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from govkpi.indicators.models import Indicator, Theme
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks import actions
from govkpi.tasks.models import Directive, Task

REFERENCE_TASKS = Path(__file__).resolve().parent / "data" / "reference-tasks.yaml"


@transaction.atomic
def load_reference_tasks(path: Path = REFERENCE_TASKS) -> tuple[int, list[str]]:
    """Create the tasks that are missing (existing ones are left as they are); return (created, problems).

    Deadline words the reader cannot turn into a date are kept as written, with no date.
    """
    if not path.exists():
        return 0, []
    items: list[dict[str, Any]] = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("tasks") or []
    existing = set(Task.objects.values_list("code", flat=True))
    directives = {d.code: d for d in Directive.objects.all()}
    units = {u.code: u for u in OrgUnit.objects.filter(kind__in=["government", "ministry"])}
    created, problems = 0, []
    for item in items:
        if item["code"] in existing:
            continue
        directive = directives.get(item.get("directive") or "")
        if directive is None:
            problems.append(f"{item['code']}: no directive {item.get('directive')}")
            continue
        actions.create_task(
            code=item["code"], title=item["title"], content=item.get("content") or "", directive=directive,
            assigned_on=directive.issued_on, lead=units.get(item.get("lead") or ""),
            deadline_text=item.get("deadline_text") or "", keep_unreadable_deadline=True,
            coordinating=[units[c] for c in item.get("coordinating") or [] if c in units],
            lead_text=item.get("lead_text") or "", coordinating_text=item.get("coordinating_text") or "",
            assignees=item.get("assignees") or "", assignees_text=item.get("assignees_text") or "",
            responsible_position=item.get("responsible_position") or "",
            product_kind=item.get("product_kind") or "", product=item.get("product") or "",
            accepting_authority=item.get("accepting_authority") or "",
            accepting_unit=units.get(item.get("accepting_unit") or ""), priority=item.get("priority") or "normal",
            notes=item.get("notes") or "",
            themes=list(Theme.objects.filter(code__in=item.get("themes") or [])),
            indicators=list(Indicator.objects.filter(code__in=item.get("indicators") or [])))
        created += 1
    return created, problems
