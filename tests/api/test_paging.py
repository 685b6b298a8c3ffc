"""Every API list pages one way: limit (default 100, at most 1,000) and offset, with the total and the next page's
link; lists of results and scores come newest months first."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from govkpi.api.main import api
from govkpi.api.paging import DEFAULT_LIMIT, MAX_LIMIT
from govkpi.evaluation.models import Score
from govkpi.evaluation.scores import ensure_methodology
from govkpi.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db
MONTHS = ["202501", "202502", "202503"]
# Lists that do not grow with history, left whole on purpose: the periods of a range (at most 1,000, computed)
# and a unit's completeness (the unit, or the units directly below it).
UNPAGED = {"/api/v1/periods", "/api/v1/completeness"}


@pytest.fixture
def scores_of_three_months(db):
    """Every current province scored in three months, ranked by code (a real score row per unit and month)."""
    methodology = ensure_methodology()
    provinces = list(OrgUnit.objects.filter(kind="province").current().order_by("code"))
    now = timezone.now()
    Score.objects.bulk_create(
        Score(methodology=methodology, unit=unit, period=month, group="provinces", value=100.0 - rank, rank=rank,
              group_size=len(provinces), valid_from=now)
        for month in MONTHS for rank, unit in enumerate(provinces, start=1))
    return provinces


def test_scores_come_newest_month_first_one_page_at_a_time(client, make_user, scores_of_three_months):
    client.force_login(make_user("viewer", "CP"))  # a national reader sees every month, official or not
    provinces = scores_of_three_months
    first = client.get("/api/v1/scores").json()
    assert first["count"] == 3 * len(provinces) == 102
    assert len(first["items"]) == DEFAULT_LIMIT
    assert [s["period"] for s in first["items"][:len(provinces)]] == ["202503"] * len(provinces)
    assert [s["rank"] for s in first["items"][:3]] == [1, 2, 3]  # as ranked within the month
    assert first["items"][0]["unit"] == provinces[0].code
    assert first["next"].endswith("/api/v1/scores?offset=100")
    last = client.get(first["next"]).json()
    assert [(s["period"], s["rank"]) for s in last["items"]] == [("202501", 33), ("202501", 34)]
    assert last["next"] is None and last["count"] == 102


def test_filters_stay_in_the_next_link(client, make_user, scores_of_three_months):
    client.force_login(make_user("viewer", "CP"))
    page = client.get("/api/v1/scores", {"period": "202501,202502", "limit": 30, "offset": 30}).json()
    assert page["count"] == 68 and {s["period"] for s in page["items"]} == {"202502", "202501"}
    assert "period=202501%2C202502" in page["next"] and "limit=30" in page["next"] and "offset=60" in page["next"]


def test_a_limit_above_the_maximum_gives_a_full_page_not_an_error(client):
    body = client.get("/api/v1/orgunits", {"current": "false", "limit": 5000}).json()
    assert body["count"] > MAX_LIMIT and len(body["items"]) == MAX_LIMIT
    assert "offset=1000" in body["next"]
    assert client.get("/api/v1/orgunits", {"limit": 0}).status_code == 422


def test_tasks_page_the_same_way(client):
    body = client.get("/api/v1/tasks", {"limit": 1}).json()
    assert set(body) == {"count", "next", "items"} and len(body["items"]) == min(1, body["count"])


def test_no_list_in_the_api_answers_unpaged():
    """The OpenAPI document is the API's own account of itself: no GET answers a bare array, except the two
    bounded lists named above."""
    document = api.get_openapi_schema()
    bare, paged = [], set()
    for path, operations in document["paths"].items():
        responses = operations.get("get", {}).get("responses", {})
        answer = responses.get(200) or responses.get("200") or {}
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        if schema.get("type") == "array" and path not in UNPAGED:
            bare.append(path)
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name.startswith("Paged"):
                paged.add(path)
                assert set(document["components"]["schemas"][name]["properties"]) == {"count", "next", "items"}
    assert bare == []
    assert {"/api/v1/scores", "/api/v1/results", "/api/v1/quality", "/api/v1/approvals", "/api/v1/tasks",
            "/api/v1/orgunits"} <= paged


def test_the_publics_total_is_kept_until_what_is_published_changes(client, scores_of_three_months):
    provinces = scores_of_three_months
    with time_machine.travel(datetime.datetime(2025, 9, 5, 10, tzinfo=datetime.timezone.utc), tick=True):
        assert client.get("/api/v1/scores").json()["count"] == 102  # three official months, for anyone
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/scores", {"offset": 100}).json()["count"] == 102
        assert not [q for q in queries.captured_queries if "COUNT" in q["sql"] and "evaluation_score" in q["sql"]]
        Score.objects.bulk_create(
            Score(methodology=ensure_methodology(), unit=unit, period="202504", group="provinces", rank=rank,
                  group_size=len(provinces), valid_from=timezone.now())
            for rank, unit in enumerate(provinces, start=1))
        body = client.get("/api/v1/scores").json()
        assert body["count"] == 136 and body["items"][0]["period"] == "202504"
