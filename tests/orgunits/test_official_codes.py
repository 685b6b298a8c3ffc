"""The 63 old provinces' official statistics-office codes, and codes read as of a date.

The expected codes below are typed from the General Statistics Office's list of administrative units
(Danh mục đơn vị hành chính Việt Nam, Quyết định 124/2004/QĐ-TTg and its updates, danhmuchanhchinh.gso.gov.vn),
not read from the vietnamadminunits package that sync.py loads them from.
"""

import dataclasses
import datetime

import pytest

from govkpi.orgunits.models import OrgUnit, UnitCode
from govkpi.orgunits.reference import (
    ReferenceHierarchy,
    UnitCodeRecord,
    abbreviations,
    central_agencies,
    historical_province_codes,
    historical_provinces,
)
from govkpi.orgunits.resolve import units_by_code
from govkpi.orgunits.sync import sync_reference_hierarchy

pytestmark = pytest.mark.django_db

BEFORE = datetime.date(2025, 5, 31)
LAST_OLD_DAY = datetime.date(2025, 6, 30)
FIRST_NEW_DAY = datetime.date(2025, 7, 1)
AFTER = datetime.date(2025, 9, 30)

# GSO code → the province's short name on 2025-06-30 (Thừa Thiên Huế became Thành phố Huế on 2025-01-01, code 46 kept).
GSO_PROVINCES = {
    "01": "Hà Nội", "02": "Hà Giang", "04": "Cao Bằng", "06": "Bắc Kạn", "08": "Tuyên Quang", "10": "Lào Cai",
    "11": "Điện Biên", "12": "Lai Châu", "14": "Sơn La", "15": "Yên Bái", "17": "Hòa Bình", "19": "Thái Nguyên",
    "20": "Lạng Sơn", "22": "Quảng Ninh", "24": "Bắc Giang", "25": "Phú Thọ", "26": "Vĩnh Phúc", "27": "Bắc Ninh",
    "30": "Hải Dương", "31": "Hải Phòng", "33": "Hưng Yên", "34": "Thái Bình", "35": "Hà Nam", "36": "Nam Định",
    "37": "Ninh Bình", "38": "Thanh Hóa", "40": "Nghệ An", "42": "Hà Tĩnh", "44": "Quảng Bình", "45": "Quảng Trị",
    "46": "Huế", "48": "Đà Nẵng", "49": "Quảng Nam", "51": "Quảng Ngãi", "52": "Bình Định", "54": "Phú Yên",
    "56": "Khánh Hòa", "58": "Ninh Thuận", "60": "Bình Thuận", "62": "Kon Tum", "64": "Gia Lai", "66": "Đắk Lắk",
    "67": "Đắk Nông", "68": "Lâm Đồng", "70": "Bình Phước", "72": "Tây Ninh", "74": "Bình Dương", "75": "Đồng Nai",
    "77": "Bà Rịa - Vũng Tàu", "79": "Hồ Chí Minh", "80": "Long An", "82": "Tiền Giang", "83": "Bến Tre",
    "84": "Trà Vinh", "86": "Vĩnh Long", "87": "Đồng Tháp", "89": "An Giang", "91": "Kiên Giang", "92": "Cần Thơ",
    "93": "Hậu Giang", "94": "Sóc Trăng", "95": "Bạc Liêu", "96": "Cà Mau",
}


def test_every_old_province_has_its_gso_code_until_2025_06_30():
    old = OrgUnit.objects.filter(kind="province", valid_to=LAST_OLD_DAY)
    assert old.count() == 63 == len(GSO_PROVINCES)
    codes = {c.unit.code: c for c in UnitCode.objects.filter(unit__in=old, scheme="gso").select_related("unit")}
    assert len(codes) == 63  # one each: unitcode_unique would let a unit hold two different codes
    by_gso = {c.code: c.unit.short_name for c in codes.values()}
    assert by_gso == GSO_PROVINCES
    for primary, code in codes.items():
        assert primary == "P63-" + code.code  # the primary code stays what it was
        assert (code.valid_from, code.valid_to) == (None, LAST_OLD_DAY)


def test_only_old_provinces_and_old_communes_have_alternative_codes():
    assert set(UnitCode.objects.values_list("unit__kind", "unit__valid_to").distinct()) == {
        ("province", LAST_OLD_DAY), ("commune", LAST_OLD_DAY)}  # old communes: tests/orgunits/test_old_communes.py


def test_a_code_names_the_unit_in_force_on_the_date():
    before = units_by_code(["02", "08", "01", "96"], on=BEFORE)
    assert {code: unit.code for code, unit in before.items()} == {
        "02": "P63-02", "08": "P63-08", "01": "P63-01", "96": "P63-96"}
    assert before["08"].name == "Tỉnh Tuyên Quang" and before["02"].name == "Tỉnh Hà Giang"

    after = units_by_code(["02", "08", "01", "96"], on=AFTER)
    # 02's province is gone: the code names nothing (the caller reports it) rather than a guess.
    assert {code: unit.code for code, unit in after.items()} == {"08": "08", "01": "01", "96": "96"}
    assert after["08"].valid_from == FIRST_NEW_DAY and after["08"].name == "Tỉnh Tuyên Quang"


def test_the_switch_happens_between_june_30_and_july_1():
    assert units_by_code(["08"], on=LAST_OLD_DAY)["08"].code == "P63-08"
    assert units_by_code(["08"], on=FIRST_NEW_DAY)["08"].code == "08"
    assert "02" in units_by_code(["02"], on=LAST_OLD_DAY)
    assert "02" not in units_by_code(["02"], on=FIRST_NEW_DAY)


def test_primary_codes_still_resolve_on_any_date():
    # 26732 Đặc khu Côn Đảo: a new commune's code no old commune held (00004 was old Trúc Bạch's until 2025-06-30).
    for day in (BEFORE, AFTER):
        found = units_by_code(["P63-02", "P63-08", "BTTTT", "26732", "CP"], on=day)
        assert {code: unit.code for code, unit in found.items()} == {
            "P63-02": "P63-02", "P63-08": "P63-08", "BTTTT": "BTTTT", "26732": "26732", "CP": "CP"}
    assert units_by_code(["NOPE", ""], on=BEFORE) == {}


def test_a_batch_costs_two_queries_whatever_its_size(django_assert_num_queries):
    codes = [*GSO_PROVINCES, *("P63-" + c for c in GSO_PROVINCES), "00004", "BTTTT"]
    with django_assert_num_queries(2):
        found = units_by_code(codes, on=BEFORE)
    assert len(found) == len(codes)
    assert all(found[c] == found["P63-" + c] for c in GSO_PROVINCES)
    with django_assert_num_queries(1):  # every code a primary code in force: no second query
        units_by_code(["08", "00004"], on=AFTER)


def test_two_units_holding_one_code_on_a_date_name_nothing(unit):
    UnitCode.objects.create(unit=unit("P63-04"), code="02", valid_from=datetime.date(2025, 5, 1))
    assert "02" not in units_by_code(["02"], on=BEFORE)
    assert units_by_code(["02"], on=datetime.date(2025, 4, 30))["02"].code == "P63-02"


def _old_provinces_only(codes: list[UnitCodeRecord]) -> ReferenceHierarchy:
    agencies, _ = central_agencies()
    old, _ = historical_provinces()
    return ReferenceHierarchy(units=agencies + old, abbreviations=abbreviations(), codes=codes)


def test_sync_writes_codes_once_then_follows_the_reference():
    codes = historical_province_codes()
    assert sync_reference_hierarchy(_old_provinces_only(codes)).codes_written == 0  # loaded already

    moved = [dataclasses.replace(c, valid_to=datetime.date(2025, 6, 29)) if c.code == "02" else c for c in codes[1:]]
    report = sync_reference_hierarchy(_old_provinces_only(moved))
    assert (report.codes_written, report.codes_removed, report.changed) == (1, 1, True)
    assert not UnitCode.objects.filter(unit__code="P63-01").exists()
    assert UnitCode.objects.get(unit__code="P63-02").valid_to == datetime.date(2025, 6, 29)

    report = sync_reference_hierarchy(_old_provinces_only(codes))
    assert (report.codes_written, report.codes_removed) == (2, 0)
    assert UnitCode.objects.get(unit__code="P63-01").valid_to == LAST_OLD_DAY


def test_api_shows_an_old_provinces_official_code(client):
    body = client.get("/api/v1/orgunits/P63-02").json()
    assert body["code"] == "P63-02"
    assert body["codes"] == [{"code": "02", "scheme": "gso", "valid_from": None, "valid_to": "2025-06-30"}]
    assert client.get("/api/v1/orgunits/08", {"on": AFTER.isoformat()}).json()["codes"] == []
    listed = client.get("/api/v1/orgunits", {"q": "02", "valid_on": BEFORE.isoformat()}).json()["items"]
    assert [i["code"] for i in listed] == ["P63-02"]


def test_api_finds_a_unit_by_official_code_as_of_a_date(client):
    assert client.get("/api/v1/orgunits/02", {"on": BEFORE.isoformat()}).json()["code"] == "P63-02"
    assert client.get("/api/v1/orgunits/08", {"on": BEFORE.isoformat()}).json()["code"] == "P63-08"
    assert client.get("/api/v1/orgunits/08", {"on": AFTER.isoformat()}).json()["code"] == "08"
    assert client.get("/api/v1/orgunits/P63-08", {"on": AFTER.isoformat()}).json()["code"] == "P63-08"

    gone = client.get("/api/v1/orgunits/02", {"on": AFTER.isoformat()})
    assert gone.status_code == 404
    body = gone.json()
    assert body["code"] == "unit_not_found"
    assert "P63-02" in body["message"] and "30/06/2025" in body["message"]
    assert "P63-02" in body["message_en"] and "2025-06-30" in body["message_en"]
