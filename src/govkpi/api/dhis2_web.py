"""DHIS2's Web API paths, so DHIS2 clients and scripts work unchanged: `/api/dataValueSets`,
`/api/40/dataValueSets`, `…/dataValueSets.json`, `.csv`, `.xml` and `.adx`, the single value at `/api/dataValues`,
`/api/system/info` and `/api/me` (an async import's job is polled in api.dhis2_tasks).

Plain Django views, not ninja: DHIS2's paths carry an optional version and a format suffix, and its answers
(WebMessage, ImportSummary) are its own shapes. They only parse, ask the one writer or the one read door, and
render. The native `/api/v1/dataValueSets` answers with the same import code.

Authentication (docs/security.md): `Authorization: ApiToken gk_…` (DHIS2's personal access tokens) or
`Bearer gk_…`; HTTP Basic only with a token as the password (`user:gk_…`, the token's own user), for the
clients that know no other scheme — a password never signs in here, so there is no second factor to bypass.
A missing or bad credential on a write, or a bad one on a read, is 401 with `WWW-Authenticate` naming the
schemes. Reads without a credential see what is published, as on every face.
"""

from __future__ import annotations

import base64
import binascii
import json
from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from govkpi.accounts.models import Membership
from govkpi.accounts.tokens import BearerToken
from govkpi.api.dhis2_export import export
from govkpi.core.periods import PeriodError, parse_period
from govkpi.core.strict_json import read_json
from govkpi.datavalues import combos, dhis2, import_jobs
from govkpi.datavalues.dhis2_answers import dhis2_error_code, import_summary, web_message
from govkpi.datavalues.dhis2_input import read_payload
from govkpi.datavalues.models import Channel, DataValue
from govkpi.datavalues.writer import Item, Strategy, write_values
from govkpi.indicators.models import DataElement
from govkpi.reads.visibility import Viewer
from ninja.errors import AuthenticationError

# The DHIS2 version whose behaviour an unversioned path gets, and that /api/system/info reports.
COMPATIBLE_VERSION = "2.40.9"
COMPATIBLE_MINOR = 40
# DHIS2's ImportStrategy names, the legacy ones included (dhis2-core ImportStrategy.java), as govkpi's.
STRATEGIES = {"CREATE_AND_UPDATE": Strategy.CREATE_AND_UPDATE, "NEW_AND_UPDATES": Strategy.CREATE_AND_UPDATE,
              "SYNC": Strategy.CREATE_AND_UPDATE, "CREATE": Strategy.CREATE, "NEW": Strategy.CREATE,
              "UPDATE": Strategy.UPDATE, "UPDATES": Strategy.UPDATE, "DELETE": Strategy.DELETE,
              "DELETES": Strategy.DELETE}
CHALLENGE = 'ApiToken realm="govkpi", Bearer realm="govkpi", Basic realm="govkpi (a token as the password)"'


class Unauthorized(Exception):
    """No credential where one is needed, or one that does not hold: answered 401 with the challenge."""


def _json(status: int, body: Any) -> HttpResponse:
    return HttpResponse(json.dumps(body, ensure_ascii=False, default=str), status=status,
                        content_type="application/json")


def _unauthorized(message: str) -> HttpResponse:
    response = _json(401, {"httpStatus": "Unauthorized", "httpStatusCode": 401, "status": "ERROR",
                           "message": message})
    response["WWW-Authenticate"] = CHALLENGE
    return response


def authenticate(request: HttpRequest, required: bool) -> Any:
    """The user the request acts as (narrowed by its token), AnonymousUser for a read with no credential.
    Raises Unauthorized for a bad credential, or for none where one is required."""
    header = request.META.get("HTTP_AUTHORIZATION", "").strip()
    scheme, _, secret = header.partition(" ")
    scheme, secret = scheme.lower(), secret.strip()
    try:
        if scheme in ("apitoken", "bearer") and secret:
            return BearerToken().authenticate(request, secret)
        if scheme == "basic" and secret:
            return _basic(request, secret)
    except AuthenticationError as error:
        raise Unauthorized(str(error)) from None
    if header:
        raise Unauthorized("Cách xác thực không được hỗ trợ / unsupported authorization scheme")
    if request.user.is_authenticated and request.method in ("GET", "HEAD"):
        return request.user  # a signed-in browser reading; writes from a session go through /api/v1 and CSRF
    if required:
        raise Unauthorized("Cần mã truy cập (ApiToken) / an API token is needed")
    return AnonymousUser()


def _basic(request: HttpRequest, secret: str) -> Any:
    try:
        username, _, token = base64.b64decode(secret, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("Basic không đọc được / unreadable Basic credentials") from None
    user = BearerToken().authenticate(request, token)  # raises for anything that is not a live token
    if user.get_username() != username:
        raise Unauthorized("Mã truy cập không thuộc người dùng này / the token belongs to another user")
    return user


def _version(version: str | None) -> int | None:
    return int(version) if version else None


def _options(request: HttpRequest, declared: dict[str, Any], version: int | None) -> tuple[Strategy, bool, bool]:
    """importStrategy (or `strategy`), atomicMode (or 2.43's `atomic`), dryRun (query or the dataValueSet's own)."""
    name = (request.GET.get("importStrategy") or request.GET.get("strategy") or "CREATE_AND_UPDATE").upper()
    if declared.get("strategy") and (version or COMPATIBLE_MINOR) < 43:
        # 2.40–2.42: the dataValueSet's own strategy wins over the query's (DefaultDataValueSetService
        # .createDataValueSetImportContext); 2.43 no longer reads it.
        name = str(declared["strategy"]).strip().upper()
    if name not in STRATEGIES:
        raise dhis2.PayloadError("bad_strategy", f"importStrategy «{name}» không hợp lệ.",
                                 f"importStrategy «{name}» is not one of {', '.join(STRATEGIES)}.")
    # DHIS2 2.38–2.42 import the good values and report the rest; 2.43's `atomic` defaults to true.
    atomic = (version or COMPATIBLE_MINOR) >= 43
    if "atomicMode" in request.GET:
        atomic = request.GET["atomicMode"].upper() != "NONE"
    if "atomic" in request.GET:
        atomic = request.GET["atomic"].strip().lower() not in ("false", "0", "no")
    # A dry run asked anywhere is a dry run: DHIS2 lets the payload's dryRun=false undo the query's, govkpi not.
    dry_run = _true(request.GET.get("dryRun")) or bool(dhis2.payload_flag(declared, "dryRun"))
    return STRATEGIES[name], atomic, dry_run


def _true(text: str | None) -> bool:
    return (text or "").strip().lower() in ("true", "1", "yes")


def _payload_error(error: dhis2.PayloadError) -> HttpResponse:
    status = 413 if error.code == "too_large" else 400
    return _json(status, {"httpStatus": "Payload Too Large" if status == 413 else "Bad Request",
                          "httpStatusCode": status, "status": "ERROR", "code": error.code,
                          "message": error.message_vi, "message_en": error.message_en})


def import_data_value_sets(request: HttpRequest, version: int | None, native: bool = False,
                           suffix: str = "") -> HttpResponse:
    """DHIS2's dataValueSets import (JSON, CSV, DXF2 XML or ADX, gzip or zip or plain: datavalues.dhis2_input)
    through the one writer; with `async=true`, recorded as a finished job (datavalues.import_jobs says why).

    `native`: the /api/v1 path, which keeps govkpi's stricter defaults (atomic, the same key twice refused)."""
    started = timezone.now()
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    try:
        payload = read_payload(iter(lambda: request.read(64 * 1024), b""), suffix=suffix, content_type=content_type,
                               max_bytes=settings.DATA_FILE_MAX_BYTES)
        # The native path keeps its query's strategy; a dry run asked in the payload still counts there.
        declared = {"dryRun": payload.declared.get("dryRun")} if native else payload.declared
        strategy, atomic, dry_run = _options(request, declared, version)
    except dhis2.PayloadError as error:
        return _payload_error(error)  # also with async=true: nothing was started, so there is no job to poll
    items = payload.items
    if native:
        atomic = request.GET.get("atomicMode", "ALL").upper() != "NONE"
    else:
        items = dhis2.as_dhis2_would(items)
    as_job = not native and _true(request.GET.get("async"))  # a query parameter only (ImportOptions.async)
    with transaction.atomic() if as_job else nullcontext():  # a job row exactly when its import is written
        result = write_values(items, actor=request.user, channel=Channel.DHIS2, strategy=strategy, atomic=atomic,
                              dry_run=dry_run, machine_input=not native, ignore_by_strategy=not native,
                              refused=payload.refused)
        job = import_jobs.record(request.user, import_summary(result), result.batch_id, started) if as_job else None
    if job is not None:
        response = _json(200, import_jobs.job_message(job))
        response["Location"] = request.build_absolute_uri(f"/api/system/tasks/{job.kind}")  # as DHIS2 sets it
        return response
    status, body = web_message(result, version)
    return _json(status, body)


@csrf_exempt
def data_value_sets(request: HttpRequest, version: str | None = None, suffix: str = "") -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        request.user = authenticate(request, required=request.method == "POST")
    except Unauthorized as error:
        return _unauthorized(str(error))
    if request.method == "POST":
        return import_data_value_sets(request, _version(version), suffix=suffix)
    if missing := _missing_export_filter(request):
        return _conflict_message(missing[1], errorCode=missing[0])
    return export(request, Viewer(request.user), suffix)  # the one export, shared with /api/v1


def _missing_export_filter(request: HttpRequest) -> tuple[str, str] | None:
    """DHIS2 refuses an export that names no data, no time or no unit (dhis2-core 2.40.9
    DataValueSetService.validate: E2001, E2002, E2006), so a client cannot ask for every value in one body."""
    asked = {name for name, value in request.GET.items() if value.strip()}
    if not asked & {"dataElement", "dataSet", "dataElementGroup"}:
        return "E2001", ("Cần ít nhất một dataElement hoặc dataSet. / At least one data element, data set or data "
                         "element group must be specified")
    if not asked & {"period", "startDate", "endDate", "lastUpdated", "lastUpdatedDuration"}:
        return "E2002", ("Cần ít nhất một kỳ, ngày bắt đầu/kết thúc hoặc lastUpdated. / At least one valid period, "
                         "start/end dates, last updated or last updated duration must be specified")
    if "orgUnit" not in asked:
        return "E2006", ("Cần ít nhất một đơn vị (orgUnit). / At least one organisation unit or organisation unit "
                         "group must be specified")
    return None


def system_info(request: HttpRequest, version: str | None = None, suffix: str = "") -> HttpResponse:
    """What DHIS2 clients read first: the version they adapt to, the server's clock and calendar."""
    try:
        authenticate(request, required=False)
    except Unauthorized as error:
        return _unauthorized(str(error))
    now = timezone.now()
    return _json(200, {"version": COMPATIBLE_VERSION, "revision": "govkpi", "systemName": "govkpi",
                       "serverDate": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}",
                       "serverTimeZoneId": "UTC", "calendar": "iso8601", "dateFormat": "yyyy-mm-dd",
                       "contextPath": request.build_absolute_uri("/").rstrip("/"),
                       "instanceBaseUrl": request.build_absolute_uri("/").rstrip("/")})


def me(request: HttpRequest, version: str | None = None, suffix: str = "") -> HttpResponse:
    """The caller in DHIS2's shape: who, and the units they hold a role in."""
    try:
        user = authenticate(request, required=True)
    except Unauthorized as error:
        return _unauthorized(str(error))
    memberships = Membership.objects.filter(user=user).select_related("unit").order_by("unit__code")
    units = [{"id": m.unit.code, "code": m.unit.code, "name": m.unit.name} for m in memberships]
    name = user.get_full_name() or user.get_username()
    roles = sorted({m.role for m in memberships})
    return _json(200, {"id": user.get_username(), "username": user.get_username(), "code": user.get_username(),
                       "name": name, "displayName": name, "firstName": user.first_name, "surname": user.last_name,
                       "email": user.email, "organisationUnits": units, "dataViewOrganisationUnits": units,
                       "userRoles": roles, "authorities": roles,
                       "userCredentials": {"username": user.get_username()}})


def _one_value_item(request: HttpRequest) -> Item:
    """DHIS2's single data value, from the query or form (`de`, `pe`, `ou`, `co`, `cc`/`cp`, `value`, `comment`,
    `followUp`) or, on a JSON POST, from DataValueDto's body (`dataElement`, `period`, `orgUnit`, …)."""
    params: dict[str, Any] = {**request.GET.dict(), **request.POST.dict()}
    if request.method == "POST" and "json" in request.META.get("CONTENT_TYPE", ""):
        body = read_json(request.body)  # PayloadError: answered 400 by data_values
        if not isinstance(body, dict):
            raise dhis2.PayloadError("bad_json", "JSON không hợp lệ: cần một đối tượng.",
                                     "Invalid JSON: an object is expected.")
        if problem := dhis2.type_problem(0, body):
            raise dhis2.PayloadError(problem.code, problem.message_vi, problem.message_en)
        attribute = body.get("attribute") if isinstance(body.get("attribute"), dict) else {}
        if not all(isinstance(option, str) for option in attribute.get("options") or []):
            raise dhis2.PayloadError("bad_type", "«attribute.options» phải là mảng chuỗi.",
                                     "«attribute.options» must be an array of strings.")
        params = {"de": body.get("dataElement"), "pe": body.get("period"), "ou": body.get("orgUnit"),
                  "co": body.get("categoryOptionCombo"), "cp": ";".join(attribute.get("options") or []),
                  "value": body.get("value"), "comment": body.get("comment"), "followUp": body.get("followUp")}
    combo = str(params.get("cp") or "")
    follow_up = params.get("followUp")
    return Item(index=0, data_element=str(params.get("de") or ""), period=str(params.get("pe") or ""),
                unit=str(params.get("ou") or ""), value=params.get("value"), comment=params.get("comment") or None,
                follow_up=None if follow_up in (None, "") else str(follow_up).lower() in ("true", "1"),
                deleted=request.method == "DELETE", category_option_combo=str(params.get("co") or ""),
                attribute_option_combo=combo)


def _conflict_message(message: str, status: int = 409, **extra: Any) -> HttpResponse:
    return _json(status, {"httpStatus": "Conflict" if status == 409 else "Bad Request", "httpStatusCode": status,
                          "status": "ERROR", "message": message, **extra})


@csrf_exempt
def data_values(request: HttpRequest, version: str | None = None, suffix: str = "") -> HttpResponse:
    """DHIS2's single-value endpoint (`/api/dataValues`, dhis2-core DataValueController): POST saves (201),
    DELETE deletes (204), GET answers `["value"]`; a refusal is a 409 WebMessage with the reason."""
    if request.method not in ("GET", "HEAD", "POST", "DELETE"):
        return HttpResponseNotAllowed(["GET", "POST", "DELETE"])
    try:
        request.user = authenticate(request, required=request.method in ("POST", "DELETE"))
    except Unauthorized as error:
        return _unauthorized(str(error))
    try:
        item = _one_value_item(request)
    except dhis2.PayloadError as error:
        return _conflict_message(f"{error.message_vi} / {error.message_en}", 400, code=error.code)
    if request.method in ("GET", "HEAD"):
        return _read_one_value(request, item)
    strategy = Strategy.DELETE if item.deleted else Strategy.CREATE_AND_UPDATE
    result = write_values([item], actor=request.user, channel=Channel.DHIS2, strategy=strategy, machine_input=True,
                          ignore_by_strategy=True)
    if result.conflicts:
        first = result.conflicts[0]
        return _conflict_message(f"{first.message_vi} / {first.message_en}", errorCode=dhis2_error_code(first),
                                 govkpiCode=first.code)
    if result.ignored:  # dhis2-core 2.40.9 DataValueController.deleteDataValue: 409 for a value never stored
        return _conflict_message("Không xóa được: chưa có số liệu này / Data value cannot be deleted because it "
                                 "does not exist")
    return HttpResponse(status=204 if request.method == "DELETE" else 201)


def _one_value_combos(item: Item) -> tuple[str, str] | combos.Refusal:
    """The stored codes of the option combos a single value is asked by (`co`, `cp`), as the writer reads them."""
    if item.category_option_combo in combos.DEFAULT_COMBOS and item.attribute_option_combo in combos.DEFAULT_COMBOS:
        return "", ""
    element = DataElement.objects.filter(code=item.data_element).first()
    if element is None:
        return "", ""  # no such element: nothing is found
    catalog = combos.CatalogCombos()
    coc = combos.category_option_combo(catalog, element, item.category_option_combo, deleting=True)
    if isinstance(coc, combos.Refusal):
        return coc
    aoc = combos.attribute_option_combo(catalog, element, item.attribute_option_combo)
    return aoc if isinstance(aoc, combos.Refusal) else (coc, aoc)


def _read_one_value(request: HttpRequest, item: Item) -> HttpResponse:
    try:
        period = parse_period(item.period).id
    except PeriodError as error:
        return _conflict_message(f"{error.message_vi} / {error.message_en}", errorCode="E7611")
    keys = _one_value_combos(item)
    if isinstance(keys, combos.Refusal):
        return _conflict_message(f"{keys.message_vi} / {keys.message_en}", govkpiCode=keys.code)
    found = (DataValue.objects.filter(data_element__code=item.data_element, period=period, unit__code=item.unit,
                                      category_option_combo=keys[0], attribute_option_combo=keys[1])
             .filter(Viewer(request.user).values()).values_list("value", flat=True).first())
    if found is None:  # also what the caller may not see: nothing tells it apart from a value never stored
        return _conflict_message("Không có số liệu này / Data value does not exist")
    response = _json(200, [found])
    response["Cache-Control"] = "no-store"
    return response
