"""GET /api/v1/health: `{"status": "ok" | "degraded" | "down"}` for anyone, 503 when the database does not
answer; the details (govkpi.health) for a signed-in system administrator, an API token of one, or a monitor
sending `X-Health-Token: GOVKPI_HEALTH_TOKEN`.

A plain view, not a ninja route: it must answer when the database does not, and ninja's authentication and
throttling would ask the database (tokens, sessions) first. The rate limit of pages still applies."""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from govkpi import health
from govkpi.accounts.models import Membership
from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import active_token


@require_safe
def health_view(request: HttpRequest) -> HttpResponse:
    report = health.check()
    body: dict[str, Any] = {"status": report.status}
    if _may_see_details(request):
        body.update(report.details)
    response = HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8",
                            status=503 if report.status == health.DOWN else 200)
    response["Cache-Control"] = "no-store"
    return response


def _may_see_details(request: HttpRequest) -> bool:
    presented = request.headers.get("X-Health-Token", "")
    if settings.HEALTH_TOKEN and presented:
        return hmac.compare_digest(presented.encode(), settings.HEALTH_TOKEN.encode())
    try:
        user = request.user
        bearer = request.headers.get("Authorization", "")
        if bearer.startswith("Bearer "):
            token = active_token(bearer.removeprefix("Bearer ").strip())
            user = token.user if token is not None else None
        return user is not None and user.is_authenticated and (
            user.is_superuser or Membership.objects.filter(user=user, role=Role.SYSTEM_ADMIN).exists())
    except DatabaseError:
        return False  # a database that does not answer cannot say who is asking: the public answer
