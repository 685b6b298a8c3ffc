"""A signed-in reader's panels, cached per change in the reader's subtree: rebuilt after a write there (the
reader's own write seen at once, before the engine runs), kept through writes elsewhere, and never served to a
reader of another subtree."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govkpi.evaluation import engine
from govkpi.orgunits.models import OrgUnit
from govkpi.reads import scope
from govkpi.reads.results import unit_results
from govkpi.reads.visibility import Viewer

from ..portal.test_opendata_files import DAY, july_official, write  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
SEP = "202509"
OCTOBER_5 = DAY + datetime.timedelta(days=30)  # July and August official, September being reported


def provisional(viewer: Viewer, code: str) -> list[tuple[str, int] | None]:
    """Per indicator row of the unit's panel: the provisional period and how many units reported it."""
    rows = unit_results(viewer, OrgUnit.objects.get(code=code))["rows"]
    return [(row["provisional"].result.period, row["provisional"].coverage.reporting) if row["provisional"]
            else None for row in rows]


def result_queries(read) -> int:  # noqa: ANN001 - a callable
    with CaptureQueriesContext(connection) as queries:
        read()
    # Rows of results, with their inputs (the fingerprint only probes the results' index for ids and times).
    return sum('"evaluation_result"."inputs"' in q["sql"] for q in queries.captured_queries)


def test_a_readers_panel_is_rebuilt_after_a_write_in_their_subtree_and_shows_it_at_once(july_official,
                                                                                      make_user):
    hanoi_reader = make_user("viewer", "01")
    with time_machine.travel(OCTOBER_5, tick=True):
        write(SEP, ("DVC_TOANTRINH", "01", 1000), ("DVC_TONG", "01", 2000))
        engine.process_pending()
        assert provisional(Viewer(hanoi_reader), "01") == [(SEP, 1)]
        # The next request of the same scope reads the panel from the cache: no result is read.
        assert result_queries(lambda: provisional(Viewer(hanoi_reader), "01")) == 0
        write(SEP, ("DVC_TONG", "00004", 10))  # Ba Đình, a commune of Hà Nội; the engine has not run
        assert provisional(Viewer(hanoi_reader), "01") == [(SEP, 2)]  # the write counted at once


def test_a_readers_panel_is_never_served_to_a_reader_of_another_subtree(july_official, make_user):
    hanoi_reader, saigon_reader = make_user("viewer", "01"), make_user("viewer", "79")
    with time_machine.travel(OCTOBER_5, tick=True):
        write(SEP, ("DVC_TOANTRINH", "01", 1000), ("DVC_TONG", "01", 2000))
        engine.process_pending()
        assert provisional(Viewer(hanoi_reader), "01") == [(SEP, 1)]  # cached for Hà Nội's readers
        # A reader of TP. Hồ Chí Minh asks for Hà Nội's panel next: official figures only, September not shown.
        assert provisional(Viewer(saigon_reader), "01") == [None]
        assert scope.scope_key(Viewer(hanoi_reader)) != scope.scope_key(Viewer(saigon_reader))
        assert provisional(Viewer(), "01") == [None]  # nor to the public


def test_a_write_elsewhere_keeps_a_readers_key_and_a_write_in_their_subtree_moves_it(july_official, make_user):
    hanoi_reader, national_reader = make_user("viewer", "01"), make_user("viewer", "CP")
    with time_machine.travel(OCTOBER_5, tick=True):
        engine.process_pending()
        hanoi, national = scope.latest_change(Viewer(hanoi_reader)), scope.latest_change(Viewer(national_reader))
        write(SEP, ("DVC_TONG", "79", 10))  # TP. Hồ Chí Minh
        assert scope.latest_change(Viewer(hanoi_reader)) == hanoi
        moved = scope.latest_change(Viewer(national_reader))
        assert moved > national  # the whole country's reader hears of every write
        write(SEP, ("DVC_TONG", "00004", 10))  # Ba Đình, in Hà Nội
        assert scope.latest_change(Viewer(hanoi_reader)) > moved
