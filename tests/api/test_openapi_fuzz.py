"""schemathesis over /api/v1/openapi.json, in process (WSGI), anonymous: no operation answers 5xx, and every
answer matches the schema it declares. Bounded and deterministic: a fixed number of cases per operation,
derandomised, so the suite stays within minutes on two cores."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

pytestmark = pytest.mark.django_db

CASES_PER_OPERATION = 15

# Loaded when the module is collected (the document needs no database); the calls run inside each test's
# transaction, in this thread.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _room_to_ask(settings):  # noqa: ANN001 - pytest-django's settings
    """The run asks more than an anonymous caller may per minute: the limiter is not what is tested here."""
    for name in dir(settings):
        if name.endswith("_RATE_ANONYMOUS") or name in {"PORTAL_RATE", "STREAM_RATE"}:
            setattr(settings, name, "100000/m")


@pytest.fixture(autouse=True)
def _one_connection():
    """The calls go through Django's WSGI handler, whose request signals close the database connection: inside
    the test's transaction (PostgreSQL) that ends in "Cannot open a new connection in an atomic block". Django's
    own test client lets the connection be in the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=CASES_PER_OPERATION, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_5xx_or_outside_its_schema(case):
    if case.path == "/api/v1/tasks/{code}" and str((case.path_parameters or {}).get("code")) == "figures":
        # OpenAPI 3.0 "Path Templating Matching": a concrete path is matched before a templated one, so
        # /api/v1/tasks/figures is the figures operation (FiguresOut), not a task named "figures".
        return
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
