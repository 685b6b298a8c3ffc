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


def test_verify_reports_stored_cells_that_break_a_rule(elements, month, make_user, unit, capsys):
    """`govkpi recompute --verify` checks the stored data against every rule, not only results against data: a
    value put past the writer (a script on the table, a rule added over older values) is named with its cell."""
    from govkpi.cli import main
    from govkpi.datavalues.models import DataValue
    from govkpi.datavalues.rules import broken_in_store

    clerk = make_user("data_entry", "CP")
    written = write_values([Item(0, "DVC_TONG", month, "01", 2200), Item(1, "DVC_TOANTRINH", month, "01", 2000),
                            Item(2, "DVC_TONG", month, "79", 10), Item(3, "DVC_TOANTRINH", month, "79", 5)],
                           actor=clerk, channel="api")
    assert written.status == "SUCCESS" and broken_in_store() == []
    DataValue.objects.filter(data_element__code="DVC_TOANTRINH", unit__code="01").update(value="2400", number=2400)
    assert broken_in_store() == [f"rule DVC_TOANTRINH_LE_TONG 01/{month}: #{{DVC_TOANTRINH}} = 2400, #{{DVC_TONG}} = 2200"]
    assert main(["recompute", "--verify"]) == 1
    assert f"rule DVC_TOANTRINH_LE_TONG 01/{month}" in capsys.readouterr().out
