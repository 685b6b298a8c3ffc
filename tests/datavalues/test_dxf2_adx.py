"""DHIS2's XML dataValueSet (DXF2) and ADX: read as DHIS2 reads them, written so they read back, and XML from
outside never expands an entity, fetches anything or grows past its limit."""

from pathlib import Path

import pytest

from govkpi.core.periods import PeriodError
from govkpi.datavalues import adx, dhis2
from govkpi.datavalues.adx import adx_chunks, adx_period, dimensions_of, dimensions_text, items_from_adx
from govkpi.datavalues.dhis2 import PayloadError
from govkpi.datavalues.dxf2 import items_from_xml, iter_items_from_xml, xml_chunks

FIXTURES = Path(__file__).parent / "fixtures"
LIMIT = 1024 * 1024
DXF2 = 'xmlns="http://dhis2.org/schema/dxf/2.0"'
ADX = 'xmlns="urn:ihe:qrph:adx:2015"'


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def row(**fields: object) -> dict:
    """One export row in `dhis2.export_row`'s shape."""
    made = {"dataElement": "DVC_TOANTRINH", "period": "202609", "orgUnit": "01", "categoryOptionCombo": "default",
            "attributeOptionCombo": "default", "value": "12", "storedBy": "an.nv", "created": "2026-10-02T08:00:00+07:00",
            "lastUpdated": "2026-10-03T09:30:00+07:00", "comment": None, "followup": False}
    made.update(fields)
    return made


def without_rows(items: list) -> list:
    for item in items:
        item.row = None
    return items


# --- DXF2: DHIS2's own test payloads ---------------------------------------------------------------------------

def test_dhis2s_dataValueSet_with_header_period_and_unit_gives_them_to_every_value():
    header: dict[str, str] = {}
    items = items_from_xml(fixture("dhis2_dataValueSetACode.xml"), max_bytes=LIMIT, header=header)
    assert [(i.data_element, i.period, i.unit, i.value, i.comment, i.follow_up) for i in items] == [
        ("DE_A", "201201", "OU_A", "10001", "comment", False), ("DE_B", "201201", "OU_A", "10002", "comment", False),
        ("DE_C", "201201", "OU_A", "10003", "comment", False)]
    assert [i.row for i in items] == [3, 4, 5]  # the lines of the <dataValue> tags
    assert [i.index for i in items] == [0, 1, 2]
    assert header["dataSet"] == "DS_A" and header["idScheme"] == "code" and header["completeDate"] == "2012-01-09"


def test_dhis2s_deleted_values_are_read_as_deletions_with_their_own_period_and_unit():
    items = items_from_xml(fixture("dhis2_dataValueSetADeleted.xml"), max_bytes=LIMIT)
    assert [(i.data_element, i.period, i.unit, i.deleted) for i in items] == [
        ("f7n9E0hX8qk", "201201", "DiszpKrYNg8", True), ("f7n9E0hX8qk", "201201", "BdfsJfj87js", True),
        ("f7n9E0hX8qk", "201202", "DiszpKrYNg8", True)]


def test_a_value_without_combos_takes_the_headers_attribute_combo_and_its_own_wins():
    body = (f'<dataValueSet {DXF2} period="202609" orgUnit="01" attributeOptionCombo="AOC_A" dryRun="true">'
            '<dataValue dataElement="A" value="1"/>'
            '<dataValue dataElement="B" value="2" period="202608" orgUnit="02" categoryOptionCombo="C1" '
            'attributeOptionCombo="AOC_B" followUp="true"/></dataValueSet>').encode()
    header: dict[str, str] = {}
    first, second = items_from_xml(body, max_bytes=LIMIT, header=header)
    assert (first.period, first.unit, first.category_option_combo, first.attribute_option_combo) == (
        "202609", "01", "", "AOC_A")
    assert (second.period, second.unit, second.category_option_combo, second.attribute_option_combo) == (
        "202608", "02", "C1", "AOC_B")
    assert second.follow_up is True and first.follow_up is None
    assert dhis2.payload_flag(header, "dryRun") is True


def test_a_payload_without_the_namespace_is_read_as_dhis2_matches_local_names():
    items = items_from_xml(b'<dataValueSet><dataValue dataElement="A" period="202609" orgUnit="01" value="1"/>'
                           b'</dataValueSet>', max_bytes=LIMIT)
    assert [(i.data_element, i.value) for i in items] == [("A", "1")]


def test_a_header_period_in_adx_form_as_dhis2_2_43_exports_it_is_read_as_the_dhis2_id():
    items = items_from_xml(f'<dataValueSet {DXF2} period="2026-07-01/P3M" orgUnit="01">'
                           '<dataValue dataElement="A" value="1"/></dataValueSet>'.encode(), max_bytes=LIMIT)
    assert items[0].period == "2026Q3"


def test_the_dataValueSets_wrapper_is_refused_as_dhis2_refuses_it():
    with pytest.raises(PayloadError) as error:
        items_from_xml(f'<dataValueSets><dataValueSet {DXF2}/></dataValueSets>'.encode(), max_bytes=LIMIT)
    assert error.value.code == "data_value_sets"


def test_an_adx_message_is_not_a_dataValueSet():
    with pytest.raises(PayloadError) as error:
        items_from_xml(fixture("dhis2_exportA.adx.xml"), max_bytes=LIMIT)
    assert error.value.code == "not_a_data_value_set" and "<adx>" in error.value.message_en


# --- DXF2: written, then read back ----------------------------------------------------------------------------

def test_export_rows_written_as_xml_read_back_as_the_json_reader_reads_the_same_rows():
    rows = [row(), row(dataElement="DVC_TONG", value="30", comment='Báo cáo "quý" <3> & dòng mới\nthứ hai\tcột',
                       followup=True),
            row(orgUnit="79", value="Hà Nội; =%", storedBy="bình", deleted=True), row(value=None)]
    body = "".join(xml_chunks(rows)).encode()
    assert without_rows(items_from_xml(body, max_bytes=LIMIT)) == dhis2.items_from_json({"dataValues": rows})


def test_the_xml_written_is_what_dhis2_writes():
    body = "".join(xml_chunks([row(comment="x", followup=True)]))
    assert body.startswith(f'<?xml version="1.0" encoding="UTF-8"?>\n<dataValueSet {DXF2}>\n')
    assert ('<dataValue dataElement="DVC_TOANTRINH" period="202609" orgUnit="01" categoryOptionCombo="default" '
            'attributeOptionCombo="default" value="12" storedBy="an.nv" created="2026-10-02T08:00:00+07:00" '
            'lastUpdated="2026-10-03T09:30:00+07:00" comment="x" followUp="true"/>') in body
    assert body.endswith("</dataValueSet>\n")


def test_characters_xml_cannot_carry_are_written_as_replacement_characters_not_broken_xml():
    body = "".join(xml_chunks([row(comment="a\x0bb\x00c")])).encode()
    assert items_from_xml(body, max_bytes=LIMIT)[0].comment == "a\ufffdb\ufffdc"


def test_no_rows_make_an_empty_dataValueSet_that_reads_as_no_items():
    assert items_from_xml("".join(xml_chunks([])).encode(), max_bytes=LIMIT) == []


# --- ADX: DHIS2's own test payloads ---------------------------------------------------------------------------

def test_dhis2s_adx_import_keeps_dimensions_as_sorted_text_and_combos_as_sent():
    items = items_from_adx(fixture("dhis2_importA.adx.xml"), max_bytes=LIMIT)
    seen = [(i.data_element, i.period, i.unit, i.value, i.category_option_combo, i.attribute_option_combo)
            for i in items]
    assert seen == [
        ("Malaria numeric", "202001", "123", "1", "Age_category=under555555;Sex_category=FFFFFFFFFFF", ""),
        ("Malaria numeric", "202001", "123", "2", "Age_category=under555555;Sex_category=MMMMMMMMMMM", ""),
        ("Malaria numeric", "202001", "123", "3", "FOver555555", ""),
        ("Malaria numeric", "202001", "123", "4", "MOver555555", ""),
        ("Malaria text", "202001", "123", "Text data value", "", ""),  # the annotation is the value
        ("Malaria numeric", "202002", "456", "6", "Age_category=under555555;Sex_category=FFFFFFFFFFF", ""),
        ("Malaria numeric", "2021Q1", "456", "10", "Age_category=under555555;Sex_category=FFFFFFFFFFF",
         "Mechanism_category=PEPFARRRRRR"),
        ("Malaria numeric", "2021Q1", "456", "20", "Age_category=over5555555;Sex_category=FFFFFFFFFFF",
         "Mechanism_category=McDonaldsss"),
        ("Malaria numeric", "2021Q1", "456", "30", "Age_category=under555555;Sex_category=MMMMMMMMMMM",
         "cocMcDonald")]
    assert items[0].row == 4 and [i.index for i in items] == list(range(9))


def test_dhis2s_adx_sample_attributes_that_are_not_dimensions_stay_out_of_the_combos():
    items = items_from_adx(fixture("dhis2_adx_data_sample2.xml"), max_bytes=LIMIT)
    assert len(items) == 13
    # dataSetComplete and comment on the group, xsi:schemaLocation on the root: none is a dimension.
    assert {i.attribute_option_combo for i in items} == {"mechanism=PEPFAR", "mechanism=OTHER"}
    assert items[2].category_option_combo == "ageGroup=under5;sex=M"
    assert items[0].category_option_combo == ""


def test_adx_period_of_each_type_govkpi_has_is_the_dhis2_id():
    # The cases of dhis2-core's AdxPeriodTest.testParse for the types govkpi has.
    cases = {"2024-01-01/P1D": "20240101", "2024-05-06/P1D": "20240506", "2024-01-01/P7D": "2024W1",
             "2024-01-08/P7D": "2024W2", "2024-01-01/P1M": "202401", "2024-05-01/P1M": "202405",
             "2024-01-01/P3M": "2024Q1", "2024-04-01/P3M": "2024Q2", "2024-01-01/P6M": "2024S1",
             "2024-07-01/P6M": "2024S2", "2024-01-01/P1Y": "2024", "2026-09-01/P1M": "202609",
             "2020-12-28/P7D": "2020W53"}
    assert {text: adx.period_from_adx(text) for text in cases} == cases


@pytest.mark.parametrize("text", [
    "2024-01-01/P1D/P1D", "2024-01-01/P1", "2024-01-01", "20240101/P1D", "2024-02-30/P1D",  # not a period
    "2024-01-03/P7D", "2024-01-07/P7D",  # DHIS2's WeeklyWednesday, WeeklySunday
    "2024-01-01/P14D", "2024-01-01/P2M",  # BiWeekly, BiMonthly
    "2024-04-01/P6M", "2024-11-01/P6M", "2014-02-01/P6M",  # SixMonthlyApril, SixMonthlyNovember, none
    "2024-04-01/P1Y", "2024-07-01/P1Y", "2014-06-01/P1Y",  # FinancialApril, FinancialJuly, none
    "2024-01-15/P1M", "2024-02-01/P3M",  # DHIS2 rounds to the period containing the day; govkpi says so
    "1800-01-01/P1Y"])
def test_adx_periods_govkpi_does_not_have_are_refused_in_both_languages(text):
    with pytest.raises(PeriodError) as error:
        adx.period_from_adx(text)
    assert error.value.code == "adx_period" and text in error.value.message_vi and text in error.value.message_en


def test_a_weekly_period_that_is_not_a_monday_says_when_weeks_start():
    with pytest.raises(PeriodError) as error:
        adx.period_from_adx("2024-01-03/P7D")
    assert "thứ Hai" in error.value.message_vi and "Monday" in error.value.message_en
    assert "2024W1" in error.value.message_en


def test_a_bad_period_refuses_the_message_naming_the_group_and_its_line():
    body = (f'<adx {ADX}>\n<group orgUnit="01" period="2026-09-01/P1M"><dataValue dataElement="A" value="1"/></group>\n'
            '<group orgUnit="01" period="2026-09-02/P7D"><dataValue dataElement="A" value="1"/></group></adx>').encode()
    with pytest.raises(PayloadError) as error:
        items_from_adx(body, max_bytes=LIMIT)
    assert error.value.code == "adx_period"
    assert "Nhóm thứ 2 (dòng 3)" in error.value.message_vi and "Group 2 (line 3)" in error.value.message_en


def test_a_group_without_a_period_is_refused():
    with pytest.raises(PayloadError) as error:
        items_from_adx(f'<adx {ADX}><group orgUnit="01"><dataValue dataElement="A" value="1"/></group></adx>'
                       .encode(), max_bytes=LIMIT)
    assert error.value.code == "adx_period" and "Group 1" in error.value.message_en


def test_a_value_outside_any_group_is_refused_rather_than_dropped():
    with pytest.raises(PayloadError) as error:
        items_from_adx(f'<adx {ADX}>\n<dataValue dataElement="A" value="1"/></adx>'.encode(), max_bytes=LIMIT)
    assert error.value.code == "value_outside_group" and "line 2" in error.value.message_en


def test_a_dataValueSet_is_not_adx():
    with pytest.raises(PayloadError) as error:
        items_from_adx(fixture("dhis2_dataValueSetACode.xml"), max_bytes=LIMIT)
    assert error.value.code == "not_adx"


def test_dimension_text_round_trips_options_with_separators_in_them():
    dimensions = {"sex": "F", "age": "15;49=x%", "nhóm_tuổi": "Dưới 5"}
    text = dimensions_text(dimensions)
    assert text == "age=15%3B49%3Dx%25;nhóm_tuổi=Dưới 5;sex=F"
    assert dimensions_of(text) == dimensions
    assert dimensions_of("HllvX50cXC0") is None and dimensions_of("") is None


# --- ADX: written, then read back -----------------------------------------------------------------------------

def test_adx_period_written_is_what_dhis2_writes():
    # dhis2-core AdxPeriodTest.testSerialize, for the types govkpi has.
    cases = {"20220101": "2022-01-01/P1D", "2022W1": "2022-01-03/P7D", "2022W2": "2022-01-10/P7D",
             "202205": "2022-05-01/P1M", "2022Q2": "2022-04-01/P3M", "2022S2": "2022-07-01/P6M",
             "2022": "2022-01-01/P1Y"}
    assert {period: adx_period(period) for period in cases} == cases


def test_export_rows_written_as_adx_read_back_as_the_same_items():
    rows = [row(), row(dataElement="DVC_TONG", value="-1.5"),
            row(dataElement="NGAY_KET_NOI", value="2026-09-15", comment="Đã kết nối\n\"LGSP\" & <NDXP>",
                followup=True),
            row(dataElement="GHI_CHU", value="Hà Nội <&> \"x\"\n2", deleted=True),
            row(orgUnit="79", period="2026W36", value="", categoryOptionCombo="age=15%3B49;sex=F"),
            row(orgUnit="79", period="2026W36", value="3", categoryOptionCombo="FOver555555",
                attributeOptionCombo="Mechanism_category=PEPFAR")]
    body = "".join(adx_chunks(rows, {"DVC_TOANTRINH": "DVC", "DVC_TONG": "DVC"}.get)).encode()
    items = items_from_adx(body, max_bytes=LIMIT)
    assert [(i.data_element, i.period, i.unit, i.value, i.comment, bool(i.follow_up), i.deleted) for i in items] == [
        (r["dataElement"], r["period"], r["orgUnit"], r["value"], r["comment"], r["followup"], bool(r.get("deleted")))
        for r in rows]
    assert [i.category_option_combo for i in items] == ["", "", "", "", "age=15%3B49;sex=F", "FOver555555"]
    assert [i.attribute_option_combo for i in items] == ["", "", "", "", "", "Mechanism_category=PEPFAR"]


def test_adx_written_groups_runs_of_rows_and_puts_text_in_an_annotation():
    rows = [row(), row(dataElement="DVC_TONG", value="30"), row(orgUnit="79", value="có"),
            row(orgUnit="79", attributeOptionCombo="Mechanism_category=PEPFAR")]
    body = "".join(adx_chunks(rows, lambda element: "DVC"))
    assert body.count("<group ") == 3
    assert '<group dataSet="DVC" orgUnit="01" period="2026-09-01/P1M">' in body
    assert '<group dataSet="DVC" orgUnit="79" period="2026-09-01/P1M" Mechanism_category="PEPFAR">' in body
    assert '<dataValue dataElement="DVC_TOANTRINH" value="0"><annotation>có</annotation></dataValue>' in body
    assert '<dataValue dataElement="DVC_TONG" value="30"/>' in body


def test_adx_without_data_sets_names_none_and_stamps_the_export_time_only_when_given():
    import datetime
    body = "".join(adx_chunks([row()], exported=datetime.datetime(2026, 10, 1, 8, tzinfo=datetime.UTC)))
    assert f'<adx {ADX} exported="2026-10-01T08:00:00+00:00">' in body and "dataSet=" not in body
    assert "exported=" not in "".join(adx_chunks([row()]))


# --- XML from outside: safe, bounded, and said plainly when broken --------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0"><dataValue dataElement="A" comment="&lol9;"/></dataValueSet>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE adx [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<adx xmlns="urn:ihe:qrph:adx:2015"><group orgUnit="01" period="2026-09-01/P1M">
<dataValue dataElement="A" value="0"><annotation>&secret;</annotation></dataValue></group></adx>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE dataValueSet SYSTEM "http://127.0.0.1:9/dhis2.dtd">
<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0"/>"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE adx [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>
<adx xmlns="urn:ihe:qrph:adx:2015"/>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY],
                         ids=["billion-laughs", "external-entity", "external-dtd", "parameter-entity"])
@pytest.mark.parametrize("read", [items_from_xml, items_from_adx], ids=["dxf2", "adx"])
def test_dtds_and_entities_are_refused_before_anything_is_expanded_or_fetched(payload, read):
    with pytest.raises(PayloadError) as error:
        read(payload, max_bytes=LIMIT)
    assert error.value.code == "xml_dtd"
    assert "dòng 2" in error.value.message_vi and "line 2" in error.value.message_en
    assert "root:" not in str(error.value) and "lol" not in str(error.value)


def test_an_entity_used_without_a_dtd_is_malformed_xml():
    with pytest.raises(PayloadError) as error:
        items_from_xml(f'<dataValueSet {DXF2}>\n<dataValue comment="&secret;"/></dataValueSet>'.encode(),
                       max_bytes=LIMIT)
    assert error.value.code == "bad_xml" and "undefined entity" in error.value.message_en
    assert "chưa được định nghĩa" in error.value.message_vi


def test_malformed_xml_names_the_line_and_column_in_both_languages():
    body = f'<dataValueSet {DXF2}>\n  <dataValue dataElement="A" value="1">\n</dataValueSet>'.encode()
    with pytest.raises(PayloadError) as error:
        items_from_xml(body, max_bytes=LIMIT)
    assert error.value.code == "bad_xml"
    assert (error.value.line, error.value.column) == (3, 3)
    assert error.value.message_vi == "XML không hợp lệ ở dòng 3, cột 3: thẻ đóng không khớp thẻ mở."
    assert error.value.message_en == "Malformed XML at line 3, column 3: mismatched tag."


@pytest.mark.parametrize("body", [b"", b"   ", b'<adx xmlns="urn:ihe:qrph:adx:2015"><group'])
def test_an_empty_or_cut_off_payload_is_malformed_xml(body):
    with pytest.raises(PayloadError) as error:
        items_from_adx(body, max_bytes=LIMIT)
    assert error.value.code == "bad_xml"


def test_a_payload_over_the_limit_is_refused_without_reading_the_rest():
    read: list[int] = []

    def chunks():
        yield f'<dataValueSet {DXF2}>'.encode()
        for number in range(1000):
            read.append(number)
            yield b'<dataValue dataElement="A" period="202609" orgUnit="01" value="1"/>' * 100
        yield b"</dataValueSet>"

    with pytest.raises(PayloadError) as error:
        items_from_xml(chunks(), max_bytes=LIMIT)
    assert error.value.code == "too_large" and "1 MB" in error.value.message_en
    assert len(read) < 200  # 1 MB is about 150 of the 6.8 kB chunks


def test_items_come_out_as_the_chunks_arrive():
    pulled: list[int] = []

    def chunks():
        yield f'<dataValueSet {DXF2} period="202609" orgUnit="01">'.encode()
        for number in range(3):
            pulled.append(number)
            yield f'<dataValue dataElement="E{number}" value="1"/>'.encode()
        yield b"</dataValueSet>"

    items = iter_items_from_xml(chunks(), max_bytes=LIMIT)
    assert next(items).data_element == "E0" and pulled == [0]
    assert [item.data_element for item in items] == ["E1", "E2"]


def test_a_tag_split_across_chunks_reads_the_same():
    body = "".join(xml_chunks([row(comment="Tiếng Việt có dấu"), row(dataElement="X")])).encode()
    pieces = [body[i:i + 7] for i in range(0, len(body), 7)]  # splits tags and UTF-8 characters alike
    assert items_from_xml(pieces, max_bytes=LIMIT) == items_from_xml(body, max_bytes=LIMIT)


def test_the_declared_encoding_is_honoured_and_a_utf8_bom_is_skipped():
    latin = ('<?xml version="1.0" encoding="ISO-8859-1"?>\n'
             f'<dataValueSet {DXF2}><dataValue dataElement="A" comment="Gar\u00e7on"/></dataValueSet>')
    assert items_from_xml(latin.encode("latin-1"), max_bytes=LIMIT)[0].comment == "Garçon"
    bom = b"\xef\xbb\xbf" + f'<dataValueSet {DXF2}><dataValue dataElement="Ă" comment="Hà Nội"/></dataValueSet>'.encode()
    assert (items_from_xml(bom, max_bytes=LIMIT)[0].data_element, items_from_xml(bom, max_bytes=LIMIT)[0].comment) == (
        "Ă", "Hà Nội")


def test_bytes_that_are_not_the_declared_encoding_are_malformed_xml():
    with pytest.raises(PayloadError) as error:
        items_from_xml(f'<dataValueSet {DXF2}><dataValue comment="'.encode() + b"\xff\xfe" + b'"/></dataValueSet>',
                       max_bytes=LIMIT)
    assert error.value.code == "bad_xml" and "line 1" in error.value.message_en
