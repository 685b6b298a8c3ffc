"""Why a unit has its score and rank: one explanation for the page and the API.

The components come through `Viewer.score_components`: a viewer who does not read the unit sees no line of an
unpublished indicator and no inputs; a provisional month is explained only to readers of the unit.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from govkpi.evaluation.models import Methodology, Score
from govkpi.orgunits.models import OrgUnit
from govkpi.reads import publication
from govkpi.reads.labels import COMPONENT_LABELS, STATUS_LABELS, TASK_STATE_LABELS
from govkpi.reads.rankings import latest_official_month, visible_scores
from govkpi.reads.visibility import Viewer

COMPONENTS = ("indicators", "tasks", "quality")


@dataclass
class Explanation:
    score: Score
    components: dict[str, Any]  # as the viewer may see them
    peers: list[Score]
    periods: list[str]
    official: bool

    @property
    def methodology(self) -> Methodology:
        return self.score.methodology

    @property
    def demo(self) -> bool:
        return self.score.demo or any(p.demo for p in self.peers)

    def parts(self) -> list[dict[str, Any]]:
        """The components in a fixed order with their labels."""
        return [{"name": name, "label": COMPONENT_LABELS.get(name, name), **self.components[name]}
                for name in COMPONENTS if name in self.components]

    def indicator_items(self) -> list[dict[str, Any]]:
        return [{**item, "status_label": STATUS_LABELS.get(item.get("status"), "")}
                for item in (self.components.get("indicators") or {}).get("items", [])]

    def tasks(self) -> dict[str, Any]:
        tasks = dict(self.components.get("tasks") or {})
        if tasks.get("as_of"):
            tasks["as_of"] = datetime.date.fromisoformat(tasks["as_of"])
        tasks["states"] = [(TASK_STATE_LABELS.get(k, k), k, n) for k, n in (tasks.get("states") or {}).items()]
        tasks["items"] = [{**t, "label": TASK_STATE_LABELS.get(t["state"], t["state"])} for t in tasks.get("items", [])]
        return tasks


def explain(viewer: Viewer, unit: OrgUnit, period: str = "", as_of: datetime.date | None = None) -> Explanation | None:
    """The explanation of the unit's score for the month (default: its latest official month), or None when
    the viewer may see no score of it then."""
    if as_of is not None:
        return _explain(viewer, unit, period, as_of)
    return publication.for_public(viewer, f"explain:{unit.code}:{period}", lambda: _explain(viewer, unit, period))


def _explain(viewer: Viewer, unit: OrgUnit, period: str, as_of: datetime.date | None = None) -> Explanation | None:
    query = visible_scores(viewer, as_of).filter(unit=unit)
    period = period or latest_official_month(query, viewer) or ""
    score = query.filter(period=period).first() if period else None
    if score is None:
        return None
    peers = list(visible_scores(viewer, as_of).filter(group=score.group, period=score.period)
                 .order_by("rank", "unit__code"))
    periods = list(query.order_by("-period").values_list("period", flat=True))
    return Explanation(score, viewer.score_components(score.components, unit), peers, periods,
                       viewer.calendar.is_official(score.period))
