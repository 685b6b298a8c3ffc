"""Request and answer shapes of the native values API."""

from typing import Any

from ninja import Field, Schema

from govkpi.datavalues.writer import Strategy


class DataValueIn(Schema):
    data_element: str
    unit: str = Field(description="mã đơn vị (hoặc tên) / unit code (or written name)")
    period: str = Field(description="202509, 2025Q3, 2025 …")
    value: Any = None
    comment: str | None = None
    follow_up: bool | None = None
    deleted: bool = False


class DataValuesIn(Schema):
    values: list[DataValueIn]
    strategy: Strategy = Strategy.CREATE_AND_UPDATE
    atomic: bool = True
    dry_run: bool = False


class ItemProblem(Schema):
    index: int
    row: int | None = None
    field: str
    code: str
    object: str
    message: str
    message_en: str
    indexes: list[int]
    warning: bool


class DataValuesOut(Schema):
    status: str
    dry_run: bool
    batch: int | None
    created: int
    updated: int
    unchanged: int
    deleted: int
    rejected: int
    rejected_items: list[ItemProblem]
    warnings: list[ItemProblem]


class ApprovalIn(Schema):
    unit: str
    period: str
    action: str = Field(description="submit | approve | return | unlock")
    reason: str = ""


class ApprovalOut(Schema):
    unit: str
    period: str
    state: str
    submitted_by: str
    submitted_at: Any = None
    decided_by: str
    decided_at: Any = None
    reason: str
    digest: str = Field("", description="SHA-256 of the values as last approved (canonical order)")
    approved_values: int | None = None
    intact: bool | None = Field(None, description="with verify=true: the values still give the recorded digest")


class CompletenessOut(Schema):
    unit: str
    period: str
    expected: int
    received: int
    on_time: int
    late: int
    due: Any
    rate: float | None
    timeliness: float | None
    missing: list[str]
