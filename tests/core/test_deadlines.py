import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govkpi.core.deadlines import DeadlineError, Recurrence, parse_deadline

D = datetime.date
REF = D(2025, 9, 24)


@pytest.mark.parametrize("text, due, period", [
    ("tháng 8/2025", D(2025, 8, 31), "202508"), ("hoàn thành trong tháng 8/2025", D(2025, 8, 31), "202508"),
    ("trong tháng 7/2024", D(2024, 7, 31), "202407"), ("quý IV/2025", D(2025, 12, 31), "2025Q4"),
    ("quý 4 năm 2025", D(2025, 12, 31), "2025Q4"), ("chậm nhất trong quý IV năm nay", D(2025, 12, 31), "2025Q4"),
    ("quý I năm 2026", D(2026, 3, 31), "2026Q1"), ("trong năm 2025", D(2025, 12, 31), "2025"),
    ("đến năm 2030", D(2030, 12, 31), "2030"), ("6 tháng đầu năm 2025", D(2025, 6, 30), "2025S1"),
    ("6 tháng cuối năm 2025", D(2025, 12, 31), "2025S2"), ("ngày 15/11/2025", D(2025, 11, 15), "20251115"),
    ("trong tháng 12", D(2025, 12, 31), "202512"),
])
def test_phrases_read_as_the_last_day_they_allow(text, due, period):
    deadline = parse_deadline(text, REF)
    assert (deadline.due, deadline.period) == (due, period)


def test_before_a_day_excludes_that_day():
    assert parse_deadline("trước ngày 20/7/2024").due == D(2024, 7, 19)


def test_a_year_from_the_reference_is_marked_inferred():
    assert parse_deadline("trong tháng 12", REF).inferred_year
    assert not parse_deadline("tháng 12/2025", REF).inferred_year


def test_two_times_give_a_start_and_the_latest_deadline():
    d = parse_deadline("thí điểm từ tháng 8/2025 và triển khai chính thức trong tháng 9/2025")
    assert (d.starts, d.due) == (D(2025, 8, 1), D(2025, 9, 30))
    span = parse_deadline("giai đoạn 2023 - 2024")
    assert (span.starts, span.due) == (D(2023, 1, 1), D(2024, 12, 31))


def test_recurring_deadlines():
    assert parse_deadline("hằng tháng") .recurrence is Recurrence.MONTHLY
    assert parse_deadline("hằng tháng").due is None
    bounded = parse_deadline("giao ban hằng quý đến hết năm 2025")
    assert (bounded.recurrence, bounded.due) == (Recurrence.QUARTERLY, D(2025, 12, 31))


@pytest.mark.parametrize("text, code", [
    ("", "empty"), ("   ", "empty"), ("sớm", "no_date"), ("khẩn trương", "no_date"), ("abc", "unrecognised"),
    ("tháng 13/2025", "invalid_date"), ("quý V/2025", "invalid_date"), ("31/2/2025", "invalid_date"),
    ("tại kỳ họp sắp tới", "unrecognised"),
])
def test_nonsense_is_refused_with_a_reason(text, code):
    with pytest.raises(DeadlineError) as caught:
        parse_deadline(text, REF)
    assert caught.value.code == code and caught.value.message_vi and caught.value.message_en


def test_a_relative_year_without_a_reference_is_refused():
    with pytest.raises(DeadlineError) as caught:
        parse_deadline("trong năm nay")
    assert caught.value.code == "needs_reference_date"


@given(st.dates(D(2000, 1, 1), D(2090, 12, 31)))
def test_any_day_and_the_day_before_it(day):
    assert parse_deadline(f"ngày {day.day}/{day.month}/{day.year}").due == day
    assert parse_deadline(f"trước ngày {day.day}/{day.month}/{day.year}").due == day - datetime.timedelta(days=1)


@given(st.integers(1, 12), st.integers(2000, 2090))
def test_any_month_ends_on_its_last_day(month, year):
    due = parse_deadline(f"tháng {month}/{year}").due
    assert (due.year, due.month) == (year, month) and (due + datetime.timedelta(days=1)).day == 1


@given(st.text(max_size=60))
def test_any_text_reads_or_raises_only_deadline_error(text):
    try:
        parse_deadline(text, REF)
    except DeadlineError:
        pass
