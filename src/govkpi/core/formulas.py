"""Indicator formulas: a small safe language over data elements and other indicators.

    #{DVC_TOANTRINH} / #{DVC_TONG} * 100
    if(#{DVC_TONG} > 0, #{DVC_TOANTRINH} / #{DVC_TONG} * 100, 0)
    max(0, min(100, #{A} - #{B}))

Numbers, references `#{CODE}`, + − × ÷ (ASCII or the Unicode signs), parentheses, comparisons
inside `if`, and the functions min, max, if, coalesce, abs. Formulas are user input: they are parsed
by a grammar (lark), never evaluated by Python. Parsing fails only with `FormulaError`, which says
where (character position) and why, in Vietnamese and English.

Missing values are "no value" (None). By default any missing reference makes the result missing;
`MissingValues.ZERO` counts them as 0. min and max skip missing arguments; coalesce returns its first
present argument. Division by zero and overflow give "no value", never an error.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

MAX_LENGTH = 2000
MAX_DEPTH = 60

_GRAMMAR = r"""
?start: expr
?expr: sum
     | sum COMPARE sum                     -> compare
?sum: product
    | sum PLUS product                    -> add
    | sum MINUS product                   -> sub
?product: unary
        | product TIMES unary             -> mul
        | product DIVIDE unary            -> div
?unary: atom
      | MINUS unary                       -> neg
      | PLUS unary                        -> pos
?atom: NUMBER                             -> number
     | REF                                -> ref
     | NAME "(" [expr ("," expr)*] ")"    -> call
     | "(" expr ")"
REF: "#{" /[A-Za-z0-9_.]+/ "}"
NAME: /[A-Za-z_][A-Za-z0-9_]*/
NUMBER: /[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/
COMPARE: "<=" | ">=" | "==" | "!=" | "<" | ">"
PLUS: "+"
MINUS: "-" | "−"
TIMES: "*" | "×"
DIVIDE: "/" | "÷" | ":"
%import common.WS
%ignore WS
"""
_PARSER = Lark(_GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)
FUNCTIONS = {"min": (1, None), "max": (1, None), "if": (3, 3), "coalesce": (1, None), "abs": (1, 1)}


class MissingValues(str, Enum):
    """How a formula treats a reference that has no value."""

    PROPAGATE = "propagate"  # the result has no value
    ZERO = "zero"  # the reference counts as 0


class FormulaError(ValueError):
    """A formula that cannot be read: a code, where (0-based character), and why in two languages."""

    def __init__(self, code: str, position: int, message_vi: str, message_en: str, text: str = "") -> None:
        self.code = code
        self.position = position
        self.message_vi = message_vi
        self.message_en = message_en
        self.text = text
        super().__init__(f"{message_vi} / {message_en}")

    @property
    def column(self) -> int:
        """1-based column of the error, for people."""
        return self.position + 1


# The compiled form: ("num", value) | ("ref", code) | (op, pos, *children)
Node = tuple[Any, ...]


@dataclass(frozen=True)
class Formula:
    """A parsed formula: its text, the codes it refers to, and its compiled tree."""

    text: str
    references: frozenset[str]
    tree: Node


@v_args(meta=True)
class _Compile(Transformer):
    def number(self, meta: Any, children: list[Token]) -> Node:
        return ("num", float(children[0]))

    def ref(self, meta: Any, children: list[Token]) -> Node:
        return ("ref", str(children[0])[2:-1])

    def _binary(self, op: str, meta: Any, children: list[Any]) -> Node:
        return (op, meta.start_pos, children[0], children[2])

    def add(self, meta: Any, children: list[Any]) -> Node:
        return self._binary("+", meta, children)

    def sub(self, meta: Any, children: list[Any]) -> Node:
        return self._binary("-", meta, children)

    def mul(self, meta: Any, children: list[Any]) -> Node:
        return self._binary("*", meta, children)

    def div(self, meta: Any, children: list[Any]) -> Node:
        return self._binary("/", meta, children)

    def compare(self, meta: Any, children: list[Any]) -> Node:
        return ("cmp:" + str(children[1]), meta.start_pos, children[0], children[2])

    def neg(self, meta: Any, children: list[Any]) -> Node:
        return ("neg", meta.start_pos, children[1])

    def pos(self, meta: Any, children: list[Any]) -> Node:
        return children[1]

    def call(self, meta: Any, children: list[Any]) -> Node:
        name_token, args = children[0], children[1:]
        name = str(name_token).lower()
        if name not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise FormulaError("unknown_function", name_token.start_pos,
                               f"Hàm «{name_token}» không có; các hàm được dùng: {known}.",
                               f"Unknown function «{name_token}»; available: {known}.")
        low, high = FUNCTIONS[name]
        if len(args) < low or (high is not None and len(args) > high):
            expected = str(low) if low == high else f"≥ {low}"
            raise FormulaError("wrong_argument_count", name_token.start_pos,
                               f"Hàm {name} cần {expected} đối số, có {len(args)}.",
                               f"{name} takes {expected} arguments, got {len(args)}.")
        return ("call:" + name, meta.start_pos, *args)


def _syntax_error(exc: UnexpectedInput, text: str) -> FormulaError:
    position = exc.pos_in_stream if getattr(exc, "pos_in_stream", None) is not None else len(text)
    at_end = isinstance(exc, UnexpectedToken) and exc.token.type == "$END"
    if at_end or isinstance(exc, UnexpectedEOF) or position >= len(text):
        return FormulaError("unexpected_end", len(text), "Công thức kết thúc khi chưa đủ.",
                            "The formula ends too early.", text)
    found = text[position]
    if isinstance(exc, UnexpectedCharacters):
        return FormulaError("unexpected_character", position,
                            f"Ký tự «{found}» không hợp lệ tại vị trí {position + 1}.",
                            f"Unexpected character «{found}» at position {position + 1}.", text)
    return FormulaError("unexpected_token", position,
                        f"Không đọc được công thức tại vị trí {position + 1} («{found}»).",
                        f"Cannot read the formula at position {position + 1} («{found}»).", text)


def _depth(node: Node) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        if current[0] not in {"num", "ref"}:
            stack.extend((child, level + 1) for child in current[2:])
    return deepest


def _references(node: Node) -> frozenset[str]:
    found, stack = set(), [node]
    while stack:
        current = stack.pop()
        if current[0] == "ref":
            found.add(current[1])
        elif current[0] != "num":
            stack.extend(current[2:])
    return frozenset(found)


def parse_formula(text: str) -> Formula:
    """Return the parsed formula, or raise FormulaError saying where and why it cannot be read."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("empty", 0, "Công thức trống.", "The formula is empty.", str(text))
    if len(text) > MAX_LENGTH:
        raise FormulaError("too_long", MAX_LENGTH, f"Công thức dài quá {MAX_LENGTH} ký tự.",
                           f"The formula is longer than {MAX_LENGTH} characters.", text)
    try:
        tree = _Compile().transform(_PARSER.parse(text))
    except RecursionError:  # lark transforms recursively: thousands of nested signs or calls
        raise FormulaError("too_deep", 0, f"Công thức lồng nhau quá {MAX_DEPTH} tầng.",
                           f"The formula nests deeper than {MAX_DEPTH} levels.", text) from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, FormulaError):
            exc.orig_exc.text = text
            raise exc.orig_exc from None
        raise
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text) from None
    except LarkError as exc:  # anything else the parser refuses, still our documented error
        raise FormulaError("unreadable", 0, "Không đọc được công thức.", f"Cannot read the formula ({exc}).",
                           text) from None
    if _depth(tree) > MAX_DEPTH:
        raise FormulaError("too_deep", 0, f"Công thức lồng nhau quá {MAX_DEPTH} tầng.",
                           f"The formula nests deeper than {MAX_DEPTH} levels.", text)
    return Formula(text=text, references=_references(tree), tree=tree)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _arithmetic(op: str, a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return None
    try:
        if op == "+":
            return _finite(a + b)
        if op == "-":
            return _finite(a - b)
        if op == "*":
            return _finite(a * b)
        return None if b == 0 else _finite(a / b)
    except OverflowError:
        return None


_COMPARE = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}


def _evaluate(node: Node, values: Mapping[str, float | None], missing: MissingValues) -> float | None:
    kind = node[0]
    if kind == "num":
        return _finite(node[1])
    if kind == "ref":
        value = values.get(node[1])
        return 0.0 if value is None and missing is MissingValues.ZERO else value
    args = node[2:]
    if kind == "neg":
        inner = _evaluate(args[0], values, missing)
        return None if inner is None else -inner
    if kind in {"+", "-", "*", "/"}:
        return _arithmetic(kind, _evaluate(args[0], values, missing), _evaluate(args[1], values, missing))
    if kind.startswith("cmp:"):
        a, b = _evaluate(args[0], values, missing), _evaluate(args[1], values, missing)
        return None if a is None or b is None else float(_COMPARE[kind[4:]](a, b))
    name = kind[5:]
    if name == "if":  # only the chosen branch is evaluated
        condition = _evaluate(args[0], values, missing)
        if condition is None:
            return None
        return _evaluate(args[1] if condition != 0 else args[2], values, missing)
    present = [v for v in (_evaluate(a, values, missing) for a in args) if v is not None]
    if name == "coalesce":
        return present[0] if present else None
    if name == "abs":
        return abs(present[0]) if present else None
    if not present:
        return None
    return min(present) if name == "min" else max(present)


def evaluate(formula: Formula, values: Mapping[str, float | None],
             missing: MissingValues = MissingValues.PROPAGATE) -> float | None:
    """Return the formula's value for the given reference values, or None when it has no value."""
    return _evaluate(formula.tree, values, missing)


def find_cycle(dependencies: Mapping[str, Iterable[str]]) -> list[str] | None:
    """Return one cycle of codes (first code repeated at the end) in a dependency graph, or None."""
    graph = {code: list(refs) for code, refs in dependencies.items()}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for root in graph:
        if state.get(root):
            continue
        path: list[str] = [root]
        iterators = [iter(graph.get(root, []))]
        state[root] = 1
        while iterators:
            nxt = next(iterators[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iterators.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iterators.append(iter(graph.get(nxt, [])))
    return None
