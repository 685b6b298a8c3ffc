"""Periods in the API: what an identifier means, and the periods of a type in a date range."""

import datetime

from django.http import HttpRequest
from ninja import Router, Status

from govkpi.core.periods import Period, PeriodError, PeriodType, parse_period, periods_between
from govkpi.api.schemas.catalog import PeriodOut
from govkpi.api.schemas.problem import Problem

router = Router()
MAX_PERIODS = 1000


def _out(period: Period, with_containers: bool = False) -> dict:
    containers = []
    if with_containers:
        coarser = [t for t in PeriodType if t.rank > period.type.rank]
        containers = [period.containing(t).id for t in coarser]
    return {"id": period.id, "type": period.type.value, "start": period.start, "end": period.end,
            "label_vi": period.label_vi, "label_en": period.label_en, "contained_in": containers}


def _problem(error: PeriodError) -> Status:
    return Status(400, {"code": error.code, "message": error.message_vi, "message_en": error.message_en})


@router.get("/{period_id}", response={200: PeriodOut, 400: Problem})
def get_period(request: HttpRequest, period_id: str) -> Status:
    """A period identifier (2025, 2025S1, 2025Q3, 202509, 2025W38, 20250924) with its dates and labels."""
    try:
        return Status(200, _out(parse_period(period_id), with_containers=True))
    except PeriodError as error:
        return _problem(error)


@router.get("", response={200: list[PeriodOut], 400: Problem})
def list_periods(request: HttpRequest, type: PeriodType, start: datetime.date, end: datetime.date) -> Status:
    """Every period of a type overlapping [start, end] (at most 1,000)."""
    if end < start:
        return Status(400, {"code": "end_before_start", "message": "Ngày kết thúc trước ngày bắt đầu.",
                            "message_en": "The end date is before the start date."})
    periods = periods_between(type, start, end)
    if len(periods) > MAX_PERIODS:
        return Status(400, {"code": "too_many_periods", "message": f"Quá {MAX_PERIODS} kỳ.",
                            "message_en": f"More than {MAX_PERIODS} periods."})
    return Status(200, [_out(p) for p in periods])
