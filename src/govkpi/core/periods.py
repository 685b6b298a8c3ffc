"""DHIS2-style reporting periods: read, write, label and step through them.

Identifiers are written exactly as DHIS2 writes them, so data moves between this system and DHIS2
without translation: 2025 (year), 2025S1/2025S2 (six months), 2025Q3 (quarter), 202509 (month),
2025W38 (ISO 8601 week, Monday to Sunday) and 20250924 (day) are the PeriodType frequencies data are
collected at here. The other period types of DHIS2 2.40 (OtherPeriodType) are read and written too, so
that what a DHIS2 client sends is understood: 202501B (two months), 2025BiW1 (two weeks), 2025WedW1,
2025ThuW1, 2025SatW1, 2025SunW1 (weeks from another weekday), 2025April, 2025July, 2025Oct, 2025Nov
(financial years), 2025AprilS1, 2025NovS1 (six months) and 2025NovQ1 (quarter); and, as DHIS2 does,
2025-09 for 202509 and 2025-09-24 for 20250924.

Every Period is one whole period of its type whose identifier's year lies in 1900–2100, the years
parse_period accepts; so parse_period(p.id) == p holds for every Period that can be built.

Rules follow dhis2-core (github.com/dhis2/dhis2-core, branch 2.40 and master, same behaviour):
dhis-api/src/main/java/org/hisp/dhis/calendar/DateUnitType.java (the accepted forms) and
DateUnitPeriodTypeParser.java (identifier to dates); org/hisp/dhis/period/*PeriodType.java
(createPeriod: date to period, getIsoDate: period to identifier).
"""

from __future__ import annotations

import calendar
import datetime
import itertools
import re
from dataclasses import dataclass
from enum import Enum
from functools import cached_property

MIN_YEAR, MAX_YEAR = 1900, 2100
_ONE_DAY = datetime.timedelta(days=1)
_FOURTH_DAY = datetime.timedelta(days=3)  # from a week's first day; it decides the week's year and number


class _ComparedByLength:
    """Types compare by the length of their periods (DHIS2's frequency order), finest first."""

    # str's own comparisons would order the types alphabetically (monthly < weekly), so all four
    # are replaced; a plain string such as "monthly" is read as the type it names.
    def _keys(self, other: object) -> tuple[tuple[int, int], tuple[int, int]] | None:
        if not isinstance(other, str):
            return None
        return _length_key(self), _length_key(period_type(other))  # type: ignore[arg-type]

    def __lt__(self, other: object) -> bool:
        """Return True if this type is finer (shorter) than the other."""
        keys = self._keys(other)
        return NotImplemented if keys is None else keys[0] < keys[1]

    def __le__(self, other: object) -> bool:
        """Return True if this type is finer than or the same as the other."""
        keys = self._keys(other)
        return NotImplemented if keys is None else keys[0] <= keys[1]

    def __gt__(self, other: object) -> bool:
        """Return True if this type is coarser (longer) than the other."""
        keys = self._keys(other)
        return NotImplemented if keys is None else keys[0] > keys[1]

    def __ge__(self, other: object) -> bool:
        """Return True if this type is coarser than or the same as the other."""
        keys = self._keys(other)
        return NotImplemented if keys is None else keys[0] >= keys[1]


class PeriodType(_ComparedByLength, str, Enum):
    """A frequency data are collected at; types compare by length: DAILY < WEEKLY < ... < YEARLY."""

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


class OtherPeriodType(_ComparedByLength, str, Enum):
    """A DHIS2 period type no data element here is collected at, read so that DHIS2 clients are understood.

    Kept apart from PeriodType, whose members are exactly the frequencies and nest by length: these do
    not (a two-month period Mar–Apr lies in no quarter; a financial year in no calendar year).
    Values are DHIS2's names in lower case, as PeriodType's are (DHIS2 BiMonthly is "bimonthly").
    """

    BIWEEKLY = "biweekly"
    WEEKLY_WEDNESDAY = "weeklywednesday"
    WEEKLY_THURSDAY = "weeklythursday"
    WEEKLY_SATURDAY = "weeklysaturday"
    WEEKLY_SUNDAY = "weeklysunday"
    BIMONTHLY = "bimonthly"
    QUARTERLY_NOV = "quarterlynov"
    SIXMONTHLY_APRIL = "sixmonthlyapril"
    SIXMONTHLY_NOV = "sixmonthlynov"
    FINANCIAL_APRIL = "financialapril"
    FINANCIAL_JULY = "financialjuly"
    FINANCIAL_OCT = "financialoct"
    FINANCIAL_NOV = "financialnov"

    @property
    def rank(self) -> int:
        """Return a PeriodType rank such that every PeriodType ranked above it contains each of its periods.

        (A week is placed by its fourth day, as PeriodType.WEEKLY is by its Thursday.) So the frequencies
        above a two-month period are six months and year; above a financial year, none.
        """
        return _RULES[self].rank


AnyPeriodType = PeriodType | OtherPeriodType
_ALL_TYPES: tuple[AnyPeriodType, ...] = (*PeriodType, *OtherPeriodType)


def period_type(value: AnyPeriodType | str) -> AnyPeriodType:
    """Return the period type a member or a value ("monthly", "bimonthly") names; ValueError if none."""
    if isinstance(value, (PeriodType, OtherPeriodType)):
        return value
    for kind in (PeriodType, OtherPeriodType):
        try:
            return kind(value)
        except ValueError:
            pass
    raise ValueError(f"'{value}' is not a period type")


def _length_key(ptype: AnyPeriodType) -> tuple[int, int]:
    # Equal lengths (a year and a financial year) are told apart by declaration order.
    assert isinstance(ptype, (PeriodType, OtherPeriodType))
    return _RULES[ptype].days, _ALL_TYPES.index(ptype)


_ROMAN = ("I", "II", "III", "IV")
_MONTH_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")
_EXAMPLES = "2025, 2025S1, 2025Q3, 202509, 2025W38, 20250924, 202501B, 2025BiW1, 2025April, 2025NovQ1"


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


def _check_near_years(day: datetime.date, text: str) -> None:
    """Raise PeriodError if the day is so far outside 1900–2100 that its period's bounds could overflow.

    (The week around 31/12/9999 would.) A day of 1899 or 2101 may still be in a period of 1900 or 2100.
    """
    if not MIN_YEAR - 1 <= day.year <= MAX_YEAR + 1:
        _check_year(day.year, text)


def _as_date(day: datetime.date) -> datetime.date:
    """Return the day as a plain date (a datetime is a date subclass, but never equals a date)."""
    return day.date() if isinstance(day, datetime.datetime) else day


def _dates_vi(s: datetime.date, e: datetime.date) -> str:
    """Return "15/09–21/09/2025", with the first year written only when it differs."""
    return f"{s:%d/%m}{'' if s.year == e.year else f'/{s.year}'}–{e:%d/%m}/{e.year}"


def _dates_en(s: datetime.date, e: datetime.date) -> str:
    """Return "15 Sep–21 Sep 2025", with the first year written only when it differs."""
    first = f"{s.day} {_MONTH_EN[s.month - 1][:3]}" + ("" if s.year == e.year else f" {s.year}")
    return f"{first}–{e.day} {_MONTH_EN[e.month - 1][:3]} {e.year}"


def _months_vi(s: datetime.date, e: datetime.date) -> str:
    """Return "tháng 4–9/2026" or "tháng 11/2025–1/2026"."""
    return f"tháng {s.month}{'' if s.year == e.year else f'/{s.year}'}–{e.month}/{e.year}"


def _months_en(s: datetime.date, e: datetime.date) -> str:
    """Return "April–September 2026" or "November 2025–January 2026"."""
    first = _MONTH_EN[s.month - 1] + ("" if s.year == e.year else f" {s.year}")
    return f"{first}–{_MONTH_EN[e.month - 1]} {e.year}"


# --- the rule of each type: its bounds, its identifier, its labels -------------------------------

class _Rule:
    """How one period type cuts time.

    `days` orders the types (DHIS2's getFrequencyOrder); `rank` is as OtherPeriodType.rank says.
    """

    days: int
    rank: int

    def bounds(self, day: datetime.date) -> tuple[datetime.date, datetime.date]:
        """Return the first and last day of the period containing the day."""
        raise NotImplementedError

    def id_year(self, start: datetime.date) -> int:
        """Return the year written in the identifier of the period starting that day."""
        raise NotImplementedError

    def write(self, start: datetime.date, end: datetime.date) -> str:
        """Return the identifier of the period."""
        raise NotImplementedError

    def labels(self, start: datetime.date, end: datetime.date) -> tuple[str, str]:
        """Return the Vietnamese and English labels of the period."""
        raise NotImplementedError


class _Days(_Rule):
    days, rank = 1, 0

    def bounds(self, day: datetime.date) -> tuple[datetime.date, datetime.date]:
        return day, day

    def id_year(self, start: datetime.date) -> int:
        return start.year

    def write(self, start: datetime.date, end: datetime.date) -> str:
        return f"{start.year}{start.month:02d}{start.day:02d}"

    def labels(self, start: datetime.date, end: datetime.date) -> tuple[str, str]:
        return f"Ngày {start:%d/%m}/{start.year}", f"{start.day} {_MONTH_EN[start.month - 1]} {start.year}"


@dataclass(frozen=True)
class _Weeks(_Rule):
    """Seven days from `weekday` (0 Monday … 6 Sunday), numbered as DHIS2 does with java.time's
    WeekFields.of(weekday, 4): week 1 is the one holding 4 January, so a week's year and number are
    those of its fourth day (WeeklyAbstractPeriodType.getIsoDate; for Monday, ISO 8601 and its Thursday).
    """

    weekday: int
    infix: str  # "W", "WedW", ...
    day_vi: str = ""  # the first weekday's name, for the weeks that do not start on Monday
    day_en: str = ""

    days, rank = 7, 1

    def bounds(self, day: datetime.date) -> tuple[datetime.date, datetime.date]:
        start = day - datetime.timedelta(days=(day.weekday() - self.weekday) % 7)
        return start, start + datetime.timedelta(days=6)

    def id_year(self, start: datetime.date) -> int:
        return (start + _FOURTH_DAY).year

    def number(self, start: datetime.date) -> int:
        """Return the week's number in its year: its fourth day lies in days 1–7 of the year for week 1."""
        return ((start + _FOURTH_DAY).timetuple().tm_yday - 1) // 7 + 1

    def write(self, start: datetime.date, end: datetime.date) -> str:
        return f"{self.id_year(start)}{self.infix}{self.number(start)}"  # no leading zero, as DHIS2 writes it

    def labels(self, start: datetime.date, end: datetime.date) -> tuple[str, str]:
        week, year = self.number(start), self.id_year(start)
        from_vi, from_en = (f" từ {self.day_vi}", f" from {self.day_en}") if self.day_vi else ("", "")
        return (f"Tuần {week}/{year}{from_vi} ({_dates_vi(start, end)})",
                f"Week {week} {year}{from_en} ({_dates_en(start, end)})")

    def first_of(self, year: int, week: int) -> datetime.date | None:
        """Return the first day of week `week` of `year`, or None if that year has no such week."""
        jan4 = datetime.date(year, 1, 4)
        start = jan4 - datetime.timedelta(days=(jan4.weekday() - self.weekday) % 7)
        start += datetime.timedelta(weeks=week - 1)
        return start if week >= 1 and self.id_year(start) == year else None

    def weeks_in(self, year: int) -> int:
        """Return 52 or 53: 28 December always lies in its year's last week, whatever the first weekday."""
        return self.number(self.bounds(datetime.date(year, 12, 28))[0])


class _BiWeeks(_Rule):
    """Two ISO weeks from the Monday of an odd ISO week, numbered (week + 1) / 2 in that week's ISO year.

    As in DHIS2 (BiWeeklyAbstractPeriodType.adjustToStartOfBiWeek and getIsoDate, and
    DateUnitPeriodTypeParser), a 53-week year has a BiW27 made of its week 53 and the next year's week 1,
    so it overlaps the next year's BiW1 (BiWeeklyPeriodTypeTest: "2009BiW27";
    DateTimeUnitPeriodTypeParserTest: 2009BiW27 exists, 2018BiW27 does not). A day of that week 1
    belongs to BiW1, so BiW27.next() is BiW1, which starts before BiW27 ends.
    """

    days, rank = 14, 4  # placed by its first Thursday in a year only: it straddles months and halves

    def bounds(self, day: datetime.date) -> tuple[datetime.date, datetime.date]:
        monday = day - datetime.timedelta(days=day.weekday())
        start = monday if day.isocalendar().week % 2 else monday - datetime.timedelta(weeks=1)
        return start, start + datetime.timedelta(days=13)

    def id_year(self, start: datetime.date) -> int:
        return start.isocalendar().year

    def number(self, start: datetime.date) -> int:
        return (start.isocalendar().week + 1) // 2

    def write(self, start: datetime.date, end: datetime.date) -> str:
        return f"{self.id_year(start)}BiW{self.number(start)}"

    def labels(self, start: datetime.date, end: datetime.date) -> tuple[str, str]:
        number, year = self.number(start), self.id_year(start)
        return (f"Hai tuần {number}/{year} ({_dates_vi(start, end)})",
                f"Bi-week {number} {year} ({_dates_en(start, end)})")


@dataclass(frozen=True)
class _Months(_Rule):
    """Periods of `months` months in a year starting in month `first`.

    `ends_year`: the identifier names the calendar year the type's year ends in rather than starts in,
    as DHIS2 does for its November types: 2026Nov is 2025-11-01..2026-10-31 (FinancialNovemberPeriodType
    .getIsoDate writes year + 1), 2026NovS1 starts 2025-11-01 and 2026NovQ1 too
    (SixMonthlyNovemberPeriodType, QuarterlyNovemberPeriodType; DateUnitPeriodTypeParser: year - 1).
    The April, July and October financial years are named by the year they start in: 2026April is
    2026-04-01..2027-03-31 (FinancialAprilPeriodType.getIsoDate; DateTimeUnitPeriodTypeParserTest).
    """

    months: int
    first: int
    ends_year: bool
    code: str  # how the identifier continues after the year: "{n:02d}", "Q{n}", "" ...
    days: int
    rank: int
    kind_vi: str = ""  # for the types whose year does not start in January: how their labels name them
    kind_en: str = ""

    def year_start(self, day: datetime.date) -> int:
        """Return the calendar year in which the type's year holding the day began."""
        return day.year if day.month >= self.first else day.year - 1

    def bounds(self, day: datetime.date) -> tuple[datetime.date, datetime.date]:
        number = (day.month - self.first) % 12 // self.months + 1
        return self.period(self.year_start(day), number)

    def period(self, year_start: int, number: int) -> tuple[datetime.date, datetime.date]:
        """Return the bounds of period `number` of the type's year beginning in `year_start`."""
        first = self.first - 1 + (number - 1) * self.months  # months since January of year_start
        last = first + self.months - 1
        start_year, start_month = year_start + first // 12, first % 12 + 1
        end_year, end_month = year_start + last // 12, last % 12 + 1
        return (datetime.date(start_year, start_month, 1),
                datetime.date(end_year, end_month, calendar.monthrange(end_year, end_month)[1]))

    def id_year(self, start: datetime.date) -> int:
        return self.year_start(start) + self.ends_year

    def number(self, start: datetime.date) -> int:
        return (start.month - self.first) % 12 // self.months + 1

    def write(self, start: datetime.date, end: datetime.date) -> str:
        return f"{self.id_year(start)}{self.code.format(n=self.number(start))}"

    def labels(self, start: datetime.date, end: datetime.date) -> tuple[str, str]:
        year, n = self.id_year(start), self.number(start)
        if self.kind_vi:
            kind_vi = self.kind_vi.format(n=n, roman=_ROMAN[n - 1] if n <= 4 else n, year=year)
            return (f"{kind_vi} ({_months_vi(start, end)})",
                    f"{self.kind_en.format(n=n, year=year)} ({_months_en(start, end)})")
        match self.months:
            case 1:
                return f"Tháng {start.month}/{year}", f"{_MONTH_EN[start.month - 1]} {year}"
            case 2:
                return (f"Tháng {start.month}–{end.month}/{year}",
                        f"{_MONTH_EN[start.month - 1]}–{_MONTH_EN[end.month - 1]} {year}")
            case 3:
                return f"Quý {_ROMAN[n - 1]}/{year}", f"Q{n} {year}"
            case 6:
                return (f"6 tháng {'đầu' if n == 1 else 'cuối'} năm {year}",
                        f"{'January–June' if n == 1 else 'July–December'} {year}")
        return f"Năm {year}", str(year)


_P, _O = PeriodType, OtherPeriodType
_FINANCIAL = ("Năm tài chính {year}", "Financial year {year}")  # the months that follow tell them apart
# rank (see OtherPeriodType.rank): 3 = every frequency above a quarter contains each two-month period;
# 5 = none contains each period of a type whose year does not start in January.
_RULES: dict[AnyPeriodType, _Rule] = {
    _P.DAILY: _Days(),
    _P.WEEKLY: _Weeks(0, "W"),
    _P.MONTHLY: _Months(1, 1, False, "{n:02d}", 30, 2),
    _P.QUARTERLY: _Months(3, 1, False, "Q{n}", 91, 3),
    _P.SIXMONTHLY: _Months(6, 1, False, "S{n}", 182, 4),
    _P.YEARLY: _Months(12, 1, False, "", 365, 5),
    _O.BIWEEKLY: _BiWeeks(),
    _O.WEEKLY_WEDNESDAY: _Weeks(2, "WedW", "thứ Tư", "Wednesday"),
    _O.WEEKLY_THURSDAY: _Weeks(3, "ThuW", "thứ Năm", "Thursday"),
    _O.WEEKLY_SATURDAY: _Weeks(5, "SatW", "thứ Bảy", "Saturday"),
    _O.WEEKLY_SUNDAY: _Weeks(6, "SunW", "Chủ nhật", "Sunday"),
    _O.BIMONTHLY: _Months(2, 1, False, "{n:02d}B", 61, 3),
    _O.QUARTERLY_NOV: _Months(3, 11, True, "NovQ{n}", 91, 5, "Quý {roman}/{year}, năm bắt đầu tháng 11",
                              "Q{n} {year}, year from November"),
    _O.SIXMONTHLY_APRIL: _Months(6, 4, False, "AprilS{n}", 182, 5,
                                 "6 tháng thứ {n}/{year}, năm bắt đầu tháng 4",
                                 "Half {n} {year}, year from April"),
    _O.SIXMONTHLY_NOV: _Months(6, 11, True, "NovS{n}", 182, 5, "6 tháng thứ {n}/{year}, năm bắt đầu tháng 11",
                               "Half {n} {year}, year from November"),
    _O.FINANCIAL_APRIL: _Months(12, 4, False, "April", 365, 5, *_FINANCIAL),
    _O.FINANCIAL_JULY: _Months(12, 7, False, "July", 365, 5, *_FINANCIAL),
    _O.FINANCIAL_OCT: _Months(12, 10, False, "Oct", 365, 5, *_FINANCIAL),
    _O.FINANCIAL_NOV: _Months(12, 11, True, "Nov", 365, 5, *_FINANCIAL),
}
# Types whose periods straddle coarser ones and are placed in them by their fourth day, as DHIS2's
# IdentifiableObjectUtils.getPeriodByPeriodType places every WeeklyAbstractPeriodType (start + 3 days).
_WEEKS = frozenset(t for t, rule in _RULES.items() if isinstance(rule, _Weeks))


def _placed_by_fourth_day(fine: AnyPeriodType, coarse: AnyPeriodType) -> bool:
    """Return True if a period of `fine` counts as within the `coarse` period holding its fourth day."""
    if fine in _WEEKS:
        return isinstance(_RULES[coarse], _Months)
    # Two weeks are placed only in a year: its id's year is the year of its first Thursday.
    return fine is OtherPeriodType.BIWEEKLY and coarse is PeriodType.YEARLY


@dataclass(frozen=True, order=True, repr=False)
class Period:
    """One whole period: its type, its first day and its last day (inclusive).

    Periods order by type (finest first), then by start.
    """

    type: AnyPeriodType
    start: datetime.date
    end: datetime.date

    def __repr__(self) -> str:
        """Return a short form naming the identifier, such as <Period 2025Q3>."""
        return f"<Period {self.id}>"

    def __post_init__(self) -> None:
        # Accept "monthly" for PeriodType.MONTHLY: every computation below dispatches on the member.
        object.__setattr__(self, "type", period_type(self.type))
        described = f"{self.type.value} {self.start}..{self.end}"
        if isinstance(self.start, datetime.datetime) or isinstance(self.end, datetime.datetime):
            raise TypeError("Period.start and Period.end must be dates, not datetimes")
        rule = _RULES[self.type]
        _check_near_years(self.start, described)
        _check_year(rule.id_year(self.start), described)
        if rule.bounds(self.start) != (self.start, self.end):
            raise PeriodError("not_a_period", f"{described} không phải là đúng một kỳ",
                              f"{described} is not exactly one period", described)

    @cached_property
    def id(self) -> str:
        """Return the DHIS2 identifier, such as 2025Q3, 202509, 2025W38 or 202501B."""
        return _RULES[self.type].write(self.start, self.end)

    @property
    def days(self) -> int:
        """Return the number of days in the period."""
        return (self.end - self.start).days + 1

    @property
    def label_vi(self) -> str:
        """Return the Vietnamese label, such as "Quý III/2025" or "Tháng 9/2025"."""
        return _RULES[self.type].labels(self.start, self.end)[0]

    @property
    def label_en(self) -> str:
        """Return the English label, such as "Q3 2025" or "September 2025"."""
        return _RULES[self.type].labels(self.start, self.end)[1]

    def contains(self, other: Period | datetime.date) -> bool:
        """Return True if the day, or the whole of the other period, lies within this period.

        A period must lie entirely inside: a week straddling two months is in neither month.
        (sub_periods and containing place such a week by its Thursday instead.)
        """
        if isinstance(other, Period):
            return self.start <= other.start and other.end <= self.end
        return self.start <= _as_date(other) <= self.end

    def _holds(self, other: Period) -> bool:
        """Return True if the other period lies within this one, or is placed in it by its fourth day."""
        return self.contains(other) or (_placed_by_fourth_day(other.type, self.type)
                                        and self.contains(other.start + _FOURTH_DAY))

    def next(self) -> Period:
        """Return the period of the same type that holds the day after this one ends."""
        return period_of(self.type, self.end + _ONE_DAY)

    def previous(self) -> Period:
        """Return the period of the same type that holds the day before this one starts."""
        return period_of(self.type, self.start - _ONE_DAY)

    def sub_periods(self, type: AnyPeriodType | str) -> list[Period]:
        """Return the periods of a finer (or the same) type that make up this one, in order.

        Weeks do not nest in months or years, so a week counts as within this period when its
        Thursday lies within it (the ISO 8601 rule that also decides a week's year): 2026W1,
        29/12/2025–04/01/2026, is one of the weeks of 2026 and of 202601, not of 2025 or 202512.
        Raises PeriodError: "not_finer" for a coarser type, "not_nested" for a type whose periods do
        not make up this one (the two-month periods of a quarter).
        """
        type = period_type(type)
        if type > self.type:
            raise PeriodError("not_finer", f"Kỳ {type.value} không nhỏ hơn kỳ {self.type.value}",
                              f"A {type.value} period is not finer than a {self.type.value} one", self.id)
        periods = [p for p in periods_between(type, self.start, self.end) if self._holds(p)]
        placed = _placed_by_fourth_day(type, self.type)
        if not placed and (not periods or (periods[0].start, periods[-1].end) != (self.start, self.end)
                           or any(a.end + _ONE_DAY != b.start for a, b in itertools.pairwise(periods))):
            raise PeriodError("not_nested", f"Các kỳ {type.value} không chia đúng kỳ {self.id}",
                              f"{type.value} periods do not make up {self.id} exactly", self.id)
        return periods

    def containing(self, type: AnyPeriodType | str) -> Period:
        """Return the period of a coarser (or the same) type that contains this one.

        A week is placed by its Thursday, as in sub_periods: 2026W1.containing(YEARLY) is 2026.
        Raises PeriodError: "not_coarser" for a finer type, "not_nested" when no period of the type
        holds the whole of this one (a two-month period Mar–Apr and the quarters).
        """
        type = period_type(type)
        if type < self.type:
            raise PeriodError("not_coarser", f"Kỳ {type.value} không lớn hơn kỳ {self.type.value}",
                              f"A {type.value} period is not coarser than a {self.type.value} one", self.id)
        anchor = self.start + _FOURTH_DAY if _placed_by_fourth_day(self.type, type) else self.start
        parent = period_of(type, anchor)
        if not parent._holds(self):
            raise PeriodError("not_nested", f"Không có kỳ {type.value} nào chứa trọn kỳ {self.id}",
                              f"No {type.value} period holds the whole of {self.id}", self.id)
        return parent


def period_of(type: AnyPeriodType | str, day: datetime.date) -> Period:
    """Return the period of that type containing the day (for weeks, its ISO 8601 week)."""
    type, day = period_type(type), _as_date(day)
    _check_near_years(day, day.isoformat())  # before any date arithmetic
    rule = _RULES[type]
    start, end = rule.bounds(day)
    _check_year(rule.id_year(start), day.isoformat())
    return Period(type, start, end)


def periods_between(type: AnyPeriodType | str, start: datetime.date, end: datetime.date) -> list[Period]:
    """Return every period of that type overlapping [start, end], in order ([] if end < start).

    For a range within 1900–2100, a period of 1899 or 2101 straddling its edge (the Wednesday week from
    27/12/1899 is 1899WedW52) cannot be built and is left out. (Of the two-week periods, a 53-week year's
    BiW27 and the next BiW1 overlap; days of that BiW1 bring only BiW1.)
    """
    type, start, end = period_type(type), _as_date(start), _as_date(end)
    rule = _RULES[type]
    if MIN_YEAR <= start.year <= MAX_YEAR and rule.id_year(rule.bounds(start)[0]) < MIN_YEAR:
        start = rule.bounds(start)[1] + _ONE_DAY
    if MIN_YEAR <= end.year <= MAX_YEAR and rule.id_year(rule.bounds(end)[0]) > MAX_YEAR:
        end = rule.bounds(end)[0] - _ONE_DAY
    if end < start:
        return []
    periods = [period_of(type, start)]
    # Stop before stepping past the last one, so a range ending in 2100 never asks for 2101.
    while periods[-1].end < end:
        periods.append(periods[-1].next())
    return periods


# --- reading identifiers -------------------------------------------------------------------------

# The forms of DHIS2 2.40's DateUnitType patterns, each read into (type, first number, second number).
# [0-9], not \d: \d and int() also take other scripts' digits, such as Arabic-Indic ٢٠٢٥ (Java's \d
# does not). Case matters, as in DHIS2: 2025q3 is refused.
_FORMS: tuple[tuple[re.Pattern[str], AnyPeriodType], ...] = tuple(
    (re.compile(r"(?P<year>[0-9]{4})" + rest), ptype) for rest, ptype in (
    (r"", _P.YEARLY),
    (r"-?(?P<n>[0-9]{2})", _P.MONTHLY),  # DHIS2 MONTHLY: (\d{4})[-]?(\d{2})
    (r"(?P<n>[0-9]{2})(?P<day>[0-9]{2})", _P.DAILY),  # DAILY: (\d{4})(\d{2})(\d{2}) ...
    (r"-(?P<n>[0-9]{2})-(?P<day>[0-9]{2})", _P.DAILY),  # ... or (\d{4})-(\d{2})-(\d{2})
    (r"W(?P<n>[0-9]{1,2})", _P.WEEKLY),
    (r"Q(?P<n>[0-9])", _P.QUARTERLY),
    (r"S(?P<n>[0-9])", _P.SIXMONTHLY),
    (r"(?P<n>[0-9]{2})B", _O.BIMONTHLY),
    (r"BiW(?P<n>[0-9]{1,2})", _O.BIWEEKLY),
    (r"WedW(?P<n>[0-9]{1,2})", _O.WEEKLY_WEDNESDAY),
    (r"ThuW(?P<n>[0-9]{1,2})", _O.WEEKLY_THURSDAY),
    (r"SatW(?P<n>[0-9]{1,2})", _O.WEEKLY_SATURDAY),
    (r"SunW(?P<n>[0-9]{1,2})", _O.WEEKLY_SUNDAY),
    (r"NovQ(?P<n>[0-9])", _O.QUARTERLY_NOV),
    (r"AprilS(?P<n>[0-9])", _O.SIXMONTHLY_APRIL),
    (r"NovS(?P<n>[0-9])", _O.SIXMONTHLY_NOV),
    (r"April", _O.FINANCIAL_APRIL),
    (r"July", _O.FINANCIAL_JULY),
    (r"Oct", _O.FINANCIAL_OCT),
    (r"Nov", _O.FINANCIAL_NOV),
))


def parse_period(text: str) -> Period:
    """Return the period a DHIS2 identifier names; raise PeriodError saying why if it names none."""
    stripped = text.strip()
    if not stripped:
        raise PeriodError("empty", "Chưa nhập kỳ báo cáo", "No period was given", text)
    for pattern, ptype in _FORMS:
        match = pattern.fullmatch(stripped)
        if match is not None:
            break
    else:
        raise PeriodError("unrecognised_format",
                          f"'{stripped}' không phải là mã kỳ hợp lệ (ví dụ: {_EXAMPLES})",
                          f"'{stripped}' is not a recognised period (examples: {_EXAMPLES})", text)
    year = int(match["year"])
    _check_year(year, text)
    number = match.groupdict().get("n")  # None for the yearly types, whose year is the whole identifier
    rule = _RULES[ptype]
    if ptype is PeriodType.DAILY:
        return _parse_day(year, match["n"], match["day"], text)
    if isinstance(rule, _Weeks):
        return _parse_week(ptype, rule, year, int(match["n"]), text)
    if isinstance(rule, _BiWeeks):
        return _parse_biweek(year, int(match["n"]), text)
    assert isinstance(rule, _Months)
    return _parse_numbered(ptype, rule, year, 1 if number is None else int(number), number, text)


def _parse_numbered(ptype: AnyPeriodType, rule: _Months, year: int, number: int, written: str | None,
                    text: str) -> Period:
    """Return period `number` of the type's year named `year`; raise PeriodError if there is none."""
    count = 12 // rule.months
    if not 1 <= number <= count:
        match count:
            case 12:
                raise PeriodError("month_out_of_range", f"Tháng phải từ 01 đến 12 (nhận được {written})",
                                  f"Month must be 01–12 (got {written})", text)
            case 6:
                raise PeriodError("bimonth_out_of_range",
                                  f"Kỳ hai tháng phải từ 01B đến 06B (nhận được {written}B)",
                                  f"A two-month period must be 01B–06B (got {written}B)", text)
            case 4:
                raise PeriodError("quarter_out_of_range", f"Quý phải từ 1 đến 4 (nhận được {number})",
                                  f"Quarter must be 1–4 (got {number})", text)
        raise PeriodError("sixmonth_out_of_range", f"Kỳ 6 tháng phải là S1 hoặc S2 (nhận được S{number})",
                          f"A six-month period must be S1 or S2 (got S{number})", text)
    start, end = rule.period(year - rule.ends_year, number)
    return Period(ptype, start, end)


def _parse_week(ptype: AnyPeriodType, rule: _Weeks, year: int, week: int, text: str) -> Period:
    """Return week `week` of `year`; raise PeriodError if that year has no such week."""
    start = rule.first_of(year, week)
    if start is None:
        weeks = rule.weeks_in(year)
        kind_vi, kind_en = (f"tuần bắt đầu từ {rule.day_vi}", f"weeks starting on {rule.day_en}") \
            if rule.day_vi else ("tuần ISO", "ISO weeks")
        raise PeriodError("week_out_of_range",
                          f"Năm {year} có {weeks} {kind_vi}, tuần phải từ 1 đến {weeks} (nhận được {week})",
                          f"{year} has {weeks} {kind_en}; the week must be 1–{weeks} (got {week})", text)
    return Period(ptype, start, start + datetime.timedelta(days=6))


def _parse_biweek(year: int, number: int, text: str) -> Period:
    """Return two-week period `number` of `year`: ISO weeks 2n-1 and 2n (DateUnitPeriodTypeParser)."""
    weeks = datetime.date(year, 12, 28).isocalendar().week
    if not 1 <= 2 * number - 1 <= weeks:
        count = (weeks + 1) // 2
        raise PeriodError("biweek_out_of_range",
                          f"Năm {year} có {count} kỳ hai tuần, kỳ phải từ 1 đến {count} (nhận được {number})",
                          f"{year} has {count} two-week periods; the number must be 1–{count} (got {number})",
                          text)
    start = datetime.date.fromisocalendar(year, 2 * number - 1, 1)
    return Period(OtherPeriodType.BIWEEKLY, start, start + datetime.timedelta(days=13))


def _parse_day(year: int, month: str, day: str, text: str) -> Period:
    """Return the day (YYYYMMDD or YYYY-MM-DD); raise PeriodError if it does not exist."""
    if not 1 <= int(month) <= 12:
        raise PeriodError("month_out_of_range", f"Tháng phải từ 01 đến 12 (nhận được {month})",
                          f"Month must be 01–12 (got {month})", text)
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
