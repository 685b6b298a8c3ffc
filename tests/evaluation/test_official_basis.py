"""Official figures are made of approved values; provisional ones of every value received. The engine follows
approvals and the clock: a period turning official is judged again on its approved values, and its month is
scored again with units that never reported now counted as missing."""

import datetime

import pytest
import time_machine

from govkpi.accounts.roles import Role
from govkpi.datavalues import approval
from govkpi.evaluation import engine
from govkpi.evaluation.models import Result, Score
from govkpi.indicators.catalog import apply_catalog
from govkpi.orgunits.models import OrgUnit

from .test_engine import write

pytestmark = pytest.mark.django_db
JULY = "202507"
TZ = datetime.timezone(datetime.timedelta(hours=7))
REPORTING = datetime.datetime(2025, 8, 5, 10, tzinfo=TZ)  # July is still being reported (due 15 August)
OFFICIAL = datetime.datetime(2025, 8, 20, 10, tzinfo=TZ)  # July's figures are official


@pytest.fixture
def catalog(small_catalog):
    """The small catalog, loaded while July 2025 is being reported (the clock only moves forward)."""
    for element in small_catalog["data_elements"]:
        element.update(frequency="monthly")
    with time_machine.travel(REPORTING - datetime.timedelta(days=1), tick=True):
        assert apply_catalog(small_catalog).ok
        engine.process_pending()


def national(period=JULY):
    result = Result.objects.filter(indicator__code="DVC_TOANTRINH_TYLE", unit__code="CP", period=period,
                                   valid_to__isnull=True).first()
    return None if result is None else (result.value, result.inputs["_units"])


def decide(make_user, code, *steps, reason="Sai số liệu"):
    unit = OrgUnit.objects.select_related("parent").get(code=code)
    admin, clerk = make_user(Role.SYSTEM_ADMIN, "CP"), make_user(Role.DATA_ENTRY, "CP")
    for step in steps:  # whoever submits may not approve (separation of duties)
        approval.act(step, unit, JULY, clerk if step == "submit" else admin, reason)


def test_a_period_turning_official_counts_only_approved_values(catalog, make_user):
    with time_machine.travel(REPORTING, tick=True):
        write(("DVC_TOANTRINH", "01", 1500), ("DVC_TONG", "01", 2000), ("DVC_TOANTRINH", "79", 2451),
              ("DVC_TONG", "79", 8000))
        decide(make_user, "01", "submit", "approve")  # Hà Nội approved, TP. Hồ Chí Minh not yet
        engine.process_pending()
        assert national() == (pytest.approx(39.51), 2)  # provisional: every value received
    with time_machine.travel(OFFICIAL, tick=True):
        run = engine.process_pending()  # no event: the clock alone
        assert run.changed >= 2 and national() == (75.0, 1)  # official: Hà Nội's approved 1,500 of 2,000
        assert Result.objects.filter(indicator__code="DVC_TOANTRINH_TYLE", unit__code="79", period=JULY,
                                     valid_to__isnull=True).count() == 0
        assert engine.verify() == []
        assert engine.process_pending().changed == 0  # turned once


def test_approving_or_unlocking_an_official_period_adds_or_removes_its_values(catalog, make_user):
    with time_machine.travel(OFFICIAL, tick=True):
        engine.process_pending()
        write(("DVC_TOANTRINH", "01", 1500), ("DVC_TONG", "01", 2000), ("DVC_TOANTRINH", "79", 2451),
              ("DVC_TONG", "79", 8000))  # late reports
        engine.process_pending()
        assert national() is None  # nothing approved: nothing official
        decide(make_user, "79", "submit", "approve")
        engine.process_pending()
        assert national() == (pytest.approx(30.6375), 1)
        decide(make_user, "01", "submit", "approve")
        engine.process_pending()
        assert national() == (pytest.approx(39.51), 2)
        decide(make_user, "79", "unlock")
        engine.process_pending()
        assert national() == (75.0, 1)
        assert engine.verify() == []


def test_a_unit_is_not_counted_missing_before_the_due_date_and_is_after(catalog):
    with time_machine.travel(REPORTING, tick=True):
        write(("DVC_TOANTRINH", "01", 1500), ("DVC_TONG", "01", 2000))
        engine.process_pending()
        silent = Score.objects.filter(unit__code="48", period=JULY, valid_to__isnull=True).first()
        assert silent is None or silent.components["quality"]["expected"] == 0  # not scored as missing yet
        hanoi = Score.objects.get(unit__code="01", period=JULY, valid_to__isnull=True)
        assert hanoi.components["quality"]["du"] == 100
    with time_machine.travel(OFFICIAL, tick=True):
        engine.process_pending()
        silent = Score.objects.get(unit__code="48", period=JULY, valid_to__isnull=True)
        assert (silent.components["quality"]["expected"], silent.components["quality"]["du"]) == (2, 0)
