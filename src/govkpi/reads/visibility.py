"""The one rule of who may see what. Every face (pages, JSON API, portal, open data, the event stream) asks here.

    who    anonymous; a member with roles at units; a request with a token narrowed to units and actions
           (accounts.permissions applies the token inside `can` and `units_where`)
    what   published or not (indicators, data elements); official or provisional (reads.official)
    where  the subtrees the viewer may read

A result or score is visible when its unit lies in a subtree the viewer may read (then everything of it is),
or when it is public: a published indicator in an official period. Inputs (the data-element values a result is
made of) of an unpublished element go only to readers of the unit. The portal and open data always read as
`Viewer.public()`, whoever is signed in.

A task's register entry is public (title, lead unit, deadline, state, progress and counts); its narratives,
extension reasons, evidence (links, file names, digests) and the user names of staff who acted go only to
readers of its lead unit or of the unit that assigned it (`task_timeline`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from govkpi.accounts.permissions import User, can, sees_unpublished, units_where
from govkpi.accounts.roles import Action
from govkpi.datavalues.models import ApprovalState, DataApproval
from govkpi.indicators.models import DataElement, Indicator
from govkpi.orgunits.models import OrgUnit
from govkpi.reads.official import Calendar

if TYPE_CHECKING:
    from govkpi.tasks.models import Task

# What the public may be told has changed: figures (results, scores), targets and tasks — never that a unit
# wrote or had approved values in a month still being reported.
PUBLIC_CHANGE_KINDS = frozenset({"results", "scores", "targets", "task"})


class Viewer:
    """Who is reading, with the questions every read asks about them (answers cached for one request)."""

    def __init__(self, user: User | None = None, calendar: Calendar | None = None) -> None:
        self.user = user if user is not None else AnonymousUser()
        self.calendar = calendar or Calendar()

    @classmethod
    def public(cls, calendar: Calendar | None = None) -> "Viewer":
        """The public: what the portal, open data and anonymous callers see."""
        return cls(AnonymousUser(), calendar)

    @cached_property
    def is_public(self) -> bool:
        """True when the viewer may read no unit (anonymous, or a token without `read`)."""
        return not sees_unpublished(self.user)

    @cached_property
    def readable_units(self) -> QuerySet[OrgUnit]:
        if self.is_public:
            return OrgUnit.objects.none()
        return OrgUnit.objects.filter(units_where(self.user, Action.READ))

    @cached_property
    def reads_everything(self) -> bool:
        """True for a reader of the whole country (a membership at the root, not narrowed by a token)."""
        if self.is_public:
            return False
        roots = list(OrgUnit.objects.filter(parent__isnull=True))
        return bool(roots) and all(can(self.user, Action.READ, root) for root in roots)

    def may_read(self, unit: OrgUnit) -> bool:
        """True when the unit lies in a subtree the viewer may read."""
        return not self.is_public and can(self.user, Action.READ, unit)

    def readable_codes(self) -> set[str] | None:
        """The codes of every unit the viewer may read (None: every unit)."""
        if self.reads_everything:
            return None
        return set(self.readable_units.values_list("code", flat=True))

    # -- the catalog --------------------------------------------------------------------------------------

    def indicators(self) -> QuerySet[Indicator]:
        """Indicators whose definition the viewer may read: published ones; all of them for a reader."""
        return Indicator.objects.filter(published=True) if self.is_public else Indicator.objects.all()

    @cached_property
    def _published_elements(self) -> set[str]:
        return set(DataElement.objects.filter(published=True).values_list("code", flat=True))

    @cached_property
    def _published_indicators(self) -> set[str]:
        return set(Indicator.objects.filter(published=True).values_list("code", flat=True))

    def is_published(self, indicator_code: str) -> bool:
        return indicator_code in self._published_indicators

    # -- results and scores -------------------------------------------------------------------------------

    def _readable(self, prefix: str) -> Q:
        if self.reads_everything:
            return Q(**{f"{prefix}pk__isnull": False})  # every row (an empty Q() would vanish inside an OR)
        return Q(**{f"{prefix}unit__in": self.readable_units})

    def results(self, prefix: str = "") -> Q:
        """A filter on Result (or, with `prefix`, a relation to it) keeping what the viewer may see."""
        public = Q(**{f"{prefix}indicator__published": True}) & self.calendar.official_q(prefix)
        return public if self.is_public else public | self._readable(prefix)

    def official_results(self, prefix: str = "") -> Q:
        """Only official figures, of what the viewer may see (the default of dashboards and maps)."""
        return self.results(prefix) & self.calendar.official_q(prefix)

    def scores(self, prefix: str = "") -> Q:
        """A filter on Score: official months for everyone, provisional ones within the readable subtrees."""
        official = self.calendar.official_q(prefix, end_field="")
        return official if self.is_public else official | self._readable(prefix)

    def inputs(self, inputs: dict[str, Any], unit: OrgUnit) -> dict[str, Any]:
        """A result's inputs without the values of unpublished data elements, unless the viewer reads the unit."""
        if self.may_read(unit):
            return inputs
        return {k: v for k, v in inputs.items() if k.startswith("_") or k in self._published_elements}

    def score_components(self, components: dict[str, Any], unit: OrgUnit) -> dict[str, Any]:
        """A score's breakdown: without the lines of unpublished indicators (not even their codes) and without
        the inputs of unpublished data elements, unless the viewer reads the unit."""
        if self.may_read(unit) or "indicators" not in components:
            return components
        items = [{**item, "inputs": self.inputs(item.get("inputs") or {}, unit)}
                 for item in components["indicators"].get("items", []) if self.is_published(item.get("indicator", ""))]
        return {**components, "indicators": {**components["indicators"], "items": items}}

    # -- values and approvals ----------------------------------------------------------------------------

    def values(self) -> Q:
        """A filter on DataValue: every value of the units the viewer reads; elsewhere, approved values of
        published data elements in official periods (what official figures are made of)."""
        approved = DataApproval.objects.filter(unit_id=OuterRef("unit_id"), period=OuterRef("period"),
                                               state=ApprovalState.APPROVED)
        public = Q(data_element__published=True) & Q(Exists(approved)) & self.calendar.official_q()
        return public if self.is_public else public | self._readable("")

    def deletions(self) -> Q:
        """A filter on DataValueHistory's deletions: only within the units the viewer reads. The public is never
        told of one (only approved values are public, and an approved value is withdrawn by an unlock before
        anyone can delete it)."""
        return Q(pk__isnull=True) if self.is_public else self._readable("")

    def approvals(self) -> Q:
        """A filter on DataApproval: every state within the viewer's units; elsewhere, approved ones."""
        approved = Q(state=ApprovalState.APPROVED)
        return approved if self.is_public else approved | self._readable("")

    # -- change events ------------------------------------------------------------------------------------

    def change_as_seen(self, kind: str, units: list[str], periods: list[str],
                       readable: set[str] | None) -> tuple[list[str], list[str]] | None:
        """The units and periods of a change event as the viewer may be told of them, or None when the viewer
        may not hear of it. `readable` is `readable_codes()`, read once per stream.

        A reader hears of every change within its units, told only of those units (a wide change names none and
        reaches every reader). Anyone else hears of changes to official figures, targets and tasks, told only of
        their official periods. One event names units and periods as two lists, so the two views are never
        merged (that would pair a unit with a period it was not changed in): a reader of any unit the event
        names gets the reader's view."""
        if not self.is_public:
            mine = set(units) if readable is None else set(units) & readable
            if mine or not units:
                return sorted(mine), sorted(periods)
        if kind in PUBLIC_CHANGE_KINDS:
            official = sorted(p for p in periods if self.calendar.is_official(p))
            if official or not periods:
                return sorted(units), official
        return None

    # -- tasks --------------------------------------------------------------------------------------------

    def reads_task(self, task: "Task") -> bool:
        """True when the viewer reads the task's lead unit or the unit that assigned it."""
        if self.is_public:
            return False
        from govkpi.tasks.actions import assigner_unit

        return bool(task.lead_unit_id and self.may_read(task.lead_unit)) or self.may_read(assigner_unit(task))

    def task_timeline(self, task: "Task") -> "TaskTimeline":
        """A task's timeline, extensions and evidence as the viewer may see them.

        Anyone sees when each step happened, its kind, stage and percent, and each extension's dates and
        outcome: that is the task's state. Narratives, reasons, evidence and who acted are written by staff
        about their work in progress (names, places, internal documents) and were never meant for the
        public register; they go to readers of the task's units only."""
        events = list(task.events.all())
        changes = list(task.deadline_changes.all())
        if self.reads_task(task):
            return TaskTimeline(
                full=True, product_url=task.product_url, files=list(task.evidence.all()),
                events=[{f: getattr(e, f) for f in EVENT_FIELDS + EVENT_PRIVATE} for e in events],
                changes=[{f: getattr(c, f) for f in CHANGE_FIELDS + CHANGE_PRIVATE} for c in changes],
                file_count=task.evidence.count())
        blank: dict[str, Any] = {"data": {}}
        return TaskTimeline(
            full=False, product_url="", files=[], file_count=task.evidence.count(),
            events=[{**{f: getattr(e, f) for f in EVENT_FIELDS}, **dict.fromkeys(EVENT_PRIVATE, ""), **blank}
                    for e in events],
            changes=[{**{f: getattr(c, f) for f in CHANGE_FIELDS}, **dict.fromkeys(CHANGE_PRIVATE, "")}
                     for c in changes])


EVENT_FIELDS = ("at", "day", "kind", "stage", "percent")
EVENT_PRIVATE = ("actor", "narrative", "evidence_url", "data")
CHANGE_FIELDS = ("id", "deadline_text", "deadline", "previous_deadline", "requested_at", "approved", "decided_on")
CHANGE_PRIVATE = ("reason", "requested_by", "decided_by")


@dataclass
class TaskTimeline:
    """What `Viewer.task_timeline` gives: rows as dicts, with the private fields blank unless `full`."""

    full: bool
    product_url: str
    events: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    files: list[Any] = field(default_factory=list)
    file_count: int = 0
