"""Finding a unit by name as people write it (issue: foundation, name resolution)."""

import datetime
import unicodedata

import pytest

from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.resolve import Outcome, resolve_unit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("written", [
    "TP. Hồ Chí Minh", "Thành phố Hồ Chí Minh", "Hồ Chí Minh", "TP.HCM", "tp hồ chí minh", "Ho Chi Minh",
])
def test_ho_chi_minh_city_however_written(written):
    result = resolve_unit(written)
    assert result.outcome is Outcome.FOUND, result.message_en
    assert result.unit.code == "79"
    assert result.matched is None


def test_nfd_ha_noi_resolves_to_ha_noi():
    result = resolve_unit(unicodedata.normalize("NFD", "Hà Nội"))
    assert result.found and result.unit.code == "01"


def test_old_tone_placement_resolves():
    assert resolve_unit("Tỉnh Thanh Hoá").unit.code == "38"
    assert resolve_unit("Khánh Hoà").unit.code == "56"


def test_dissolved_province_resolves_to_its_successor_with_a_notice():
    result = resolve_unit("Tỉnh Hà Giang")
    assert result.found
    assert result.unit.code == "08" and result.unit.name == "Tỉnh Tuyên Quang"
    assert result.matched.code == "P63-02"
    assert "Tuyên Quang" in result.message_vi and "Hà Giang" in result.message_vi
    assert "successor" in result.message_en


def test_dissolved_province_on_a_date_before_the_merger_is_itself():
    result = resolve_unit("Tỉnh Hà Giang", on=datetime.date(2025, 5, 1))
    assert result.unit.code == "P63-02" and result.matched is None


def test_dissolved_ministry_abbreviation_resolves_to_main_successor():
    result = resolve_unit("Bộ TT&TT")
    assert result.unit.code == "BKHCN" and result.matched.code == "BTTTT"
    assert resolve_unit("Bộ Thông tin truyền thông").unit.code == "BKHCN"


def test_ministry_by_name_and_by_code():
    assert resolve_unit("Bộ Công an").unit.code == "BCA"
    assert resolve_unit("BCA").unit.code == "BCA"
    assert resolve_unit("bộ khoa học và công nghệ").unit.code == "BKHCN"


def test_commune_name_in_several_provinces_is_refused_with_candidates():
    result = resolve_unit("Xã Tân Thành")
    assert result.outcome is Outcome.AMBIGUOUS
    assert len(result.candidates) >= 2
    assert len({c.parent_id for c in result.candidates}) == len(result.candidates)
    assert all(c.name == "Xã Tân Thành" for c in result.candidates)
    assert "Tân Thành" in result.message_vi and "matches" in result.message_en


def test_parent_narrows_an_ambiguous_commune_to_one():
    candidates = resolve_unit("Xã Tân Thành").candidates
    province = candidates[0].parent
    result = resolve_unit("Tân Thành", parent=province)
    assert result.found and result.unit.pk == candidates[0].pk


def test_commune_in_its_province_by_short_name():
    hanoi = OrgUnit.objects.get(code="01")
    assert resolve_unit("Ba Đình", parent=hanoi).unit.code == "00004"
    assert resolve_unit("Phường Ba Đình").unit.code == "00004"


def test_written_prefix_picks_the_legal_type():
    # "Phường X" and "Xã X" in one province are different units; the prefix as written decides.
    found = resolve_unit("Phường Ngọc Hà")
    assert found.unit.code == "00008" and found.unit.legal_type == "ward"


def test_province_wins_over_a_ward_of_the_same_short_name_without_kind():
    result = resolve_unit("Lào Cai")
    assert result.unit.kind == "province"
    ward = resolve_unit("Lào Cai", kind="commune")
    assert ward.found and ward.unit.kind == "commune" and ward.unit.parent.code == result.unit.code


def test_unknown_name_is_not_found_with_a_bilingual_message():
    result = resolve_unit("Tỉnh Không Có Thật")
    assert result.outcome is Outcome.NOT_FOUND
    assert result.unit is None
    assert "Không tìm thấy" in result.message_vi and "No unit" in result.message_en


def test_kind_filter_excludes_other_tiers():
    assert resolve_unit("Hà Nội", kind="commune").outcome is Outcome.NOT_FOUND


def test_a_written_prefix_implies_the_tier():
    from govkpi.orgunits.resolve import implied_kind

    # Hà Tây (a province until 2008) is not in the data; the commune Xã Hà Tây must not answer for it.
    assert resolve_unit("Tỉnh Hà Tây", on=datetime.date(2025, 8, 1)).outcome.value == "unit_not_found"
    assert resolve_unit("Xã Hà Tây", on=datetime.date(2025, 8, 1)).unit.kind == "commune"
    assert (implied_kind("TP. Hà Nội"), implied_kind("Phường Ba Đình"), implied_kind("Bộ Công an")) == (
        "province", "commune", None)
