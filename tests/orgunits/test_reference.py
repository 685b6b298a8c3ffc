"""The reference hierarchy holds Viet Nam's real units, with the counts the law gives."""

import datetime

import pytest

from govkpi.orgunits.models import OrgUnit, Succession

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 1, 15)


def current(**filters):
    return OrgUnit.objects.valid_on(TODAY).filter(**filters)


def test_34_current_provinces_28_provinces_and_6_central_cities():
    assert current(kind="province").count() == 34
    assert current(kind="province", legal_type="province").count() == 28
    assert current(kind="province", legal_type="central_city").count() == 6
    assert set(current(legal_type="central_city").values_list("code", flat=True)) == {
        "01", "31", "46", "48", "79", "92"}


def test_3321_communes_2621_xa_687_phuong_13_dac_khu():
    assert current(kind="commune").count() == 3321
    assert current(legal_type="commune").count() == 2621
    assert current(legal_type="ward").count() == 687
    assert current(legal_type="special_zone").count() == 13


def test_every_commune_sits_under_a_current_province_with_official_five_digit_code():
    bad = current(kind="commune").exclude(parent__kind="province", parent__valid_to__isnull=True)
    assert not bad.exists()
    assert all(len(c) == 5 and c.isdigit() for c in current(kind="commune").values_list("code", flat=True))
    assert OrgUnit.objects.get(code="00004").name == "Phường Ba Đình"


def test_17_current_central_agencies_14_ministries_3_ministry_level():
    assert current(kind="ministry").count() == 17
    assert current(legal_type="ministry").count() == 14
    assert set(current(legal_type="ministry_level_agency").values_list("code", flat=True)) == {
        "NHNN", "TTCP", "VPCP"}


def test_7_dissolved_ministries_end_on_2025_02_28_and_link_to_main_successor_first():
    dissolved = OrgUnit.objects.filter(kind="ministry", valid_to=datetime.date(2025, 2, 28))
    assert dissolved.count() == 7
    for ministry in dissolved:
        links = Succession.objects.filter(predecessor=ministry)
        assert links.filter(is_main=True).count() == 1, ministry.code
        assert all(link.effective == datetime.date(2025, 3, 1) for link in links)
    main = Succession.objects.get(predecessor__code="BTTTT", is_main=True)
    assert main.successor.code == "BKHCN"
    assert set(Succession.objects.filter(predecessor__code="BLDTBXH").values_list("successor__code", flat=True)) \
        == {"BNV", "BGDDT", "BYT"}


def test_dissolved_ministries_existed_before_march_2025_and_not_after():
    before = OrgUnit.objects.valid_on(datetime.date(2025, 2, 28)).filter(kind="ministry")
    after = OrgUnit.objects.valid_on(datetime.date(2025, 3, 1)).filter(kind="ministry")
    assert before.filter(code="BTTTT").exists() and not after.filter(code="BTTTT").exists()
    assert not before.filter(code="BNNMT").exists() and after.filter(code="BNNMT").exists()


def test_63_historical_provinces_each_mapped_to_exactly_one_current_successor():
    old = OrgUnit.objects.filter(kind="province", valid_to=datetime.date(2025, 6, 30))
    assert old.count() == 63
    for province in old:
        links = list(Succession.objects.filter(predecessor=province).select_related("successor"))
        assert len(links) == 1, province.code
        assert links[0].successor.kind == "province" and links[0].successor.valid_to is None
        assert links[0].effective == datetime.date(2025, 7, 1)
    # 23 new provinces were formed by merging 57 old ones; 11 kept their territory.
    merged_into = Succession.objects.filter(predecessor__in=old, kind="merge").values("successor").distinct()
    assert merged_into.count() == 23
    assert Succession.objects.filter(predecessor__in=old, kind="continue").count() == 11
    assert Succession.objects.get(predecessor__name="Tỉnh Hà Giang").successor.name == "Tỉnh Tuyên Quang"


def test_the_structure_on_a_date_before_july_2025_has_63_provinces():
    assert OrgUnit.objects.valid_on(datetime.date(2025, 6, 30)).filter(kind="province").count() == 63
    assert OrgUnit.objects.valid_on(datetime.date(2025, 7, 1)).filter(kind="province").count() == 34


def test_path_gives_a_subtree_in_one_query(django_assert_num_queries):
    hanoi = OrgUnit.objects.get(code="01")
    with django_assert_num_queries(1):
        codes = list(OrgUnit.objects.subtree(hanoi).values_list("code", flat=True))
    assert len(codes) == 1 + OrgUnit.objects.filter(parent=hanoi).count() == 127
    assert hanoi.path == "/CP/01/"
    assert OrgUnit.objects.get(code="00004").ancestor_codes() == ["CP", "01"]
