"""Disaggregation in the catalog: categories, category combos, their generated option combos, the elements and
themes that use them, and what the catalog refuses."""

import copy

import pytest
import yaml

from govkpi.datavalues.models import DataValue
from govkpi.datavalues.writer import Item, write_values
from govkpi.indicators.catalog import apply_catalog
from govkpi.indicators.catalog_files import export_catalog, from_xlsx, to_xlsx, to_yaml
from govkpi.indicators.models import CategoryCombo, CategoryOptionCombo, DataElement, Theme

pytestmark = pytest.mark.django_db

SEX = {"code": "GIOI_TINH", "name_vi": "Giới tính", "name_en": "Sex",
       "options": [{"code": "NU", "name_vi": "Nữ", "name_en": "Female"},
                   {"code": "NAM", "name_vi": "Nam", "name_en": "Male"}]}
AGE = {"code": "NHOM_TUOI", "name_vi": "Nhóm tuổi", "name_en": "Age group",
       "options": [{"code": "U35", "name_vi": "Dưới 35", "name_en": "Under 35"},
                   {"code": "O35", "name_vi": "Từ 35", "name_en": "35 and over"}]}
FUNDING = {"code": "NGUON", "name_vi": "Nguồn vốn", "name_en": "Funding source",
           "options": [{"code": "NSNN", "name_vi": "Ngân sách nhà nước", "name_en": "State budget"},
                       {"code": "ODA", "name_vi": "Vốn ODA", "name_en": "ODA"}]}


def disaggregated(document):
    document = copy.deepcopy(document)
    document["categories"] = [SEX, AGE, FUNDING]
    document["category_combos"] = [
        {"code": "GT_TUOI", "name_vi": "Theo giới tính và nhóm tuổi", "name_en": "By sex and age",
         "categories": ["GIOI_TINH", "NHOM_TUOI"], "option_combos": [{"options": ["NU", "U35"], "code": "F_YOUNG"}]},
        {"code": "THEO_NGUON", "name_vi": "Theo nguồn vốn", "kind": "attribute", "categories": ["NGUON"]},
    ]
    document["data_elements"][1]["category_combo"] = "GT_TUOI"  # DVC_TONG, a count
    document["themes"] = [{"code": "CDS", "attribute_combo": "THEO_NGUON"}]
    return document


def test_option_combos_are_the_product_of_the_categories_in_order_with_names_joined(small_catalog):
    report = apply_catalog(disaggregated(small_catalog))
    assert report.ok, report.problems
    combo = CategoryCombo.objects.get(code="GT_TUOI")
    cocs = list(combo.option_combos.order_by("position").values_list("code", "name_vi", "name_en"))
    assert cocs == [("F_YOUNG", "Nữ, Dưới 35", "Female, Under 35"), ("GT_TUOI_NU_O35", "Nữ, Từ 35", "Female, 35 and over"),
                    ("GT_TUOI_NAM_U35", "Nam, Dưới 35", "Male, Under 35"),
                    ("GT_TUOI_NAM_O35", "Nam, Từ 35", "Male, 35 and over")]
    assert sorted(CategoryOptionCombo.objects.get(code="F_YOUNG").options.values_list("code", flat=True)) == \
        ["NU", "U35"]
    assert DataElement.objects.get(code="DVC_TONG").category_combo == combo
    assert DataElement.objects.get(code="DVC_TOANTRINH").category_combo is None  # default stays the default
    assert Theme.objects.get(code="CDS").attribute_combo.code == "THEO_NGUON"
    assert Theme.objects.get(code="KHCN").attribute_combo is None
    assert apply_catalog(disaggregated(small_catalog)).summary() == "không thay đổi gì / nothing changed"


def test_the_catalog_refuses_a_combo_on_a_percentage_element_naming_it(small_catalog):
    document = disaggregated(small_catalog)
    document["data_elements"].append({"code": "TY_LE_NU", "name_vi": "Tỷ lệ nữ", "value_type": "percentage",
                                      "category_combo": "GT_TUOI"})
    report = apply_catalog(document)
    problem = next(p for p in report.problems if p.code == "category_combo_not_additive")
    assert problem.where == "data_elements[2].category_combo"
    assert "TY_LE_NU" in problem.message_vi and "TY_LE_NU" in problem.message_en and "percentage" in problem.message_en
    assert not CategoryCombo.objects.exists() and not DataElement.objects.exists()  # nothing written


def test_kinds_references_and_codes_are_checked(small_catalog):
    document = disaggregated(small_catalog)
    document["data_elements"][0]["category_combo"] = "THEO_NGUON"  # an attribute combo on an element
    document["themes"] = [{"code": "DMST", "attribute_combo": "GT_TUOI"}, {"code": "NOPE"}]
    document["category_combos"].append({"code": "BROKEN", "name_vi": "x", "categories": ["KHONG_CO"]})
    document["category_combos"].append({"code": "default", "name_vi": "x", "categories": ["GIOI_TINH"]})
    document["categories"].append({"code": "EMPTY", "name_vi": "Rỗng", "options": []})
    codes = {(p.where, p.code) for p in apply_catalog(document).problems}
    assert ("data_elements[0].category_combo", "not_a_disaggregation") in codes
    assert ("themes[0].attribute_combo", "not_an_attribute_combo") in codes
    assert ("themes[1].code", "invalid_choice") in codes
    assert ("category_combos[2].categories", "unknown_category") in codes
    assert ("category_combos[3].code", "invalid_combo_code") in codes
    assert ("categories[3].options", "category_without_options") in codes


def test_existing_catalogs_load_unchanged_and_export_as_before(small_catalog):
    assert apply_catalog(small_catalog).ok
    document = export_catalog()
    assert set(document) == {"sources", "data_elements", "indicators"}
    assert "category_combo" not in document["data_elements"][0]


def test_export_then_import_keeps_the_disaggregation_in_yaml_and_xlsx(small_catalog):
    assert apply_catalog(disaggregated(small_catalog)).ok
    document = export_catalog()
    assert document["category_combos"][0]["option_combos"] == [{"options": ["NU", "U35"], "code": "F_YOUNG"}]
    assert apply_catalog(yaml.safe_load(to_yaml(document))).updated == {}
    from_excel = from_xlsx(to_xlsx(document))
    assert next(c for c in from_excel["categories"] if c["code"] == "GIOI_TINH")["options"] == SEX["options"]
    report = apply_catalog(from_excel)
    assert report.ok and report.updated == {} and report.created == {}, (report.problems, report.updated)


def test_changing_an_elements_combo_is_refused_while_values_are_stored_under_the_old_one(small_catalog):
    assert apply_catalog(disaggregated(small_catalog)).ok
    result = write_values([Item(0, "DVC_TONG", "2025", "01", 10, category_option_combo="GT_TUOI_NAM_U35")],
                          actor=None, channel="api", check_windows=False)
    assert result.created == 1, result.conflicts
    plain = disaggregated(small_catalog)
    del plain["data_elements"][1]["category_combo"]
    problems = apply_catalog(plain).problems
    assert [p.code for p in problems] == ["category_combo_in_use"]
    assert "DVC_TONG" in problems[0].message_vi and "1" in problems[0].message_en
    assert DataElement.objects.get(code="DVC_TONG").category_combo.code == "GT_TUOI"  # unchanged
    # Dropping an option the values use is refused too.
    fewer = disaggregated(small_catalog)
    fewer["categories"][1] = {**AGE, "options": AGE["options"][1:]}
    assert "option_combo_in_use" in {p.code for p in apply_catalog(fewer).problems}
    DataValue.objects.all().delete()
    assert apply_catalog(plain).ok


def test_options_and_codes_that_cannot_be_stored_are_problems_with_their_place(small_catalog):
    """An option's names and the codes of a list are text the database stores: a NUL, half a UTF-16 pair or a
    name longer than its column is refused with where it is (it was a DataError on PostgreSQL), nothing written."""
    document = disaggregated(small_catalog)
    document["categories"][0]["options"] = [{"code": "NU", "name_vi": "N\x00ữ"}, {"code": "NAM", "name_vi": "x" * 300},
                                            "KHAC", {"code": ["not", "text"], "name_vi": "Khác"}]
    document["category_combos"][0]["categories"] = ["GIOI_TINH", "NHOM\x00TUOI"]
    before = CategoryCombo.objects.count()
    codes = {(p.where, p.code) for p in apply_catalog(document).problems}
    assert ("categories[0].options[0].name_vi", "bad_text") in codes
    assert ("categories[0].options[1].name_vi", "too_long") in codes
    assert ("categories[0].options[3].code", "bad_type") in codes
    assert ("category_combos[0].categories[1]", "bad_text") in codes
    assert not any(where.startswith("categories[0].options[2]") for where, _code in codes)  # a plain code is fine
    assert CategoryCombo.objects.count() == before
