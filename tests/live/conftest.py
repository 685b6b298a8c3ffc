"""The stream's tests run in real transactions (its readers use their own connections), which empty the
database: the few units they need are made here. They run on 2 December 2026, when October's figures are
official and November's still provisional."""

import datetime

import pytest
import time_machine

from govkpi.orgunits.models import OrgUnit, build_path

DAY = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))
UNITS = [("CP", "Chính phủ", "government", None), ("01", "Thành phố Hà Nội", "province", "CP"),
         ("00004", "Phường Ba Đình", "commune", "01"), ("79", "Thành phố Hồ Chí Minh", "province", "CP")]


@pytest.fixture(autouse=True)
def _units(transactional_db):  # noqa: ANN001 - pytest-django's fixture
    made: dict[str, OrgUnit] = {}
    for code, name, kind, parent in UNITS:
        if OrgUnit.objects.filter(code=code).exists():
            made[code] = OrgUnit.objects.get(code=code)
            continue
        above = made.get(parent)
        made[code] = OrgUnit.objects.create(code=code, name=name, short_name=name, kind=kind, legal_type="",
                                            parent=above, level=(above.level + 1) if above else 0,
                                            path=build_path(above.path if above else None, code))
    return made


@pytest.fixture(autouse=True)
def _on_a_fixed_day():
    with time_machine.travel(DAY, tick=True):
        yield
