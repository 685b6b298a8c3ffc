"""Deadline words as directives write them, read into the last day they allow."""

from __future__ import annotations

import calendar
import datetime
import pickle
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govkpi.core.deadlines import Deadline, DeadlineError, Recurrence, occurrences, parse_deadline
from govkpi.core.periods import PeriodType

D = datetime.date
REF = D(2025, 9, 24)  # the directive's date, for words that leave the year out
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def outcome(text: str, reference: datetime.date | None = None) -> tuple[object, ...]:
    """Return everything parse_deadline says except the words themselves (or the error code)."""
    try:
        d = parse_deadline(text, reference)
    except DeadlineError as error:
        return ("error", error.code)
    return (d.due, d.recurrence, d.starts, d.period, d.inferred_year)


# --- one time: the last day it allows, and the period it closes -----------------------------------

@pytest.mark.parametrize("text, due, period", [
    ("tháng 8/2025", D(2025, 8, 31), "202508"),
    ("trong tháng 7/2024", D(2024, 7, 31), "202407"),
    ("hoàn thành trong tháng 8/2025", D(2025, 8, 31), "202508"),
    ("tháng 8 năm 2025", D(2025, 8, 31), "202508"),
    ("tháng 2/2024", D(2024, 2, 29), "202402"),
    ("quý IV/2025", D(2025, 12, 31), "2025Q4"),
    ("quý 4/2025", D(2025, 12, 31), "2025Q4"),
    ("quý IV năm 2025", D(2025, 12, 31), "2025Q4"),
    ("quý I năm 2026", D(2026, 3, 31), "2026Q1"),
    ("trong quý II/2025", D(2025, 6, 30), "2025Q2"),
    ("trong năm 2025", D(2025, 12, 31), "2025"),
    ("năm 2025", D(2025, 12, 31), "2025"),
    ("cuối năm 2025", D(2025, 12, 31), "2025"),
    ("đến hết năm 2025", D(2025, 12, 31), "2025"),
    ("hết năm 2025", D(2025, 12, 31), "2025"),
    ("Đến cuối năm 2025", D(2025, 12, 31), "2025"),
    ("đến năm 2030", D(2030, 12, 31), "2030"),
    ("6 tháng đầu năm 2025", D(2025, 6, 30), "2025S1"),
    ("6 tháng cuối năm 2025", D(2025, 12, 31), "2025S2"),
    ("ngày 15/11/2025", D(2025, 11, 15), "20251115"),
    ("đến ngày 15/11/2025", D(2025, 11, 15), "20251115"),
    ("chậm nhất ngày 15/11/2025", D(2025, 11, 15), "20251115"),
    ("trong ngày 15/11/2025", D(2025, 11, 15), "20251115"),
    ("15/11/2025", D(2025, 11, 15), "20251115"),
    ("ngày 15 tháng 11 năm 2025", D(2025, 11, 15), "20251115"),
    ("ngay trong tháng 9/2025", D(2025, 9, 30), "202509"),
    ("trình Thủ tướng Chính phủ trong tháng 10/2025", D(2025, 10, 31), "202510"),
    ("phải hoàn thành xong trước 31/12/2025", D(2025, 12, 30), None),
    ("dự kiến trong quý III/2025", D(2025, 9, 30), "2025Q3"),
    ("giảm 20-30% trong năm 2025", D(2025, 12, 31), "2025"),  # a range of numbers is no day and month
])
def test_a_time_with_its_year_means_its_last_day(text: str, due: datetime.date, period: str | None) -> None:
    deadline = parse_deadline(text)  # no reference: the words carry their own year
    assert (deadline.due, deadline.period, deadline.recurrence, deadline.starts) == (due, period, None, None)
    assert deadline.text == text and not deadline.inferred_year


@pytest.mark.parametrize("text, due, period", [
    ("trong quý IV năm nay", D(2025, 12, 31), "2025Q4"),
    ("chậm nhất trong quý IV", D(2025, 12, 31), "2025Q4"),
    ("trong năm nay", D(2025, 12, 31), "2025"),
    ("trong tháng 12", D(2025, 12, 31), "202512"),
    ("tháng 9", D(2025, 9, 30), "202509"),
    # Already past on 24/09/2025, and still that year: the reference is the directive's own date.
    ("trong tháng 3", D(2025, 3, 31), "202503"),
    ("6 tháng cuối năm", D(2025, 12, 31), "2025S2"),
    ("trước ngày 20/7", D(2025, 7, 19), None),
])
def test_a_time_without_a_year_takes_the_reference_year(text: str, due: datetime.date, period: str | None) -> None:
    deadline = parse_deadline(text, REF)
    assert (deadline.due, deadline.period, deadline.inferred_year) == (due, period, True)


def test_a_written_year_wins_over_the_reference() -> None:
    assert parse_deadline("quý I năm 2026", REF).due == D(2026, 3, 31)
    assert not parse_deadline("tháng 12/2025", REF).inferred_year


@pytest.mark.parametrize("text", ["trước ngày 20/7/2024", "trước 20/7/2024", "Trước ngày 20-07-2024",
                                  "chậm nhất trước ngày 20.7.2024"])
def test_before_a_day_excludes_that_day(text: str) -> None:
    assert parse_deadline(text).due == D(2024, 7, 19)


def test_before_a_period_means_the_day_before_it_begins() -> None:
    assert parse_deadline("trước tháng 9/2025").due == D(2025, 8, 31)
    assert parse_deadline("trước quý IV/2025").due == D(2025, 9, 30)
    assert parse_deadline("trước ngày 1/1/2026").due == D(2025, 12, 31)


@pytest.mark.parametrize("text", [
    "QUÝ IV/2025", "quý  iv   năm 2025", "quý IV - 2025", "quý 4.2025", "quý IV 2025", "  Quý IV/2025 ",
    unicodedata.normalize("NFD", "quý IV năm 2025"), "quý\u00a0IV\u00a0năm\u00a02025", "quý 04/2025",
])
def test_case_spacing_accent_form_and_separators_do_not_matter(text: str) -> None:
    assert (parse_deadline(text).due, parse_deadline(text).period) == (D(2025, 12, 31), "2025Q4")


@pytest.mark.parametrize("text, due, period", [
    ("9 tháng đầu năm 2025", D(2025, 9, 30), None),
    ("3 tháng cuối năm 2025", D(2025, 12, 31), "2025Q4"),
    ("nửa đầu năm 2025", D(2025, 6, 30), "2025S1"),
    ("sáu tháng cuối năm 2025", D(2025, 12, 31), "2025S2"),
])
def test_the_first_or_last_months_of_a_year(text: str, due: datetime.date, period: str | None) -> None:
    deadline = parse_deadline(text)
    assert (deadline.due, deadline.period) == (due, period)


# --- several times: the latest is due, the earliest starts ------------------------------------------

@pytest.mark.parametrize("text, reference, starts, due", [
    ("thí điểm từ tháng 8/2025 và triển khai chính thức trong tháng 9/2025", None, D(2025, 8, 1), D(2025, 9, 30)),
    ("giai đoạn 2023 - 2024", None, D(2023, 1, 1), D(2024, 12, 31)),
    ("giai đoạn 2023–2024", None, D(2023, 1, 1), D(2024, 12, 31)),
    ("từ năm 2023 đến năm 2025", None, D(2023, 1, 1), D(2025, 12, 31)),
    ("tháng 12, triển khai thực hiện trong năm 2026", REF, D(2025, 12, 1), D(2026, 12, 31)),
    ("trong năm 2026; trước đó hoàn thành trong tháng 12", REF, D(2025, 12, 1), D(2026, 12, 31)),
    ("tháng 10/2025 đến hết năm 2025", None, D(2025, 10, 1), D(2025, 12, 31)),
    ("kế hoạch 5 năm 2021-2025", None, D(2021, 1, 1), D(2025, 12, 31)),  # "5 năm" names the plan here
    ("9 tháng đầu năm 2025", None, D(2025, 1, 1), D(2025, 9, 30)),
])
def test_several_times_give_the_earliest_start_and_the_latest_deadline(
        text: str, reference: datetime.date | None, starts: datetime.date, due: datetime.date) -> None:
    deadline = parse_deadline(text, reference)
    assert (deadline.starts, deadline.due) == (starts, due)


def test_the_latest_time_names_the_period_closed() -> None:
    assert parse_deadline("thí điểm từ tháng 8/2025 và triển khai chính thức trong tháng 9/2025").period == "202509"
    assert parse_deadline("giai đoạn 2023 - 2024").period is None  # two years are no one DHIS2 period


# --- recurrences ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, recurrence", [
    ("hằng tháng", Recurrence.MONTHLY), ("hàng tháng", Recurrence.MONTHLY),
    ("định kỳ hằng tháng", Recurrence.MONTHLY), ("báo cáo Hằng Tháng", Recurrence.MONTHLY),
    ("hằng quý", Recurrence.QUARTERLY), ("hàng quý", Recurrence.QUARTERLY),
    ("hằng năm", Recurrence.YEARLY), ("hàng năm", Recurrence.YEARLY),
    ("hằng tuần", Recurrence.WEEKLY),
    ("6 tháng một lần", Recurrence.SIXMONTHLY), ("định kỳ 6 tháng", Recurrence.SIXMONTHLY),
    ("hằng tháng và hằng quý", Recurrence.MONTHLY),  # the most frequent one named
])
def test_recurring_words_have_no_due_date(text: str, recurrence: Recurrence) -> None:
    deadline = parse_deadline(text)
    assert (deadline.recurrence, deadline.due, deadline.starts, deadline.period) == (recurrence, None, None, None)


def test_a_recurrence_with_a_bound_is_due_at_the_bound() -> None:
    deadline = parse_deadline("hằng tháng đến hết năm 2025")
    assert (deadline.recurrence, deadline.due, deadline.period) == (Recurrence.MONTHLY, D(2025, 12, 31), "2025")


def test_a_time_after_tu_is_a_start_not_a_deadline() -> None:
    deadline = parse_deadline("hằng tháng từ tháng 8/2025")
    assert (deadline.recurrence, deadline.starts, deadline.due) == (Recurrence.MONTHLY, D(2025, 8, 1), None)
    bounded = parse_deadline("hằng quý từ quý II/2025 đến hết năm 2025")
    assert (bounded.starts, bounded.due) == (D(2025, 4, 1), D(2025, 12, 31))


def test_each_recurrence_repeats_by_the_period_type_of_its_name() -> None:
    assert [r.period_type for r in Recurrence] == [PeriodType.WEEKLY, PeriodType.MONTHLY, PeriodType.QUARTERLY,
                                                   PeriodType.SIXMONTHLY, PeriodType.YEARLY]


# --- occurrences -----------------------------------------------------------------------------------------

def test_a_monthly_task_falls_due_on_each_month_end_of_2025() -> None:
    due = occurrences(parse_deadline("hằng tháng"), D(2025, 1, 1), D(2025, 12, 31))
    assert due == [(f"2025{m:02d}", D(2025, m, calendar.monthrange(2025, m)[1])) for m in range(1, 13)]
    assert due[0] == ("202501", D(2025, 1, 31)) and due[1] == ("202502", D(2025, 2, 28))
    assert due[-1] == ("202512", D(2025, 12, 31))


def test_a_quarterly_task_falls_due_on_each_quarter_end() -> None:
    assert occurrences(parse_deadline("hằng quý"), D(2025, 1, 1), D(2025, 12, 31)) == [
        ("2025Q1", D(2025, 3, 31)), ("2025Q2", D(2025, 6, 30)), ("2025Q3", D(2025, 9, 30)),
        ("2025Q4", D(2025, 12, 31))]
    # A quarter counts when its last day is in the range: 15/02–15/11 holds only Q1, Q2 and Q3's ends.
    assert [p for p, _ in occurrences(parse_deadline("hằng quý"), D(2025, 2, 15), D(2025, 11, 15))] == [
        "2025Q1", "2025Q2", "2025Q3"]


def test_occurrences_stay_between_the_start_and_the_bound_the_words_give() -> None:
    deadline = parse_deadline("hằng quý từ quý II/2025 đến hết năm 2025")
    assert [p for p, _ in occurrences(deadline, D(2024, 1, 1), D(2027, 12, 31))] == ["2025Q2", "2025Q3", "2025Q4"]
    weekly = occurrences(parse_deadline("hằng tuần"), D(2025, 9, 1), D(2025, 9, 30))
    assert weekly[0] == ("2025W36", D(2025, 9, 7)) and weekly[-1] == ("2025W39", D(2025, 9, 28))
    assert [p for p, _ in occurrences(parse_deadline("6 tháng một lần"), D(2025, 1, 1), D(2026, 12, 31))] == [
        "2025S1", "2025S2", "2026S1", "2026S2"]


def test_a_one_off_deadline_occurs_once_if_due_in_the_range() -> None:
    deadline = parse_deadline("quý IV/2025")
    assert occurrences(deadline, D(2025, 1, 1), D(2025, 12, 31)) == [("2025Q4", D(2025, 12, 31))]
    assert occurrences(deadline, D(2026, 1, 1), D(2026, 12, 31)) == []
    assert occurrences(parse_deadline("trước ngày 20/7/2024"), D(2024, 7, 1), D(2024, 7, 31)) == [
        ("", D(2024, 7, 19))]
    assert occurrences(Deadline(text="từ tháng 8/2025", due=None, starts=D(2025, 8, 1)), D(2025, 1, 1),
                       D(2025, 12, 31)) == []


# --- refusals ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, reference, code", [
    ("", REF, "empty"), ("   ", REF, "empty"),
    ("sớm", REF, "no_date"), ("khẩn trương", REF, "no_date"), ("kịp thời", REF, "no_date"),
    ("ngay", REF, "no_date"), ("Khẩn trương triển khai ngay", REF, "no_date"),
    ("abc", REF, "unrecognised"), ("tại kỳ họp sắp tới", REF, "unrecognised"),
    ("tháng 13/2025", REF, "invalid_date"), ("quý V/2025", REF, "invalid_date"),
    ("31/2/2025", REF, "invalid_date"), ("ngày 29/2/2025", REF, "invalid_date"),
    ("tháng 0/2025", REF, "invalid_date"), ("giai đoạn 2025 - 2023", REF, "invalid_date"),
    ("năm 1850", REF, "invalid_date"),
    ("năm nay", None, "needs_reference_date"), ("trong tháng 12", None, "needs_reference_date"),
    ("chậm nhất trong quý IV", None, "needs_reference_date"), ("ngày 20/7", None, "needs_reference_date"),
    # No last day in them: refused rather than guessed.
    ("trong 30 ngày", REF, "unrecognised"), ("trong vòng 03 tháng kể từ ngày 15/11/2025", REF, "unrecognised"),
    ("đầu năm 2026", REF, "unrecognised"), ("giữa tháng 9/2025", REF, "unrecognised"),
    ("quý IV năm tới", REF, "unrecognised"), ("15/11/25", REF, "unrecognised"),
])
def test_words_that_name_no_last_day_are_refused_with_a_code(
        text: str, reference: datetime.date | None, code: str) -> None:
    with pytest.raises(DeadlineError) as caught:
        parse_deadline(text, reference)
    assert caught.value.code == code and caught.value.text == text


def test_the_refusal_names_what_could_not_be_read_in_both_languages() -> None:
    with pytest.raises(DeadlineError) as caught:
        parse_deadline("abc")
    error = caught.value
    assert error.message_vi.startswith('Không hiểu thời hạn "abc": ')
    assert error.message_en.startswith('Cannot read the deadline "abc": ')
    assert str(error) == f"{error.message_vi} / {error.message_en}"
    assert isinstance(error, ValueError)
    with pytest.raises(DeadlineError, match="tháng 13"):
        parse_deadline("tháng 13/2025")
    with pytest.raises(DeadlineError, match="quý V"):
        parse_deadline("quý V/2025")


def test_a_refusal_survives_pickling() -> None:
    with pytest.raises(DeadlineError) as caught:
        parse_deadline("sớm")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.code, copy.message_vi, copy.message_en, copy.text, str(copy)) == (
        "no_date", caught.value.message_vi, caught.value.message_en, "sớm", str(caught.value))


def test_the_module_needs_no_django() -> None:
    code = "import sys, govkpi.core.deadlines; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --- properties ----------------------------------------------------------------------------------------

@given(st.dates(D(2000, 1, 1), D(2090, 12, 31)))
def test_any_day_is_due_that_day_and_before_it_the_day_before(day: datetime.date) -> None:
    written = f"{day.day}/{day.month}/{day.year}"
    assert parse_deadline(f"ngày {written}").due == day
    assert parse_deadline(f"trước ngày {written}").due == day - datetime.timedelta(days=1)


@given(st.integers(1, 12), st.integers(2000, 2090))
def test_any_month_is_due_on_its_last_day(month: int, year: int) -> None:
    deadline = parse_deadline(f"tháng {month}/{year}")
    assert deadline.due == D(year, month, calendar.monthrange(year, month)[1])
    assert deadline.period == f"{year}{month:02d}"


@given(st.integers(1, 4), st.integers(2000, 2090))
def test_a_quarter_in_roman_or_arabic_numerals_is_the_same_quarter(quarter: int, year: int) -> None:
    roman, arabic = parse_deadline(f"quý {ROMAN[quarter]}/{year}"), parse_deadline(f"quý {quarter} năm {year}")
    assert (roman.due, roman.period) == (arabic.due, arabic.period)
    assert roman.due == D(year, 3 * quarter, calendar.monthrange(year, 3 * quarter)[1])


# Words the patterns look for, jumbled: these reach far more of the parser than random characters do.
WORDS = ["tháng", "quý", "năm", "nay", "ngày", "trước", "từ", "đến", "hết", "hằng", "giai đoạn", "đầu", "cuối",
         "nửa", "sáu", "một lần", "định kỳ", "i", "iv", "v", "0", "6", "13", "29", "2025", "0000", "9999",
         "/", "-", ".", "–", "31/2", "20/7", "sớm", "ngay", ",", "và",
         "năm 0000", "năm 9999", "tháng 1/0001", "quý iv/2101", "ngày 1/1/1899", "giai đoạn 1899-2101"]
JUMBLE = st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join)
REFERENCE = st.one_of(st.none(), st.dates())  # any year: periods exist only for 1900–2100


@given(st.one_of(st.text(), JUMBLE), REFERENCE)
def test_any_text_is_read_or_refused_with_a_deadline_error(text: str, reference: datetime.date | None) -> None:
    try:
        deadline = parse_deadline(text, reference)
    except DeadlineError as error:
        assert error.code in {"empty", "no_date", "needs_reference_date", "invalid_date", "unrecognised"}
        return
    assert deadline.due is not None or deadline.recurrence is not None or deadline.starts is not None
    assert deadline.starts is None or deadline.due is None or deadline.starts <= deadline.due


PHRASES = ["trong quý IV năm nay", "Thí điểm từ tháng 8/2025 và triển khai chính thức trong tháng 9/2025",
           "6 tháng đầu năm 2025", "trước ngày 20/7/2024", "định kỳ hằng tháng", "giai đoạn 2023–2024",
           "đến hết năm 2025", "sớm", "tháng 13/2025", "ngày 15 tháng 11"]


@given(st.one_of(st.sampled_from(PHRASES), JUMBLE, st.text()), REFERENCE)
def test_decomposed_accents_read_as_composed_ones(text: str, reference: datetime.date | None) -> None:
    nfc, nfd = unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", text)
    assert outcome(nfd, reference) == outcome(nfc, reference)
