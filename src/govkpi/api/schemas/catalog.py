import datetime
from typing import Any

from ninja import Schema


class TargetOut(Schema):
    id: int
    indicator: str
    value: float
    deadline: datetime.date
    scope: str
    scope_kind: str
    scope_unit: str | None
    baseline_value: float | None
    baseline_period: str
    set_on: datetime.date
    directive: str | None
    supersedes: int | None
    superseded: bool
    green_from: float
    amber_from: float
    quote: str

    @staticmethod
    def resolve_indicator(obj: Any) -> str:
        return obj.indicator.code

    @staticmethod
    def resolve_scope_unit(obj: Any) -> str | None:
        return obj.scope_unit.code if obj.scope_unit_id else None

    @staticmethod
    def resolve_directive(obj: Any) -> str | None:
        return obj.directive.code if obj.directive_id else None

    @staticmethod
    def resolve_supersedes(obj: Any) -> int | None:
        return obj.supersedes_id

    @staticmethod
    def resolve_superseded(obj: Any) -> bool:
        return hasattr(obj, "superseded_by")


class FigureOut(Schema):
    value: float
    period: str
    unit: str
    subset: str
    source: str
    quote: str
    note: str

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_source(obj: Any) -> str:
        return obj.source.code


class EntryOut(Schema):
    code: str
    name_vi: str
    name_en: str
    definition_vi: str
    unit_of_measure: str
    value_type: str
    decimals: int
    frequency: str
    unit_kinds: list[str]
    owner: str | None
    data_source: str
    legal_basis: str | None
    themes: list[str]
    published: bool

    @staticmethod
    def resolve_owner(obj: Any) -> str | None:
        return obj.owner.code if obj.owner_id else None

    @staticmethod
    def resolve_legal_basis(obj: Any) -> str | None:
        return obj.legal_basis.code if obj.legal_basis_id else None

    @staticmethod
    def resolve_themes(obj: Any) -> list[str]:
        return sorted(t.code for t in obj.themes.all())


class DataElementOut(EntryOut):
    aggregation_units: str
    aggregation_periods: str


class IndicatorOut(EntryOut):
    direction: str
    formula: str
    missing_values: str


class IndicatorDetailOut(IndicatorOut):
    targets: list[TargetOut]
    figures: list[FigureOut]

    @staticmethod
    def resolve_targets(obj: Any) -> list[Any]:
        return list(obj.targets.select_related("indicator", "scope_unit", "directive").all())

    @staticmethod
    def resolve_figures(obj: Any) -> list[Any]:
        return list(obj.figures.select_related("unit", "source").all())


class CatalogWriteOut(Schema):
    ok: bool
    created: dict[str, int]
    updated: dict[str, int]
    problems: list[dict[str, str]]


class PeriodOut(Schema):
    id: str
    type: str
    start: datetime.date
    end: datetime.date
    label_vi: str
    label_en: str
    contained_in: list[str] = []
