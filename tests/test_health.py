"""GET /api/v1/health: only ok/degraded/down for anyone, the details for a system administrator or a monitor's
token; the engine's lag and last failure; 503 when the database does not answer."""

import datetime

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import create_token
from govkpi.evaluation import status
from govkpi.evaluation.engine import ENGINE
from govkpi.evaluation.models import Cursor
from govkpi.events.models import ChangeEvent

pytestmark = pytest.mark.django_db


def health(**headers):
    return Client(raise_request_exception=False).get("/api/v1/health", **headers)


@pytest.fixture
def admin_headers(make_user):
    _token, text = create_token(make_user(Role.SYSTEM_ADMIN, "CP"))
    return {"HTTP_AUTHORIZATION": f"Bearer {text}"}


def test_anyone_sees_the_status_and_nothing_else(make_user):
    response = health()
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    _token, viewer = create_token(make_user(Role.VIEWER, "01"))
    assert health(HTTP_AUTHORIZATION=f"Bearer {viewer}").json() == {"status": "ok"}
    assert health(HTTP_X_HEALTH_TOKEN="guess").json() == {"status": "ok"}  # no token configured: none accepted


def test_a_system_administrator_or_the_monitor_token_sees_the_details(admin_headers, settings):
    details = health(**admin_headers).json()
    assert details["status"] == "ok" and details["database"]["up"] is True
    assert {"outbox_head", "cursor", "lag_events", "oldest_unapplied_seconds", "loops"} <= set(details["engine"])
    assert details["replica"] == {"configured": False}
    settings.HEALTH_TOKEN = "monitor-secret-" + "x" * 20
    assert "engine" in health(HTTP_X_HEALTH_TOKEN=settings.HEALTH_TOKEN).json()
    assert health(HTTP_X_HEALTH_TOKEN="monitor-secret-wrong").json() == {"status": "ok"}


def test_events_waiting_longer_than_the_limit_make_it_degraded(admin_headers, settings):
    settings.HEALTH_MAX_LAG = 300
    Cursor.objects.update_or_create(name=ENGINE, defaults={"last_event_id": 0})
    now = timezone.now()
    ChangeEvent.objects.create(at=now - datetime.timedelta(seconds=400), kind="datavalues")
    ChangeEvent.objects.create(at=now, kind="datavalues")
    details = health(**admin_headers).json()
    assert details["status"] == "degraded" and details["engine"]["lag_events"] >= 2
    assert details["engine"]["oldest_unapplied_seconds"] >= 400
    assert any(p.startswith("engine_lag") for p in details["problems"])
    assert health().json() == {"status": "degraded"}


def test_a_failing_engine_shows_its_last_error_until_it_recovers(admin_headers):
    status.record_failure("results", OSError(28, "No space left on device"), failures=3)
    try:
        details = health(**admin_headers).json()
        loop = details["engine"]["loops"]["results"]
        assert details["status"] == "degraded" and loop["failing"] and loop["failures"] == 3
        assert "No space left on device" in loop["last_error"] and loop["last_error_at"]
    finally:
        status.record_recovery("results")
    recovered = health(**admin_headers).json()
    assert recovered["status"] == "ok" and recovered["engine"]["loops"]["results"]["recovered_at"]


def test_a_database_that_does_not_answer_is_a_503_down():
    def refuse(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        raise OperationalError("connection to server was lost")

    with connection.execute_wrapper(refuse):
        response = health()
    assert response.status_code == 503 and response.json() == {"status": "down"}
