"""The pure readers (no database): periods, deadlines, formulas, numbers/dates/booleans, strict JSON, CSV tables.

Each raises only its documented error on any input, and what it accepts means what was written."""

from __future__ import annotations

import datetime
import io
import json
import math

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govkpi.core.deadlines import DeadlineError, parse_deadline
from govkpi.core.formulas import FormulaError, MissingValues, evaluate, parse_formula
from govkpi.core.periods import PeriodError, parse_period
from govkpi.core.strict_json import MAX_DEPTH, PayloadError, read_json
from govkpi.core.tabular import TabularError, parse_bool, parse_date, parse_number, read_table
from govkpi.core.values import ValueProblem, canonical_number, read_value
from tests.fuzz import FUZZ

# --- periods ----------------------------------------------------------------------------------------------------

PERIOD_PARTS = ["2025", "1899", "2101", "0000", "9999", "Q", "W", "BiW", "S", "AprilS", "NovS", "April", "July",
                "Oct", "Nov", "B", "01", "12", "13", "00", "1", "4", "5", "53", "54", "27", "0101", "0230", "-", " "]
PERIOD_TEXT = st.one_of(st.text(max_size=30), st.lists(st.sampled_from(PERIOD_PARTS), max_size=5).map("".join))


@settings(FUZZ, max_examples=300)
@given(PERIOD_TEXT)
def test_a_period_is_read_or_refused_with_a_period_error_and_its_id_reads_back(text: str) -> None:
    try:
        period = parse_period(text)
    except PeriodError as error:
        assert error.code and error.message_vi and error.message_en
        return
    assert period.start <= period.end
    assert parse_period(period.id) == period


@settings(FUZZ, max_examples=200)
@given(st.one_of(PERIOD_TEXT, st.from_regex(r"(tháng |quý |năm )?[0-9IVXiv]{1,4}\s*[/.-]\s*[0-9]{1,5}", fullmatch=True)))
def test_a_period_as_people_type_it_in_a_sheet_becomes_an_identifier_or_is_passed_on(text: str) -> None:
    from govkpi.datavalues.files import period_id  # the sheet face's reading, before the period reader

    identifier = period_id(text)
    assert isinstance(identifier, str)
    try:
        parse_period(identifier)
    except PeriodError:
        pass


# --- deadlines --------------------------------------------------------------------------------------------------

DEADLINE_WORDS = ["tháng", "quý", "năm", "nay", "ngày", "trước", "từ", "đến", "hết", "hằng", "giai đoạn", "đầu",
                  "cuối", "6 tháng", "định kỳ", "IV", "V", "0", "13", "29", "31/2", "2025", "9999", "/", "–",
                  "20/7/2024", "sớm", "và", "\u0300", "\x00", "  ", "\n"]
DEADLINE_TEXT = st.one_of(st.text(max_size=80), st.lists(st.sampled_from(DEADLINE_WORDS), max_size=12).map(" ".join),
                          st.text(alphabet="0123456789/-. tháng", min_size=200, max_size=600))
DEADLINE_CODES = {"empty", "no_date", "needs_reference_date", "invalid_date", "unrecognised", "too_long"}


@settings(FUZZ, max_examples=300)
@given(DEADLINE_TEXT, st.one_of(st.none(), st.dates()))
def test_deadline_words_are_read_or_refused_with_a_documented_code(text: str, reference: datetime.date | None):
    try:
        deadline = parse_deadline(text, reference)
    except DeadlineError as error:
        assert error.code in DEADLINE_CODES
        return
    assert deadline.starts is None or deadline.due is None or deadline.starts <= deadline.due


# --- formulas ---------------------------------------------------------------------------------------------------


def _expression(leaves: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Formulas built by the grammar (well formed, nested), then sometimes spoiled by a cut."""
    return st.recursive(leaves, lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "×", "÷", "−"]), inner).map(" ".join),
        inner.map(lambda e: f"({e})"),
        st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(inner, st.sampled_from([">", "<", ">=", "<=", "==", "!="]), inner, inner, inner)
        .map(lambda t: f"if({t[0]} {t[1]} {t[2]}, {t[3]}, {t[4]})"),
    ), max_leaves=30)


LEAVES = st.one_of(st.sampled_from(["#{A}", "#{B}", "#{C}", "#{MISSING}"]),
                   st.floats(allow_nan=False, allow_infinity=False).map(lambda x: f"{abs(x)!r}".replace("e+", "e")),
                   st.integers(0, 10**30).map(str))
FORMULAS = st.one_of(_expression(LEAVES), _expression(LEAVES).flatmap(
    lambda text: st.integers(0, len(text)).map(lambda cut: text[:cut])), st.text(max_size=60),
    st.integers(1, 3000).map(lambda depth: "(" * depth + "1" + ")" * depth))


@settings(FUZZ, max_examples=200)
@given(FORMULAS, st.dictionaries(st.sampled_from(["A", "B", "C"]),
                                 st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False))))
def test_a_formula_parses_or_raises_formula_error_and_evaluates_to_a_finite_number_or_none(text, values):
    try:
        formula = parse_formula(text)
    except FormulaError as error:
        assert error.code and error.message_vi and error.message_en
        return
    for missing in MissingValues:
        result = evaluate(formula, values, missing)
        assert result is None or (isinstance(result, float) and math.isfinite(result))


# --- numbers, dates, booleans -----------------------------------------------------------------------------------

VALUE_TYPES = ["count", "rank", "amount", "percentage", "ratio", "boolean", "date", "number"]
RAW = st.one_of(st.text(max_size=40), st.text(alphabet="0123456789.,-+% \u00a0eE", max_size=40), st.integers(),
                st.floats(), st.booleans(), st.none(), st.dates(), st.lists(st.integers(), max_size=2),
                st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
                # found by this test: 400 nines stored as "inf", 10**400 an OverflowError, "٣" read as 3
                st.integers(10**300, 10**5000), st.text(alphabet="9", min_size=300, max_size=500),
                st.text(alphabet="0123456789٣१२۴", min_size=1, max_size=4))


@settings(FUZZ, max_examples=400)
@given(st.sampled_from(VALUE_TYPES), RAW, st.booleans())
def test_a_value_is_read_or_refused_with_a_value_problem_and_its_canonical_text_reads_back(value_type, raw, machine):
    try:
        text, number = read_value(value_type, raw, machine=machine)
    except ValueProblem as problem:
        assert problem.code and problem.message_vi and problem.message_en
        return
    assert isinstance(text, str) and len(text) < 400
    assert number is None or math.isfinite(number)
    if number is not None and value_type != "boolean":
        assert text.isascii() and not (isinstance(raw, str) and any(c.isdigit() and not c.isascii() for c in raw))
    assert read_value(value_type, text, machine=True) == (text, number)  # what is stored reads back the same


@settings(FUZZ, max_examples=300)
@given(st.one_of(st.text(max_size=40), st.text(alphabet="0123456789.,-+−% \u00a0\u202f/", max_size=40)))
def test_the_cell_readers_raise_only_value_error(text: str) -> None:
    for reader in (parse_number, parse_date, parse_bool):
        try:
            reader(text)
        except ValueError:
            pass
    try:
        number = parse_number(text)
    except ValueError:
        return
    assert math.isfinite(number)


@settings(FUZZ, max_examples=200)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_canonical_number_reads_back_as_itself(number: float) -> None:
    assert read_value("number", canonical_number(number), machine=True)[1] == number


# --- strict JSON ------------------------------------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**18, 10**18),
                    st.floats(allow_nan=False, allow_infinity=False), TEXT)
DOCUMENTS = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(TEXT, inner, max_size=4)),
                         max_leaves=20)
SPOILERS = ['"a":1,"a":2', "\\u0000", "\\ud800", "\\udc00", "\\ud83d\\ude00", "9" * 100, "1e999", "NaN", "[" * 40,
            "]" * 40, "{", "}", ",", ":", '"', "\\", "\x00", "\xff", "-", "0.", "\ufeff"]


@settings(FUZZ, max_examples=300)
@given(DOCUMENTS, st.booleans())
def test_strict_json_reads_back_every_well_formed_document(document, ascii_only: bool) -> None:
    assert read_json(json.dumps(document, ensure_ascii=ascii_only).encode()) == document


@settings(FUZZ, max_examples=400)
@given(DOCUMENTS, st.lists(st.tuples(st.integers(0, 400), st.sampled_from(SPOILERS)), max_size=3),
       st.integers(0, 400))
def test_strict_json_reads_a_spoiled_document_or_refuses_it_with_a_payload_error(document, spoils, cut) -> None:
    text = json.dumps(document)
    for position, spoiler in spoils:
        text = text[:position] + spoiler + text[position:]
    data = text.encode("utf-8", "surrogatepass")[:max(cut, len(text) // 2)]
    try:
        read = read_json(data)
    except PayloadError as error:
        assert error.code in {"empty_body", "bad_json", "bad_encoding", "duplicate_key", "nul_character",
                              "lone_surrogate", "bad_number", "too_deep"}
        return
    # What is accepted holds no NUL, no lone surrogate, nothing deeper than MAX_DEPTH: it can be stored and sent.
    json.dumps(read, ensure_ascii=False).encode("utf-8")
    assert "\x00" not in json.dumps(read, ensure_ascii=False)
    assert _depth(read) <= MAX_DEPTH


def test_a_low_half_after_an_escaped_backslash_is_refused() -> None:
    """Found by the test above, unrandomised: in the JSON text "\\\\ud800\\udc00" the escaped backslash is
    followed by the plain text "ud800", so the \\udc00 after them is a lone half, not the end of a pair."""
    text = '["\\\\ud800\\udc00"]'
    assert text.count("\\") == 3
    with pytest.raises(PayloadError) as refused:
        read_json(text)
    assert refused.value.code == "lone_surrogate"
    assert read_json('["\\ud800\\udc00"]') == ["\U00010000"]


def _depth(node: object) -> int:
    if isinstance(node, dict):
        return 1 + max(map(_depth, node.values()), default=0)
    if isinstance(node, list):
        return 1 + max(map(_depth, node), default=0)
    return 0


# --- CSV and XLSX tables ----------------------------------------------------------------------------------------

COLUMNS = {"dataelement": ["mã chỉ tiêu"], "orgunit": ["mã đơn vị"], "value": ["giá trị"], "comment": ["ghi chú"]}
REQUIRED = {"dataelement", "orgunit", "value"}
CELL = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8).map(str.strip)
ROWS = st.lists(st.tuples(st.from_regex(r"[A-Z]{2,5}[0-9]?", fullmatch=True), CELL,
                          st.integers(0, 10**6).map(str), CELL), min_size=1, max_size=6)


def _csv(rows: list[tuple[str, ...]], delimiter: str) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["Mã chỉ tiêu", "Mã đơn vị", "Giá trị", "Ghi chú"])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@settings(FUZZ, max_examples=150)
@given(ROWS, st.sampled_from([",", ";", "\t"]), st.integers(0, 10**4))
def test_a_csv_cut_anywhere_is_refused_or_reads_only_what_was_written(rows, delimiter, cut) -> None:
    data = _csv(rows, delimiter)
    cut = cut % (len(data) + 1)
    try:
        table = read_table(data[:cut], "số liệu.csv", COLUMNS, REQUIRED)
    except TabularError as error:
        assert error.code in {"not_a_table", "no_header", "missing_columns", "short_row", "bad_encoding"}
        return
    read = [(r.values["dataelement"], r.values["orgunit"], r.values["value"], r.values["comment"])
            for r in table.rows]
    wanted = [tuple(cell.strip() for cell in row) for row in rows]
    # Every row read is a row written; only the last one's last cell (the comment) can be the part of it that
    # arrived: a cut inside the last cell of a full row leaves nothing to tell (docs: strict-input notes).
    if not read:
        return
    assert read[:-1] == wanted[:len(read) - 1]
    if read:
        last, original = read[-1], wanted[len(read) - 1]
        assert last[:3] == original[:3] and original[3].startswith(last[3])


@settings(FUZZ, max_examples=60)
@given(st.binary(max_size=300), st.sampled_from(["a.csv", "a.xlsx", "a.txt", "a.xls", "a"]))
def test_any_bytes_are_read_as_a_table_or_refused_with_a_tabular_error(data: bytes, name: str) -> None:
    try:
        read_table(data, name, COLUMNS, REQUIRED)
    except TabularError:
        pass


def _workbook(rows: list[tuple[str, ...]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Mã chỉ tiêu", "Mã đơn vị", "Giá trị", "Ghi chú"])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@settings(FUZZ, max_examples=40)
@given(ROWS, st.integers(0, 10**5))
def test_a_workbook_cut_anywhere_is_refused_with_a_tabular_error(rows, cut) -> None:
    data = _workbook(rows)
    cut = cut % len(data)
    try:
        read_table(data[:cut], "số liệu.xlsx", COLUMNS, REQUIRED)
    except TabularError as error:
        assert error.code in {"not_a_table", "too_large", "unknown_format"}
