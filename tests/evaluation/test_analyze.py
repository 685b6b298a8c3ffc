"""`govkpi recompute` refreshes PostgreSQL's statistics of the tables it filled, so the reads after it are
planned for the rows that are there (not for a table the planner still believes empty)."""

import pytest
from django.db import connection

from govkpi.evaluation.models import Result

from .test_engine import write

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="ANALYZE is PostgreSQL's")]


def planner_rows(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def test_recompute_analyzes_what_it_wrote(catalog):
    from govkpi.cli import main

    write(("DVC_TOANTRINH", "01", 1500), ("DVC_TONG", "01", 2000), ("DVC_TOANTRINH", "79", 2451),
          ("DVC_TONG", "79", 8000))
    assert main(["recompute"]) == 0
    stored = Result.objects.count()
    assert stored > 0
    # ANALYZE counts the rows this very transaction wrote (the test's): the planner now knows them.
    assert planner_rows(Result._meta.db_table) == stored
