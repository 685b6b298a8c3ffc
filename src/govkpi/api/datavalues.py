"""Values in and out: the native batch API and DHIS2's dataValueSets (JSON and CSV)."""

import datetime
import json
import re
from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from ninja import Router, Status
from ninja.errors import AuthenticationError, ValidationError
from ninja.pagination import paginate

from govkpi.accounts.permissions import require
from govkpi.accounts.roles import Action
from govkpi.accounts.tokens import SESSION_AUTH, READ_AUTH, BearerToken, DHIS2ApiToken
from govkpi.core.periods import PeriodError, parse_period
from govkpi.datavalues import approval as approvals
from govkpi.datavalues import dhis2
from govkpi.datavalues.models import Channel, DataApproval, DataValue
from govkpi.datavalues.completeness import completeness
from govkpi.api.schemas.datavalues import ApprovalIn, ApprovalOut, CompletenessOut, DataValuesIn, DataValuesOut
from govkpi.datavalues.writer import Item, write_values
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit
from govkpi.api.paging import Page, Rows
from govkpi.api.schemas.problem import Problem
from govkpi.reads.visibility import Viewer

router = Router()
WRITE_AUTH = [BearerToken(), DHIS2ApiToken(), SESSION_AUTH]
EXPORT_COLUMNS = ("data_element__code", "period", "unit__code", "value", "stored_by", "created_at", "updated_at",
                  "comment", "follow_up")


def _problem(status: int, code: str, vi: str, en: str) -> Status:
    return Status(status, {"code": code, "message": vi, "message_en": en})


@router.post("/datavalues", auth=WRITE_AUTH, response={200: DataValuesOut, 409: DataValuesOut, 400: Problem},
             tags=["datavalues"])
def post_datavalues(request: HttpRequest, payload: DataValuesIn) -> Status:
    """Write a batch of values. Answers with counts and, per refused item, its index, field and reason."""
    items = [Item(index=i, data_element=v.data_element, period=v.period, unit=v.unit, value=v.value,
                  comment=v.comment, follow_up=v.follow_up, deleted=v.deleted)
             for i, v in enumerate(payload.values)]
    result = write_values(items, actor=request.user, channel=Channel.API, strategy=payload.strategy,
                          atomic=payload.atomic, dry_run=payload.dry_run)
    body = {**result.counts(), "status": result.status, "dry_run": result.dry_run, "batch": result.batch_id,
            "rejected_items": [c.as_dict() for c in result.conflicts],
            "warnings": [c.as_dict() for c in result.warnings]}
    return Status(409 if result.status == "ERROR" else 200, body)


def _flag(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name, "false").strip().lower() in ("true", "1", "yes")


@router.post("/dataValueSets", auth=WRITE_AUTH, tags=["dhis2"])
def post_data_value_sets(request: HttpRequest) -> HttpResponse:
    """DHIS2's import: a JSON dataValueSet or DHIS2 CSV (by Content-Type), with dryRun, importStrategy
    (CREATE_AND_UPDATE, CREATE, UPDATE, DELETE and DHIS2's other names) and atomicMode (ALL, the default here,
    or NONE). Answers with DHIS2's WebMessage around an ImportSummary. DHIS2's own paths (/api/dataValueSets,
    /api/40/dataValueSets) take DHIS2's defaults instead (govkpi.api.dhis2_web)."""
    from govkpi.api.dhis2_web import import_data_value_sets

    return import_data_value_sets(request, None, native=True)


def _json(status: int, body: Any) -> HttpResponse:
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")


def _listed(request: HttpRequest, name: str) -> list[str]:
    return [v.strip() for raw in request.GET.getlist(name) for v in raw.split(",") if v.strip()]


def visible_values(request: HttpRequest) -> QuerySet | Status:
    """The values the caller may read, filtered like DHIS2's export (dataElement, period, orgUnit, children,
    startDate, endDate). Anonymous callers see published data elements of approved (unit, period) pairs only."""
    query = DataValue.objects.all()
    elements, periods, units = _listed(request, "dataElement"), _listed(request, "period"), _listed(request, "orgUnit")
    if elements:
        query = query.filter(data_element__code__in=elements)
    if data_sets := _listed(request, "dataSet"):  # a data set is a theme of the catalog here
        query = query.filter(data_element__in=DataElement.objects.filter(themes__code__in=data_sets))
    if periods:
        query = query.filter(period__in=periods)
    updated_since = _last_updated(request)
    if isinstance(updated_since, Status):
        return updated_since
    if updated_since is not None:
        query = query.filter(updated_at__gte=updated_since)
    start, end = request.GET.get("startDate"), request.GET.get("endDate")
    try:
        if start:
            query = query.filter(period_start__gte=parse_period(start.replace("-", "")).start)
        if end:
            query = query.filter(period_end__lte=parse_period(end.replace("-", "")).end)
    except PeriodError as error:
        return _problem(400, error.code, error.message_vi, error.message_en)
    if units:
        found = list(OrgUnit.objects.filter(code__in=units))
        if len(found) != len(set(units)):
            missing = sorted(set(units) - {u.code for u in found})
            return _problem(404, "unit_not_found", f"Không có đơn vị {', '.join(missing)}.",
                            f"No unit {', '.join(missing)}.")
        if _flag(request, "children"):
            subtree = Q()
            for unit in found:
                subtree |= Q(unit__path__startswith=unit.path)
            query = query.filter(subtree)
        else:
            query = query.filter(unit__in=found)
    return query.filter(Viewer(request.user).values())


_DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def _last_updated(request: HttpRequest) -> datetime.datetime | Status | None:
    """DHIS2's lastUpdated (a date or a date and time) or lastUpdatedDuration (`10d`, `2h`, `30m`, `45s`): the
    values changed since then, for an incremental pull."""
    since, duration = request.GET.get("lastUpdated", "").strip(), request.GET.get("lastUpdatedDuration", "").strip()
    if duration:
        match = re.fullmatch(r"(\d+)([dhms])", duration)
        if not match:
            return _problem(400, "bad_duration", f"lastUpdatedDuration «{duration}» không hợp lệ (ví dụ 10d, 2h).",
                            f"lastUpdatedDuration «{duration}» is not valid (e.g. 10d, 2h).")
        return timezone.now() - datetime.timedelta(seconds=int(match[1]) * _DURATION_UNITS[match[2]])
    if not since:
        return None
    parsed = parse_datetime(since) or (datetime.datetime.combine(d, datetime.time()) if (d := parse_date(since))
                                       else None)
    if parsed is None:
        return _problem(400, "bad_last_updated", f"lastUpdated «{since}» không phải ngày giờ ISO 8601.",
                        f"lastUpdated «{since}» is not an ISO 8601 date or date and time.")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, datetime.timezone.utc)


@router.get("/dataValueSets", auth=READ_AUTH, tags=["dhis2"])
def get_data_value_sets(request: HttpRequest) -> HttpResponse:
    """DHIS2's export: JSON by default, CSV with format=csv or `Accept: application/csv`; lastUpdated or
    lastUpdatedDuration for what changed since."""
    return export_data_value_sets(request)


def export_data_value_sets(request: HttpRequest, wants_csv: bool = False) -> HttpResponse:
    """The one dataValueSets export, for /api/v1 and DHIS2's own paths."""
    query = visible_values(request)
    if isinstance(query, Status):
        return _json(query.status_code, query.value)
    rows = query.order_by("data_element__code", "unit__code", "period_start").values(*EXPORT_COLUMNS)
    wants_csv = wants_csv or request.GET.get("format") == "csv" or "csv" in request.META.get("HTTP_ACCEPT", "")
    if wants_csv:
        return StreamingHttpResponse(_csv_lines(rows), content_type="application/csv; charset=utf-8")
    return _json(200, {"dataValues": [dhis2.export_row(v) for v in rows.iterator(chunk_size=5000)]})


def _csv_lines(rows: QuerySet) -> Iterator[str]:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(dhis2.CSV_COLUMNS)
    for value in rows.iterator(chunk_size=5000):
        writer.writerow(dhis2.csv_cells(value))
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _approval_out(approval: DataApproval, verify: bool = False) -> dict:
    out = {"unit": approval.unit.code, "period": approval.period, "state": approval.state,
           "submitted_by": approval.submitted_by, "submitted_at": approval.submitted_at,
           "decided_by": approval.decided_by, "decided_at": approval.decided_at, "reason": approval.reason,
           "digest": approval.digest, "approved_values": approval.approved_values}
    if verify:  # one query per row: asked for, not on by default
        out["intact"] = approvals.verify(approval.unit, approval.period).intact if approval.digest else None
    return out


@router.post("/approvals", auth=WRITE_AUTH, response={200: ApprovalOut, 400: Problem, 403: Problem, 404: Problem},
             tags=["datavalues"])
def post_approval(request: HttpRequest, payload: ApprovalIn) -> Status:
    """Submit a unit's period (the unit), approve or return it, or unlock approved data (the parent unit)."""
    unit = OrgUnit.objects.select_related("parent").filter(code=payload.unit).first()
    if unit is None:
        return _problem(404, "unit_not_found", f"Không có đơn vị {payload.unit}.", f"No unit {payload.unit}.")
    try:
        return Status(200, _approval_out(approvals.act(payload.action, unit, payload.period, request.user,
                                                       payload.reason)))
    except approvals.ApprovalError as error:
        return _problem(400, error.code, error.message_vi, error.message_en)
    except PeriodError as error:
        return _problem(400, error.code, error.message_vi, error.message_en)


# verify=true reads every value of every row on the page and hashes it: a cost anonymous callers could
# multiply, so it needs an account (session or token) and a page of at most this many rows.
VERIFY_LIMIT = 100


def _check_verify_request(request: HttpRequest) -> None:
    if not getattr(request.user, "is_authenticated", False):
        raise AuthenticationError(401, "Kiểm tra mã băm (verify=true) cần đăng nhập hoặc mã truy cập. / "
                                  "verify=true needs a signed-in user or a token.")
    try:
        limit = int(request.GET.get("limit", VERIFY_LIMIT))
    except ValueError:
        return  # the paging's own validation answers for a limit that is not a number
    if limit > VERIFY_LIMIT:
        raise ValidationError([{"loc": ["query", "limit"], "type": "less_than_equal",
                                "msg": f"Với verify=true, mỗi trang tối đa {VERIFY_LIMIT} dòng. / "
                                       f"With verify=true a page holds at most {VERIFY_LIMIT} rows."}])


@router.get("/approvals", auth=READ_AUTH, response=list[ApprovalOut], tags=["datavalues"])
@paginate(Page)
def list_approvals(request: HttpRequest, period: str = "", state: str = "", unit: str = "",
                   verify: bool = False) -> Rows:
    """Approval states the caller may read (signed-in users: their subtree; anonymous: approved ones), newest
    periods first; with verify=true each approved row says whether its values still give the approved digest
    (signed-in callers only, at most VERIFY_LIMIT rows a page: each row recomputes a digest over its values)."""
    if verify:
        _check_verify_request(request)
    query = (DataApproval.objects.filter(Viewer(request.user).approvals()).select_related("unit")
             .order_by("-period", "unit_id"))
    if period:
        query = query.filter(period=period)
    if state:
        query = query.filter(state=state)
    if unit:
        query = query.filter(unit__code=unit)
    return Rows(query, lambda approval: _approval_out(approval, verify))


@router.get("/completeness", auth=READ_AUTH, response={200: list[CompletenessOut], 400: Problem, 403: Problem,
                                                       404: Problem}, tags=["datavalues"])
def get_completeness(request: HttpRequest, unit: str, period: str, children: bool = False) -> Status:
    """Expected, received, on time and late values of a unit (or of each unit directly below it) for a period."""
    found = OrgUnit.objects.filter(code=unit).first()
    if found is None:
        return _problem(404, "unit_not_found", f"Không có đơn vị {unit}.", f"No unit {unit}.")
    require(request.user, Action.READ, found)
    try:
        end = parse_period(period).end
    except PeriodError as error:
        return _problem(400, error.code, error.message_vi, error.message_en)
    units = list(OrgUnit.objects.filter(parent=found).valid_on(end).order_by("code")) if children else [found]
    answers = []
    for each in units:
        figures = completeness(each, period)
        answers.append({**figures.__dict__, "missing": list(figures.missing), "rate": figures.rate,
                        "timeliness": figures.timeliness})
    return Status(200, answers)
