"""Deadline words cost bounded work: a text longer than the column is refused before any pattern runs, and
a recurrence owing hundreds of occurrences at once is refused rather than expanded."""

import datetime
import time

import pytest

from govkpi.core.deadlines import (MAX_DEADLINE_CHARS, MAX_OCCURRENCES_BEHIND, DeadlineError, Recurrence,
                                   occurrences, parse_deadline)

D = datetime.date


def test_a_deadline_text_longer_than_the_column_is_refused_quickly():
    text = "trong tháng 9/2025 " * 3800  # about 71 KB: 8 s of parsing before
    started = time.perf_counter()
    with pytest.raises(DeadlineError) as refused:
        parse_deadline(text, reference=D(2025, 7, 1))
    assert time.perf_counter() - started < 0.5
    assert refused.value.code == "too_long"
    assert str(MAX_DEADLINE_CHARS) in refused.value.message_vi and "longer than" in refused.value.message_en


def test_a_deadline_as_long_as_the_column_is_still_read():
    text = ("thí điểm từ tháng 8/2025 và triển khai chính thức trong tháng 9/2025 " * 5)[:MAX_DEADLINE_CHARS]
    assert parse_deadline(text, reference=D(2025, 7, 1)).due == D(2025, 9, 30)


def test_weekly_from_1900_is_refused_instead_of_making_thousands_of_occurrences():
    with pytest.raises(DeadlineError) as refused:
        parse_deadline("hằng tuần từ năm 1900", reference=D(2025, 7, 1))
    assert refused.value.code == "too_many_occurrences"
    assert "chu kỳ bắt đầu quá xa" in refused.value.message_vi
    assert "too far back" in refused.value.message_en


def test_a_long_window_with_an_end_and_no_reference_is_bounded_too():
    with pytest.raises(DeadlineError):
        parse_deadline("hằng tuần từ năm 1950 đến hết năm 2025")


def test_ordinary_recurrences_are_still_read_and_stay_under_the_bound():
    monthly = parse_deadline("hằng tháng từ tháng 8/2025", reference=D(2025, 7, 1))
    assert monthly.recurrence is Recurrence.MONTHLY and monthly.starts == D(2025, 8, 1)
    weekly = parse_deadline("hằng tuần từ năm 2020", reference=D(2025, 7, 1))
    owed = occurrences(weekly, weekly.starts, D(2025, 7, 1))
    assert 250 < len(owed) <= MAX_OCCURRENCES_BEHIND
