"""A data element belongs to the data sets (themes) of the indicators computed from it, so that DHIS2's
`dataSet=CDS` names the values the CDS indicators are made of (DHIS2 Web API docs: a data set is the data
elements a form collects)."""

import pytest

from govkpi.indicators.catalog import apply_catalog
from govkpi.indicators.data_sets import element_themes
from govkpi.indicators.models import DataElement


def test_themes_come_from_the_indicators_computed_from_an_element_and_through_other_indicators():
    document = {"data_elements": [{"code": "A", "themes": ["KHCN"]}, {"code": "B"}, {"code": "C"}, {"code": "D"}],
                "indicators": [{"code": "RATE", "formula": "#{A} / #{B} * 100", "themes": ["CDS"]},
                               {"code": "TWICE", "formula": "#{RATE} * 2", "themes": ["DA06"]},
                               {"code": "C", "themes": ["DMST"]},  # reported directly: the element C
                               {"code": "LOOP", "formula": "#{LOOP} + #{D}", "themes": ["CDS"]}]}
    assert element_themes(document) == {"A": ["CDS", "DA06", "KHCN"], "B": ["CDS", "DA06"], "C": ["DMST"],
                                        "D": ["CDS"]}


@pytest.mark.django_db
def test_the_catalog_gives_elements_their_indicators_themes(small_catalog, unit):
    assert apply_catalog(small_catalog).ok
    for code in ("DVC_TOANTRINH", "DVC_TONG"):  # DVC_TOANTRINH_TYLE (CDS, DA06) is computed from both
        assert sorted(DataElement.objects.get(code=code).themes.values_list("code", flat=True)) == ["CDS", "DA06"]
