"""Machine numbers and ISO dates, as systems send them on DHIS2's paths, against the office forms people type."""

import pytest

from govkpi.core.values import ValueProblem, read_value


@pytest.mark.parametrize("raw,expected", [("2.000", "2"), ("1e3", "1000"), ("-0", "0"), ("7", "7"), (12, "12")])
def test_machine_counts(raw, expected):
    assert read_value("count", raw, machine=True)[0] == expected


@pytest.mark.parametrize("raw", ["1,084", "1.084,5", "12,5", "1 000", "2.0.0"])
def test_office_forms_are_not_machine_numbers(raw):
    with pytest.raises(ValueProblem) as refused:
        read_value("amount", raw, machine=True)
    assert refused.value.code == "not_a_machine_number"


def test_the_same_text_read_by_people_and_by_machines():
    assert read_value("count", "1.084")[0] == "1084"  # a thousand and eighty-four, as offices write it
    assert read_value("amount", "1.084", machine=True)[0] == "1.084"
    assert read_value("percentage", "39.51", machine=True)[1] == pytest.approx(39.51)
    with pytest.raises(ValueProblem):
        read_value("count", "1.5", machine=True)  # not a whole number, not fifteen


def test_machine_dates_are_iso():
    assert read_value("date", "2025-07-31", machine=True)[0] == "2025-07-31"
    with pytest.raises(ValueProblem):
        read_value("date", "31/07/2025", machine=True)
