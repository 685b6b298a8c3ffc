"""DHIS2's metadata endpoints (/api/organisationUnits, /api/dataElements, /api/dataSets, the default category
objects, /api/organisationUnitLevels) and their query language, read as DHIS2 reads it.

Each case names its source: dhis2-core 2.40.9 (`FieldFilterParser`/`FieldFilterParserTest`, `Preset`,
`DefaultJpaQueryParser`, `QueryUtils`, `Pager`, `DefaultLinkService`, `AbstractFullReadOnlyController`,
`CrudControllerAdvice`, `NotFoundException`, `DefaultCategoryService.generateDefaultDimension`, `OrganisationUnit`)
or DHIS2's Web API documentation, "Metadata" (object filter, field filter, paging). govkpi's own rules (ids are
codes, levels from 1, what the public sees) are in docs/datacollection.md.
"""

import base64
import datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext

from govkpi.accounts.tokens import create_token
from govkpi.api.dhis2_query import (
    MAX_PAGE_SIZE,
    Pager,
    QueryProblem,
    condition,
    holds,
    parse_fields,
    parse_filter,
    parse_order,
)
from govkpi.indicators.models import DataElement, Theme
from govkpi.orgunits.models import OrgUnit
from tests.conftest import json_body

# -- the query language, without a request ------------------------------------------------------------------


def names(fields, prefix=""):
    """Every path a parsed fields expression selects, as FieldFilterParserTest's assertFieldPathContains reads."""
    found = []
    for item in fields:
        path = f"{prefix}{item.name}"
        found.append(path)
        found += names(item.children or [], path + ".")
    return found


def test_fields_nest_to_any_depth():
    # FieldFilterParserTest.testDepthXFilters
    parsed = parse_fields("id,name,group[id,name],group[id,name,group[id,name,group[id,name]]]")
    assert {"id", "name", "group.id", "group.name", "group.group.id", "group.group.group.name"} <= set(
        names(parsed))


def test_fields_read_brackets_spaces_presets_and_exclusions():
    # FieldFilterParserTest.testDepth0Filters ("id, name,    abc"), testParseWithPresetAndExclude1; `*` is `:all`
    assert names(parse_fields("id, name,    abc")) == ["id", "name", "abc"]
    parsed = parse_fields("id,name,!code,:owner")
    assert [(f.name, f.exclude, f.preset) for f in parsed] == [
        ("id", False, False), ("name", False, False), ("code", True, False), ("owner", False, True)]
    star = parse_fields("*,parent(id,code)")
    assert (star[0].name, star[0].preset) == ("all", True) and names(star[1:]) == ["parent", "parent.id",
                                                                                      "parent.code"]


def test_fields_read_transformers():
    # FieldFilterParserTest.testParseWithTransformer6 and testParseWithMultipleTransformers
    parsed = parse_fields("name::rename(n),groups::rename(g)[name]")
    assert parsed[0].transformers == [("rename", ("n",))]
    assert parsed[1].transformers == [("rename", ("g",))] and names(parsed[1].children) == ["name"]
    assert parse_fields("name::size::rename(n)")[0].transformers == [("size", ()), ("rename", ("n",))]
    assert parse_fields("children~size")[0].transformers == [("size", ())]


def test_fields_default_to_id_and_display_name_and_refuse_an_unclosed_bracket():
    # Preset.defaultPreset() is ID_NAME: id, displayName
    assert names(parse_fields(None)) == ["id", "displayName"]
    with pytest.raises(QueryProblem) as refused:
        parse_fields("id,parent[id")
    assert refused.value.code == "bad_fields" and "ngoặc" in refused.value.message_vi
    assert "bracket" in refused.value.message_en


def test_a_filter_keeps_every_colon_after_the_operator_and_reads_lists():
    # DefaultJpaQueryParser.parse: the value is filter.substring(index) after `property:operator:`
    assert parse_filter("name:eq:a:b").value == "a:b"
    assert parse_filter("parent.id:in:[01,79]").path == ("parent", "id")
    assert parse_filter("parent.id:in:[01,79]").value == ("01", "79")  # QueryUtils.parseValue: [a,b]
    assert parse_filter("closedDate:null").value is None
    # startsWith and endsWith are $ilike and ilike$ (getRestriction); ^like is govkpi's alias of $like
    assert [parse_filter(f"name:{op}:x").operator for op in ("startsWith", "endsWith", "^like", "gte", "!eq")] == [
        "$ilike", "ilike$", "$like", "ge", "ne"]


@pytest.mark.parametrize("text, code, english", [
    ("name", "bad_filter", "Invalid filter => name"),  # DefaultJpaQueryParser: fewer than two parts
    ("name:near:x", "bad_operator", "`near` is not a valid operator."),
    ("id:in:[]", "bad_filter", "Invalid argument `[]` for in operator."),
    ("name:eq", "bad_filter", "has no value"),
])
def test_a_filter_dhis2_cannot_read_is_refused_in_both_languages(text, code, english):
    with pytest.raises(QueryProblem) as refused:
        parse_filter(text)
    assert refused.value.code == code and english in refused.value.message_en and refused.value.message_vi


def test_filters_become_django_conditions():
    # DefaultJpaQueryParser's MatchMode: like is ANYWHERE (case kept), $ilike START ignoring case, ne negates
    assert condition("name", "like", "Hà") == Q(name__contains="Hà")
    assert condition("name", "$ilike", "tỉnh") == Q(name__istartswith="tỉnh")
    assert condition("code", "!in", ("01", "79")) == ~Q(code__in=("01", "79"))
    assert condition("valid_to", "!null", None) == ~Q(valid_to__isnull=True)
    assert condition("definition_vi", "null", None, blank_is_null=True) == Q(definition_vi__isnull=True) | Q(
        definition_vi="")


def test_filters_on_values_in_hand():
    # The same operators on DHIS2's default objects and the unit levels, which govkpi does not store
    assert holds("default", "eq", "default") and not holds("default", "ne", "default")
    assert holds("Chính phủ", "ilike", "PHỦ") and holds("Xã, phường", "token", "phư")
    assert holds(2, "ge", 2) and not holds(2, "gt", 2) and holds("HllvX50cXC0", "in", ("HllvX50cXC0",))
    assert holds(None, "null", None) and holds("x", "!null", None) and holds(None, "!in", ("a",))


def test_order_reads_dhis2_directions():
    # OrderParams: property:asc|desc|iasc|idesc
    assert parse_order("name:idesc,level") == [("name", "idesc"), ("level", "asc")]
    with pytest.raises(QueryProblem):
        parse_order("name:up")


def test_pager_counts_pages_clamps_the_page_and_links_as_dhis2():
    # Pager: pageCount = ceil(total / pageSize), page within 1…pageCount; DefaultLinkService.generatePagerLinks:
    # nextPage leaves pageSize out when it is the default 50, prevPage of page 2 has no page
    pager = Pager.of(2, 50, 120)
    assert (pager.page, pager.page_count, pager.offset) == (2, 3, 50)
    links = pager.as_dict("http://x/api/organisationUnits", "fields=id")
    assert links == {"page": 2, "total": 120, "pageSize": 50, "pageCount": 3,
                     "nextPage": "http://x/api/organisationUnits?page=3&fields=id",
                     "prevPage": "http://x/api/organisationUnits?fields=id"}
    assert Pager.of(9, 50, 120).page == 3 and Pager.of(9, 50, 120).offset == 400  # the rows asked: none
    assert Pager.of(1, 10**6, 5).page_size == MAX_PAGE_SIZE
    assert "nextPage" not in Pager.of(1, 50, 0).as_dict("e", "") and Pager.of(1, 50, 0).page_count == 0


# -- the endpoints ------------------------------------------------------------------------------------------



@pytest.fixture
def catalog(db):
    """Four data elements in two themes: a monthly count and a monthly percentage in CDS, a yearly amount in
    DA06, and an unpublished count in CDS."""
    cds = Theme.objects.get_or_create(code="CDS", defaults={"name_vi": "Chuyển đổi số", "name_en": "Digital"})[0]
    da06 = Theme.objects.get_or_create(code="DA06", defaults={"name_vi": "Đề án 06", "name_en": "Project 06"})[0]
    made = {
        "DVC_TONG": DataElement.objects.create(code="DVC_TONG", name_vi="Tổng số DVC", value_type="count",
                                               frequency="monthly", aggregation_units="sum",
                                               aggregation_periods="last"),
        "TYLE_HS": DataElement.objects.create(code="TYLE_HS", name_vi="Tỷ lệ hồ sơ trực tuyến",
                                              value_type="percentage", frequency="monthly",
                                              aggregation_units="average", aggregation_periods="average",
                                              definition_vi="Số hồ sơ trực tuyến trên tổng số hồ sơ."),
        "VON_DAU_TU": DataElement.objects.create(code="VON_DAU_TU", name_vi="Vốn đầu tư", value_type="amount",
                                                 frequency="yearly", aggregation_units="sum",
                                                 aggregation_periods="sum"),
        "NOI_BO": DataElement.objects.create(code="NOI_BO", name_vi="Chỉ số nội bộ", value_type="count",
                                             frequency="quarterly", published=False),
    }
    for code in ("DVC_TONG", "TYLE_HS", "NOI_BO"):
        made[code].themes.add(cds)
    made["VON_DAU_TU"].themes.add(da06)
    return made


@pytest.fixture
def reader(make_user):
    """A token of a viewer of the whole country: reads unpublished catalog entries."""
    user = make_user("viewer", "CP")
    return {"HTTP_AUTHORIZATION": f"ApiToken {create_token(user)[1]}"}


def get(client, path, **extra):
    response = client.get(path, **extra)
    return response.status_code, json_body(response)


@pytest.mark.django_db
def test_a_list_is_a_pager_and_a_page_of_id_and_display_name(client):
    # Web API docs, "Metadata / Paging": default pageSize 50, pager {page, pageCount, total, pageSize, nextPage};
    # AbstractFullReadOnlyController.getObjectList: Preset.defaultPreset() fields
    status, body = get(client, "/api/organisationUnits")
    total = OrgUnit.objects.count()
    assert status == 200 and body["pager"]["total"] == total and body["pager"]["pageSize"] == 50
    assert body["pager"]["pageCount"] == -(-total // 50) and body["pager"]["page"] == 1
    assert body["pager"]["nextPage"] == "http://testserver/api/organisationUnits?page=2"
    assert len(body["organisationUnits"]) == 50 and set(body["organisationUnits"][0]) == {"id", "displayName"}

    status, second = get(client, "/api/organisationUnits?page=2&pageSize=20&fields=id")
    assert second["pager"]["page"] == 2 and second["pager"]["prevPage"].endswith("?pageSize=20&fields=id")
    first = get(client, "/api/organisationUnits?pageSize=40&fields=id")[1]["organisationUnits"]
    assert [u["id"] for u in second["organisationUnits"]] == [u["id"] for u in first[20:40]]


@pytest.mark.django_db
def test_paging_false_gives_every_object_without_a_pager(client):
    # Web API docs, "Metadata / Paging": paging=false
    status, body = get(client, "/api/organisationUnits?paging=false&fields=id&level=2")
    assert status == 200 and "pager" not in body
    assert len(body["organisationUnits"]) == OrgUnit.objects.filter(level=1).count() > 50


@pytest.mark.django_db
def test_default_order_is_by_name_then_id(client):
    # Query.setDefaultOrder: name ignoring case, then id
    units = get(client, "/api/organisationUnits?level=2&paging=false&fields=id")[1]["organisationUnits"]
    expected = OrgUnit.objects.filter(level=1).order_by(Lower("name"), "code").values_list("code", flat=True)
    assert [u["id"] for u in units] == list(expected)  # the database's collation orders Vietnamese names
    desc = get(client, "/api/organisationUnits?level=2&pageSize=3&fields=code&order=code:desc")[1]
    assert [u["code"] for u in desc["organisationUnits"]] == sorted(
        OrgUnit.objects.filter(level=1).values_list("code", flat=True), reverse=True)[:3]


@pytest.mark.django_db
def test_fields_nest_into_the_hierarchy(client):
    # Web API docs, "Metadata field filter": fields=id,name,parent[id,name],children[id]; a reference asked
    # without sub-fields is {id} (Preset.defaultAssociationPreset)
    commune = OrgUnit.objects.filter(kind="commune", valid_to__isnull=True).select_related("parent").first()
    province = commune.parent
    body = get(client, f"/api/organisationUnits?filter=id:eq:{commune.code}"
                       "&fields=id,code,name,level,path,parent[id,code,parent[id,level]],ancestors,children")[1]
    [found] = body["organisationUnits"]
    assert found == {"id": commune.code, "code": commune.code, "name": commune.name, "level": 3,
                     "path": f"/CP/{province.code}/{commune.code}",
                     "parent": {"id": province.code, "code": province.code, "parent": {"id": "CP", "level": 1}},
                     "ancestors": [{"id": "CP"}, {"id": province.code}], "children": []}
    up = get(client, f"/api/organisationUnits/{province.code}?fields=id,children[id,name~rename(ten)],"
                     "children~size~rename(communes),leaf")[1]
    assert up["communes"] == OrgUnit.objects.filter(parent=province).count() > 0 and up["leaf"] is False
    assert {"id": commune.code, "ten": commune.name} in up["children"]


@pytest.mark.django_db
def test_star_gives_every_property_and_an_exclusion_takes_one_away(client):
    # Preset ALL ("*", ":all"); `:owner` read as `*`; `!` excludes (FieldFilterParser isExclude)
    star = get(client, "/api/organisationUnits/CP?fields=*,!children")[1]
    assert {"id", "code", "name", "shortName", "level", "path", "leaf", "href"} <= set(star)
    assert "children" not in star and "parent" not in star  # the root has no parent: nulls are left out
    assert get(client, "/api/organisationUnits/CP?fields=:owner,!children")[1] == star
    assert get(client, "/api/organisationUnits/CP?fields=:identifiable")[1] == {
        "id": "CP", "name": "Chính phủ", "code": "CP", "href": "http://testserver/api/organisationUnits/CP"}


@pytest.mark.django_db
def test_filters_are_anded_and_follow_references(client):
    # Web API docs, "Metadata object filter": several filters are ANDed; parent.id; in:[a,b]; level numbers
    province = OrgUnit.objects.filter(kind="province", valid_to__isnull=True, children__isnull=False).first()
    communes = set(OrgUnit.objects.filter(parent=province).values_list("code", flat=True))
    body = get(client, f"/api/organisationUnits?filter=parent.id:eq:{province.code}&filter=level:eq:3"
                       "&paging=false&fields=id")[1]
    assert {u["id"] for u in body["organisationUnits"]} == communes
    body = get(client, f"/api/organisationUnits?filter=parent.id:eq:{province.code}&filter=level:eq:2"
                       "&fields=id")[1]
    assert body["organisationUnits"] == []
    body = get(client, "/api/organisationUnits?filter=id:in:[CP,79,P63-02]&fields=id&order=code:asc")[1]
    assert [u["id"] for u in body["organisationUnits"]] == ["79", "CP", "P63-02"]
    # rootJunction=OR (DefaultJpaQueryParser.parse(klass, filters, rootJunction))
    body = get(client, "/api/organisationUnits?filter=id:eq:CP&filter=id:eq:79&rootJunction=OR&fields=id")[1]
    assert {u["id"] for u in body["organisationUnits"]} == {"CP", "79"}


@pytest.mark.django_db
def test_text_number_date_and_path_operators(client):
    # DefaultJpaQueryParser.getRestriction: ilike, !like, $ilike/startsWith, ilike$/endsWith, token, gt…le,
    # null and !null
    def ids(query):
        return {u["id"] for u in get(client, f"/api/organisationUnits?paging=false&fields=id&{query}")[1][
            "organisationUnits"]}

    assert ids("filter=name:ilike:hà giang") >= {"P63-02"}
    assert "P63-02" not in ids("filter=level:eq:2&filter=name:!like:Hà")
    assert ids("filter=code:startsWith:p63-0&filter=code:endsWith:2") == {"P63-02"}
    assert ids("filter=name:token:Tỉnh Giang&filter=level:eq:2") >= {"P63-02"}
    assert ids("filter=level:le:1") == {"CP"} and ids("filter=level:gt:2") == ids("filter=level:eq:3")
    closed = ids("filter=closedDate:!null&filter=level:eq:2")
    assert "P63-02" in closed and "79" not in closed
    assert ids("filter=closedDate:le:2025-06-30&filter=level:eq:2") == closed - ids(
        "filter=closedDate:gt:2025-06-30")
    assert "CP" in ids("filter=parent:null") and ids("filter=parent:null") == {"CP"}
    # path as DHIS2 writes it (/CP/79), whole or by its start
    assert ids("filter=path:eq:/CP/79") == {"79"}
    assert ids("filter=path:$like:/CP/79/") == set(OrgUnit.objects.filter(parent__code="79").values_list(
        "code", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("query, code, english", [
    ("filter=population:gt:1000", "unknown_property", "Unknown path property: population"),
    ("filter=parent.population:eq:1", "unknown_property", "Unknown path property: parent.population"),
    ("filter=ancestors.id:eq:CP", "not_filterable", "cannot be filtered"),
    ("filter=parent.path:eq:/CP", "not_filterable", "cannot be filtered"),
    ("filter=level:like:2", "bad_operator", "does not apply"),
    ("filter=level:eq:two", "bad_value", "Unable to parse `two`"),
])
def test_a_filter_on_what_cannot_be_filtered_is_a_conflict_web_message(client, query, code, english):
    # CrudControllerAdvice.queryExceptionHandler: a QueryParserException ("Unknown path property: …") is a
    # 409 Conflict WebMessage
    status, body = get(client, f"/api/organisationUnits?{query}")
    assert status == 409 and body["httpStatus"] == "Conflict" and body["status"] == "ERROR"
    assert body["code"] == code and english in body["message"] and " / " in body["message"]


@pytest.mark.django_db
def test_one_object_by_id_and_404_as_dhis2_says_it(client):
    # AbstractFullReadOnlyController.getObject: every field by default; NotFoundException: E1005,
    # "OrganisationUnit with id … could not be found."
    status, body = get(client, "/api/organisationUnits/79")
    assert status == 200 and body["id"] == body["code"] == "79" and body["level"] == 2 and body["parent"] == {
        "id": "CP"}
    assert get(client, "/api/40/organisationUnits/79.json")[1] == body  # versioned, with the suffix
    status, body = get(client, "/api/organisationUnits/NOWHERE")
    assert status == 404 and body["httpStatusCode"] == 404 and body["errorCode"] == "E1005"
    assert "OrganisationUnit with id NOWHERE could not be found." in body["message"]
    assert client.post("/api/organisationUnits", {}).status_code == 405


@pytest.mark.django_db
def test_a_closed_unit_is_listed_with_its_closed_date_and_official_code(client):
    # OrganisationUnit.closedDate (DHIS2 keeps closed units); old Hà Giang's statistics-office code 02
    # (UnitCode) as an attribute value
    body = get(client, "/api/organisationUnits?filter=id:eq:P63-02&fields=id,name,closedDate,attributeValues")[1]
    assert body["organisationUnits"] == [{"id": "P63-02", "name": "Tỉnh Hà Giang",
                                          "closedDate": "2025-06-30T00:00:00.000",
                                          "attributeValues": [{"attribute": {"id": "gso", "code": "gso",
                                                                             "name": "Mã thống kê (Tổng cục Thống kê)"},
                                                               "value": "02"}]}]
    current = get(client, "/api/organisationUnits/08?fields=id,closedDate,openingDate")[1]
    assert "closedDate" not in current and current["openingDate"] == "2025-07-01T00:00:00.000"


@pytest.mark.django_db
def test_user_only_lists_the_callers_units(client, make_user):
    # OrganisationUnitController: userOnly=true gives the user's own units
    user = make_user("data_entry", "79")
    token = {"HTTP_AUTHORIZATION": f"ApiToken {create_token(user)[1]}"}
    body = get(client, "/api/organisationUnits?userOnly=true&fields=id", **token)[1]
    assert body["organisationUnits"] == [{"id": "79"}] and body["pager"]["total"] == 1
    assert get(client, "/api/organisationUnits?userOnly=true")[1]["organisationUnits"] == []  # anonymous


@pytest.mark.django_db
def test_data_elements_in_dhis2_terms(client, catalog):
    # DataElement: valueType (ValueType), aggregationType (AggregationType), domainType AGGREGATE, the default
    # categoryCombo (DefaultCategoryService: bjDvmb4bfuf), dataSetElements {dataSet, dataElement}
    body = get(client, "/api/dataElements/TYLE_HS")[1]
    assert (body["valueType"], body["aggregationType"], body["domainType"]) == ("PERCENTAGE", "AVERAGE",
                                                                                "AGGREGATE")
    assert body["categoryCombo"] == {"id": "bjDvmb4bfuf"} and body["zeroIsSignificant"] is True
    assert body["dataSetElements"] == [{"dataSet": {"id": "CDS"}, "dataElement": {"id": "TYLE_HS"}}]
    assert body["description"] == "Số hồ sơ trực tuyến trên tổng số hồ sơ."
    rows = get(client, "/api/dataElements?fields=id,valueType,aggregationType&paging=false")[1]["dataElements"]
    assert {r["id"]: (r["valueType"], r["aggregationType"]) for r in rows} == {
        "DVC_TONG": ("INTEGER_ZERO_OR_POSITIVE", "LAST"), "TYLE_HS": ("PERCENTAGE", "AVERAGE"),
        "VON_DAU_TU": ("NUMBER", "SUM")}
    # enum and reference filters: the way DHIS2 clients ask for a data set's aggregate elements
    asked = get(client, "/api/dataElements?filter=domainType:eq:AGGREGATE&filter=valueType:in:[NUMBER,PERCENTAGE]"
                        "&filter=dataSetElements.dataSet.id:eq:CDS&fields=id")[1]
    assert asked["dataElements"] == [{"id": "TYLE_HS"}]
    assert get(client, "/api/dataElements?filter=categoryCombo.id:eq:bjDvmb4bfuf&fields=id")[1]["pager"][
        "total"] == 3
    assert get(client, "/api/dataElements?filter=categoryCombo.id:eq:other&fields=id")[1]["dataElements"] == []


@pytest.mark.django_db
def test_an_unpublished_element_is_seen_by_readers_only(client, catalog, reader):
    # api.catalog.visible (the catalog API's rule): the public sees published entries, a reader every one
    public = get(client, "/api/dataElements?paging=false&fields=id")[1]["dataElements"]
    assert {"id": "NOI_BO"} not in public and len(public) == 3
    status, body = get(client, "/api/dataElements/NOI_BO")
    assert status == 404 and body["errorCode"] == "E1005"  # not told apart from one that does not exist
    cds = get(client, "/api/dataSets/CDS?fields=dataSetElements[dataElement[id]]")[1]
    assert cds["dataSetElements"] == [{"dataElement": {"id": "DVC_TONG"}}, {"dataElement": {"id": "TYLE_HS"}}]
    assert get(client, "/api/dataElements/NOI_BO", **reader)[0] == 200
    seen = get(client, "/api/dataSets/CDS?fields=dataSetElements[dataElement[id]]", **reader)[1]
    assert {"dataElement": {"id": "NOI_BO"}} in seen["dataSetElements"]


@pytest.mark.django_db
def test_a_theme_is_a_data_set_with_the_period_type_most_of_its_elements_use(client, catalog, reader):
    # DataSet.periodType; govkpi: the most common frequency of the theme's elements (the shorter on a tie)
    sets = get(client, "/api/dataSets?fields=id,periodType,dataSetElements&paging=false")[1]["dataSets"]
    by_id = {s["id"]: s for s in sets}
    assert set(by_id) == set(Theme.objects.values_list("code", flat=True))
    assert by_id["CDS"]["periodType"] == "Monthly" and by_id["DA06"]["periodType"] == "Yearly"
    assert by_id["DA06"]["dataSetElements"] == [{"dataSet": {"id": "DA06"}, "dataElement": {"id": "VON_DAU_TU"}}]
    assert get(client, "/api/dataSets?filter=periodType:eq:Yearly&fields=id")[1]["dataSets"] == [{"id": "DA06"}]
    # two monthly against one quarterly (the reader sees NOI_BO): still Monthly; one against one: the shorter
    catalog["TYLE_HS"].themes.clear()
    assert get(client, "/api/dataSets/CDS?fields=periodType", **reader)[1] == {"periodType": "Monthly"}
    catalog["DVC_TONG"].themes.clear()
    assert get(client, "/api/dataSets/CDS?fields=periodType", **reader)[1] == {"periodType": "Quarterly"}


@pytest.mark.django_db
def test_the_default_category_objects_have_dhis2s_uids(client):
    # DefaultCategoryService.generateDefaultDimension: option xYerKDKCefk, category GLevLNI9wkl, combo
    # bjDvmb4bfuf, option combo HllvX50cXC0, each named and coded "default"
    combo = get(client, "/api/categoryCombos/bjDvmb4bfuf?fields=id,name,categories,categoryOptionCombos[id,name]")[1]
    assert combo == {"id": "bjDvmb4bfuf", "name": "default", "categories": [{"id": "GLevLNI9wkl"}],
                     "categoryOptionCombos": [{"id": "HllvX50cXC0", "name": "default"}]}
    coc = get(client, "/api/categoryOptionCombos?fields=id,code,categoryCombo,categoryOptions")[1]
    assert coc["categoryOptionCombos"] == [{"id": "HllvX50cXC0", "code": "default",
                                            "categoryCombo": {"id": "bjDvmb4bfuf"},
                                            "categoryOptions": [{"id": "xYerKDKCefk"}]}]
    assert get(client, "/api/categories?fields=id,categoryOptions")[1]["categories"] == [
        {"id": "GLevLNI9wkl", "categoryOptions": [{"id": "xYerKDKCefk"}]}]
    assert get(client, "/api/categoryOptions/default?fields=id")[1] == {"id": "xYerKDKCefk"}
    assert get(client, "/api/categoryOptionCombos?filter=name:eq:other")[1]["categoryOptionCombos"] == []
    assert get(client, "/api/categoryCombos?filter=colour:eq:red")[0] == 409
    assert get(client, "/api/categoryCombos/abc")[0] == 404


@pytest.mark.django_db
def test_organisation_unit_levels_count_from_one(client):
    # OrganisationUnitLevel: level 1 is the root (OrganisationUnit.getLevel counts the path's parts)
    levels = get(client, "/api/organisationUnitLevels?fields=id,level,name")[1]["organisationUnitLevels"]
    assert [(lv["id"], lv["level"]) for lv in levels] == [("level1", 1), ("level2", 2), ("level3", 3)]
    assert levels[0]["name"] == "Chính phủ" and "Tỉnh, thành phố" in levels[1]["name"]
    assert get(client, "/api/organisationUnitLevels?filter=level:ge:2&fields=id")[1]["pager"]["total"] == 2


@pytest.mark.django_db
def test_a_bad_credential_is_401_with_the_challenge_and_none_reads_what_is_public(client):
    # As the data endpoints (api.dhis2_web.authenticate): a bad token or Basic password is 401 with
    # WWW-Authenticate, no credential reads what the public may see
    response = client.get("/api/organisationUnits", HTTP_AUTHORIZATION="ApiToken gk_bad_token")
    assert response.status_code == 401 and "ApiToken" in response["WWW-Authenticate"]
    basic = base64.b64encode(b"someone:a-password").decode()
    assert client.get("/api/dataElements", HTTP_AUTHORIZATION=f"Basic {basic}").status_code == 401
    assert client.get("/api/dataSets").status_code == 200


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_page(client, django_assert_max_num_queries):
    # Every related object of a page is read in one query for the whole page (api.dhis2_schemas.UnitGraph)
    fields = "fields=*,parent[id,name,parent[id]],children[id,name,children[id]],ancestors[id,name]"
    counts = []
    for size in (5, 200):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/organisationUnits?pageSize={size}&{fields}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(8):
        client.get(f"/api/organisationUnits?pageSize=300&filter=level:eq:3&{fields},attributeValues")


@pytest.mark.django_db
def test_data_sets_and_elements_read_in_a_bounded_number_of_queries(client, catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        body = get(client, "/api/dataSets?fields=*,dataSetElements[dataElement[*]]&paging=false")[1]
    assert sum(len(s["dataSetElements"]) for s in body["dataSets"]) == 3
    deep = "fields=id,dataSetElements[dataSet[id,periodType,dataSetElements[dataElement[id,valueType]]]]"
    with django_assert_max_num_queries(8):
        body = get(client, f"/api/dataElements?paging=false&{deep}")[1]
    [tyle] = [e for e in body["dataElements"] if e["id"] == "TYLE_HS"]
    assert tyle["dataSetElements"][0]["dataSet"]["periodType"] == "Monthly"
    assert {"dataElement": {"id": "TYLE_HS", "valueType": "PERCENTAGE"}} in tyle["dataSetElements"][0]["dataSet"][
        "dataSetElements"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow  # a live server on loopback
def test_dhis2_py_reads_units_page_by_page(live_server, make_user):
    # dhis2.py 2.3.0 (PyPI) Api.get_paged: pageSize, page, reads pager.pageCount; Api.get with params
    dhis2 = pytest.importorskip("dhis2")
    user = make_user("viewer", "CP")
    api = dhis2.Api(live_server.url, user.username, create_token(user)[1])
    pages = list(api.get_paged("organisationUnits", params={"fields": "id,level", "filter": "level:eq:2"},
                               page_size=40))
    units = [u for page in pages for u in page["organisationUnits"]]
    assert len(pages) == pages[0]["pager"]["pageCount"] > 1
    assert len(units) == len({u["id"] for u in units}) == OrgUnit.objects.filter(level=1).count()
    one = api.get("organisationUnits/79", params={"fields": "id,name,parent[id]"}).json()
    assert one == {"id": "79", "name": OrgUnit.objects.get(code="79").name, "parent": {"id": "CP"}}


def test_dates_are_dhis2_date_times():
    # DHIS2 writes openingDate/closedDate as yyyy-MM-dd'T'HH:mm:ss.SSS
    from govkpi.api.dhis2_schemas import _date

    assert _date(datetime.date(2025, 6, 30)) == "2025-06-30T00:00:00.000" and _date(None) is None
