"""The reference catalog: every indicator and figure of the five seed articles, cited."""

import datetime

import pytest

from govkpi.indicators.catalog import REFERENCE_CATALOG, apply_catalog, load_yaml
from govkpi.indicators.models import Indicator, ReportedFigure, Target
from govkpi.tasks.models import Directive

pytestmark = pytest.mark.django_db
D = datetime.date
SEED_FILES = {"000_1d95cc883e91de91.txt", "001_9f3c6a45c9165337.txt", "002_5414a5f2010278ac.txt",
              "003_e473bdbb46d47959.txt", "004_cc47219c62bda4e4.txt"}


@pytest.fixture
def reference():
    document = load_yaml(REFERENCE_CATALOG)
    report = apply_catalog(document)
    assert report.ok, report.problems[:5]
    return document


def test_the_reference_catalog_loads_whole_and_twice_changes_nothing(reference):
    assert Indicator.objects.count() == len(reference["indicators"]) >= 50
    assert Target.objects.count() >= 25 and ReportedFigure.objects.count() >= 30
    again = apply_catalog(reference)
    assert again.created == {} and again.updated == {}


def test_every_source_is_one_of_the_seed_articles_with_its_meeting(reference):
    directives = Directive.objects.all()
    assert {d.source_file for d in directives} == SEED_FILES
    assert all(d.meeting and d.title for d in directives)
    assert Directive.objects.get(source_file="000_1d95cc883e91de91.txt").issued_on == D(2025, 9, 24)


def in_force(code, on):
    versions = Target.objects.filter(indicator__code=code, scope="national", set_on__lte=on)
    return versions.exclude(superseded_by__set_on__lte=on).values_list("value", flat=True)


def test_end_to_end_target_was_100_then_revised_to_80(reference):
    assert list(in_force("DVC_TOANTRINH_TYLE", D(2025, 1, 1))) == [100]
    assert list(in_force("DVC_TOANTRINH_TYLE", D(2025, 6, 1))) == [80]
    assert list(in_force("DVC_TOANTRINH_TYLE", D(2025, 12, 1))) == [80]
    revised = Target.objects.get(indicator__code="DVC_TOANTRINH_TYLE", set_on=D(2025, 2, 6))
    assert revised.supersedes.value == 100 and revised.directive.source_file == "002_5414a5f2010278ac.txt"


def test_adult_use_of_online_services_target_went_from_50_to_40(reference):
    assert list(in_force("DVC_NGUOIDAN_SUDUNG_TYLE", D(2025, 1, 1))) == [50]
    assert list(in_force("DVC_NGUOIDAN_SUDUNG_TYLE", D(2025, 3, 1))) == [40]


def test_the_july_2025_end_to_end_figures_national_and_provinces(reference):
    figures = ReportedFigure.objects.filter(indicator__code="DVC_TOANTRINH_TYLE", period="202507")
    assert {(f.value, f.subset) for f in figures} == {(39.51, ""), (15.21, "provinces")}
    assert {f.source.source_file for f in figures} == {"003_e473bdbb46d47959.txt"}
    assert {f.subset for f in figures if "15,21%" in f.quote} == {"", "provinces"}
    assert "39,51%" in figures.get(subset="").quote


@pytest.mark.parametrize("value", [898, 54, 40, 26])
def test_seed_figures_named_by_the_issue_are_present(reference, value):
    # 898 of 1,084 procedures simplified; 54 of 76 essential services; 40 of 61 VNeID utilities; 26% 5G coverage.
    in_notes = ReportedFigure.objects.filter(note__contains=str(value)).exists()
    as_values = ReportedFigure.objects.filter(value=value).exists() or Target.objects.filter(value=value).exists()
    assert in_notes or as_values


def test_formula_indicators_refer_to_declared_codes_and_ratios_are_ratios_of_data_elements(reference):
    rate = Indicator.objects.get(code="DVC_TOANTRINH_TYLE")
    assert "#{DVC_TOANTRINH}" in rate.formula and "#{DVC_TONG}" in rate.formula
    assert Indicator.objects.exclude(formula="").count() >= 15
