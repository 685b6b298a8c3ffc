"""Pages for data collection: the entry form of a unit and period (each field saved as it is entered, htmx),
the Excel template, uploads with their row errors (shown, and downloadable), and approval."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from govkpi.accounts.permissions import can
from govkpi.accounts.roles import Action
from govkpi.core.periods import PeriodError, PeriodType, parse_period, period_of
from govkpi.core.tabular import TabularError
from govkpi.datavalues import approval, entry
from govkpi.datavalues.completeness import completeness
from govkpi.datavalues.dhis2 import PayloadError
from govkpi.datavalues.files import error_report_xlsx, expected_rows, import_file, template_xlsx
from govkpi.datavalues.models import Channel
from govkpi.datavalues.writer import Item, Strategy, write_values
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit
from govkpi.reads.approvals import last_decision

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALLOWED_UPLOADS = (".xlsx", ".xlsm", ".csv", ".txt", ".json")
_SESSION_ERRORS = "govkpi_upload_errors"


def _unit_and_period(request: HttpRequest, code: str, period: str) -> tuple[OrgUnit, str]:
    unit = OrgUnit.objects.select_related("parent").filter(code=code).first()
    if unit is None:
        raise Http404(code)
    try:
        parse_period(period)
    except PeriodError as error:
        raise Http404(error.message_en) from None
    if not can(request.user, Action.READ, unit):
        raise PermissionDenied(f"Không có quyền xem số liệu của {unit.code}. / Not allowed to read {unit.code}'s data.")
    return unit, period


@login_required
def entry_start(request: HttpRequest, code: str) -> HttpResponse:
    """Last month's form: the period most units are reporting now."""
    return redirect("web:data_entry", code=code, period=period_of(PeriodType.MONTHLY, timezone.localdate()).previous().id)


@login_required
def entry_form(request: HttpRequest, code: str, period: str) -> HttpResponse:
    """The expected values of a unit for a period, each saved as it is entered."""
    unit, period = _unit_and_period(request, code, period)
    parsed = parse_period(period)
    rows = expected_rows(unit, period)
    by_element = entry.grids(unit, period, [element for element, _value in rows])
    context = {
        "unit": unit, "period": parsed, "rows": [(e, v, by_element.get(e.id)) for e, v in rows],
        "may_enter": can(request.user, Action.ENTER, unit),
        "may_approve": can(request.user, Action.APPROVE, approval.approver_unit(unit)) and unit.parent_id,
        "state": approval.state_of(unit, period), "completeness": completeness(unit, period),
        "previous": parsed.previous().id, "next": parsed.next().id,
        "decision": last_decision(unit, period), "flash": request.session.pop("govkpi_flash", ""),
    }
    return render(request, "web/data_entry.html", context)


@login_required
@require_POST
def save_field(request: HttpRequest, code: str, period: str, element: str) -> HttpResponse:
    """Save one field (htmx): the answer is the field again, with what became of it. A disaggregated element's
    field is one option combo of its grid (`coc`); the answer is the whole grid, its total recomputed."""
    unit, period = _unit_and_period(request, code, period)
    data_element = DataElement.objects.select_related("category_combo").filter(code=element).first()
    if data_element is None:
        raise Http404(element)
    raw, comment = request.POST.get("value", ""), request.POST.get("comment", "")
    coc = request.POST.get("coc", "") if data_element.category_combo_id else ""
    if raw.strip():
        item = Item(0, element, period, unit.code, raw, comment=None if coc else comment, category_option_combo=coc)
    else:
        item = Item(0, element, period, unit.code, None, deleted=True, category_option_combo=coc)
    result = write_values([item], actor=request.user, channel=Channel.WEB)
    if result.conflicts:
        outcome, message = "refused", result.conflicts[0]
    elif result.warnings:
        outcome, message = "warning", result.warnings[0]
    else:
        outcome, message = ("unchanged" if result.unchanged else "saved"), None
    if data_element.category_combo_id:
        return render(request, "web/partials/combo_grid.html", {
            "unit": unit, "period_id": period, "element": data_element, "outcome": outcome, "message": message,
            "grid": entry.grids(unit, period, [data_element])[data_element.id], "saved_coc": coc, "raw": raw,
            "may_enter": True})
    return render(request, "web/partials/value_field.html", {
        "unit": unit, "period_id": period, "element": data_element, "raw": raw, "comment": comment,
        "outcome": outcome, "message": message, "may_enter": True})


@login_required
def template_download(request: HttpRequest, code: str, period: str) -> HttpResponse:
    unit, period = _unit_and_period(request, code, period)
    response = HttpResponse(template_xlsx(unit, period), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="bieu-nhap-{unit.code}-{period}.xlsx"'
    return response


@login_required
@require_POST
def approval_action(request: HttpRequest, code: str, period: str) -> HttpResponse:
    unit, period = _unit_and_period(request, code, period)
    action, reason = request.POST.get("action", ""), request.POST.get("reason", "")
    if action not in approval.ACTIONS:
        raise Http404(action)
    try:
        approval.act(action, unit, period, request.user, reason)
    except approval.ApprovalError as error:
        request.session["govkpi_flash"] = f"{error.message_vi} / {error.message_en}"
    if request.POST.get("next") == "approvals":  # decided from the approver's inbox: back to it
        return redirect("web:approvals")
    return redirect("web:data_entry", code=unit.code, period=period)


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """Upload a data file; the answer lists every refused row, and offers them as a file."""
    context: dict = {"max_mb": settings.DATA_FILE_MAX_BYTES // 2**20}
    if request.method == "POST":
        context.update(_handle_upload(request))
    return render(request, "web/data_upload.html", context)


def _handle_upload(request: HttpRequest) -> dict:
    upload = request.FILES.get("file")
    if upload is None:
        return {"error": "Chưa chọn tệp. / No file chosen."}
    name = upload.name or ""
    if not name.lower().endswith(ALLOWED_UPLOADS):
        return {"error": f"Chỉ nhận tệp {', '.join(ALLOWED_UPLOADS)}. / Only {', '.join(ALLOWED_UPLOADS)} files."}
    if upload.size > settings.DATA_FILE_MAX_BYTES:
        return {"error": f"Tệp lớn hơn {settings.DATA_FILE_MAX_BYTES // 2**20} MB. / The file is too large."}
    per_row = request.POST.get("mode") == "per_row"
    try:
        result, notes = import_file(upload.read(), name, actor=request.user,
                                    channel=Channel.EXCEL if name.lower().endswith((".xlsx", ".xlsm")) else Channel.CSV,
                                    max_bytes=settings.DATA_FILE_MAX_BYTES, strategy=Strategy.CREATE_AND_UPDATE,
                                    atomic=not per_row, dry_run=bool(request.POST.get("dry_run")))
    except (TabularError, PayloadError) as error:
        return {"error": f"{error.message_vi} / {error.message_en}"}
    conflicts = [c.as_dict() for c in result.conflicts]
    key = ""
    if conflicts:
        key = secrets.token_urlsafe(12)
        stored = request.session.get(_SESSION_ERRORS, {})
        stored = dict(list(stored.items())[-4:])  # the last few reports only
        stored[key] = conflicts
        request.session[_SESSION_ERRORS] = stored
    return {"result": result, "conflicts": conflicts, "warnings": [w.as_dict() for w in result.warnings],
            "notes": notes, "errors_key": key, "filename": name, "per_row": per_row}


@login_required
def upload_errors(request: HttpRequest, key: str) -> HttpResponse:
    """The refused rows of a recent upload as a workbook."""
    conflicts = request.session.get(_SESSION_ERRORS, {}).get(key)
    if conflicts is None:
        raise Http404(key)
    response = HttpResponse(error_report_xlsx(conflicts), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="loi-nhap-so-lieu.xlsx"'
    return response
