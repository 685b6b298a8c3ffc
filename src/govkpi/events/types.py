"""The change events, one declared schema per kind: writers build one of these, readers get one back.

A row of the outbox (events.models.ChangeEvent) holds the kind, the units and periods touched (columns, so a
reader can filter on them) and the payload: the model's fields as JSON, `wide` among them. `emit` is the only
way to write a row and `parse` the only way to read a payload, so writer and readers cannot drift apart.

What reaches the browser (`/api/v1/events`, built by live.hub; which events a viewer hears is the rule of
reads.visibility) is never a payload: each server-sent event has
    id:    the row's id (EventSource sends it back as Last-Event-ID to catch up)
    event: the kind ("datavalues", "approval", "task", "targets", "results", "scores"; else "change")
    data:  JSON {"id": int, "kind": str, "units": [unit codes], "periods": [period ids], "at": ISO datetime,
           "wide": bool}; units or periods left empty with "wide" true mean "every unit (or period)".
live.js reads only the event's name (its kind) and its id; the data fields are for scripts and other clients.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, NonNegativeInt, ValidationError

from govkpi.events.models import ChangeEvent

# The changes tasks.actions emits: a timeline entry's kind, and the two bulk changes.
TaskChange = Literal["created", "progress", "product_submitted", "stage", "extension_requested",
                     "extension_decided", "fan_out", "occurrences", "edited", "reassigned"]
ApprovalAction = Literal["submit", "approve", "return", "unlock"]
ApprovalStateName = Literal["submitted", "approved", "returned", "unlocked"]  # datavalues.models.ApprovalState


class Change(BaseModel):
    """What every kind shares: `wide` is true when the change touches more units or periods than are listed
    (past outbox.MAX_LISTED, or a writer that touched everything): readers then treat all as touched."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    KIND: ClassVar[str]

    wide: bool = False


class ValuesWritten(Change):
    """A batch of data values written (one import batch), with its counts in DHIS2's words."""

    KIND: ClassVar[str] = "datavalues"

    elements: tuple[str, ...]  # data element codes
    batch: int | None
    imported: NonNegativeInt
    updated: NonNegativeInt
    deleted: NonNegativeInt
    ignored: NonNegativeInt  # unchanged or refused: not written
    channel: str  # datavalues.models.Channel, or "demo"

    @property
    def written(self) -> int:
        """How many values the batch changed: new, changed and deleted ones."""
        return self.imported + self.updated + self.deleted


class ApprovalChanged(Change):
    """A unit's data for a period moved through approval (the unit and period are the row's)."""

    KIND: ClassVar[str] = "approval"

    state: ApprovalStateName
    action: ApprovalAction


class TaskChanged(Change):
    """A task changed: its timeline got an entry, or it was fanned out or given new occurrences."""

    KIND: ClassVar[str] = "task"

    task: str  # the task's code
    change: TaskChange


class TargetsChanged(Change):
    """Targets or indicator definitions changed: these indicators (and those using these elements) are judged
    again in every cell."""

    KIND: ClassVar[str] = "targets"

    indicators: tuple[str, ...]
    elements: tuple[str, ...] = ()


class ResultsChanged(Change):
    """An evaluation pass changed results; `cells` lists the first of them (indicator, unit, period codes)."""

    KIND: ClassVar[str] = "results"

    changed: NonNegativeInt
    cells: tuple[tuple[str, str, str], ...] = ()


class ScoresChanged(Change):
    """A scoring pass changed scores."""

    KIND: ClassVar[str] = "scores"

    changed: NonNegativeInt


AnyChange = ValuesWritten | ApprovalChanged | TaskChanged | TargetsChanged | ResultsChanged | ScoresChanged
KINDS: dict[str, type[AnyChange]] = {model.KIND: model for model in (
    ValuesWritten, ApprovalChanged, TaskChanged, TargetsChanged, ResultsChanged, ScoresChanged)}


class UnreadableEvent(Exception):
    """A stored row that does not match its kind's schema: its id, kind and what was wrong (field by field)."""

    code = "event_unreadable"

    def __init__(self, event: ChangeEvent, problem: str) -> None:
        self.event_id, self.kind, self.problem = event.id, event.kind, problem
        self.message_vi = f"Sự kiện #{event.id} («{event.kind}») không đúng khuôn dạng: {problem}"
        self.message_en = f"Change event #{event.id} ({event.kind!r}) does not match its schema: {problem}"
        super().__init__(f"{self.message_vi} / {self.message_en}")


def parse(event: ChangeEvent) -> AnyChange:
    """The typed change a stored row holds; raises UnreadableEvent when the row does not validate.

    Strict on purpose: a row that does not validate was written around `emit`, or its schema changed without
    a migration, and guessing at it is how the recent-changes panel came to print "?" for every write. The
    rows written before the schemas existed (their few shapes are known) are rewritten by migration 0002, so
    nothing valid is refused; a demo database can also simply be rebuilt.
    """
    model = KINDS.get(event.kind)
    if model is None:
        raise UnreadableEvent(event, f"unknown kind; known: {', '.join(sorted(KINDS))}")
    try:
        return model.model_validate(event.payload)
    except ValidationError as error:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(payload)'}: {e['msg']}" for e in error.errors())
        raise UnreadableEvent(event, where) from None
