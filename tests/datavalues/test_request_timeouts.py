"""On PostgreSQL a web request waits GOVKPI_LOCK_TIMEOUT_MS at most for a lock another transaction holds (a
long import), then is answered a retryable 503; its connection goes back without the request's timeouts."""

import time

import psycopg
import pytest
from django.db import connection
from django.test import Client

from govkpi.accounts.tokens import create_token
from govkpi.datavalues.models import DataValue

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_connection():
    """A second, real connection to the test database, as a long import would hold one."""
    if connection.vendor != "postgresql":
        pytest.skip("lock_timeout and statement_timeout are PostgreSQL's")
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("pool", None)
    held = psycopg.connect(**params)
    held.execute("SET lock_timeout = '5s'")  # never hang the test if the test's own transaction holds a lock
    yield held
    held.rollback()
    held.close()


def _setting(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def test_a_write_behind_a_long_import_s_lock_answers_a_retryable_503_within_the_lock_timeout(
        other_connection, elements, month, make_user, settings):
    settings.LOCK_TIMEOUT_MS = 300
    _token, text = create_token(make_user("data_entry", "01"))
    other_connection.execute(f"LOCK TABLE {DataValue._meta.db_table} IN ACCESS EXCLUSIVE MODE")
    started = time.monotonic()
    response = Client(raise_request_exception=False).post(
        "/api/v1/datavalues", {"values": [{"data_element": "DVC_TONG", "unit": "01", "period": month, "value": 7}]},
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {text}")
    waited = time.monotonic() - started
    assert response.status_code == 503, response.content
    assert response.json()["retryable"] is True and int(response["Retry-After"]) > 0
    assert waited < 3, f"waited {waited:.1f} s"  # the lock timeout, not the import's length
    assert _setting("lock_timeout") == "0" and _setting("statement_timeout") == "0"  # reset after the request


def test_a_request_runs_with_the_timeouts_and_other_code_without(elements, settings):
    if connection.vendor != "postgresql":
        pytest.skip("lock_timeout and statement_timeout are PostgreSQL's")
    settings.ROOT_URLCONF = "tests.datavalues.timeout_urls"
    settings.LOCK_TIMEOUT_MS, settings.STATEMENT_TIMEOUT_MS = 1234, 5678
    seen = Client().get("/settings").json()
    assert seen == {"lock_timeout": "1234ms", "statement_timeout": "5678ms"}
    assert _setting("lock_timeout") == "0"  # the engine, commands and jobs: PostgreSQL's defaults
