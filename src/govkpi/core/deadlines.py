"""Deadlines as Vietnamese directives write them, read into the last day they allow.

The words are kept as written; what they mean is the last day allowed. The rules, where the words leave
a choice:

- A period means its last day: "tháng 8/2025" → 31/08/2025 (period 202508), "quý IV/2025" → 31/12/2025
  (2025Q4), "6 tháng đầu năm 2025" → 30/06/2025 (2025S1), "đến hết năm 2025" → 31/12/2025 (2025).
- "trước" (before) excludes what it names: "trước ngày 20/7/2024" → 19/07/2024, and "trước tháng 9/2025"
  → 31/08/2025, the day before the month begins. "ngày", "đến ngày", "chậm nhất ngày" include the day.
- "từ" (from) marks a start, never a deadline: "hằng tháng từ tháng 8/2025" starts 01/08/2025, no due date.
- Several times in one phrase: the latest is the deadline and the earliest the start. "thí điểm từ tháng
  8/2025 và triển khai chính thức trong tháng 9/2025" is due 30/09/2025 and starts 01/08/2025. A time after
  "từ" sets the start ahead of the others, and one after "đến"/"trước" only ends the window: "hằng quý từ
  quý II/2025 đến hết năm 2025" starts 01/04/2025, not on the 01/01/2025 that "năm 2025" begins with.
- A missing year ("tháng 12", "quý IV năm nay") is the year of the reference date, the directive's date.
- Words with no last day are refused rather than guessed: "sớm", "kịp thời", durations ("trong 30 ngày",
  counted from an event the words may not date), "đầu năm 2026", "giữa tháng 9".
- Except, when asked (`accept_undated`), the phrases directives use for urgency or continuity without any
  time ("khẩn trương", "ngay", "sớm", "kịp thời", "thường xuyên"): they are a deadline as written with no
  date (`Deadline.undated`), which the 6 rõ check counts as missing "rõ thời gian". Other words, and such
  phrases holding a digit the reader could not place ("khẩn trương trong Q3"), are still refused, naming them.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from govkpi.core.periods import MAX_YEAR, MIN_YEAR, Period, PeriodType, period_of, periods_between

_ONE_DAY = datetime.timedelta(days=1)
_FIRST_DAY, _LAST_DAY = datetime.date(MIN_YEAR, 1, 1), datetime.date(MAX_YEAR, 12, 31)


class Recurrence(str, Enum):
    """How often a recurring deadline comes back; each value is also the name of a PeriodType."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SIXMONTHLY = "sixmonthly"
    YEARLY = "yearly"

    @property
    def period_type(self) -> PeriodType:
        """Return the period type whose every period is one occurrence."""
        return PeriodType(self.value)


@dataclass(frozen=True)
class Deadline:
    """The meaning of deadline words: the last day allowed, a recurrence, a start, the period closed."""

    text: str  # as given
    due: datetime.date | None  # the last day allowed; None for a recurrence (or a start) with no end
    recurrence: Recurrence | None = None
    starts: datetime.date | None = None  # the start of the window, when the words give one
    period: str | None = None  # the DHIS2 id of the period the deadline closes, when it is one whole period
    inferred_year: bool = False  # a year came from the reference date
    undated: bool = False  # words that speak of time but name none ("khẩn trương"), kept with no date


class DeadlineError(ValueError):
    """Deadline words that cannot be read: a code and the reason in Vietnamese and in English."""

    def __init__(self, code: str, message_vi: str, message_en: str, text: str) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.code, self.message_vi, self.message_en, self.text = code, message_vi, message_en, text

    def __reduce__(self) -> tuple[type[DeadlineError], tuple[str, str, str, str]]:
        # The default would call __init__ with the single joined message, which it cannot take.
        return (DeadlineError, (self.code, self.message_vi, self.message_en, self.text))


@dataclass(frozen=True)
class _Time:
    """One time the words name: its first and last day, and its DHIS2 id when it is one whole period."""

    start: datetime.date
    end: datetime.date
    period: str | None = None


def _whole(period: Period) -> _Time:
    """Return the time that is exactly this period."""
    return _Time(period.start, period.end, period.id)


@dataclass
class _Reading:
    """The words being read and the reference date; remembers whether a year was taken from it."""

    text: str
    reference: datetime.date | None
    inferred_year: bool = False

    def fail(self, code: str, why_vi: str, why_en: str) -> DeadlineError:
        """Return the error naming the words that could not be read and why."""
        shown = " ".join(self.text.split())
        shown = shown if len(shown) <= 100 else shown[:99] + "…"
        return DeadlineError(code, f'Không hiểu thời hạn "{shown}": {why_vi}',
                             f'Cannot read the deadline "{shown}": {why_en}', self.text)

    def year(self, written: str | None) -> int:
        """Return the year written, or the reference date's year for "nay" (this year) or none written."""
        if not written or written == "nay":  # "" from a date pattern written without a year
            if self.reference is None:
                raise self.fail("needs_reference_date", "không nêu năm, và không có ngày ban hành để lấy năm",
                                "it names no year, and no reference date was given to take one from")
            self.inferred_year = True
            year = self.reference.year
        else:
            year = int(written)
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise self.fail("invalid_date", f"năm {year} nằm ngoài {MIN_YEAR}–{MAX_YEAR}",
                            f"the year {year} is outside {MIN_YEAR}–{MAX_YEAR}")
        return year

    def number(self, written: str, high: int, name_vi: str, name_en: str) -> int:
        """Return the month, quarter or count written (digits or I–IV); raise if it is not 1–high."""
        value = _NUMBERS.get(written, 0)
        if not 1 <= value <= high:
            raise self.fail("invalid_date", f"không có {name_vi} {written.upper()} (chỉ có 1–{high})",
                            f"there is no {name_en} {written.upper()} (only 1–{high})")
        return value


_NUMBERS = {**{str(n): n for n in range(13)}, **{f"{n:02d}": n for n in range(13)},
            "i": 1, "ii": 2, "iii": 3, "iv": 4, "sáu": 6, "nửa": 6}

# What each pattern reads: a time, or a recurrence.
_Reader = Callable[[re.Match[str], _Reading], "_Time | Recurrence"]


def _every(recurrence: Recurrence) -> _Reader:
    """Return a reader that finds this recurrence."""
    return lambda _match, _reading: recurrence


def _day(m: re.Match[str], r: _Reading) -> _Time:
    """Return the day "15/11/2025", "ngày 20/7" or "ngày 15 tháng 11 năm 2025" names."""
    year, month = r.year(m["year"]), r.number(m["month"], 12, "tháng", "month")
    try:
        return _whole(period_of(PeriodType.DAILY, datetime.date(year, month, int(m["day"]))))
    except ValueError:
        raise r.fail("invalid_date", f"ngày {int(m['day'])}/{month}/{year} không có thật",
                     f"{int(m['day'])}/{month}/{year} is not a date") from None


def _months_of_year(m: re.Match[str], r: _Reading) -> _Time:
    """Return the first or last n months of a year: "6 tháng đầu năm 2025", "9 tháng đầu năm", "nửa cuối năm"."""
    year, n = r.year(m["year"]), r.number(m["n"] or "nửa", 12, "số tháng", "month count")
    first, last = (1, n) if m["part"] == "đầu" else (13 - n, 12)
    start, end = period_of(PeriodType.MONTHLY, datetime.date(year, first, 1)).start, \
        period_of(PeriodType.MONTHLY, datetime.date(year, last, 1)).end
    # Name the period only when the months are one DHIS2 period (a half, a quarter, a month, the year).
    kinds = {1: PeriodType.MONTHLY, 3: PeriodType.QUARTERLY, 6: PeriodType.SIXMONTHLY, 12: PeriodType.YEARLY}
    return _whole(period_of(kinds[n], start)) if n in kinds else _Time(start, end)


def _quarter(m: re.Match[str], r: _Reading) -> _Time:
    """Return the quarter "quý IV/2025", "quý 4 năm 2025" or "quý IV năm nay" names."""
    quarter = r.number(m["q"], 4, "quý", "quarter")
    return _whole(period_of(PeriodType.QUARTERLY, datetime.date(r.year(m["year"]), 3 * quarter - 2, 1)))


def _month(m: re.Match[str], r: _Reading) -> _Time:
    """Return the month "tháng 8/2025" or "tháng 12" names (a year-less month is in the reference year)."""
    # Even a month already past on the reference date stays in its year: the reference is the
    # directive's date, and "trong tháng 12" in a September directive means December of that year.
    month = r.number(m["month"], 12, "tháng", "month")
    return _whole(period_of(PeriodType.MONTHLY, datetime.date(r.year(m["year"]), month, 1)))


def _years(m: re.Match[str], r: _Reading) -> _Time:
    """Return the years "giai đoạn 2023 - 2024" covers, from 1 January of the first to 31 December of the last."""
    first, last = r.year(m["y1"]), r.year(m["y2"])
    if last < first:
        raise r.fail("invalid_date", f"giai đoạn {first}–{last} kết thúc trước khi bắt đầu",
                     f"the span {first}–{last} ends before it begins")
    whole = _whole(period_of(PeriodType.YEARLY, datetime.date(last, 1, 1)))
    return whole if first == last else _Time(datetime.date(first, 1, 1), whole.end)


def _year(m: re.Match[str], r: _Reading) -> _Time:
    """Return the year "năm 2025" or "năm nay" names."""
    return _whole(period_of(PeriodType.YEARLY, datetime.date(r.year(m["year"]), 1, 1)))


def _no_last_day(m: re.Match[str], r: _Reading) -> _Time:
    """Refuse a part of a period with no last day ("đầu năm 2026") or a duration ("trong 30 ngày")."""
    raise r.fail("unrecognised", f'"{m[0]}" không cho biết ngày cuối cùng; hãy ghi ngày, tháng, quý hoặc năm',
                 f'"{m[0]}" gives no last day; write a day, month, quarter or year')


# Patterns run on NFC, lower-case text with single spaces. A year may follow "/", "-", ".", a space or
# "năm"; "nay" (this year) only follows "năm".
_Y = r"(?P<year>[0-9]{4}|(?<=năm )nay(?!\w))"
_NO_MORE_DIGITS = r"(?![/.-]?[0-9])"
# After a month or quarter: a year, or nothing — but not "năm" with something else ("quý IV năm tới"),
# which would otherwise quietly become the reference year.
_PERIOD_YEAR = rf"(?:(?: ?[/.-] ?| (?:năm )?){_Y}|(?! năm\b)){_NO_MORE_DIGITS}"
_DMY = r"(?<![0-9/.-])(?P<day>[0-9]{1,2})(?P<sep>[/.-])(?P<month>[0-9]{1,2})"
_EVERY = r"\b(?:hằng|hàng|mỗi) "

# Tried in order; what one pattern reads is masked before the next runs, so "6 tháng đầu năm 2025" is
# not read again as "năm 2025", nor "ngày 15 tháng 11 năm 2025" as "tháng 11 năm 2025".
_TABLE: list[tuple[re.Pattern[str], _Reader]] = [(re.compile(p), reader) for p, reader in [
    (_EVERY + r"tuần\b", _every(Recurrence.WEEKLY)),
    (_EVERY + r"tháng\b", _every(Recurrence.MONTHLY)),
    (_EVERY + r"quý\b", _every(Recurrence.QUARTERLY)),
    (r"\b(?:(?:6|sáu) tháng (?:một|1) lần|(?:6|sáu) tháng/lần|định kỳ (?:6|sáu) tháng|(?:hằng|hàng|mỗi) "
     r"(?:6|sáu) tháng)\b", _every(Recurrence.SIXMONTHLY)),
    (_EVERY + r"năm\b", _every(Recurrence.YEARLY)),
    (rf"(?:\bngày )?{_DMY}(?P=sep){_Y}(?![0-9])", _day),  # 15/11/2025, 15-11-2025, 15.11.2025
    # Without a year only after "ngày" or "trước", so that "20-30%" is not 20 March.
    (rf"(?:\bngày |(?<=trước )){_DMY}(?P<year>){_NO_MORE_DIGITS}", _day),
    (rf"\bngày (?P<day>[0-9]{{1,2}}) tháng (?P<month>[0-9]{{1,2}}){_PERIOD_YEAR}", _day),
    (rf"\b(?:(?P<n>[0-9]{{1,2}}|sáu) tháng|nửa) (?P<part>đầu|cuối) năm(?:(?: ?[/.-] ?| ){_Y})?{_NO_MORE_DIGITS}",
     _months_of_year),
    (r"\b(?:đầu|giữa|thượng tuần|trung tuần) (?:tháng|quý|năm)\b", _no_last_day),
    (rf"\bquý (?P<q>[ivx]+|[0-9]{{1,2}})(?!\w){_PERIOD_YEAR}", _quarter),
    (rf"\btháng (?P<month>[0-9]{{1,2}}){_PERIOD_YEAR}", _month),
    # A count of days/weeks/months/quarters/years is a duration, except "5 năm 2021-2025" (a plan's name).
    (r"\b[0-9]+ (?:ngày|tuần|tháng|quý|năm)\b(?! (?:giai đoạn )?[0-9]{4})", _no_last_day),
    (r"(?<![0-9/.-])(?P<y1>[0-9]{4})(?: ?[-‐‑–—−] ?| đến (?:năm )?)(?P<y2>[0-9]{4})(?![0-9])", _years),
    (rf"\bnăm {_Y}{_NO_MORE_DIGITS}", _year),
]]
# The word just before a time: "trước" excludes it, "từ" (also "kể từ", "bắt đầu từ") makes it a start,
# "đến" ("đến hết", "đến cuối") makes it only an end.
_MARKER = re.compile(r"(?<!\w)(trước|từ|đến)(?: hết| cuối)? $")
# Words that speak of time but name none; said apart from words that are simply not understood.
_NO_TIME = re.compile(r"(?<!\w)(?:sớm|khẩn trương|kịp thời|ngay|thường xuyên|liên tục|định kỳ|thời gian tới)(?!\w)")


def _normalise(text: str) -> str:
    """Return the text in NFC, lower case, with single spaces (NFD and NFC input read the same)."""
    return " ".join(unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).lower()).split())


def _scan(words: str, reading: _Reading) -> tuple[list[tuple[_Time, str]], list[Recurrence]]:
    """Return the times found, each with the word before it ("trước", "từ", "đến" or ""), and the recurrences."""
    times: list[tuple[_Time, str]] = []
    recurrences: list[Recurrence] = []
    for pattern, reader in _TABLE:
        for match in pattern.finditer(words):
            found = reader(match, reading)
            if isinstance(found, Recurrence):
                recurrences.append(found)
                continue
            marker = _MARKER.search(words, 0, match.start())
            role = marker[1] if marker else ""
            if role == "trước":
                found = _Time(found.start - _ONE_DAY, found.start - _ONE_DAY)
            times.append((found, role))
        # NUL, not spaces: a masked time must not join "trước" to the time after it.
        words = pattern.sub(lambda m: "\0" * len(m[0]), words)
    return times, recurrences


# Bounds on the work one deadline may cost. The text: the column holds 300 characters (tasks.models), and a
# 71 KB text took 8 s of pattern matching before it was refused. The occurrences a recurrence has already
# owed by its reference date: "hằng tuần từ năm 1900" made 6,622 sub-tasks at once; 400 is more than seven
# years of weeks, thirty of months.
MAX_DEADLINE_CHARS = 300
MAX_OCCURRENCES_BEHIND = 400
_PERIOD_DAYS = {Recurrence.WEEKLY: 7, Recurrence.MONTHLY: 28, Recurrence.QUARTERLY: 90,
                Recurrence.SIXMONTHLY: 181, Recurrence.YEARLY: 365}  # the shortest of each: counts at least


def _check_bounds(reading: _Reading, recurrence: Recurrence | None, starts: datetime.date | None,
                  until: datetime.date | None) -> None:
    """Return None, or raise DeadlineError when a recurrence owes too many occurrences between its start and
    `until` (the reference date, else the due date)."""
    if recurrence is None or starts is None or until is None or until <= starts:
        return
    behind = (until - starts).days // _PERIOD_DAYS[recurrence]
    if behind > MAX_OCCURRENCES_BEHIND:
        raise reading.fail("too_many_occurrences",
                           f"chu kỳ bắt đầu quá xa: khoảng {behind} lần trước ngày tham chiếu (tối đa "
                           f"{MAX_OCCURRENCES_BEHIND})",
                           f"the recurrence starts too far back: about {behind} occurrences before the reference "
                           f"date (at most {MAX_OCCURRENCES_BEHIND})")


def parse_deadline(text: str, reference: datetime.date | None = None, *, accept_undated: bool = False) -> Deadline:
    """Return the Deadline that deadline words mean; raise DeadlineError (with a code) when they name none.

    `reference` (the directive's date) supplies the year for "năm nay" and for a month, quarter or day
    written without one. "trước" excludes the day it names: "trước ngày 20/7/2024" is due 19/07/2024.
    When the words hold several times, the latest is the deadline and the earliest the start; a time
    after "từ" (from) is only a start. Codes: "empty", "no_date" ("sớm", "kịp thời"), "needs_reference_date",
    "invalid_date" (31/2/2025, tháng 13, quý V), "unrecognised" (anything else, durations included).
    With `accept_undated`, words that name no time but only urgency ("khẩn trương", "ngay") give an undated
    Deadline (due None, `undated` True) instead of the "no_date" error.
    """
    reading = _Reading(text, reference)
    if len(text) > MAX_DEADLINE_CHARS:  # before any pattern runs: their cost grows with the length
        raise DeadlineError("too_long", f"Thời hạn dài quá {MAX_DEADLINE_CHARS} ký tự ({len(text)})",
                            f"The deadline is longer than {MAX_DEADLINE_CHARS} characters ({len(text)})", text[:80])
    words = _normalise(text)
    if not words:  # nothing to name in the message, so it is said plainly
        raise DeadlineError("empty", "Chưa nhập thời hạn", "No deadline was given", text)
    times, recurrences = _scan(words, reading)
    if not times and not recurrences:
        if _NO_TIME.search(words):
            # A digit is a time the reader could not read ("khẩn trương trong Q3"): refused, not dropped.
            if accept_undated and not any(c.isdigit() for c in words):
                return Deadline(text=text, due=None, undated=True)
            raise reading.fail("no_date", "không nêu thời điểm cụ thể (cần ngày, tháng, quý hoặc năm, "
                               'ví dụ "trong tháng 9/2025")',
                               'it names no time (a day, month, quarter or year is needed, e.g. "tháng 9/2025")')
        raise reading.fail("unrecognised", "không thấy ngày, tháng, quý, năm hay chu kỳ (hằng tháng…) nào",
                           'no day, month, quarter, year or recurrence ("hằng tháng"…) was found')
    # Table order runs from most frequent to least, so "hằng tháng và hằng quý" recurs monthly.
    recurrence = min(recurrences, key=list(Recurrence).index, default=None)
    # max keeps the first of equal ends, and finer patterns come first in the table.
    last = max((t for t, role in times if role != "từ"), key=lambda t: t.end, default=None)
    starts = _starts(times, last)
    _check_bounds(reading, recurrence, starts, reference or (last.end if last else None))
    return Deadline(text=text, due=last.end if last else None, recurrence=recurrence, starts=starts,
                    period=last.period if last else None, inferred_year=reading.inferred_year)


def _starts(times: list[tuple[_Time, str]], last: _Time | None) -> datetime.date | None:
    """Return the start of the window the words give, or None when they name a single time only."""
    # One whole period or day carries its own start; a start is given for several times, a "từ",
    # or a window with no single period id ("giai đoạn 2023 - 2024", "9 tháng đầu năm 2025").
    if len(times) == 1 and times[0][1] != "từ" and last is not None and (last.period or last.start == last.end):
        return None
    for roles in (("từ",), ("",), ("từ", "", "đến", "trước")):
        starts = [t.start for t, role in times if role in roles]
        if starts:
            return min(starts)
    return None


def occurrences(deadline: Deadline, start: datetime.date, end: datetime.date) -> list[tuple[str, datetime.date]]:
    """Return (period id, due date) for each time the deadline falls due within [start, end], in order.

    A recurring deadline falls due on the last day of each period of its recurrence whose last day lies in
    [start, end], from the period holding `deadline.starts` up to `deadline.due` when the words give them:
    "hằng tháng" over 2025 gives 202501 → 31/01/2025 … 202512 → 31/12/2025. A one-off deadline gives
    [(period or "", due)] when its due date lies in [start, end], and [] otherwise.
    """
    if deadline.recurrence is None:
        due = deadline.due
        return [(deadline.period or "", due)] if due is not None and start <= due <= end else []
    # Periods exist only for 1900–2100; outside that there is nothing to list.
    first = max(start, deadline.starts or start, _FIRST_DAY)
    last = min(end, deadline.due or end, _LAST_DAY)
    periods = periods_between(deadline.recurrence.period_type, first, last)
    return [(p.id, p.end) for p in periods if first <= p.end <= last]
