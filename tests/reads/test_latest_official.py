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
