"""Rules the catalog implies: the part of a percentage cannot exceed its whole."""

import pytest

from govkpi.datavalues.models import ValidationRule
from govkpi.datavalues.rules import part_of_whole, sync_derived_rules
from govkpi.datavalues.writer import Item, write_values
from govkpi.indicators.catalog import apply_catalog

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("formula", "pair"), [
    ("#{DVC_TOANTRINH} / #{DVC_TONG} * 100", ("DVC_TOANTRINH", "DVC_TONG")),
    ("#{A}/#{B}*100", ("A", "B")),
    ("(#{A} - #{B}) / #{A} * 100", None),
    ("#{A} * 100", None),
])
def test_part_of_whole_shapes(formula, pair):
    assert part_of_whole(formula) == pair


def test_the_catalog_implies_a_rule_and_values_obey_it(small_catalog, month):
    for element in small_catalog["data_elements"]:
        element.update(unit_kinds=[], frequency="monthly")
    assert apply_catalog(small_catalog).ok
    assert sync_derived_rules() == 1
    rule = ValidationRule.objects.get()
    assert (rule.code, rule.left, rule.operator, rule.right) == (
        "DVC_TOANTRINH_TYLE__PART_LE_WHOLE", "#{DVC_TOANTRINH}", "<=", "#{DVC_TONG}")
    result = write_values([Item(0, "DVC_TOANTRINH", month, "01", 50), Item(1, "DVC_TONG", month, "01", 40)],
                          actor=None, channel="api")
    assert {c.code for c in result.conflicts} == {"rule:DVC_TOANTRINH_TYLE__PART_LE_WHOLE"}
    assert sync_derived_rules() == 1 and ValidationRule.objects.count() == 1  # idempotent
