"""Values in and out: the native batch API, DHIS2's dataValueSets (the import in api.dhis2_web, the export in
api.dhis2_export), approvals and completeness."""

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status
from ninja.errors import AuthenticationError, ValidationError
from ninja.pagination import paginate

from govkpi.accounts.permissions import require
from govkpi.accounts.roles import Action
from govkpi.accounts.tokens import SESSION_AUTH, READ_AUTH, BearerToken, DHIS2ApiToken
from govkpi.core.periods import PeriodError, parse_period
from govkpi.datavalues import approval as approvals
from govkpi.datavalues.models import Channel, DataApproval
from govkpi.datavalues.completeness import completeness
from govkpi.api.schemas.datavalues import ApprovalIn, ApprovalOut, CompletenessOut, DataValuesIn, DataValuesOut
from govkpi.datavalues.writer import Item, write_values
from govkpi.orgunits.models import OrgUnit
from govkpi.api.dhis2_export import export
from govkpi.api.dhis2_web import import_data_value_sets
from govkpi.api.paging import Page, Rows
from govkpi.api.schemas.problem import Problem
from govkpi.reads.visibility import Viewer

router = Router()
WRITE_AUTH = [BearerToken(), DHIS2ApiToken(), SESSION_AUTH]


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


@router.post("/dataValueSets", auth=WRITE_AUTH, tags=["dhis2"])
def post_data_value_sets(request: HttpRequest) -> HttpResponse:
    """DHIS2's import: a JSON dataValueSet or DHIS2 CSV (by Content-Type), with dryRun, importStrategy
    (CREATE_AND_UPDATE, CREATE, UPDATE, DELETE and DHIS2's other names) and atomicMode (ALL, the default here,
    or NONE). Answers with DHIS2's WebMessage around an ImportSummary. DHIS2's own paths (/api/dataValueSets,
    /api/40/dataValueSets) take DHIS2's defaults instead (govkpi.api.dhis2_web)."""
    return import_data_value_sets(request, None, native=True)


@router.get("/dataValueSets", auth=READ_AUTH, tags=["dhis2"])
def get_data_value_sets(request: HttpRequest) -> HttpResponse:
    """DHIS2's export: JSON by default, CSV, DXF2 XML or ADX by `format=` or the Accept header; lastUpdated or
    lastUpdatedDuration for what changed since, includeDeleted for what was deleted, limit, compression
    (govkpi.api.dhis2_export)."""
    return export(request, Viewer(request.user))


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
