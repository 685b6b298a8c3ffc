"""DHIS2-style reporting periods: read, write, label and step through them.

Identifiers are written exactly as DHIS2 writes them, so data moves between this system and DHIS2
without translation: 2025 (year), 2025S1/2025S2 (six months), 2025Q3 (quarter), 202509 (month),
2025W38 (ISO 8601 week, Monday to Sunday) and 20250924 (day).

Every Period is one whole period of its type whose identifier's year lies in 1900–2100, the years
parse_period accepts; so parse_period(p.id) == p holds for every Period that can be built.
"""

from __future__ import annotations

import calendar
import datetime
import re
from functools import cached_property
from dataclasses import dataclass
from enum import Enum

MIN_YEAR, MAX_YEAR = 1900, 2100
_ONE_DAY = datetime.timedelta(days=1)
_THURSDAY = datetime.timedelta(days=3)  # from a week's Monday; the ISO rule places a week by it


class PeriodType(str, Enum):
    """A kind of period; types compare by length: DAILY < WEEKLY < MONTHLY < ... < YEARLY."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SIXMONTHLY = "sixmonthly"
    YEARLY = "yearly"

    @property
    def rank(self) -> int:
        """Return the position from finest (0, daily) to coarsest (5, yearly)."""
        return list(PeriodType).index(self)

    # str's own comparisons would order the types alphabetically (monthly < weekly), so all four
    # are replaced; a plain string such as "monthly" is read as the type it names.
    def __lt__(self, other: object) -> bool:
        """Return True if this type is finer (shorter) than the other."""
        return self.rank < PeriodType(other).rank if isinstance(other, str) else NotImplemented

    def __le__(self, other: object) -> bool:
        """Return True if this type is finer than or the same as the other."""
        return self.rank <= PeriodType(other).rank if isinstance(other, str) else NotImplemented

    def __gt__(self, other: object) -> bool:
        """Return True if this type is coarser (longer) than the other."""
        return self.rank > PeriodType(other).rank if isinstance(other, str) else NotImplemented

    def __ge__(self, other: object) -> bool:
        """Return True if this type is coarser than or the same as the other."""
        return self.rank >= PeriodType(other).rank if isinstance(other, str) else NotImplemented


# Months in one period of each month-based type; their periods start on multiples of it.
_MONTHS = {PeriodType.MONTHLY: 1, PeriodType.QUARTERLY: 3, PeriodType.SIXMONTHLY: 6, PeriodType.YEARLY: 12}
_ROMAN = ("I", "II", "III", "IV")
_MONTH_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")
_EXAMPLES = "2025, 2025S1, 2025Q3, 202509, 2025W38, 20250924"


class PeriodError(ValueError):
    """A period that cannot be read or built, with the reason in Vietnamese and in English."""

    def __init__(self, code: str, message_vi: str, message_en: str, text: str) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.code, self.message_vi, self.message_en, self.text = code, message_vi, message_en, text

    def __reduce__(self) -> tuple[type[PeriodError], tuple[str, str, str, str]]:
        # The default would call __init__ with the single joined message, which it cannot take.
        return (PeriodError, (self.code, self.message_vi, self.message_en, self.text))


def _check_year(year: int, text: str) -> None:
    """Return None if the year is within 1900–2100; raise PeriodError if not."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError("year_out_of_range", f"Năm phải từ {MIN_YEAR} đến {MAX_YEAR} (nhận được {year})",
                          f"Year must be between {MIN_YEAR} and {MAX_YEAR} (got {year})", text)


def _as_date(day: datetime.date) -> datetime.date:
    """Return the day as a plain date (a datetime is a date subclass, but never equals a date)."""
    return day.date() if isinstance(day, datetime.datetime) else day


def _id_year(ptype: PeriodType, day: datetime.date) -> int:
    """Return the year written in the identifier of the period of this type containing the day."""
    # The first days of January can belong to the previous year's last ISO week, and vice versa.
    return day.isocalendar().year if ptype is PeriodType.WEEKLY else day.year


def _bounds(ptype: PeriodType, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Return the first and last day of the period of this type that contains the day."""
    if ptype is PeriodType.DAILY:
        return day, day
    if ptype is PeriodType.WEEKLY:
        monday = day - datetime.timedelta(days=day.weekday())
        return monday, monday + datetime.timedelta(days=6)
    months = _MONTHS[ptype]
    first = (day.month - 1) // months * months + 1
    last = first + months - 1
    last_day = calendar.monthrange(day.year, last)[1]
    return datetime.date(day.year, first, 1), datetime.date(day.year, last, last_day)


@dataclass(frozen=True, order=True, repr=False)
class Period:
    """One whole period: its type, its first day and its last day (inclusive).

    Periods order by type (finest first), then by start.
    """

    type: PeriodType
    start: datetime.date
    end: datetime.date

    def __repr__(self) -> str:
        """Return a short form naming the identifier, such as <Period 2025Q3>."""
        return f"<Period {self.id}>"

    def __post_init__(self) -> None:
        # Accept "monthly" for PeriodType.MONTHLY: every computation below dispatches on the member.
        object.__setattr__(self, "type", PeriodType(self.type))
        described = f"{self.type.value} {self.start}..{self.end}"
        if isinstance(self.start, datetime.datetime) or isinstance(self.end, datetime.datetime):
            raise TypeError("Period.start and Period.end must be dates, not datetimes")
        _check_year(_id_year(self.type, self.start), described)
        if _bounds(self.type, self.start) != (self.start, self.end):
            raise PeriodError("not_a_period", f"{described} không phải là đúng một kỳ",
                              f"{described} is not exactly one period", described)

    @cached_property
    def id(self) -> str:
        """Return the DHIS2 identifier, such as 2025Q3, 202509 or 2025W38."""
        s = self.start
        match self.type:
            case PeriodType.DAILY:
                return f"{s.year}{s.month:02d}{s.day:02d}"
            case PeriodType.WEEKLY:
                iso = s.isocalendar()
                return f"{iso.year}W{iso.week}"  # no leading zero, as DHIS2 writes it
            case PeriodType.MONTHLY:
                return f"{s.year}{s.month:02d}"
            case PeriodType.QUARTERLY:
                return f"{s.year}Q{(s.month + 2) // 3}"
            case PeriodType.SIXMONTHLY:
                return f"{s.year}S{1 if s.month == 1 else 2}"
        return str(s.year)

    @property
    def days(self) -> int:
        """Return the number of days in the period."""
        return (self.end - self.start).days + 1

    @property
    def label_vi(self) -> str:
        """Return the Vietnamese label, such as "Quý III/2025" or "Tháng 9/2025"."""
        s, e = self.start, self.end
        match self.type:
            case PeriodType.DAILY:
                return f"Ngày {s:%d/%m}/{s.year}"
            case PeriodType.WEEKLY:
                iso = s.isocalendar()
                first = f"{s:%d/%m}" if s.year == e.year else f"{s:%d/%m}/{s.year}"
                return f"Tuần {iso.week}/{iso.year} ({first}–{e:%d/%m}/{e.year})"
            case PeriodType.MONTHLY:
                return f"Tháng {s.month}/{s.year}"
            case PeriodType.QUARTERLY:
                return f"Quý {_ROMAN[(s.month - 1) // 3]}/{s.year}"
            case PeriodType.SIXMONTHLY:
                return f"6 tháng {'đầu' if s.month == 1 else 'cuối'} năm {s.year}"
        return f"Năm {s.year}"

    @property
    def label_en(self) -> str:
        """Return the English label, such as "Q3 2025" or "September 2025"."""
        s, e = self.start, self.end
        match self.type:
            case PeriodType.DAILY:
                return f"{s.day} {_MONTH_EN[s.month - 1]} {s.year}"
            case PeriodType.WEEKLY:
                iso = s.isocalendar()
                first = f"{s.day} {_MONTH_EN[s.month - 1][:3]}" + ("" if s.year == e.year else f" {s.year}")
                return f"Week {iso.week} {iso.year} ({first}–{e.day} {_MONTH_EN[e.month - 1][:3]} {e.year})"
            case PeriodType.MONTHLY:
                return f"{_MONTH_EN[s.month - 1]} {s.year}"
            case PeriodType.QUARTERLY:
                return f"Q{(s.month + 2) // 3} {s.year}"
            case PeriodType.SIXMONTHLY:
                return f"{'January–June' if s.month == 1 else 'July–December'} {s.year}"
        return str(s.year)

    def contains(self, other: Period | datetime.date) -> bool:
        """Return True if the day, or the whole of the other period, lies within this period.

        A period must lie entirely inside: a week straddling two months is in neither month.
        (sub_periods and containing place such a week by its Thursday instead.)
        """
        if isinstance(other, Period):
            return self.start <= other.start and other.end <= self.end
        return self.start <= _as_date(other) <= self.end

    def next(self) -> Period:
        """Return the period of the same type that starts the day after this one ends."""
        return period_of(self.type, self.end + _ONE_DAY)

    def previous(self) -> Period:
        """Return the period of the same type that ends the day before this one starts."""
        return period_of(self.type, self.start - _ONE_DAY)

    def sub_periods(self, type: PeriodType) -> list[Period]:
        """Return the periods of a finer (or the same) type that make up this one, in order.

        Weeks do not nest in months or years, so a week counts as within this period when its
        Thursday lies within it (the ISO 8601 rule that also decides a week's year): 2026W1,
        29/12/2025–04/01/2026, is one of the weeks of 2026 and of 202601, not of 2025 or 202512.
        Raises PeriodError ("not_finer") for a coarser type.
        """
        type = PeriodType(type)
        if type > self.type:
            raise PeriodError("not_finer", f"Kỳ {type.value} không nhỏ hơn kỳ {self.type.value}",
                              f"A {type.value} period is not finer than a {self.type.value} one", self.id)
        candidates = periods_between(type, self.start, self.end)
        if type is PeriodType.WEEKLY:
            return [week for week in candidates if self.contains(week.start + _THURSDAY)]
        return candidates

    def containing(self, type: PeriodType) -> Period:
        """Return the period of a coarser (or the same) type that contains this one.

        A week is placed by its Thursday, as in sub_periods: 2026W1.containing(YEARLY) is 2026.
        Raises PeriodError ("not_coarser") for a finer type.
        """
        type = PeriodType(type)
        if type < self.type:
            raise PeriodError("not_coarser", f"Kỳ {type.value} không lớn hơn kỳ {self.type.value}",
                              f"A {type.value} period is not coarser than a {self.type.value} one", self.id)
        anchor = self.start + _THURSDAY if self.type is PeriodType.WEEKLY else self.start
        return period_of(type, anchor)


def period_of(type: PeriodType, day: datetime.date) -> Period:
    """Return the period of that type containing the day (for weeks, its ISO 8601 week)."""
    type, day = PeriodType(type), _as_date(day)
    # Checked before any date arithmetic: the week around 31/12/9999 would overflow date.
    _check_year(_id_year(type, day), day.isoformat())
    return Period(type, *_bounds(type, day))


def periods_between(type: PeriodType, start: datetime.date, end: datetime.date) -> list[Period]:
    """Return every period of that type overlapping [start, end], in order ([] if end < start)."""
    start, end = _as_date(start), _as_date(end)
    if end < start:
        return []
    periods = [period_of(type, start)]
    # Stop before stepping past the last one, so a range ending in 2100 never asks for 2101.
    while periods[-1].end < end:
        periods.append(periods[-1].next())
    return periods


# [0-9], not \d: \d and int() also take other scripts' digits, such as Arabic-Indic ٢٠٢٥.
_ID = re.compile(r"(?P<year>[0-9]{4})(?:S(?P<half>[0-9])|Q(?P<quarter>[0-9])|W(?P<week>[0-9]{1,2})"
                 r"|(?P<month>[0-9]{2})(?P<day>[0-9]{2})?)?")


def parse_period(text: str) -> Period:
    """Return the period a DHIS2 identifier names; raise PeriodError saying why if it names none."""
    stripped = text.strip()
    if not stripped:
        raise PeriodError("empty", "Chưa nhập kỳ báo cáo", "No period was given", text)
    match = _ID.fullmatch(stripped)
    if match is None:
        raise PeriodError("unrecognised_format",
                          f"'{stripped}' không phải là mã kỳ hợp lệ (ví dụ: {_EXAMPLES})",
                          f"'{stripped}' is not a recognised period (examples: {_EXAMPLES})", text)
    year = int(match["year"])
    _check_year(year, text)
    if match["half"] is not None:
        return _parse_numbered(PeriodType.SIXMONTHLY, year, int(match["half"]), text)
    if match["quarter"] is not None:
        return _parse_numbered(PeriodType.QUARTERLY, year, int(match["quarter"]), text)
    if match["week"] is not None:
        return _parse_week(year, int(match["week"]), text)
    if match["month"] is not None:
        return _parse_day_or_month(year, match["month"], match["day"], text)
    return period_of(PeriodType.YEARLY, datetime.date(year, 1, 1))


def _parse_numbered(type: PeriodType, year: int, number: int, text: str) -> Period:
    """Return the half-year or quarter with that number; raise PeriodError if there is none."""
    months = _MONTHS[type]
    if not 1 <= number <= 12 // months:
        if type is PeriodType.QUARTERLY:
            raise PeriodError("quarter_out_of_range", f"Quý phải từ 1 đến 4 (nhận được {number})",
                              f"Quarter must be 1–4 (got {number})", text)
        raise PeriodError("sixmonth_out_of_range", f"Kỳ 6 tháng phải là S1 hoặc S2 (nhận được S{number})",
                          f"A six-month period must be S1 or S2 (got S{number})", text)
    return period_of(type, datetime.date(year, (number - 1) * months + 1, 1))


def _parse_week(year: int, week: int, text: str) -> Period:
    """Return ISO week `week` of `year`; raise PeriodError if that year has no such week."""
    # 28 December always falls in the last ISO week of its year, which is week 52 or 53.
    weeks = datetime.date(year, 12, 28).isocalendar().week
    if not 1 <= week <= weeks:
        raise PeriodError("week_out_of_range",
                          f"Năm {year} có {weeks} tuần ISO, tuần phải từ 1 đến {weeks} (nhận được {week})",
                          f"{year} has {weeks} ISO weeks; the week must be 1–{weeks} (got {week})", text)
    return period_of(PeriodType.WEEKLY, datetime.date.fromisocalendar(year, week, 1))


def _parse_day_or_month(year: int, month: str, day: str | None, text: str) -> Period:
    """Return the month (YYYYMM) or the day (YYYYMMDD); raise PeriodError if it does not exist."""
    if not 1 <= int(month) <= 12:
        raise PeriodError("month_out_of_range", f"Tháng phải từ 01 đến 12 (nhận được {month})",
                          f"Month must be 01–12 (got {month})", text)
    if day is None:
        return period_of(PeriodType.MONTHLY, datetime.date(year, int(month), 1))
    try:
        date = datetime.date(year, int(month), int(day))
    except ValueError:
        raise PeriodError("invalid_date", f"{day}/{month}/{year} không phải là ngày hợp lệ",
                          f"{day}/{month}/{year} is not a date", text) from None
    return period_of(PeriodType.DAILY, date)


# DHIS2 relative periods: (type, how many periods back the first one is, how many periods).
# "LAST_n" means the n complete periods before the current one, as in DHIS2.
_RELATIVE: dict[str, tuple[PeriodType, int, int]] = {
    "THIS_WEEK": (PeriodType.WEEKLY, 0, 1),
    "LAST_WEEK": (PeriodType.WEEKLY, 1, 1),
    "THIS_MONTH": (PeriodType.MONTHLY, 0, 1),
    "LAST_MONTH": (PeriodType.MONTHLY, 1, 1),
    "LAST_3_MONTHS": (PeriodType.MONTHLY, 3, 3),
    "LAST_12_MONTHS": (PeriodType.MONTHLY, 12, 12),
    "THIS_QUARTER": (PeriodType.QUARTERLY, 0, 1),
    "LAST_QUARTER": (PeriodType.QUARTERLY, 1, 1),
    "LAST_4_QUARTERS": (PeriodType.QUARTERLY, 4, 4),
    "THIS_SIX_MONTH": (PeriodType.SIXMONTHLY, 0, 1),
    "LAST_SIX_MONTH": (PeriodType.SIXMONTHLY, 1, 1),
    "THIS_YEAR": (PeriodType.YEARLY, 0, 1),
    "LAST_YEAR": (PeriodType.YEARLY, 1, 1),
    "LAST_5_YEARS": (PeriodType.YEARLY, 5, 5),
}


def relative_periods(name: str, today: datetime.date) -> list[Period]:
    """Return the periods a DHIS2 relative period name stands for on that day, oldest first."""
    try:
        type, back, count = _RELATIVE[name]
    except KeyError:
        known = ", ".join(_RELATIVE)
        raise PeriodError("unknown_relative_period",
                          f"Không có kỳ tương đối '{name}' (các kỳ có: {known})",
                          f"Unknown relative period '{name}' (known: {known})", name) from None
    first = period_of(type, today)
    for _ in range(back):
        first = first.previous()
    periods = [first]
    while len(periods) < count:
        periods.append(periods[-1].next())
    return periods
