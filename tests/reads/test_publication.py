"""The public's panels are worked out once per published change: a thousand visitors do not each run the
dashboard's queries, a write in a month still being reported does not throw the work away, and an approval in
an official month shows at once. A reader of units is never served that copy."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govkpi.evaluation import engine
from govkpi.reads import publication
from govkpi.reads.official import Calendar

from ..portal.test_opendata_files import AUG, DAY, JUL, july_official, write  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def page(client, path: str = "/") -> tuple[str, list[str]]:
    """A page without its CSRF token (one per visitor) and latest event id, and the queries it ran."""
    with CaptureQueriesContext(connection) as queries:
        html = client.get(path).content.decode()
    html = re.sub(r'(name="csrf-token" content|name="csrfmiddlewaretoken" value)="[^"]*"', "", html)
    html = re.sub(r'event-id="\d+"', "", html)  # where the live script resumes: every event moves it
    return html, [q["sql"] for q in queries.captured_queries]


def figure_queries(queries: list[str]) -> list[str]:
    """Queries reading results or scores other than the fingerprint's probes."""
    return [q for q in queries if ("evaluation_result" in q or "evaluation_score" in q) and "RECURSIVE" not in q]


def headline(client) -> str:
    return page(client, "/panels/headline/")[0]


def test_the_public_dashboard_is_worked_out_once_per_published_change(july_official, client):
    approve = july_official
    with time_machine.travel(DAY, tick=True):
        first, cold = page(client)
        again, warm = page(client)
        assert again == first and len(figure_queries(cold)) >= 5
        assert figure_queries(warm) == [] and len(warm) < len(cold) / 2, (warm, cold)
        official = headline(client)
        assert "75,00%" in official  # July, official: Hà Nội's approved values alone
        write(AUG, ("DVC_TOANTRINH", "01", 1900), ("DVC_TONG", "01", 2000))
        engine.process_pending()
        _page, queries = page(client)
        assert figure_queries(queries) == [] and headline(client) == official  # August is provisional
        approve(JUL, "79")
        engine.process_pending()
        _page, queries = page(client)
        assert figure_queries(queries) != []
        assert "45,00%" in headline(client) and "75,00%" not in headline(client)  # (1500 + 3000) / 10000


def test_the_fingerprint_follows_what_is_published_only(july_official):
    approve = july_official
    with time_machine.travel(DAY, tick=True):
        before = publication.fingerprint(Calendar())
        write(AUG, ("DVC_TOANTRINH", "01", 1900), ("DVC_TONG", "01", 2000))
        engine.process_pending()
        assert publication.fingerprint(Calendar()) == before
        approve(JUL, "79")
        engine.process_pending()
        assert publication.fingerprint(Calendar()) != before


def test_a_reader_sees_each_provisional_write_at_once(july_official, client, make_user):
    client.force_login(make_user("viewer", "CP"))
    with time_machine.travel(DAY, tick=True):
        write(AUG, ("DVC_TOANTRINH", "01", 1900), ("DVC_TONG", "01", 2000))
        engine.process_pending()
        assert "95,00%" in headline(client)
        write(AUG, ("DVC_TOANTRINH", "01", 1800))
        engine.process_pending()
        html = headline(client)
        assert "90,00%" in html and "95,00%" not in html
