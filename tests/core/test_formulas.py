import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govkpi.core.formulas import FormulaError, MissingValues, evaluate, find_cycle, parse_formula


def value(text, **refs):
    return evaluate(parse_formula(text), refs)


def test_the_seed_ratio_formula():
    f = parse_formula("#{DVC_TOANTRINH} / #{DVC_TONG} * 100")
    assert f.references == {"DVC_TOANTRINH", "DVC_TONG"}
    assert evaluate(f, {"DVC_TOANTRINH": 3951, "DVC_TONG": 10000}) == pytest.approx(39.51)


@pytest.mark.parametrize("text, expected", [
    ("2 + 3 * 4", 14), ("(2 + 3) * 4", 20), ("10 - 4 - 3", 3), ("100 / 10 / 2", 5), ("-2 * 3", -6),
    ("- (2 - 5)", 3), ("2 * -3", -6), ("1.5e2", 150), ("12 × 2 ÷ 4 − 1", 5), ("7 : 2", 3.5),
    ("min(3, 1, 2)", 1), ("max(3, 1, 2)", 3), ("abs(-4)", 4), ("if(2 > 1, 10, 20)", 10), ("if(2 <= 1, 10, 20)", 20),
    ("if(3 == 3, 1, 0) + if(3 != 3, 1, 0)", 1),
])
def test_arithmetic_precedence_and_functions(text, expected):
    assert value(text) == pytest.approx(expected)


def test_missing_reference_gives_no_value_by_default_and_zero_when_declared():
    f = parse_formula("#{A} + #{B}")
    assert evaluate(f, {"A": 1}) is None
    assert evaluate(f, {"A": 1, "B": None}) is None
    assert evaluate(f, {"A": 1}, MissingValues.ZERO) == 1


def test_min_max_skip_missing_and_coalesce_takes_the_first_present():
    assert value("max(#{A}, #{B}, 3)", A=None, B=7) == 7
    assert value("min(#{A}, #{B})") is None
    assert value("coalesce(#{A}, #{B}, 0)", B=5) == 5
    assert value("coalesce(#{A}, 0)") == 0


def test_if_evaluates_only_the_chosen_branch_and_a_missing_condition_is_missing():
    assert value("if(#{T} > 0, #{N} / #{T} * 100, 0)", T=0, N=5) == 0
    assert value("if(#{T} > 0, 1, 0)") is None


def test_division_by_zero_and_overflow_give_no_value():
    assert value("1 / 0") is None
    assert value("#{A} / #{B}", A=5, B=0) is None
    assert value("1e308 * 10") is None
    assert value("1e999") is None


@pytest.mark.parametrize("text, code, position", [
    ("", "empty", 0),
    ("   ", "empty", 0),
    ("#{A} +", "unexpected_end", 6),
    ("(1 + 2", "unexpected_end", 6),
    ("2 ** 3", "unexpected_token", 3),
    ("1 + @", "unexpected_character", 4),
    ("#{A} #{B}", "unexpected_token", 5),
    ("foo(1)", "unknown_function", 0),
    ("2 * eval(1)", "unknown_function", 4),
    ("min()", "wrong_argument_count", 0),
    ("if(1, 2)", "wrong_argument_count", 0),
    ("__import__('os')", "unexpected_character", 11),
    ("#{}", "unexpected_character", 0),
])
def test_errors_point_at_the_character(text, code, position):
    with pytest.raises(FormulaError) as caught:
        parse_formula(text)
    assert caught.value.code == code
    assert caught.value.position == position
    assert caught.value.column == position + 1
    assert caught.value.message_vi and caught.value.message_en


def test_too_long_and_too_deep_are_refused():
    with pytest.raises(FormulaError, match="2000"):
        parse_formula("1+" * 1000 + "1")
    for deep in ("-" * 100 + "1", "-" * 1999 + "1", "abs(" * 300 + "1" + ")" * 300):
        with pytest.raises(FormulaError) as caught:
            parse_formula(deep)
        assert caught.value.code == "too_deep"
    # Parentheses alone add no level: they only group.
    assert value("(" * 100 + "1" + ")" * 100) == 1


def test_cycles_are_found_and_acyclic_graphs_pass():
    assert find_cycle({"A": ["B"], "B": ["C"], "C": ["A"]}) == ["A", "B", "C", "A"]
    assert find_cycle({"A": ["A"]}) == ["A", "A"]
    assert find_cycle({"A": ["B", "C"], "B": ["C"], "C": []}) is None
    assert find_cycle({"A": ["X"]}) is None  # a reference to a data element (no entry) ends a path


HOSTILE = st.one_of(
    st.text(max_size=200),
    st.text(alphabet="#{}()+-*/×÷−:<>=!,.0123456789eE_ AZaz", max_size=120),
    st.lists(st.sampled_from(["#{A}", "#{B}", "(", ")", "+", "-", "*", "/", "min(", "max(", "if(", ",", "1", "0",
                              "1e308", ">", "==", "__import__", "lambda", ";", "\x00", "\n"]),
             max_size=60).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(HOSTILE)
def test_any_text_parses_or_raises_only_formula_error_and_evaluation_never_raises(text):
    try:
        formula = parse_formula(text)
    except FormulaError as error:
        assert 0 <= error.position <= max(len(text), 2000)
        return
    result = evaluate(formula, {"A": 1.0, "B": 0.0})
    assert result is None or isinstance(result, float)
    evaluate(formula, {}, MissingValues.ZERO)


@given(st.integers(-10**6, 10**6), st.integers(-10**6, 10**6), st.integers(1, 10**6))
def test_formula_arithmetic_matches_python_arithmetic(a, b, c):
    assert value("#{A} + #{B} * #{C}", A=a, B=b, C=c) == pytest.approx(a + b * c)
    assert value("(#{A} - #{B}) / #{C}", A=a, B=b, C=c) == pytest.approx((a - b) / c)
