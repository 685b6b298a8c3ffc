"""API shapes of units: what integrators read."""


import datetime
from typing import Any

from ninja import Schema

from govkpi.api.schemas.problem import Problem


class UnitRef(Schema):
    code: str
    name: str
    kind: str


class UnitCodeOut(Schema):
    """A code another system gives the unit over a span of dates (`gso`: the statistics office)."""

    code: str
    scheme: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None


class UnitOut(Schema):
    code: str
    name: str
    short_name: str
    name_en: str
    kind: str
    legal_type: str
    parent: str | None
    level: int
    path: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    source: str
    # The old provinces' official code (`02` for P63-02 Tỉnh Hà Giang, valid until 2025-06-30).
    codes: list[UnitCodeOut]

    @staticmethod
    def resolve_codes(obj: Any) -> list[Any]:
        return list(obj.codes.all())

    @staticmethod
    def resolve_parent(obj: Any) -> str | None:
        return obj.parent.code if obj.parent_id else None


class SuccessionOut(Schema):
    unit: UnitRef
    kind: str
    effective: datetime.date
    is_main: bool
    note: str


class UnitDetailOut(UnitOut):
    ancestors: list[UnitRef]
    children_count: int
    predecessors: list[SuccessionOut]
    successors: list[SuccessionOut]


class ResolveOut(Schema):
    query: str
    unit: UnitOut
    notice: str | None = None
    notice_en: str | None = None
    matched: UnitRef | None = None


class AmbiguousOut(Problem):
    candidates: list[UnitOut]
