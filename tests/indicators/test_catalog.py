import datetime

import pytest

from govkpi.indicators.catalog import apply_catalog, apply_target, validate_catalog
from govkpi.indicators.catalog_files import export_catalog, from_xlsx, to_xlsx, to_yaml
from govkpi.indicators.models import DataElement, Indicator, ReportedFigure, Target

pytestmark = pytest.mark.django_db
D = datetime.date


def codes(problems):
    return [(p.where, p.code) for p in problems]


def test_a_valid_document_loads_and_a_second_load_changes_nothing(small_catalog):
    report = apply_catalog(small_catalog)
    assert report.ok, report.problems
    assert report.created["indicators"] == 2 and report.created["targets"] == 2 and report.created["figures"] == 2
    again = apply_catalog(small_catalog)
    assert again.ok and again.created == {} and again.updated == {}


def test_target_revision_keeps_both_versions_linked(small_catalog):
    apply_catalog(small_catalog)
    old, new = Target.objects.filter(indicator__code="DVC_TOANTRINH_TYLE").order_by("set_on")
    assert (old.value, new.value) == (100, 80)
    assert new.supersedes == old and old.superseded_by == new


def test_problems_say_where_and_why_and_nothing_is_written(small_catalog):
    small_catalog["indicators"][0]["formula"] = "#{DVC_TOANTRINH} / #{DVC_TONG} * "
    small_catalog["indicators"].append(dict(small_catalog["indicators"][1]))  # duplicate code
    small_catalog["data_elements"][0]["value_type"] = "colour"
    small_catalog["indicators"][0]["owner"] = "BXX"
    small_catalog["indicators"][0]["figures"][0]["period"] = "2025Q5"
    report = apply_catalog(small_catalog)
    assert not report.ok
    found = codes(report.problems)
    assert ("indicators[0].formula", "unexpected_end") in found
    assert ("indicators[2].code", "duplicate_code") in found
    assert ("data_elements[0].value_type", "invalid_choice") in found
    assert ("indicators[0].owner", "unknown_unit") in found
    assert ("indicators[0].figures[0].period", "quarter_out_of_range") in found
    formula_problem = next(p for p in report.problems if p.where == "indicators[0].formula")
    assert "34" in formula_problem.message_en  # the character where the formula breaks off
    assert not Indicator.objects.exists() and not DataElement.objects.exists()


def test_unknown_references_and_cycles_are_refused(small_catalog):
    small_catalog["indicators"][1]["formula"] = "#{DVC_TOANTRINH_TYLE} + #{KHONG_CO}"
    small_catalog["indicators"][0]["formula"] = "#{NOI_BO} * 2"
    found = codes(validate_catalog(small_catalog))
    assert ("indicators[1].formula", "unknown_reference") in found
    assert ("indicators", "formula_cycle") in found


def test_a_cycle_through_the_saved_catalog_is_refused_too(small_catalog):
    apply_catalog(small_catalog)
    update = {"indicators": [{"code": "NOI_BO", "name_vi": "x", "value_type": "count",
                              "formula": "#{DVC_TOANTRINH_TYLE}"}]}
    assert apply_catalog(update).ok
    back = {"indicators": [{**small_catalog["indicators"][0], "formula": "#{NOI_BO} + 1"}]}
    assert ("indicators", "formula_cycle") in codes(apply_catalog(back).problems)


def test_dry_run_validates_but_writes_nothing(small_catalog):
    report = apply_catalog(small_catalog, dry_run=True)
    assert report.ok and report.created["indicators"] == 2
    assert not Indicator.objects.exists()


def test_export_then_import_changes_nothing_in_yaml_and_xlsx(small_catalog):
    apply_catalog(small_catalog)
    document = export_catalog()
    import yaml

    assert apply_catalog(yaml.safe_load(to_yaml(document))).updated == {}
    from_excel = from_xlsx(to_xlsx(document))
    report = apply_catalog(from_excel)
    assert report.ok, report.problems
    assert report.created == {} and report.updated == {}
    assert from_excel["indicators"][0]["targets"][1]["set_on"] == D(2025, 2, 6)
    assert ReportedFigure.objects.get(subset="provinces").value == 15.21


def test_apply_target_adds_a_version_that_supersedes_the_latest(small_catalog):
    apply_catalog(small_catalog)
    report = apply_target("DVC_TOANTRINH_TYLE", {"value": 85, "deadline": D(2026, 12, 31), "set_on": D(2025, 11, 15),
                                                 "scope": "national", "supersedes": True})
    assert report.ok
    newest = Target.objects.get(value=85)
    assert newest.supersedes.value == 80
    bad = apply_target("KHONG_CO", {"value": "cao", "deadline": "sớm", "set_on": D(2025, 1, 1)})
    assert {c for _, c in codes(bad.problems)} >= {"invalid_number", "invalid_date", "unknown_indicator"}


def test_traffic_light_thresholds_load_export_and_are_checked(small_catalog):
    small_catalog["indicators"][0]["targets"][1].update(green_from=95, amber_from=70)
    assert apply_catalog(small_catalog).ok
    target = Target.objects.get(value=80)
    assert (target.green_from, target.amber_from) == (95, 70)
    exported = export_catalog()["indicators"][0]["targets"][1]
    assert (exported["green_from"], exported["amber_from"]) == (95, 70)
    assert from_xlsx(to_xlsx(export_catalog()))["indicators"][0]["targets"][1]["green_from"] == 95
    small_catalog["indicators"][0]["targets"][1].update(green_from=60, amber_from=70)
    assert ("indicators[0].targets[1].amber_from", "thresholds_out_of_order") in codes(validate_catalog(small_catalog))
