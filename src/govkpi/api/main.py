"""The JSON API at /api/v1/, with its OpenAPI document at /api/v1/openapi.json."""


from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.parser import Parser

from govkpi.api.accounts import router as memberships_router
from govkpi.api.periods import router as periods_router
from govkpi.api.audit import router as audit_router
from govkpi.api.datavalues import router as datavalues_router
from govkpi.api.evaluation import router as evaluation_router
from govkpi.api.catalog import router as catalog_router
from govkpi.api.orgunits import router as orgunits_router
from govkpi.api.tasks import router as tasks_router
from govkpi.core.strict_json import PayloadError, read_json
from govkpi.web.problems import problem_for_status, render
from govkpi.web.ratelimit import MESSAGE_EN, MESSAGE_VI, api_throttles


class StrictJSON(Parser):
    """Request bodies through the one strict JSON reader (core.strict_json): a repeated key, NUL, a lone
    surrogate, a huge number or deep nesting is a 400 with its reason, not a silent reading or a 500."""

    def parse_body(self, request: HttpRequest) -> dict:
        return read_json(request.body)


api = NinjaAPI(
    title="govkpi API",
    version="1",
    description="Đo lường, theo dõi, đánh giá KPI của bộ, ngành, địa phương. "
    "Measuring and evaluating the KPIs of Viet Nam's ministries, sectors and localities.",
    urls_namespace="api",
    # Per address for anonymous callers, per user (session or token) otherwise; 429 beyond (web.ratelimit).
    throttle=api_throttles(),
    parser=StrictJSON(),
)
api.add_router("/orgunits", orgunits_router, tags=["orgunits"])
api.add_router("/periods", periods_router, tags=["periods"])
api.add_router("/", catalog_router)
api.add_router("/memberships", memberships_router, tags=["accounts"])
api.add_router("/audit", audit_router, tags=["audit"])
api.add_router("/tasks", tasks_router, tags=["tasks"])
api.add_router("/", datavalues_router)
api.add_router("/", evaluation_router)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request,
        {"code": "forbidden", "message": str(exc) or "Không có quyền. / Forbidden."},
        status=403,
    )


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = str(exc) if str(exc) != "Unauthorized" else "Cần đăng nhập hoặc mã truy cập / sign-in or a token needed"
    response = api.create_response(request, {"code": "unauthorized", "message": message}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="govkpi"'
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own 400 "Cannot parse request body", with the strict reader's reason when it was the cause."""
    if isinstance(exc.__cause__, PayloadError):
        cause = exc.__cause__
        return api.create_response(request, {"code": cause.code, "message": cause.message_vi,
                                             "message_en": cause.message_en}, status=400)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    seconds = max(1, int(exc.wait or 1))
    message = MESSAGE_VI.format(seconds=seconds) + " / " + MESSAGE_EN.format(seconds=seconds)
    return api.create_response(request, {"code": "rate_limited", "message": message}, status=429)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # The one problem for a missing thing (web.problems), not ninja's English-only {"detail": "Not Found"}.
    return render(request, problem_for_status(404))
