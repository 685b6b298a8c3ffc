import datetime
from typing import Any

from ninja import Schema


class TaskOut(Schema):
    code: str
    title: str
    lead_unit: str | None
    assigned_unit: str | None
    coordinating_units: list[str]
    directive: str | None
    deadline_text: str
    deadline: datetime.date | None
    original_deadline: datetime.date | None
    recurrence: str
    status: str
    stage: str
    progress: int
    priority: str
    parent: str | None
    six_clear_missing: list[str]
    demo_status: bool


class TaskEventOut(Schema):
    at: datetime.datetime
    actor: str
    kind: str
    stage: str
    percent: int | None
    narrative: str
    evidence_url: str
    data: dict[str, Any]


class DeadlineChangeOut(Schema):
    id: int
    deadline_text: str
    deadline: datetime.date | None
    previous_deadline: datetime.date | None
    reason: str
    requested_by: str
    approved: bool | None
    decided_by: str
    decided_on: datetime.date | None


class TaskDetailOut(TaskOut):
    content: str
    responsible_position: str
    responsible_name: str
    product_kind: str
    product: str
    product_url: str
    accepting_authority: str
    children: list[str]
    events: list[TaskEventOut]
    deadline_changes: list[DeadlineChangeOut]
    evidence_files: int = 0  # how many; their names, digests and links go to readers of the task's units only


class TaskIn(Schema):
    code: str = ""  # none: "<directive>-<n>", the next free number (tasks.codes)
    title: str
    content: str = ""
    directive: str | None = None
    lead_unit: str | None = None
    coordinating_units: list[str] = []
    assignees: str = ""
    deadline_text: str = ""
    responsible_position: str = ""
    responsible_name: str = ""
    product_kind: str = ""
    product: str = ""
    accepting_authority: str = ""
    priority: str = "normal"
    themes: list[str] = []
    indicators: list[str] = []


class TaskUpdateIn(Schema):
    kind: str = "progress"  # progress | product | accept | extension_request | extension_decision | stage
    percent: int | None = None
    narrative: str = ""
    evidence_url: str = ""
    stage: str | None = None
    deadline_text: str = ""
    reason: str = ""
    extension_id: int | None = None
    approve: bool | None = None


class AgencyFiguresOut(Schema):
    unit: str
    name: str
    total: int
    not_started: int
    in_progress: int
    overdue: int
    overdue_days: list[int]
    done_on_time: int
    done_late: int
    paused: int
    cancelled: int
    due_within_7: int
    due_within_30: int


class FiguresOut(Schema):
    as_of: datetime.date
    overdue_tasks: int
    units_with_overdue: int
    items: list[AgencyFiguresOut]
