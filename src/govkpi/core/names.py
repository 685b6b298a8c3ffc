"""Vietnamese unit names as people write them, reduced to comparable keys.

Two keys per name:
- the *tone key* keeps every letter and its tone but not where the tone mark sits, so
  "Thanh Hoá" and "Thanh Hóa" (old and new tone placement) and the NFD and NFC forms of
  "Hà Nội" are equal, while "Hà Nam" and "Hạ Nam" stay different;
- the *plain key* drops all marks ("Ha Noi"), for people who type without accents.

Resolution tries the tone key first and the plain key only when that finds nothing.
Legal-type prefixes ("Tỉnh", "Thành phố", "TP.", "Xã", "Phường", "Đặc khu") are split off so
that "Tỉnh Hà Giang", "Hà Giang" and "TP. Hồ Chí Minh" find the unit by its short name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Combining marks that carry a Vietnamese tone; the others (circumflex, breve, horn) shape the vowel.
_TONE_MARKS = {
    "\u0300": "2",  # huyền (grave)
    "\u0301": "1",  # sắc (acute)
    "\u0309": "3",  # hỏi (hook above)
    "\u0303": "4",  # ngã (tilde)
    "\u0323": "5",  # nặng (dot below)
}
_SEPARATORS = re.compile(r"[\s.,;:/\\_\-–—&()'\"+]+")

# Legal-type prefixes, longest first. "TP" is the common abbreviation of "Thành phố".
_PREFIX_WORDS = (
    "thành phố trực thuộc trung ương",
    "thành phố",
    "tỉnh",
    "tp",
    "thị xã",
    "thị trấn",
    "đặc khu",
    "phường",
    "xã",
    "quận",
    "huyện",
)
# Words that join names but carry no meaning for matching ("Bộ Thông tin và Truyền thông"
# is also written "Bộ Thông tin truyền thông" and "Bộ TT&TT").
_FILLER_WORDS_TEXT = ("và",)


def normalize(text: str) -> str:
    """Return the text in NFC with runs of white space folded to one space and trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _word_tone_key(word: str) -> str:
    """Return a word's letters without tone marks, then its tone digit (if any)."""
    letters: list[str] = []
    tone = ""
    for ch in unicodedata.normalize("NFD", word):
        if ch in _TONE_MARKS:
            tone = _TONE_MARKS[ch]
        elif ch == "\u0302":
            letters.append("6")  # circumflex: â ê ô
        elif ch == "\u0306":
            letters.append("8")  # breve: ă
        elif ch == "\u031b":
            letters.append("7")  # horn: ơ ư
        elif unicodedata.combining(ch):
            continue
        elif ch == "đ":
            letters.append("d9")
        else:
            letters.append(ch)
    return "".join(letters) + tone


def words(text: str) -> list[str]:
    """Return the tone-keyed words of a name, lower-cased, split on spaces and punctuation."""
    lowered = normalize(text).lower()
    return [_word_tone_key(w) for w in _SEPARATORS.split(lowered) if w]


_PREFIXES: tuple[tuple[str, ...], ...] = tuple(tuple(words(p)) for p in _PREFIX_WORDS)
_FILLER_WORDS = {w for text in _FILLER_WORDS_TEXT for w in words(text)}


def _plain(word_key: str) -> str:
    return re.sub(r"[0-9]", "", word_key.replace("d9", "d"))


@dataclass(frozen=True)
class NameKeys:
    """The keys of one written name: with and without its legal-type prefix."""

    full: str  # tone key of every word
    short: str  # tone key without the legal-type prefix
    full_plain: str
    short_plain: str
    prefix: str  # the prefix found, as a tone key ("tinh3"), or ""


def _strip_prefix(ws: list[str]) -> tuple[list[str], str]:
    for prefix in _PREFIXES:
        n = len(prefix)
        if len(ws) > n and tuple(ws[:n]) == prefix:
            return ws[n:], " ".join(prefix)
    return ws, ""


def _join(ws: list[str]) -> str:
    return " ".join(w for w in ws if w not in _FILLER_WORDS)


def _plain_join(ws: list[str]) -> str:
    # Plain keys keep digits that belong to the name ("Phường 1"), dropping only tone digits.
    return " ".join(w if w.isdigit() else _plain(w) for w in ws if w not in _FILLER_WORDS)


def name_keys(text: str) -> NameKeys:
    """Return the comparison keys of a unit name as written by a person."""
    ws = words(text)
    short_ws, prefix = _strip_prefix(ws)
    return NameKeys(
        full=_join(ws),
        short=_join(short_ws),
        full_plain=_plain_join(ws),
        short_plain=_plain_join(short_ws),
        prefix=prefix,
    )
