"""Deadlines as Vietnamese directives write them, read into the last day they allow.

"tháng 8/2025" → 31/08/2025; "quý IV/2025" → 31/12/2025; "trong năm 2025" → 31/12/2025;
"6 tháng đầu năm 2025" → 30/06/2025; "trước ngày 20/7/2024" → 19/07/2024 (the words exclude the 20th);
"ngày 15/11/2025" → 15/11/2025; "hằng tháng" → a monthly recurrence; "trong quý IV năm nay" and a month
without a year take the year of the reference date (the directive's date). When a phrase holds several
times ("thí điểm từ tháng 8/2025 và triển khai chính thức trong tháng 9/2025"), the latest is the deadline
and the earliest the start.
"""

from __future__ import annotations

import calendar
import datetime
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from govkpi.core.periods import PeriodType, period_of


class Recurrence(str, Enum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SIXMONTHLY = "sixmonthly"
    YEARLY = "yearly"


@dataclass(frozen=True)
class Deadline:
    """What deadline words mean: the last day allowed, a recurrence, a start, the period closed."""

    text: str
    due: datetime.date | None
    recurrence: Recurrence | None = None
    starts: datetime.date | None = None
    period: str | None = None
    inferred_year: bool = False


class DeadlineError(ValueError):
    """Deadline words that cannot be read: a code and the reason in Vietnamese and English."""

    def __init__(self, code: str, message_vi: str, message_en: str, text: str) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.code, self.message_vi, self.message_en, self.text = code, message_vi, message_en, text


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_YEAR = r"(?:(?:/|\s*năm\s+|\s+)(?P<year>\d{4}|nay)|\s*năm\s+nay)?"
_RECURRENCES = [
    (r"(?:hằng|hàng)\s+tuần", Recurrence.WEEKLY), (r"(?:hằng|hàng)\s+tháng", Recurrence.MONTHLY),
    (r"(?:hằng|hàng)\s+quý", Recurrence.QUARTERLY), (r"6\s+tháng\s+một\s+lần|định\s+kỳ\s+6\s+tháng",
                                                     Recurrence.SIXMONTHLY),
    (r"(?:hằng|hàng)\s+năm", Recurrence.YEARLY),
]
_VAGUE = ("sớm", "khẩn trương", "kịp thời", "ngay", "thường xuyên", "định kỳ", "thời gian tới")

# A match gives (start, end) dates; patterns are tried in this order and what one reads is masked for the next.
Reader = Callable[[re.Match[str], "_Context"], tuple[datetime.date, datetime.date, str | None]]


@dataclass
class _Context:
    text: str
    reference: datetime.date | None
    inferred: bool = False

    def year(self, raw: str | None) -> int:
        if raw and raw != "nay":
            return int(raw)
        if self.reference is None:
            raise DeadlineError("needs_reference_date", f"«{self.text}» không nêu năm.",
                                f"«{self.text}» gives no year and no reference date was given.", self.text)
        self.inferred = True
        return self.reference.year


def _date(ctx: _Context, year: int, month: int, day: int) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise DeadlineError("invalid_date", f"Ngày {day}/{month}/{year} không có thật.",
                            f"{day}/{month}/{year} is not a date.", ctx.text) from None


def _month_end(ctx: _Context, year: int, month: int) -> datetime.date:
    if not 1 <= month <= 12:
        raise DeadlineError("invalid_date", f"Tháng {month} không có.", f"There is no month {month}.", ctx.text)
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def _before_day(m: re.Match[str], ctx: _Context) -> tuple[datetime.date, datetime.date, str | None]:
    day = _date(ctx, ctx.year(m["year"]), int(m["month"]), int(m["day"])) - datetime.timedelta(days=1)
    return day, day, None


def _on_day(m: re.Match[str], ctx: _Context) -> tuple[datetime.date, datetime.date, str | None]:
    day = _date(ctx, ctx.year(m["year"]), int(m["month"]), int(m["day"]))
    return day, day, period_of(PeriodType.DAILY, day).id


def _half(m: re.Match[str], ctx: _Context) -> tuple[datetime.date, datetime.date, str | None]:
    year = ctx.year(m["year"])
    first = m["half"] == "đầu"
    start, end = (datetime.date(year, 1, 1), datetime.date(year, 6, 30)) if first else \
        (datetime.date(year, 7, 1), datetime.date(year, 12, 31))
    return start, end, f"{year}S{1 if first else 2}"


def _quarter(m: re.Match[str], ctx: _Context) -> tuple[datetime.date, datetime.date, str | None]:
    if m["q"] not in _ROMAN:
        raise DeadlineError("invalid_date", f"Không có quý {m['q'].upper()}.", f"There is no quarter {m['q']}.",
                            ctx.text)
    year, quarter = ctx.year(m["year"]), _ROMAN[m["q"]]
    start = datetime.date(year, 3 * quarter - 2, 1)
    return start, _month_end(ctx, year, 3 * quarter), f"{year}Q{quarter}"


def _month(m: re.Match[str], ctx: _Context) -> tuple[datetime.date, datetime.date, str | None]:
    year, month = ctx.year(m["year"]), int(m["month"])
    end = _month_end(ctx, year, month)
    return end.replace(day=1), end, f"{year}{month:02d}"


def _span(m: re.Match[str], ctx: _Context) -> tuple[datetime.date, datetime.date, str | None]:
    return datetime.date(int(m["y1"]), 1, 1), datetime.date(int(m["y2"]), 12, 31), None


def _year(m: re.Match[str], ctx: _Context) -> tuple[datetime.date, datetime.date, str | None]:
    year = ctx.year(m["year"])
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31), str(year)


# A day and month ("20/7", "20/7/2024"), not the "8/2025" of "tháng 8/2025".
_DMY = r"(?<![\d/])(?<!tháng )(?P<day>\d{1,2})[/.-](?P<month>\d{1,2})(?![\d])(?:[/.-](?P<year>\d{4}))?"
_READERS: list[tuple[re.Pattern[str], Reader]] = [
    (re.compile(r"trước\s+(?:ngày\s+)?" + _DMY), _before_day),
    (re.compile(r"(?:ngày\s+)?" + _DMY), _on_day),
    (re.compile(r"6\s+tháng\s+(?P<half>đầu|cuối)\s+năm\s+(?P<year>\d{4}|nay)"), _half),
    (re.compile(r"quý\s+(?P<q>[ivx]+|\d)" + _YEAR), _quarter),
    (re.compile(r"giai\s+đoạn\s+(?P<y1>\d{4})\s*[-–—]\s*(?P<y2>\d{4})"), _span),
    (re.compile(r"tháng\s+(?P<month>\d{1,2})" + _YEAR), _month),
    (re.compile(r"năm\s+(?P<year>\d{4}|nay)"), _year),
]


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def parse_deadline(text: str, reference: datetime.date | None = None) -> Deadline:
    """Return what deadline words mean, or raise DeadlineError naming what could not be read."""
    words = _normalise(text or "")
    if not words:
        raise DeadlineError("empty", "Thời hạn trống.", "The deadline is empty.", text)
    ctx = _Context(text, reference)
    recurrence = next((r for pattern, r in _RECURRENCES if re.search(pattern, words)), None)
    masked, spans = words, []
    for pattern, reader in _READERS:
        for match in pattern.finditer(masked):
            spans.append(reader(match, ctx))
            masked = masked[:match.start()] + " " * (match.end() - match.start()) + masked[match.end():]
    if not spans and recurrence is None:
        code = "no_date" if any(v in words for v in _VAGUE) and not re.search(r"\d", words) else "unrecognised"
        raise DeadlineError(code, f"Không hiểu thời hạn «{text}»: không có ngày, tháng, quý hay năm.",
                            f"Cannot read the deadline «{text}»: no day, month, quarter or year in it.", text)
    if not spans:
        return Deadline(text=text, due=None, recurrence=recurrence)
    latest = max(spans, key=lambda s: s[1])
    several = len(spans) > 1 or (latest[2] is None and latest[0] != latest[1])  # two times, or a span of years
    starts = min(s[0] for s in spans) if several else None
    return Deadline(text=text, due=latest[1], recurrence=recurrence, starts=starts, period=latest[2],
                    inferred_year=ctx.inferred)
