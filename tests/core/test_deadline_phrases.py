"""Deadline phrases with no date ("khẩn trương", "ngay"): kept as written when asked, refused otherwise."""

import datetime

import pytest

from govkpi.core.deadlines import DeadlineError, parse_deadline
from govkpi.core.six_clear import check_six_clear

REF = datetime.date(2025, 2, 6)


@pytest.mark.parametrize("text", ["khẩn trương", "Khẩn trương", "ngay", "sớm", "kịp thời", "thường xuyên",
                                  "Khẩn trương triển khai ngay", "KHẨN TRƯƠNG"])
def test_a_phrase_naming_no_time_is_kept_undated_when_asked(text):
    deadline = parse_deadline(text, REF, accept_undated=True)
    assert deadline.undated and deadline.due is None and deadline.recurrence is None
    assert deadline.text == text  # as written


def test_without_being_asked_the_phrase_is_still_refused_as_no_date():
    with pytest.raises(DeadlineError) as caught:
        parse_deadline("khẩn trương", REF)
    assert caught.value.code == "no_date"


@pytest.mark.parametrize("text", ["sau khi có ý kiến", "abc", "khẩn trương trong Q3", "ngay trong 30 ngày"])
def test_other_unreadable_words_are_refused_naming_them(text):
    with pytest.raises(DeadlineError) as caught:
        parse_deadline(text, REF, accept_undated=True)
    assert caught.value.code in {"unrecognised", "no_date"}
    assert text.split()[0] in caught.value.message_vi


def test_a_phrase_with_a_date_is_read_as_the_date():
    deadline = parse_deadline("khẩn trương, trong tháng 8/2025", REF, accept_undated=True)
    assert deadline.due == datetime.date(2025, 8, 31) and not deadline.undated


def test_an_undated_deadline_misses_the_time_point_of_the_six():
    deadline = parse_deadline("khẩn trương", REF, accept_undated=True)
    clarity = check_six_clear(responsible="Bộ trưởng", title="Hoàn thiện cơ sở dữ liệu dân cư",
                              deadline=deadline.due, recurring=False, lead_unit="BCA", fans_out=False,
                              product="Báo cáo", accepting_authority="Thủ tướng")
    assert clarity.missing == ["time"]
