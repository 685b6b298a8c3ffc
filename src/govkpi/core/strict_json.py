"""The one JSON reader for request bodies and files: strict, so that what it accepts is what was meant.

Python's json module is lenient where a silent reading loses data: the same key twice keeps the last (half a
batch dropped without a word), NaN and Infinity are read, a number of 5,000 digits raises a ValueError of its
own, nesting past the interpreter's stack raises RecursionError, and the escapes \\u0000 and lone surrogates
give strings PostgreSQL cannot store and UTF-8 cannot encode. Each of these is refused here as a PayloadError
with a code and a message in Vietnamese and English; callers answer it with 400 (the faces only parse).

Pure: no Django.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32  # a dataValueSet is 3 deep; anything far deeper is not data for us
MAX_NUMBER_CHARACTERS = 64  # a value of 10**15 needs 16; 64 leaves room for decimals and exponents
# \u0000 and the surrogate escapes; whether each is really an escape (not "\\u…", an escaped backslash and text)
# is decided by the backslashes before it. A literal prefix keeps the scan of a 20 MB body to milliseconds.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_LOW_HALF = re.compile(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}")


class PayloadError(ValueError):
    """A body or file that cannot be read as a whole: code, and the message in Vietnamese and English."""

    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.code, self.message_vi, self.message_en = code, message_vi, message_en


def read_json(data: bytes | str) -> Any:
    """The document in `data` (UTF-8, a BOM allowed); PayloadError for anything this module's docstring lists,
    for text that is not JSON, and for an empty body (nothing at all to read)."""
    text = _text(data)
    if not text.strip():
        raise empty_body()
    _refuse_escapes(text)
    try:
        document = json.loads(text, object_pairs_hook=_object, parse_int=_integer, parse_float=_decimal,
                              parse_constant=_constant)
    except json.JSONDecodeError as error:
        raise PayloadError("bad_json", f"JSON không hợp lệ (dòng {error.lineno}, cột {error.colno}): {error.msg}.",
                           f"Invalid JSON (line {error.lineno}, column {error.colno}): {error.msg}.") from None
    except RecursionError:
        raise _too_deep() from None
    _check_depth(document)
    return document


def empty_body() -> PayloadError:
    """A body with nothing in it (or only blanks): refused, since a lost upload must not read as "no values"."""
    return PayloadError("empty_body", "Nội dung gửi lên rỗng: không có gì để đọc.",
                        "The body is empty: there is nothing to read.")


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError as error:  # a str made in Python can hold a lone surrogate itself
            raise PayloadError("lone_surrogate", f"Ký tự ở vị trí {error.start + 1} là nửa cặp UTF-16.",
                               f"The character at position {error.start + 1} is half a UTF-16 pair.") from None
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise PayloadError("bad_encoding", f"JSON phải được mã hóa UTF-8 (byte {error.start + 1} không hợp lệ).",
                           f"JSON must be UTF-8 encoded (byte {error.start + 1} is not).") from None


def _where(text: str, position: int) -> tuple[int, int]:
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def _refuse_escapes(text: str) -> None:
    """Refuse \\u0000 and surrogates not in a high-low pair (a pair is one character: json joins it)."""
    if "\\u" not in text:
        return  # most bodies: nothing to look for
    pair_low = -1  # where the low half of the last pair starts
    for match in _SUSPECT_ESCAPE.finditer(text):
        start = match.start()
        before = start
        while before and text[before - 1] == "\\":
            before -= 1
        if (start - before) % 2:
            continue  # "\\u…": an escaped backslash, then plain text
        hexa = text[start + 2:start + 6].lower()
        if hexa != "0000":
            if hexa[1] in "89ab" and _LOW_HALF.match(text, start + 6):
                pair_low = start + 6
                continue
            if start == pair_low:
                continue
        line, column = _where(text, start)
        if hexa == "0000":
            raise PayloadError("nul_character", f"Ký tự NUL (\\u0000) ở dòng {line}, cột {column}: không được phép.",
                               f"A NUL character (\\u0000) at line {line}, column {column} is not allowed.")
        raise PayloadError("lone_surrogate",
                           f"Ký tự \\u{hexa} ở dòng {line}, cột {column} là nửa cặp UTF-16, không phải ký tự.",
                           f"\\u{hexa} at line {line}, column {column} is half a UTF-16 pair, not a character.")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) == len(pairs):
        return document
    seen: set[str] = set()
    for key, _value in pairs:
        if key in seen:
            raise PayloadError("duplicate_key", f"Khóa «{key}» xuất hiện hai lần trong một đối tượng JSON; "
                               "không rõ giá trị nào được dùng.",
                               f"The key «{key}» appears twice in one JSON object; which value is meant is unclear.")
        seen.add(key)
    return document


def _number_too_long(text: str) -> PayloadError:
    shown = f"{text[:20]}…" if len(text) > 20 else text
    return PayloadError("bad_number", f"Số «{shown}» dài {len(text)} ký tự; tối đa {MAX_NUMBER_CHARACTERS}.",
                        f"The number «{shown}» has {len(text)} characters; at most {MAX_NUMBER_CHARACTERS}.")


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARACTERS:
        raise _number_too_long(text)
    return int(text)


def _decimal(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARACTERS:
        raise _number_too_long(text)
    value = float(text)
    if not math.isfinite(value):
        raise PayloadError("bad_number", f"Số «{text}» vượt quá giới hạn của số thực.",
                           f"The number «{text}» is beyond the range of a floating-point number.")
    return value


def _constant(text: str) -> Any:
    raise PayloadError("bad_number", f"«{text}» không phải số JSON hợp lệ.", f"«{text}» is not a valid JSON number.")


def _too_deep() -> PayloadError:
    return PayloadError("too_deep", f"JSON lồng nhau quá {MAX_DEPTH} cấp.",
                        f"The JSON is nested more than {MAX_DEPTH} levels deep.")


def _check_depth(document: Any) -> None:
    """Refuse nesting past MAX_DEPTH, level by level (no recursion: the check must not be what overflows)."""
    level = [document] if isinstance(document, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            raise _too_deep()
        level = [child for node in level for child in (node.values() if isinstance(node, dict) else node)
                 if isinstance(child, dict | list)]
