"""The JSON API at /api/v1/, with its OpenAPI document at /api/v1/openapi.json."""


from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, Throttled

from govkpi.api.accounts import router as memberships_router
from govkpi.api.periods import router as periods_router
from govkpi.api.audit import router as audit_router
from govkpi.api.datavalues import router as datavalues_router
from govkpi.api.evaluation import router as evaluation_router
from govkpi.api.catalog import router as catalog_router
from govkpi.api.orgunits import router as orgunits_router
from govkpi.api.tasks import router as tasks_router
from govkpi.web.ratelimit import MESSAGE_EN, MESSAGE_VI, api_throttles

api = NinjaAPI(
    title="govkpi API",
    version="1",
    description="Đo lường, theo dõi, đánh giá KPI của bộ, ngành, địa phương. "
    "Measuring and evaluating the KPIs of Viet Nam's ministries, sectors and localities.",
    urls_namespace="api",
    # Per address for anonymous callers, per user (session or token) otherwise; 429 beyond (web.ratelimit).
    throttle=api_throttles(),
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


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    seconds = max(1, int(exc.wait or 1))
    message = MESSAGE_VI.format(seconds=seconds) + " / " + MESSAGE_EN.format(seconds=seconds)
    return api.create_response(request, {"code": "rate_limited", "message": message}, status=429)
