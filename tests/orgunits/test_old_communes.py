"""The 10,035 communes before 2025-07-01: under their old provinces, found by their official codes on a date.

Their official 5-digit codes (GSO) are dated codes valid until 2025-06-30, as the 63 old provinces' are
(tests/orgunits/test_official_codes.py): 3,316 of them were taken by the new communes on 2025-07-01.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govkpi.orgunits.models import OrgUnit, Succession, UnitCode
from govkpi.orgunits.reference import historical_communes, reference_hierarchy
from govkpi.orgunits.resolve import resolve_unit, units_by_code
from govkpi.orgunits.sync import sync_reference_hierarchy

pytestmark = pytest.mark.django_db
LAST_OLD_DAY = datetime.date(2025, 6, 30)
BEFORE = datetime.date(2025, 5, 31)
AFTER = datetime.date(2025, 8, 1)


def old_communes():
    return OrgUnit.objects.filter(kind="commune", valid_to=LAST_OLD_DAY)


def test_10035_old_communes_7695_xa_1724_phuong_616_thi_tran():
    # The legacy table has 10,040 rows: five are island districts without communes (no ward code), left out.
    assert old_communes().count() == 10035
    assert old_communes().filter(legal_type="commune").count() == 7695
    assert old_communes().filter(legal_type="ward").count() == 1724
    assert old_communes().filter(legal_type="township").count() == 616
    assert not old_communes().exclude(valid_from=None).exists()


def test_none_is_in_force_from_2025_07_01_and_the_current_communes_stay_3321():
    assert old_communes().filter(pk__in=OrgUnit.objects.valid_on(datetime.date(2025, 7, 1))).count() == 0
    assert OrgUnit.objects.valid_on(datetime.date(2025, 7, 1)).filter(kind="commune").count() == 3321
    assert OrgUnit.objects.current().filter(kind="commune").count() == 3321
    assert OrgUnit.objects.valid_on(LAST_OLD_DAY).filter(kind="commune").count() == 10035


def test_each_sits_under_an_old_province_with_code_x63_and_its_official_code_until_2025_06_30():
    assert not old_communes().exclude(parent__kind="province", parent__valid_to=LAST_OLD_DAY).exists()
    phuc_xa = OrgUnit.objects.select_related("parent").get(code="X63-00001")
    assert (phuc_xa.name, phuc_xa.short_name, phuc_xa.legal_type) == ("Phường Phúc Xá", "Phúc Xá", "ward")
    assert (phuc_xa.parent.code, phuc_xa.level, phuc_xa.path) == ("P63-01", 2, "/CP/P63-01/X63-00001/")
    assert [(c.code, c.scheme, c.valid_from, c.valid_to) for c in phuc_xa.codes.all()] == [
        ("00001", "gso", None, LAST_OLD_DAY)]
    assert UnitCode.objects.filter(unit__in=old_communes()).count() == 10035
    assert OrgUnit.objects.filter(parent__code="P63-01").count() == 526  # Hà Nội's wards, communes, townships


def test_an_official_code_names_the_old_commune_before_and_the_new_one_after():
    assert units_by_code(["00001"], on=BEFORE)["00001"].code == "X63-00001"
    assert units_by_code(["00001"], on=LAST_OLD_DAY)["00001"].parent.code == "P63-01"
    assert "00001" not in units_by_code(["00001"], on=AFTER)  # no new commune took 00001
    # 00004 was Phường Trúc Bạch (Quận Ba Đình) until 2025-06-30, and is the new Phường Ba Đình since.
    before, after = units_by_code(["00004"], on=BEFORE)["00004"], units_by_code(["00004"], on=AFTER)["00004"]
    assert (before.code, before.name, after.code, after.name) == (
        "X63-00004", "Phường Trúc Bạch", "00004", "Phường Ba Đình")
    assert units_by_code(["X63-00004"], on=AFTER)["X63-00004"] == before  # a govkpi code names it on any date


def test_each_old_commune_has_one_main_successor_among_the_new_communes():
    links = Succession.objects.filter(predecessor__in=old_communes())
    assert links.filter(is_main=True).count() == 10035
    assert not links.exclude(successor__kind="commune", successor__valid_from=datetime.date(2025, 7, 1)).exists()
    assert {link.effective for link in links} == {datetime.date(2025, 7, 1)}
    # converter_2025.json: Phúc Xá went whole into Phường Hồng Hà with Phúc Tân and Chương Dương (Hoàn Kiếm).
    phuc_xa = Succession.objects.get(predecessor__code="X63-00001")
    assert (phuc_xa.successor.code, phuc_xa.successor.name, phuc_xa.kind) == ("00097", "Phường Hồng Hà", "merge")
    # Old Phường Ngọc Hà (00016) was divided: mostly into the new Ba Đình (the default part), partly Ngọc Hà.
    ngoc_ha = {(s.successor.code, s.kind, s.is_main) for s in Succession.objects.filter(predecessor__code="X63-00016")}
    assert ngoc_ha == {("00004", "split", True), ("00008", "split", False)}
    assert links.filter(kind="continue").count() == 132  # the new commune is the old one, territory unchanged


def test_an_old_name_resolves_to_the_old_commune_then_to_its_main_successor():
    then = resolve_unit("Phường Phúc Xá", on=BEFORE)
    assert then.found and then.unit.code == "X63-00001" and then.matched is None
    now = resolve_unit("Phường Phúc Xá", on=AFTER)
    assert now.found and now.unit.code == "00097" and now.matched.code == "X63-00001"
    assert resolve_unit("Phường Ngọc Hà", on=AFTER).unit.code == "00008"  # the commune in force wins


def test_the_reference_records_match_what_is_stored():
    units, links = historical_communes()
    assert len(units) == 10035 and len({u.code for u in units}) == 10035
    assert all(u.code == "X63-" + u.code[4:] and len(u.code[4:]) == 5 and u.code[4:].isdigit() for u in units)
    assert len(links) == Succession.objects.filter(predecessor__in=old_communes()).count()


def test_a_second_sync_writes_nothing():
    with CaptureQueriesContext(connection) as queries:
        report = sync_reference_hierarchy(reference_hierarchy())
    assert not report.changed and report.unchanged == OrgUnit.objects.count()
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert len(queries) < 20  # bulk: a handful of reads, never one per unit
