"""Problems raised from below as each reader may see them (the read door's rule for them).

Counts are public: how many problems each agency has raised and has to answer, open, overdue, answered, as the
Government reports bottlenecks ("50 điểm nghẽn"). A problem itself — its title, what blocks, the proposal, the
answer, who acted — is written by staff about their work and goes only to readers of the raising unit or of the
acting unit (a reader of the whole country reads every one).
"""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from govkpi.problems.figures import AgencyProblems, Standing, all_problems, by_agency, standing, totals
from govkpi.problems.models import Problem
from govkpi.reads.visibility import Viewer


def problems_q(viewer: Viewer) -> Q:
    """A filter on Problem keeping those whose details the viewer may read."""
    if viewer.is_public:
        return Q(pk__in=[])
    if viewer.reads_everything:
        return Q(pk__isnull=False)
    readable = viewer.readable_units
    return Q(raising_unit__in=readable) | Q(acting_unit__in=readable)


def reads_problem(viewer: Viewer, problem: Problem) -> bool:
    """True when the viewer reads the raising unit or the acting unit."""
    return not viewer.is_public and (viewer.may_read(problem.raising_unit) or viewer.may_read(problem.acting_unit))


def visible_problems(viewer: Viewer) -> QuerySet[Problem]:
    return all_problems().filter(problems_q(viewer))


def public_counts(moment: datetime.datetime | None = None) -> dict[str, object]:
    """Counts for everyone, of every problem: totals, and per agency on each side."""
    standings: list[Standing] = standing(all_problems(), moment or timezone.now())
    whole: AgencyProblems = totals(standings)
    return {"totals": whole, "acting": by_agency(standings, "acting"), "raising": by_agency(standings, "raising")}
