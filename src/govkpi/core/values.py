"""Read a submitted value by its data element's type into canonical text and a number; pure functions.

Numbers come from machines ("39.51", 39.51) and from people ("39,51", "1.084"). For whole-number types
(counts, ranks) a dot or comma followed by three digits groups thousands, as Vietnamese offices write them;
for the other types a plain machine number ("1.084", "39.51") is read as it is written (DHIS2 clients send
those), and anything else goes through the Vietnamese reader (`core.tabular.parse_number`).
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass

from govkpi.core.tabular import parse_bool, parse_date, parse_number

# ASCII digits only: \d would also take "٣" or "१२", which float() reads but nobody types into a report.
_MACHINE_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
INTEGER_TYPES = frozenset({"count", "rank"})
NON_NEGATIVE_TYPES = frozenset({"count", "rank", "percentage"})
MAX_TEXT = 64


@dataclass(frozen=True)
class ValueProblem(Exception):
    """Why a value cannot be taken: a code and the reason in Vietnamese and English."""

    code: str
    message_vi: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.message_vi} / {self.message_en}"


def canonical_number(number: float) -> str:
    """The stored text of a number: no trailing ".0", no exponent for ordinary sizes."""
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def _number(raw: object, integer: bool, machine: bool = False) -> float:
    if isinstance(raw, bool):
        raise ValueProblem("not_a_number", f"«{_shown(raw)}» không phải là số.", f"«{_shown(raw)}» is not a number.")
    if isinstance(raw, int | float):
        try:
            number = float(raw)
        except OverflowError:  # an int past float's range (a JSON number of 400 digits)
            number = math.inf
    else:
        text = str(raw).strip()
        # Plain ASCII digits, by far the most common in machine files, read the same by every path below.
        if text.isascii() and text.isdigit():
            number = float(text)  # 400 nines are inf: refused below like any number past float's range
        elif machine:  # a machine number: a dot decimal, no thousands separator ("2.000" is two)
            if not _MACHINE_NUMBER.fullmatch(text):
                raise ValueProblem("not_a_machine_number", f"«{_shown(text)}» không phải số máy (dấu chấm thập phân, "
                                   "không phân cách hàng nghìn).", f"«{_shown(text)}» is not a machine number (a dot "
                                   "decimal, no thousands separator).")
            number = float(text)
        else:
            try:
                number = float(text) if not integer and _MACHINE_NUMBER.fullmatch(text) else parse_number(text)
            except ValueError:
                raise ValueProblem("not_a_number", f"«{_shown(text)}» không phải là số.",
                                   f"«{_shown(text)}» is not a number.") from None
    if not math.isfinite(number):
        shown = _shown(raw)
        raise ValueProblem("not_a_number", f"«{shown}» không phải là số hữu hạn.", f"«{shown}» is not a finite number.")
    return number


def _shown(raw: object) -> str:
    """A value as a message quotes it: a 5,000-digit one by its first digits and its length."""
    try:
        text = str(raw)
    except ValueError:  # an int past Python's 4,300-digit limit for str()
        return "… (> 4300 chữ số / digits)"
    return text if len(text) <= 40 else f"{text[:30]}… ({len(text)} ký tự / characters)"


def read_value(value_type: str, raw: object, minimum: float | None = None,
               maximum: float | None = None, machine: bool = False) -> tuple[str, float | None]:
    """Return (canonical text, number) for a raw value of a data element's type, or raise ValueProblem.

    `machine`: the value comes from a system (DHIS2's API), so numbers are machine numbers and dates ISO 8601;
    otherwise they are read as Vietnamese offices write them ("1.084" is 1084, "39,51" is 39.51)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueProblem("value_missing", "Thiếu giá trị.", "The value is missing.")
    if value_type == "boolean":
        try:
            flag = raw if isinstance(raw, bool) else parse_bool(str(raw))
        except ValueError:
            raise ValueProblem("not_a_boolean", f"«{_shown(raw)}» không phải là có/không.",
                               f"«{_shown(raw)}» is not yes/no.") from None
        return ("true" if flag else "false"), (1.0 if flag else 0.0)
    if value_type == "date":
        try:
            day = (raw if isinstance(raw, datetime.date) else
                   datetime.date.fromisoformat(str(raw).strip()[:10]) if machine else parse_date(str(raw)))
        except ValueError:
            raise ValueProblem("not_a_date", f"«{_shown(raw)}» không phải là ngày (ngày/tháng/năm).",
                               f"«{_shown(raw)}» is not a date (day/month/year).") from None
        return day.isoformat(), None
    number = _number(raw, value_type in INTEGER_TYPES, machine)
    if value_type in INTEGER_TYPES and not number.is_integer():
        raise ValueProblem("not_an_integer", f"«{_shown(raw)}» phải là số nguyên.", f"«{_shown(raw)}» must be a whole number.")
    if value_type in NON_NEGATIVE_TYPES and number < 0:
        raise ValueProblem("negative", f"«{_shown(raw)}» không được âm.", f"«{_shown(raw)}» must not be negative.")
    if value_type == "percentage" and number > 100:
        raise ValueProblem("above_100", f"Tỷ lệ «{_shown(raw)}» lớn hơn 100%.", f"Percentage «{_shown(raw)}» is above 100%.")
    if minimum is not None and number < minimum:
        shown = canonical_number(minimum)
        raise ValueProblem("below_minimum", f"«{_shown(raw)}» nhỏ hơn giá trị tối thiểu {shown}.",
                           f"«{_shown(raw)}» is below the minimum {shown}.")
    if maximum is not None and number > maximum:
        shown = canonical_number(maximum)
        raise ValueProblem("above_maximum", f"«{_shown(raw)}» lớn hơn giá trị tối đa {shown}.",
                           f"«{_shown(raw)}» is above the maximum {shown}.")
    text = canonical_number(number)
    if len(text) > MAX_TEXT:
        raise ValueProblem("too_long", "Giá trị quá dài.", "The value is too long.")
    return text, number
