import datetime
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govkpi.core.periods import (
    Period,
    PeriodError,
    PeriodType,
    parse_period,
    period_of,
    periods_between,
    relative_periods,
)

D = datetime.date
ids = lambda periods: [p.id for p in periods]  # noqa: E731

# Every Period has an identifier year in 1900–2100; dates up to 2099 leave room for next().
any_date = st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31))
steppable_date = st.dates(min_value=D(1900, 1, 1), max_value=D(2099, 12, 31))
any_type = st.sampled_from(list(PeriodType))


# --- reading and writing identifiers ---------------------------------------------------------

@pytest.mark.parametrize(("text", "ptype", "start", "end"), [
    ("2025", PeriodType.YEARLY, D(2025, 1, 1), D(2025, 12, 31)),
    ("2025S1", PeriodType.SIXMONTHLY, D(2025, 1, 1), D(2025, 6, 30)),
    ("2025S2", PeriodType.SIXMONTHLY, D(2025, 7, 1), D(2025, 12, 31)),
    ("2025Q3", PeriodType.QUARTERLY, D(2025, 7, 1), D(2025, 9, 30)),
    ("2024Q1", PeriodType.QUARTERLY, D(2024, 1, 1), D(2024, 3, 31)),
    ("202509", PeriodType.MONTHLY, D(2025, 9, 1), D(2025, 9, 30)),
    ("202402", PeriodType.MONTHLY, D(2024, 2, 1), D(2024, 2, 29)),
    ("2025W38", PeriodType.WEEKLY, D(2025, 9, 15), D(2025, 9, 21)),
    ("2024W1", PeriodType.WEEKLY, D(2024, 1, 1), D(2024, 1, 7)),
    ("2020W53", PeriodType.WEEKLY, D(2020, 12, 28), D(2021, 1, 3)),
    ("2026W1", PeriodType.WEEKLY, D(2025, 12, 29), D(2026, 1, 4)),
    ("20250924", PeriodType.DAILY, D(2025, 9, 24), D(2025, 9, 24)),
    ("20240229", PeriodType.DAILY, D(2024, 2, 29), D(2024, 2, 29)),
])
def test_each_type_parses_to_its_dates_and_writes_back_the_same_identifier(text, ptype, start, end):
    period = parse_period(text)
    assert (period.type, period.start, period.end) == (ptype, start, end)
    assert period.id == text


def test_a_week_may_be_written_with_a_leading_zero_but_is_written_back_without():
    assert parse_period("2025W01") == parse_period("2025W1")
    assert parse_period("2025W01").id == "2025W1"
    assert parse_period("2025W09").start == D(2025, 2, 24)


def test_surrounding_whitespace_is_ignored():
    assert parse_period("  2025Q3\n").id == "2025Q3"
    assert parse_period("\t202509 ").start == D(2025, 9, 1)


def test_days_counts_every_day_inclusive():
    assert [parse_period(t).days for t in ("2024", "2025", "2025Q3", "202402", "2025W38", "20250924")] == \
        [366, 365, 92, 29, 7, 1]


def test_the_week_of_a_date_follows_iso_years_at_the_turn_of_the_year():
    assert period_of(PeriodType.WEEKLY, D(2025, 12, 31)).id == "2026W1"
    assert period_of(PeriodType.WEEKLY, D(2021, 1, 3)).id == "2020W53"
    assert period_of(PeriodType.WEEKLY, D(2027, 1, 1)).id == "2026W53"
    # The year 2101 is outside the accepted years, but its first two days belong to 2100W52.
    assert period_of(PeriodType.WEEKLY, D(2101, 1, 1)).id == "2100W52"


# --- refusals -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "code"), [
    ("2025Q5", "quarter_out_of_range"),
    ("2025Q0", "quarter_out_of_range"),
    ("2025S3", "sixmonth_out_of_range"),
    ("202513", "month_out_of_range"),
    ("202500", "month_out_of_range"),
    ("20251301", "month_out_of_range"),
    ("2025W54", "week_out_of_range"),
    ("2025W53", "week_out_of_range"),
    ("2025W0", "week_out_of_range"),
    ("20250230", "invalid_date"),
    ("20250229", "invalid_date"),
    ("", "empty"),
    ("   ", "empty"),
    ("abc", "unrecognised_format"),
    ("2025M09", "unrecognised_format"),
    ("2025q3", "unrecognised_format"),
    ("2025Q10", "unrecognised_format"),
    ("2025W001", "unrecognised_format"),
    ("2025 Q3", "unrecognised_format"),
    ("٢٠٢٥", "unrecognised_format"),  # Arabic-Indic digits: int() would read them as 2025
    ("2025٠٩", "unrecognised_format"),  # and these as month 09
    ("1800", "year_out_of_range"),
    ("2101Q1", "year_out_of_range"),
    ("1899W52", "year_out_of_range"),
])
def test_refusals_carry_a_code(text, code):
    with pytest.raises(PeriodError) as caught:
        parse_period(text)
    assert caught.value.code == code
    assert caught.value.text == text


def test_2020_had_53_iso_weeks_but_2025_has_52():
    assert parse_period("2020W53").end == D(2021, 1, 3)
    with pytest.raises(PeriodError) as caught:
        parse_period("2025W53")
    assert "52 ISO weeks" in caught.value.message_en
    assert "52 tuần" in caught.value.message_vi


def test_messages_say_the_reason_in_both_languages():
    cases = {
        "2025Q5": ("Quý phải từ 1 đến 4", "Quarter must be 1–4"),
        "202513": ("Tháng phải từ 01 đến 12", "Month must be 01–12"),
        "2025W54": ("Năm 2025 có 52 tuần ISO", "2025 has 52 ISO weeks"),
        "20250230": ("30/02/2025 không phải là ngày hợp lệ", "30/02/2025 is not a date"),
        "1800": ("Năm phải từ 1900 đến 2100", "Year must be between 1900 and 2100"),
    }
    for text, (vi, en) in cases.items():
        with pytest.raises(PeriodError) as caught:
            parse_period(text)
        assert vi in caught.value.message_vi, text
        assert en in caught.value.message_en, text
        assert str(caught.value) == f"{caught.value.message_vi} / {caught.value.message_en}"


def test_a_period_error_is_a_value_error_and_survives_pickling():
    with pytest.raises(ValueError):
        parse_period("2025Q5")
    copy = pickle.loads(pickle.dumps(PeriodError("empty", "Chưa nhập", "Missing", "")))
    assert (copy.code, copy.message_vi, copy.message_en, copy.text) == ("empty", "Chưa nhập", "Missing", "")


def test_a_period_must_be_exactly_one_whole_period_in_the_accepted_years():
    with pytest.raises(PeriodError) as caught:
        Period(PeriodType.MONTHLY, D(2025, 9, 2), D(2025, 9, 30))
    assert caught.value.code == "not_a_period"
    with pytest.raises(PeriodError):
        Period(PeriodType.WEEKLY, D(2025, 9, 16), D(2025, 9, 22))  # a Tuesday start
    with pytest.raises(PeriodError) as caught:
        period_of(PeriodType.YEARLY, D(1899, 12, 31))
    assert caught.value.code == "year_out_of_range"
    with pytest.raises(PeriodError):
        period_of(PeriodType.WEEKLY, D.max)  # refused before its week's Sunday would overflow
    with pytest.raises(TypeError):
        Period(PeriodType.DAILY, datetime.datetime(2025, 9, 24), datetime.datetime(2025, 9, 24))


def test_the_type_may_be_given_by_its_value():
    assert Period("monthly", D(2025, 9, 1), D(2025, 9, 30)) == parse_period("202509")
    assert period_of("quarterly", D(2025, 8, 15)).id == "2025Q3"


# --- containment --------------------------------------------------------------------------------

def test_the_months_of_a_quarter():
    assert ids(parse_period("2025Q3").sub_periods(PeriodType.MONTHLY)) == ["202507", "202508", "202509"]


def test_a_period_contains_its_own_days_and_no_others():
    q3 = parse_period("2025Q3")
    assert q3.contains(D(2025, 7, 1)) and q3.contains(D(2025, 9, 30))
    assert not q3.contains(D(2025, 6, 30)) and not q3.contains(D(2025, 10, 1))
    assert q3.contains(datetime.datetime(2025, 8, 15, 23, 59))
    assert q3.contains(parse_period("202508")) and not q3.contains(parse_period("2025S2"))


def test_a_week_straddling_two_months_is_contained_in_neither_but_placed_by_its_thursday():
    week = parse_period("2025W40")  # Monday 29/09 to Sunday 05/10, Thursday 02/10
    assert not parse_period("202509").contains(week) and not parse_period("202510").contains(week)
    assert week.containing(PeriodType.MONTHLY).id == "202510"
    assert "2025W40" in ids(parse_period("202510").sub_periods(PeriodType.WEEKLY))
    assert "2025W40" not in ids(parse_period("202509").sub_periods(PeriodType.WEEKLY))


def test_the_weeks_of_a_year_are_the_iso_weeks_of_that_year():
    weeks_2020 = parse_period("2020").sub_periods(PeriodType.WEEKLY)
    assert len(weeks_2020) == 53 and weeks_2020[0].id == "2020W1" and weeks_2020[-1].id == "2020W53"
    weeks_2025 = parse_period("2025").sub_periods(PeriodType.WEEKLY)
    assert (len(weeks_2025), weeks_2025[0].id, weeks_2025[-1].id) == (52, "2025W1", "2025W52")
    assert parse_period("2026W1").containing(PeriodType.YEARLY).id == "2026"


def test_containing_and_sub_periods_refuse_the_wrong_direction():
    with pytest.raises(PeriodError) as caught:
        parse_period("202509").sub_periods(PeriodType.YEARLY)
    assert caught.value.code == "not_finer"
    with pytest.raises(PeriodError) as caught:
        parse_period("202509").containing(PeriodType.WEEKLY)
    assert caught.value.code == "not_coarser"
    assert parse_period("202509").containing(PeriodType.MONTHLY) == parse_period("202509")
    assert ids(parse_period("2025W38").sub_periods(PeriodType.DAILY))[::6] == ["20250915", "20250921"]


def test_periods_between_lists_every_overlapping_period_in_order():
    assert ids(periods_between(PeriodType.QUARTERLY, D(2024, 11, 30), D(2025, 4, 1))) == \
        ["2024Q4", "2025Q1", "2025Q2"]
    assert ids(periods_between(PeriodType.WEEKLY, D(2025, 12, 31), D(2026, 1, 5))) == ["2026W1", "2026W2"]
    assert periods_between(PeriodType.MONTHLY, D(2025, 2, 1), D(2025, 1, 1)) == []
    assert ids(periods_between(PeriodType.YEARLY, D(2099, 1, 1), D(2100, 12, 31))) == ["2099", "2100"]


# --- stepping -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "after"), [
    ("2025Q4", "2026Q1"), ("2025W52", "2026W1"), ("2020W52", "2020W53"), ("2020W53", "2021W1"),
    ("202412", "202501"), ("2025S2", "2026S1"), ("2025", "2026"), ("20251231", "20260101"),
    ("20240228", "20240229"),
])
def test_next_and_previous_cross_year_boundaries(text, after):
    assert parse_period(text).next() == parse_period(after)
    assert parse_period(after).previous() == parse_period(text)


def test_stepping_past_the_accepted_years_is_refused():
    with pytest.raises(PeriodError) as caught:
        parse_period("2100").next()
    assert caught.value.code == "year_out_of_range"
    with pytest.raises(PeriodError):
        parse_period("1900W1").previous()


def test_types_order_from_finest_to_coarsest():
    assert sorted(PeriodType, reverse=True)[0] is PeriodType.YEARLY
    assert sorted(PeriodType) == [PeriodType.DAILY, PeriodType.WEEKLY, PeriodType.MONTHLY,
                                  PeriodType.QUARTERLY, PeriodType.SIXMONTHLY, PeriodType.YEARLY]
    # Alphabetically "monthly" < "weekly"; by length it is the other way round.
    assert PeriodType.WEEKLY < PeriodType.MONTHLY and not PeriodType.MONTHLY < PeriodType.WEEKLY
    assert PeriodType.WEEKLY < "monthly" and PeriodType.YEARLY >= "yearly" and not PeriodType.DAILY > "weekly"
    assert sorted([parse_period("2025"), parse_period("202509"), parse_period("202508")]) == \
        [parse_period("202508"), parse_period("202509"), parse_period("2025")]


# --- relative periods ---------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "today", "expected"), [
    ("LAST_MONTH", D(2026, 1, 1), ["202512"]),
    ("THIS_WEEK", D(2026, 1, 1), ["2026W1"]),
    ("LAST_WEEK", D(2026, 1, 1), ["2025W52"]),
    ("LAST_QUARTER", D(2026, 1, 1), ["2025Q4"]),
    ("THIS_WEEK", D(2025, 12, 29), ["2026W1"]),
    ("THIS_WEEK", D(2025, 12, 28), ["2025W52"]),
    ("LAST_WEEK", D(2021, 1, 4), ["2020W53"]),
    ("THIS_MONTH", D(2025, 9, 24), ["202509"]),
    ("LAST_3_MONTHS", D(2026, 2, 10), ["202511", "202512", "202601"]),
    ("LAST_12_MONTHS", D(2026, 1, 1), [f"2025{m:02d}" for m in range(1, 13)]),
    ("LAST_12_MONTHS", D(2025, 9, 24),
     [f"2024{m:02d}" for m in range(9, 13)] + [f"2025{m:02d}" for m in range(1, 9)]),
    ("THIS_QUARTER", D(2025, 9, 30), ["2025Q3"]),
    ("LAST_4_QUARTERS", D(2026, 1, 1), ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]),
    ("THIS_SIX_MONTH", D(2025, 7, 1), ["2025S2"]),
    ("LAST_SIX_MONTH", D(2026, 1, 1), ["2025S2"]),
    ("THIS_YEAR", D(2026, 1, 1), ["2026"]),
    ("LAST_YEAR", D(2026, 1, 1), ["2025"]),
    ("LAST_5_YEARS", D(2026, 1, 1), ["2021", "2022", "2023", "2024", "2025"]),
])
def test_relative_periods(name, today, expected):
    assert ids(relative_periods(name, today)) == expected


def test_an_unknown_relative_period_is_refused():
    for name in ("LAST_2_WEEKS", "this_month", ""):
        with pytest.raises(PeriodError) as caught:
            relative_periods(name, D(2025, 9, 24))
        assert caught.value.code == "unknown_relative_period"
        assert caught.value.text == name


# --- labels -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "vi", "en"), [
    ("2025", "Năm 2025", "2025"),
    ("2025S1", "6 tháng đầu năm 2025", "January–June 2025"),
    ("2025S2", "6 tháng cuối năm 2025", "July–December 2025"),
    ("2025Q1", "Quý I/2025", "Q1 2025"),
    ("2025Q2", "Quý II/2025", "Q2 2025"),
    ("2025Q3", "Quý III/2025", "Q3 2025"),
    ("2025Q4", "Quý IV/2025", "Q4 2025"),
    ("202509", "Tháng 9/2025", "September 2025"),
    ("202512", "Tháng 12/2025", "December 2025"),
    ("2025W38", "Tuần 38/2025 (15/09–21/09/2025)", "Week 38 2025 (15 Sep–21 Sep 2025)"),
    ("2026W1", "Tuần 1/2026 (29/12/2025–04/01/2026)", "Week 1 2026 (29 Dec 2025–4 Jan 2026)"),
    ("20250924", "Ngày 24/09/2025", "24 September 2025"),
    ("20250105", "Ngày 05/01/2025", "5 January 2025"),
])
def test_labels(text, vi, en):
    period = parse_period(text)
    assert (period.label_vi, period.label_en) == (vi, en)


# --- properties ---------------------------------------------------------------------------------

@given(any_type, any_date)
def test_the_period_of_a_day_contains_it(ptype, day):
    period = period_of(ptype, day)
    assert period.type is ptype
    assert period.contains(day)


@given(any_type, any_date)
def test_every_period_reads_back_from_its_identifier(ptype, day):
    period = period_of(ptype, day)
    assert parse_period(period.id) == period


@given(any_type, steppable_date)
def test_next_starts_the_day_after_and_previous_undoes_it(ptype, day):
    period = period_of(ptype, day)
    following = period.next()
    assert following.start == period.end + datetime.timedelta(days=1)
    assert following.previous() == period
    assert following > period


@given(st.integers(min_value=1900, max_value=2100))
def test_a_year_is_twelve_consecutive_months(year):
    months = parse_period(str(year)).sub_periods(PeriodType.MONTHLY)
    assert ids(months) == [f"{year}{m:02d}" for m in range(1, 13)]
    assert all(a.next() == b for a, b in zip(months, months[1:]))
    assert (months[0].start, months[-1].end) == (D(year, 1, 1), D(year, 12, 31))


@given(any_type, any_type, any_date)
def test_a_period_is_among_the_sub_periods_of_each_period_containing_it(fine, coarse, day):
    fine, coarse = sorted([fine, coarse])
    period = period_of(fine, day)
    parent = period.containing(coarse)
    assert period in parent.sub_periods(fine)
    if fine is not PeriodType.WEEKLY:  # the other types nest: the sub-periods tile the parent exactly
        children = parent.sub_periods(fine)
        assert (children[0].start, children[-1].end) == (parent.start, parent.end)
        assert sum(child.days for child in children) == parent.days


@given(st.text())
def test_arbitrary_text_is_read_or_refused_with_a_period_error(text):
    try:
        period = parse_period(text)
    except PeriodError as error:
        assert error.code and error.message_vi and error.message_en
    else:
        assert parse_period(period.id) == period
