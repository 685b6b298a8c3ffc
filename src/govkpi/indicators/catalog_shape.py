"""The shape of a catalog document, checked before anything reads it: sections are lists of mappings, each known
field holds the kind of value it means (text, a number, a flag, a list of codes, a list of entries).

A YAML file, an XLSX workbook and a JSON body can each hold any shape; the validator and the applier read a
field as what it means (a formula is parsed, a minimum becomes a decimal), so a list where a code belongs, or a
mapping where a number belongs, raised TypeError or a database error instead of a problem with its place. Only
the fields the applier reads are constrained; other keys are left to it (it ignores them).
"""

from __future__ import annotations

import datetime
import functools
import math
from typing import Any

TEXT, NUMBER, FLAG, DATE, CODES, ANY = "text", "number", "flag", "date", "codes", "any"
FORMULA = "formula"  # parsed as it is: text only
DECIMALS = "decimals"  # a small whole number (PositiveSmallIntegerField)
MAX_DECIMALS = 10
_WORDS = {TEXT: ("văn bản", "text"), FORMULA: ("văn bản (công thức)", "text (a formula)"),
          DECIMALS: (f"số nguyên từ 0 đến {MAX_DECIMALS}", f"a whole number from 0 to {MAX_DECIMALS}"), NUMBER: ("số", "a number"), FLAG: ("true/false", "true/false"),
          DATE: ("ngày (YYYY-MM-DD)", "a date (YYYY-MM-DD)"), CODES: ("danh sách mã", "a list of codes"),
          "entries": ("danh sách mục", "a list of entries"), "entry": ("một mục (khóa: giá trị)", "an entry (key: value)")}

_TARGET = {"value": NUMBER, "deadline": ANY, "set_on": ANY, "quote": TEXT, "scope": TEXT, "set_by": TEXT,
           "supersedes": FLAG, "unit_kinds": CODES, "green_from": NUMBER, "amber_from": NUMBER, "legal_basis": TEXT,
           "unit": TEXT, "note": TEXT}
_FIGURE = {"value": NUMBER, "note": TEXT, "period": TEXT, "quote": TEXT, "scope": TEXT, "source": TEXT,
           "unit": TEXT}
_OPTION_COMBO = {"code": TEXT, "options": CODES}
# A category's options: each a code, or an entry with its names (CategoryOption's columns).
_OPTION = {"code": TEXT, "name_vi": TEXT, "name_en": TEXT}
_OPTION_LENGTHS = {"code": 64, "name_vi": 255, "name_en": 255}
SECTIONS: dict[str, dict[str, Any]] = {
    "sources": {"id": TEXT, "code": TEXT, "date": ANY, "date_inferred": FLAG, "file": TEXT, "meeting": TEXT,
                "title": TEXT, "kind": TEXT, "number": TEXT, "issuing_body": TEXT, "url": TEXT},
    "data_elements": {"code": TEXT, "name_vi": TEXT, "name_en": TEXT, "definition_vi": TEXT, "definition_en": TEXT,
                      "unit": TEXT, "frequency": TEXT, "value_type": TEXT, "aggregation_units": TEXT,
                      "aggregation_periods": TEXT, "minimum": NUMBER, "maximum": NUMBER, "unit_kinds": CODES,
                      "category_combo": TEXT, "source": TEXT, "legal_basis": TEXT},
    "indicators": {"code": TEXT, "name_vi": TEXT, "name_en": TEXT, "definition_vi": TEXT, "definition_en": TEXT,
                   "unit": TEXT, "data_source": TEXT, "notes": TEXT, "owner": TEXT, "formula": FORMULA,
                   "frequency": TEXT, "direction": TEXT, "value_type": TEXT, "decimals": DECIMALS, "published": FLAG,
                   "unit_kinds": CODES, "themes": CODES, "baseline_value": NUMBER, "baseline_period": TEXT,
                   "band_low": NUMBER, "band_high": NUMBER, "missing_values": TEXT, "legal_basis": TEXT,
                   "source": TEXT, "targets": [_TARGET], "figures": [_FIGURE]},
    "categories": {"code": TEXT, "name_vi": TEXT, "name_en": TEXT, "options": "options"},
    "category_combos": {"code": TEXT, "name_vi": TEXT, "name_en": TEXT, "kind": TEXT, "categories": CODES,
                        "option_combos": [_OPTION_COMBO]},
    "themes": {"code": TEXT, "attribute_combo": TEXT},
}


def _fits(kind: str, value: Any) -> bool:
    if value is None or kind == ANY:
        return True
    if kind == TEXT:  # YAML reads an unquoted 2025 or 01 as a number: still the text it was written as
        return isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool))
    if kind == FORMULA:
        return isinstance(value, str)
    if kind == NUMBER:  # stored as a float: finite, and an int float() can hold
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        try:
            return math.isfinite(float(value))
        except OverflowError:
            return False
    if kind == DECIMALS:
        return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_DECIMALS
    if kind == FLAG:
        return isinstance(value, bool)
    if kind == DATE:
        return isinstance(value, datetime.date)
    return isinstance(value, list) and all(isinstance(code, str | int) and not isinstance(code, bool)
                                           for code in value)  # CODES


Problem = tuple[str, str, str, str]  # where, code, Vietnamese, English


def _problem(where: str, words: tuple[str, str]) -> Problem:
    return where, "bad_type", f"Phải là {words[0]}.", f"Must be {words[1]}."


# Where a section's text fields are stored, to refuse what the column cannot hold before the database does.
_MODEL_NAMES = {"unit": "unit_of_measure", "id": "code", "file": "source_file"}


@functools.cache
def _lengths() -> dict[str, dict[str, int]]:
    from govkpi.indicators.models import Category, CategoryCombo, DataElement, Indicator, Theme
    from govkpi.tasks.models import Directive

    models = {"sources": Directive, "data_elements": DataElement, "indicators": Indicator, "categories": Category,
              "category_combos": CategoryCombo, "themes": Theme}
    lengths: dict[str, dict[str, int]] = {}
    for section, model in models.items():
        columns = {f.name: f.max_length for f in model._meta.fields if getattr(f, "max_length", None)}
        lengths[section] = {name: columns[_MODEL_NAMES.get(name, name)] for name in SECTIONS[section]
                            if _MODEL_NAMES.get(name, name) in columns}
    return lengths


def _text_problem(where: str, text: str, limit: int | None) -> Problem | None:
    """NUL and lone surrogates (YAML's "\\0" and "\\ud800" escapes make them) cannot be stored; nor can text
    longer than its column."""
    if "\x00" in text:
        return where, "bad_text", "Có ký tự NUL: không được phép.", "Holds a NUL character, which is not allowed."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return where, "bad_text", "Có nửa cặp UTF-16 (ký tự không hợp lệ).", "Holds half a UTF-16 pair (no character)."
    if limit is not None and len(text) > limit:
        return where, "too_long", f"Dài {len(text)} ký tự; tối đa {limit}.", f"{len(text)} characters; at most {limit}."
    return None


def _entries(where: str, value: Any, fields: dict[str, Any], lengths: dict[str, int]) -> list[Problem]:
    if value is None:
        return []
    if not isinstance(value, list):
        return [_problem(where, _WORDS["entries"])]
    problems = []
    for index, entry in enumerate(value):
        here = f"{where}[{index}]"
        if not isinstance(entry, dict):
            problems.append(_problem(here, _WORDS["entry"]))
            continue
        for name, kind in fields.items():
            found = entry.get(name)
            if isinstance(kind, list):
                problems += _entries(f"{here}.{name}", found, kind[0], {})
            elif kind == "options":
                problems += _options(f"{here}.{name}", found)
            elif not _fits(kind, found):
                problems.append(_problem(f"{here}.{name}", _WORDS[kind]))
            elif isinstance(found, str) and (problem := _text_problem(f"{here}.{name}", found, lengths.get(name))):
                problems.append(problem)
            elif kind == CODES and found:  # each code stored as text somewhere: no NUL, no half pair, 64 at most
                problems += [problem for j, code in enumerate(found) if isinstance(code, str)
                             and (problem := _text_problem(f"{here}.{name}[{j}]", code, 64))]
    return problems


def _options(where: str, value: Any) -> list[Problem]:
    """A category's options: a list of codes or of entries {code, name_vi, name_en}."""
    if value is None:
        return []
    if not isinstance(value, list):
        return [_problem(where, _WORDS["entries"])]
    problems: list[Problem] = []
    for j, option in enumerate(value):
        if isinstance(option, dict):
            problems += [(f"{where}[{j}]" + p[0][len(f"{where}[0]"):], *p[1:])
                         for p in _entries(where, [option], _OPTION, _OPTION_LENGTHS)]
        elif not _fits(TEXT, option):
            problems.append(_problem(f"{where}[{j}]", _WORDS[TEXT]))
        elif isinstance(option, str) and (problem := _text_problem(f"{where}[{j}]", option, 64)):
            problems.append(problem)
    return problems


def shape_problems(document: Any) -> list[Problem]:
    """(where, code, Vietnamese, English) for every field of the wrong kind, text that cannot be stored or is too
    long for its column; empty when the document can be read."""
    if not isinstance(document, dict):
        return [_problem("(tệp / file)", ("một bảng khóa: giá trị (sources, data_elements, indicators…)",
                                          "a mapping of key: value (sources, data_elements, indicators…)"))]
    problems = []
    for section, fields in SECTIONS.items():
        problems += _entries(section, document.get(section), fields, _lengths()[section])
    return problems
