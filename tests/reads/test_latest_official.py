"""A unit's latest official period per indicator, read with one indexed query whatever the history: the
newest official month, never an older one, and never a provisional one for the public."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser

from govkpi.evaluation import engine
from govkpi.orgunits.models import OrgUnit
from govkpi.reads.results import unit_results
from govkpi.reads.visibility import Viewer

from ..portal.test_opendata_files import AUG, DAY, july_official, write  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
SEP = "202509"
OCTOBER_5 = DAY + datetime.timedelta(days=30)  # July and August official, September being reported


def periods(viewer: Viewer, code: str) -> list[tuple[str, str | None, str | None]]:
    rows = unit_results(viewer, OrgUnit.objects.get(code=code))["rows"]
    return [(row["indicator"].code, row["result"].period if row["result"] else None,
             row["provisional"].result.period if row["provisional"] else None) for row in rows]


def test_the_newest_official_month_of_each_indicator(july_official, make_user):
    approve = july_official
    with time_machine.travel(DAY, tick=True):
        write(AUG, ("DVC_TOANTRINH", "01", 1900), ("DVC_TONG", "01", 2000))
        approve(AUG, "01")
        engine.process_pending()
    with time_machine.travel(OCTOBER_5, tick=True):
        write(SEP, ("DVC_TOANTRINH", "01", 1000), ("DVC_TONG", "01", 2000))
        engine.process_pending()
        assert periods(Viewer(AnonymousUser()), "01") == [("DVC_TOANTRINH_TYLE", AUG, None)]
        reader = Viewer(make_user("viewer", "01"))
        assert periods(reader, "01") == [("DVC_TOANTRINH_TYLE", AUG, SEP)]  # September beside, provisional


def test_a_provisional_figure_says_how_many_units_reported_of_those_expected(july_official, make_user):
    with time_machine.travel(OCTOBER_5, tick=True):
        write(SEP, ("DVC_TOANTRINH", "01", 1000), ("DVC_TONG", "01", 2000), ("DVC_TONG", "00004", 10),
              ("DVC_TOANTRINH", "79", 10))
        engine.process_pending()
        hanoi = OrgUnit.objects.get(code="01")
        expected = (OrgUnit.objects.valid_on(datetime.date(2025, 9, 30))
                    .filter(path__startswith=hanoi.path, kind__in=["province", "commune"]).count())
        rows = unit_results(Viewer(make_user("viewer", "CP")), hanoi)["rows"]
        coverage = rows[0]["provisional"].coverage
        # Hà Nội and its commune Ba Đình (00004) reported; TP. Hồ Chí Minh is not in Hà Nội's subtree.
        assert (coverage.reporting, coverage.expected, coverage.due) == (2, expected, datetime.date(2025, 10, 15))
        assert expected == 1 + 126
