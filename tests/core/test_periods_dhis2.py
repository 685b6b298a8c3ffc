"""DHIS2's other period types and ISO-like forms, each case checked against dhis2-core's own code or tests.

Sources (github.com/dhis2/dhis2-core, branches 2.40 and master agree), abbreviated below:
  ParserTest   dhis-api/src/test/java/org/hisp/dhis/calendar/DateTimeUnitPeriodTypeParserTest.java
  Parser       dhis-api/src/main/java/org/hisp/dhis/calendar/DateUnitPeriodTypeParser.java
  DateUnitType dhis-api/src/main/java/org/hisp/dhis/calendar/DateUnitType.java (2.40: the accepted forms)
  and, under dhis-api/src/{main,test}/java/org/hisp/dhis/period/: WeeklyPeriodTypeTest,
  BiWeeklyPeriodTypeTest, QuarterlyNovemberPeriodTypeTest, SixMonthlyNovemberPeriodTest,
  FinancialNovemberPeriodTypeTest, WeeklyAbstractPeriodType, FinancialNovemberPeriodType,
  QuarterlyNovemberPeriodType, SixMonthlyNovemberPeriodType; dhis-api/src/test/java/org/hisp/dhis/common/
  IdentifiableObjectUtilsTest (weeks placed in months).
"""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govkpi.core.periods import (
    OtherPeriodType,
    Period,
    PeriodError,
    PeriodType,
    parse_period,
    period_of,
    period_type,
    periods_between,
)
from govkpi.core.tabular import parse_bool

D = datetime.date
O = OtherPeriodType


def ids(periods: list[Period]) -> list[str]:
    return [p.id for p in periods]


def days_of_year_in_week(start: datetime.date, year: int) -> int:
    return sum((start + datetime.timedelta(days=k)).year == year for k in range(7))


# Days whose periods, and the periods next to them, all have identifier years in 1900–2100: the day
# 1900-03-01 is in the financial year 1899April, which cannot be built.
any_date = st.dates(min_value=D(1901, 1, 1), max_value=D(2099, 6, 30))
other_type = st.sampled_from(list(OtherPeriodType))
WEEK_TYPES = {O.WEEKLY_WEDNESDAY: 2, O.WEEKLY_THURSDAY: 3, O.WEEKLY_SATURDAY: 5, O.WEEKLY_SUNDAY: 6}


# --- each new type: identifier -> type and bounds -> the same identifier ---------------------------

@pytest.mark.parametrize(("text", "ptype", "start", "end", "source"), [
    ("201401B", O.BIMONTHLY, D(2014, 1, 1), D(2014, 2, 28), "ParserTest"),
    ("201402B", O.BIMONTHLY, D(2014, 3, 1), D(2014, 4, 30), "ParserTest"),
    ("201406B", O.BIMONTHLY, D(2014, 11, 1), D(2014, 12, 31), "ParserTest"),
    ("202601B", O.BIMONTHLY, D(2026, 1, 1), D(2026, 2, 28), "Parser: month n*2-1, two months"),
    ("2014BiW1", O.BIWEEKLY, D(2013, 12, 30), D(2014, 1, 12), "ParserTest"),
    ("2026BiW1", O.BIWEEKLY, D(2025, 12, 29), D(2026, 1, 11), "Parser: ISO week 2n-1 from Monday"),
    ("2009BiW27", O.BIWEEKLY, D(2009, 12, 28), D(2010, 1, 10), "ParserTest: 2009BiW27 exists"),
    ("2017WedW17", O.WEEKLY_WEDNESDAY, D(2017, 4, 26), D(2017, 5, 2), "WeeklyPeriodTypeTest"),
    ("2017WedW18", O.WEEKLY_WEDNESDAY, D(2017, 5, 3), D(2017, 5, 9), "WeeklyPeriodTypeTest"),
    ("2017ThuW18", O.WEEKLY_THURSDAY, D(2017, 4, 27), D(2017, 5, 3), "WeeklyPeriodTypeTest"),
    ("2017SatW18", O.WEEKLY_SATURDAY, D(2017, 4, 29), D(2017, 5, 5), "WeeklyPeriodTypeTest"),
    ("2017SunW18", O.WEEKLY_SUNDAY, D(2017, 4, 30), D(2017, 5, 6), "WeeklyPeriodTypeTest"),
    ("2017SunW1", O.WEEKLY_SUNDAY, D(2017, 1, 1), D(2017, 1, 7), "WeeklyPeriodTypeTest: 2017-01-01"),
    # Week 1 holds 4 January (WeekFields.of(day, 4) in WeeklyAbstractPeriodType and Parser).
    ("2026WedW1", O.WEEKLY_WEDNESDAY, D(2025, 12, 31), D(2026, 1, 6), "Parser: week of 4 January"),
    ("2026ThuW1", O.WEEKLY_THURSDAY, D(2026, 1, 1), D(2026, 1, 7), "Parser: week of 4 January"),
    ("2026SatW1", O.WEEKLY_SATURDAY, D(2026, 1, 3), D(2026, 1, 9), "Parser: week of 4 January"),
    ("2026SunW1", O.WEEKLY_SUNDAY, D(2026, 1, 4), D(2026, 1, 10), "Parser: week of 4 January"),
    ("2013April", O.FINANCIAL_APRIL, D(2013, 4, 1), D(2014, 3, 31), "ParserTest"),
    ("2026April", O.FINANCIAL_APRIL, D(2026, 4, 1), D(2027, 3, 31), "Parser: April of the year"),
    ("2013July", O.FINANCIAL_JULY, D(2013, 7, 1), D(2014, 6, 30), "ParserTest"),
    ("2014Oct", O.FINANCIAL_OCT, D(2014, 10, 1), D(2015, 9, 30), "ParserTest"),
    ("2009Nov", O.FINANCIAL_NOV, D(2008, 11, 1), D(2009, 10, 31), "FinancialNovemberPeriodTypeTest"),
    ("2026Nov", O.FINANCIAL_NOV, D(2025, 11, 1), D(2026, 10, 31), "Parser: November of year - 1"),
    ("2014AprilS1", O.SIXMONTHLY_APRIL, D(2014, 4, 1), D(2014, 9, 30), "ParserTest"),
    ("2014AprilS2", O.SIXMONTHLY_APRIL, D(2014, 10, 1), D(2015, 3, 31), "ParserTest"),
    ("2015NovS1", O.SIXMONTHLY_NOV, D(2014, 11, 1), D(2015, 4, 30), "SixMonthlyNovemberPeriodTest"),
    ("2015NovS2", O.SIXMONTHLY_NOV, D(2015, 5, 1), D(2015, 10, 31), "SixMonthlyNovemberPeriodTest"),
    ("2026NovS1", O.SIXMONTHLY_NOV, D(2025, 11, 1), D(2026, 4, 30), "Parser: S1 from November of year - 1"),
    ("2026NovQ1", O.QUARTERLY_NOV, D(2025, 11, 1), D(2026, 1, 31), "Parser: Q1 from month 11 of year - 1"),
    ("2009NovQ2", O.QUARTERLY_NOV, D(2009, 2, 1), D(2009, 4, 30), "QuarterlyNovemberPeriodTypeTest"),
    ("2009NovQ4", O.QUARTERLY_NOV, D(2009, 8, 1), D(2009, 10, 31), "QuarterlyNovemberPeriodTypeTest"),
])
def test_each_dhis2_type_reads_to_its_dates_and_writes_back_the_same_identifier(text, ptype, start, end,
                                                                               source):
    period = parse_period(text)
    assert (period.type, period.start, period.end) == (ptype, start, end), source
    assert period.id == text, source


# The period of a date, as DHIS2's createPeriod and getIsoDate compute it.
@pytest.mark.parametrize(("ptype", "day", "expected", "source"), [
    (O.WEEKLY_WEDNESDAY, D(2017, 5, 4), "2017WedW18", "WeeklyPeriodTypeTest"),
    (O.WEEKLY_WEDNESDAY, D(2017, 5, 2), "2017WedW17", "WeeklyPeriodTypeTest"),
    (O.WEEKLY_THURSDAY, D(2017, 5, 7), "2017ThuW19", "WeeklyPeriodTypeTest"),
    (O.WEEKLY_THURSDAY, D(2017, 5, 3), "2017ThuW18", "WeeklyPeriodTypeTest"),
    (O.WEEKLY_SATURDAY, D(2017, 5, 6), "2017SatW19", "WeeklyPeriodTypeTest"),
    (O.WEEKLY_SATURDAY, D(2017, 5, 5), "2017SatW18", "WeeklyPeriodTypeTest"),
    (O.WEEKLY_SUNDAY, D(2017, 5, 7), "2017SunW19", "WeeklyPeriodTypeTest"),
    (O.WEEKLY_SUNDAY, D(2017, 5, 6), "2017SunW18", "WeeklyPeriodTypeTest"),
    (O.WEEKLY_SUNDAY, D(2017, 1, 8), "2017SunW2", "WeeklyPeriodTypeTest"),
    (O.BIWEEKLY, D(2018, 1, 8), "2018BiW1", "BiWeeklyPeriodTypeTest: 2018-01-01..14"),
    (O.BIWEEKLY, D(2017, 12, 29), "2017BiW26", "BiWeeklyPeriodTypeTest: 2017-12-18..31"),
    (O.BIWEEKLY, D(2010, 1, 1), "2009BiW27", "BiWeeklyPeriodTypeTest testToIsoDate"),
    (O.FINANCIAL_NOV, D(2009, 2, 15), "2009Nov", "FinancialNovemberPeriodTypeTest: 2008-11-01..2009-10-31"),
    (O.FINANCIAL_NOV, D(2009, 11, 12), "2010Nov", "FinancialNovemberPeriodTypeTest; getIsoDate year + 1"),
    (O.SIXMONTHLY_NOV, D(2009, 8, 15), "2009NovS2", "SixMonthlyNovemberPeriodTest: 2009-05-01..10-31"),
    (O.SIXMONTHLY_NOV, D(2009, 12, 15), "2010NovS1", "SixMonthlyNovemberPeriodTest; getIsoDate"),
    (O.SIXMONTHLY_NOV, D(2014, 3, 31), "2014NovS1", "SixMonthlyNovemberPeriodTest: 2013-11-01.."),
    (O.QUARTERLY_NOV, D(2009, 3, 15), "2009NovQ2", "QuarterlyNovemberPeriodTypeTest: 2009-02-01..04-30"),
    (O.QUARTERLY_NOV, D(2014, 11, 20), "2015NovQ1", "QuarterlyNovemberPeriodTypeTest; getIsoDate"),
    (O.QUARTERLY_NOV, D(2026, 1, 31), "2026NovQ1", "QuarterlyNovemberPeriodType.createPeriod: January"),
    (O.FINANCIAL_APRIL, D(2027, 3, 31), "2026April", "FinancialPeriodType.createPeriod"),
    (O.FINANCIAL_APRIL, D(2026, 4, 1), "2026April", "FinancialPeriodType.createPeriod"),
    (O.SIXMONTHLY_APRIL, D(2027, 2, 1), "2026AprilS2", "SixMonthlyAbstractPeriodType.createPeriod"),
    (O.BIMONTHLY, D(2026, 12, 31), "202606B", "BiMonthlyPeriodType.getIsoDate"),
])
def test_the_period_of_a_day_is_dhis2s(ptype, day, expected, source):
    assert period_of(ptype, day).id == expected, source


def test_a_week_from_another_weekday_starts_on_that_weekday_and_week_1_has_four_days_of_january():
    # WeeklyAbstractPeriodType.getIsoDate numbers weeks with java.time WeekFields.of(firstDay, 4): week 1 is
    # the first week with at least four days in the new year. Checked here by counting, for every year.
    infix = {O.WEEKLY_WEDNESDAY: "WedW", O.WEEKLY_THURSDAY: "ThuW", O.WEEKLY_SATURDAY: "SatW",
             O.WEEKLY_SUNDAY: "SunW"}
    for ptype, weekday in WEEK_TYPES.items():
        for year in range(1900, 2101):
            first = next(s for s in (D(year - 1, 12, 25) + datetime.timedelta(days=k) for k in range(14))
                         if s.weekday() == weekday and days_of_year_in_week(s, year) >= 4)
            week = parse_period(f"{year}{infix[ptype]}1")
            assert (week.start, week.end) == (first, first + datetime.timedelta(days=6)), (ptype, year)


def test_a_year_has_52_or_53_weeks_of_each_kind_and_the_last_holds_28_december():
    # Sunday weeks: Wednesday 1 January 2025 makes 53 of them; Wednesday weeks of 2026 are 52.
    assert period_of(O.WEEKLY_SUNDAY, D(2025, 12, 28)).id == "2025SunW53"
    assert parse_period("2025SunW53").end == D(2026, 1, 3)
    assert period_of(O.WEEKLY_WEDNESDAY, D(2026, 12, 28)).id == "2026WedW52"
    with pytest.raises(PeriodError) as caught:
        parse_period("2026WedW53")  # Parser: the week overflowing into the next year is refused
    assert caught.value.code == "week_out_of_range"
    assert "52 tuần bắt đầu từ thứ Tư" in caught.value.message_vi
    assert "52 weeks starting on Wednesday" in caught.value.message_en


def test_a_week_may_be_written_with_a_leading_zero_as_dhis2_reads_it():
    # DateUnitType: (\d{4})WedW(\d[\d]?), (\d{4})BiW(\d[\d]?)
    assert parse_period("2026WedW01").id == "2026WedW1"
    assert parse_period("2026BiW01").id == "2026BiW1"


# --- refusals -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "code", "source"), [
    ("201400B", "bimonth_out_of_range", "ParserTest"),
    ("201407B", "bimonth_out_of_range", "ParserTest"),
    ("2018BiW0", "biweek_out_of_range", "ParserTest"),
    ("2018BiW27", "biweek_out_of_range", "ParserTest: 2018 has 52 weeks"),
    ("2009BiW28", "biweek_out_of_range", "ParserTest"),
    ("2014AprilS0", "sixmonth_out_of_range", "ParserTest"),
    ("2014AprilS3", "sixmonth_out_of_range", "ParserTest"),
    ("2026NovS3", "sixmonth_out_of_range", "Parser: semester 1-2"),
    ("2026NovQ5", "quarter_out_of_range", "Parser: quarter 1-4"),
    ("2026NovQ0", "quarter_out_of_range", "Parser: quarter 1-4"),
    ("2026SunW0", "week_out_of_range", "Parser: week < 1"),
    ("2026ThuW54", "week_out_of_range", "Parser: overflowing week"),
    ("2026april", "unrecognised_format", "DateUnitType: patterns are case-sensitive"),
    ("2026NOV", "unrecognised_format", "DateUnitType: patterns are case-sensitive"),
    ("2026NovQ10", "unrecognised_format", "DateUnitType: NovQ(\\d)"),
    ("2026WedW001", "unrecognised_format", "DateUnitType: WedW(\\d[\\d]?)"),
    ("20261B", "unrecognised_format", "DateUnitType: (\\d{2})B"),
    ("2101April", "year_out_of_range", "this system's years 1900-2100"),
    ("1899Nov", "year_out_of_range", "this system's years 1900-2100"),
])
def test_refusals_of_the_dhis2_types_carry_a_code(text, code, source):
    with pytest.raises(PeriodError) as caught:
        parse_period(text)
    assert caught.value.code == code, source
    assert caught.value.message_vi and caught.value.message_en


def test_the_refusals_say_the_range_in_both_languages():
    with pytest.raises(PeriodError) as caught:
        parse_period("2018BiW27")
    assert "2018 có 26 kỳ hai tuần" in caught.value.message_vi
    assert "2018 has 26 two-week periods" in caught.value.message_en
    with pytest.raises(PeriodError) as caught:
        parse_period("201407B")
    assert "01B đến 06B" in caught.value.message_vi and "01B–06B" in caught.value.message_en


# --- ISO-like forms (DateUnitType 2.40: MONTHLY (\d{4})[-]?(\d{2}); DAILY (\d{4})(\d{2})(\d{2}) or
# (\d{4})-(\d{2})-(\d{2}); master's Period.Input.of reads the same: "Monthly: ~~~~-~~", "Daily: ~~~~-~~-~~").

@pytest.mark.parametrize(("text", "canonical", "source"), [
    ("2026-09", "202609", "DateUnitType MONTHLY"),
    ("2014-03", "201403", "ParserTest"),
    ("2026-09-24", "20260924", "DateUnitType DAILY"),
    ("2014-02-04", "20140204", "ParserTest"),
    (" 2026-02 ", "202602", "whitespace is ignored, as for every identifier"),
])
def test_iso_like_forms_read_to_the_dhis2_identifier(text, canonical, source):
    period = parse_period(text)
    assert period == parse_period(canonical), source
    assert period.id == canonical, source


@pytest.mark.parametrize(("text", "code"), [
    ("2026-9", "unrecognised_format"),  # two digits, as (\d{2})
    ("2026-0924", "unrecognised_format"),  # neither form
    ("202609-24", "unrecognised_format"),
    ("2026-W01", "unrecognised_format"),  # no dashed form of the other types
    ("2026-Q1", "unrecognised_format"),
    ("2026-09-", "unrecognised_format"),
    ("2026-13", "month_out_of_range"),
    ("2026-02-30", "invalid_date"),
    ("2101-01", "year_out_of_range"),
])
def test_iso_like_forms_are_only_those_dhis2_accepts(text, code):
    with pytest.raises(PeriodError) as caught:
        parse_period(text)
    assert caught.value.code == code


# --- stepping -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "after", "source"), [
    ("202606B", "202701B", "BiMonthlyPeriodType"),
    ("2009NovQ2", "2009NovQ3", "QuarterlyNovemberPeriodTypeTest testGetNextPeriod: 2009-05-01..07-31"),
    ("2009NovQ4", "2010NovQ1", "QuarterlyNovemberPeriodTypeTest testGetNextPeriods: 2009-11-01..2010-01-31"),
    ("2009NovS2", "2010NovS1", "SixMonthlyNovemberPeriodTest testGetNextPeriod: 2009-11-01..2010-04-30"),
    ("2010NovS1", "2010NovS2", "SixMonthlyNovemberPeriodTest testGetNextPeriod: 2010-05-01..10-31"),
    ("2026AprilS2", "2027AprilS1", "SixMonthlyAbstractPeriodType"),
    ("2026April", "2027April", "FinancialPeriodType"),
    ("2009Nov", "2010Nov", "FinancialNovemberPeriodTypeTest testGetNextPeriod: 2009-11-01..2010-10-31"),
    ("2025WedW52", "2026WedW1", "WeeklyAbstractPeriodType"),
    ("2025SunW53", "2026SunW1", "WeeklyAbstractPeriodType"),
    ("2025BiW26", "2026BiW1", "BiWeeklyAbstractPeriodType"),
    ("2018BiW1", "2018BiW2", "BiWeeklyPeriodTypeTest testGetNextPeriod: 2018-01-15..28"),
])
def test_next_and_previous_of_the_dhis2_types(text, after, source):
    assert parse_period(text).next() == parse_period(after), source
    assert parse_period(after).previous() == parse_period(text), source


def test_a_53_week_years_biw27_overlaps_the_next_biw1_as_in_dhis2():
    # 2009 has 53 ISO weeks; BiW27 is its week 53 and 2010's week 1 (ParserTest, BiWeeklyPeriodTypeTest).
    last, first = parse_period("2009BiW27"), parse_period("2010BiW1")
    assert first.start < last.end  # they share 04/01–10/01/2010
    assert period_of(O.BIWEEKLY, D(2010, 1, 5)) == first  # a day of week 1 belongs to BiW1
    assert last.next() == first and first.previous() == last
    assert ids(periods_between(O.BIWEEKLY, D(2009, 12, 20), D(2010, 1, 20))) == \
        ["2009BiW26", "2009BiW27", "2010BiW1", "2010BiW2"]


@given(other_type, any_date)
def test_every_period_of_a_dhis2_type_holds_its_day_and_reads_back_from_its_identifier(ptype, day):
    period = period_of(ptype, day)
    assert period.type is ptype and period.contains(day)
    assert parse_period(period.id) == period
    assert Period(ptype.value, period.start, period.end) == period


@given(other_type, any_date)
def test_next_holds_the_day_after_and_previous_undoes_it(ptype, day):
    period = period_of(ptype, day)
    following = period.next()
    assert following.contains(period.end + datetime.timedelta(days=1))
    assert following.previous() == period
    assert following > period
    if not period.id.endswith("BiW27"):  # the one period that overlaps the next
        assert following.start == period.end + datetime.timedelta(days=1)


# --- types, order and containment -----------------------------------------------------------------

def test_the_frequencies_stay_six_and_the_dhis2_types_are_apart():
    # Data elements' frequencies and the API's period types are PeriodType's six members.
    assert [t.value for t in PeriodType] == \
        ["daily", "weekly", "monthly", "quarterly", "sixmonthly", "yearly"]
    assert len(OtherPeriodType) == 13
    assert period_type("bimonthly") is O.BIMONTHLY and period_type("monthly") is PeriodType.MONTHLY
    assert period_type(O.FINANCIAL_NOV) is O.FINANCIAL_NOV
    with pytest.raises(ValueError):
        period_type("fortnightly")


def test_types_order_by_the_length_of_their_periods():
    assert PeriodType.MONTHLY < O.BIMONTHLY < PeriodType.QUARTERLY
    assert PeriodType.WEEKLY < O.WEEKLY_SUNDAY < O.BIWEEKLY < "monthly"
    assert O.FINANCIAL_APRIL > PeriodType.SIXMONTHLY and O.SIXMONTHLY_NOV >= "sixmonthly"
    mixed = [parse_period(t) for t in ("2026April", "202601B", "202601", "2026BiW1")]
    assert ids(sorted(mixed)) == ["2026BiW1", "202601", "202601B", "2026April"]


@pytest.mark.parametrize(("text", "expected", "source"), [
    ("2017WedW8", "201702", "IdentifiableObjectUtilsTest"),
    ("2017WedW9", "201703", "IdentifiableObjectUtilsTest"),
    ("2017ThuW8", "201702", "IdentifiableObjectUtilsTest"),
    ("2017ThuW10", "201703", "IdentifiableObjectUtilsTest"),
    ("2017SatW7", "201702", "IdentifiableObjectUtilsTest"),
    ("2017SatW10", "201703", "IdentifiableObjectUtilsTest"),
    ("2017SunW7", "201702", "IdentifiableObjectUtilsTest"),
    ("2017SunW9", "201703", "IdentifiableObjectUtilsTest"),
    # Straddling weeks go by their fourth day (getPeriodByPeriodType: start + 3 days).
    ("2026SatW5", "202602", "IdentifiableObjectUtils.getPeriodByPeriodType"),  # 31/01–06/02, fourth day 03/02
])
def test_a_week_from_another_weekday_is_placed_in_a_month_by_its_fourth_day(text, expected, source):
    week = parse_period(text)
    assert week.containing(PeriodType.MONTHLY).id == expected, source
    assert week in week.containing(PeriodType.MONTHLY).sub_periods(week.type), source


def test_two_month_periods_lie_in_halves_and_years_but_not_all_in_quarters():
    assert parse_period("202602B").containing(PeriodType.SIXMONTHLY).id == "2026S1"
    assert ids(parse_period("2026").sub_periods(O.BIMONTHLY)) == [f"2026{n:02d}B" for n in range(1, 7)]
    with pytest.raises(PeriodError) as caught:
        parse_period("202602B").containing(PeriodType.QUARTERLY)  # March–April
    assert caught.value.code == "not_nested"
    with pytest.raises(PeriodError) as caught:
        parse_period("2026Q1").sub_periods(O.BIMONTHLY)
    assert caught.value.code == "not_nested"
    with pytest.raises(PeriodError) as caught:
        parse_period("202601B").sub_periods(PeriodType.QUARTERLY)
    assert caught.value.code == "not_finer"


def test_a_financial_year_is_made_of_its_quarters_and_months():
    year = parse_period("2026April")
    assert ids(year.sub_periods(PeriodType.QUARTERLY)) == ["2026Q2", "2026Q3", "2026Q4", "2027Q1"]
    assert len(year.sub_periods(PeriodType.MONTHLY)) == 12
    assert ids(parse_period("2026Nov").sub_periods(O.QUARTERLY_NOV)) == [f"2026NovQ{n}" for n in range(1, 5)]
    assert ids(parse_period("2026NovS1").sub_periods(O.QUARTERLY_NOV)) == ["2026NovQ1", "2026NovQ2"]
    assert parse_period("202611").containing(O.FINANCIAL_NOV).id == "2027Nov"
    with pytest.raises(PeriodError) as caught:
        parse_period("2026").containing(O.FINANCIAL_APRIL)
    assert caught.value.code == "not_nested"


def test_a_range_at_the_edge_of_the_accepted_years_leaves_out_the_period_of_1899_or_2101():
    # 1899WedW52 runs 27/12/1899–02/01/1900 (its fourth day is in 1899); 2101WedW1 starts 29/12/2100.
    weeks = periods_between(O.WEEKLY_WEDNESDAY, D(1900, 1, 1), D(1900, 1, 9))  # 1900WedW1 is 03/01–09/01
    assert ids(weeks) == ["1900WedW1"]
    assert ids(parse_period("1900").sub_periods(O.WEEKLY_WEDNESDAY))[:1] == ["1900WedW1"]
    assert ids(periods_between(O.WEEKLY_WEDNESDAY, D(2100, 12, 20), D(2100, 12, 31))) == \
        ["2100WedW51", "2100WedW52"]
    assert periods_between(O.WEEKLY_WEDNESDAY, D(2100, 12, 29), D(2100, 12, 31)) == []
    with pytest.raises(PeriodError) as caught:
        period_of(O.WEEKLY_WEDNESDAY, D(1900, 1, 1))  # asked for by name, it is refused
    assert caught.value.code == "year_out_of_range"


def test_two_week_periods_are_placed_in_the_year_of_their_first_thursday():
    assert parse_period("2009BiW27").containing(PeriodType.YEARLY).id == "2009"
    biweeks_2009 = parse_period("2009").sub_periods(O.BIWEEKLY)
    assert (len(biweeks_2009), biweeks_2009[0].id, biweeks_2009[-1].id) == (27, "2009BiW1", "2009BiW27")
    assert ids(parse_period("2026BiW2").sub_periods(PeriodType.WEEKLY)) == ["2026W3", "2026W4"]
    with pytest.raises(PeriodError) as caught:
        parse_period("2026BiW5").containing(PeriodType.MONTHLY)  # 23/02–08/03
    assert caught.value.code == "not_nested"


@given(other_type, any_date)
def test_every_frequency_ranked_above_a_dhis2_type_holds_each_of_its_periods(ptype, day):
    # The periods API lists, for a period, its container of every PeriodType ranked above its type.
    period = period_of(ptype, day)
    for coarser in (t for t in PeriodType if t.rank > ptype.rank):
        parent = period.containing(coarser)
        assert period in parent.sub_periods(ptype)


# --- labels ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "vi", "en"), [
    ("202601B", "Tháng 1–2/2026", "January–February 2026"),
    ("2026BiW1", "Hai tuần 1/2026 (29/12/2025–11/01/2026)", "Bi-week 1 2026 (29 Dec 2025–11 Jan 2026)"),
    ("2026WedW1", "Tuần 1/2026 từ thứ Tư (31/12/2025–06/01/2026)",
     "Week 1 2026 from Wednesday (31 Dec 2025–6 Jan 2026)"),
    ("2026SunW1", "Tuần 1/2026 từ Chủ nhật (04/01–10/01/2026)",
     "Week 1 2026 from Sunday (4 Jan–10 Jan 2026)"),
    ("2026April", "Năm tài chính 2026 (tháng 4/2026–3/2027)", "Financial year 2026 (April 2026–March 2027)"),
    ("2026Nov", "Năm tài chính 2026 (tháng 11/2025–10/2026)",
     "Financial year 2026 (November 2025–October 2026)"),
    ("2026AprilS1", "6 tháng thứ 1/2026, năm bắt đầu tháng 4 (tháng 4–9/2026)",
     "Half 1 2026, year from April (April–September 2026)"),
    ("2026NovS1", "6 tháng thứ 1/2026, năm bắt đầu tháng 11 (tháng 11/2025–4/2026)",
     "Half 1 2026, year from November (November 2025–April 2026)"),
    ("2026NovQ1", "Quý I/2026, năm bắt đầu tháng 11 (tháng 11/2025–1/2026)",
     "Q1 2026, year from November (November 2025–January 2026)"),
])
def test_labels_of_the_dhis2_types(text, vi, en):
    period = parse_period(text)
    assert (period.label_vi, period.label_en) == (vi, en)


# --- DHIS2's booleans -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    # BOOL_TRUE_VARIANTS / BOOL_FALSE_VARIANTS, dhis-support-system .../system/util/ValidationUtils.java
    ("t", True), ("T", True), ("f", False), ("F", False), ("True", True), ("FALSE", False),
    ("có", True), ("không", False),  # still read
])
def test_parse_bool_reads_dhis2s_t_and_f(text, expected):
    assert parse_bool(text) is expected


@pytest.mark.parametrize("text", ["tf", "ft", "tt", "ff"])
def test_parse_bool_still_refuses_what_is_neither(text):
    with pytest.raises(ValueError):
        parse_bool(text)
