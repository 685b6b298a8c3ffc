"""DHIS2's metadata query language, read as plain values: the `fields` expression, `filter=property:operator:value`
and `order=property:direction`, and the pager. No request and no database here (a condition is a Django `Q`, built, never run) (api.dhis2_metadata applies them).

Sources: dhis2-core 2.40.9 `FieldFilterParser` and `Preset` (fields), `DefaultJpaQueryParser` and `QueryUtils`
(filters and their values), `Pager` and `DefaultLinkService.generatePagerLinks` (paging); DHIS2's Web API
documentation, "Metadata object filter" and "Metadata field filter".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from django.db.models import Q

# fields=:name → the fields it stands for (Preset.java); `all`, `owner` and `persisted` are every property.
PRESETS: dict[str, tuple[str, ...] | None] = {
    "all": None, "owner": None, "persisted": None, "simple": None,
    "id": ("id",), "code": ("code",), "idName": ("id", "displayName"),
    "identifiable": ("id", "name", "code", "created", "lastUpdated", "href"),
    "nameable": ("id", "name", "shortName", "description", "code", "created", "lastUpdated"),
}
DEFAULT_FIELDS = "id,displayName"  # Preset.defaultPreset(): ID_NAME
DEFAULT_PAGE_SIZE = 50  # Pager.DEFAULT_PAGE_SIZE
MAX_PAGE_SIZE = 1000  # govkpi's own cap (DHIS2 has none): a larger pageSize is answered with pages of 1,000

# Operators as DefaultJpaQueryParser.getRestriction names them, with the aliases it reads; `^like`/`^ilike` are
# govkpi's aliases of `$like`/`$ilike` (some scripts write them so).
OPERATORS = {
    "eq": "eq", "ieq": "ieq", "!eq": "ne", "neq": "ne", "ne": "ne",
    "gt": "gt", "lt": "lt", "ge": "ge", "gte": "ge", "le": "le", "lte": "le",
    "like": "like", "!like": "!like", "$like": "$like", "^like": "$like", "!$like": "!$like", "like$": "like$",
    "!like$": "!like$", "ilike": "ilike", "!ilike": "!ilike", "$ilike": "$ilike", "^ilike": "$ilike",
    "startsWith": "$ilike", "!$ilike": "!$ilike", "ilike$": "ilike$", "endsWith": "ilike$", "!ilike$": "!ilike$",
    "token": "token", "!token": "!token", "in": "in", "!in": "!in", "null": "null", "!null": "!null",
    "empty": "empty",
}
NO_VALUE = frozenset({"null", "!null", "empty"})


@dataclass(frozen=True)
class QueryProblem(Exception):
    """A query DHIS2 would refuse: a code, the reason in Vietnamese and in English, and the text at fault."""

    code: str
    message_vi: str
    message_en: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.message_vi} / {self.message_en}"


# -- fields ------------------------------------------------------------------------------------------------


@dataclass
class Field:
    """One entry of a fields expression: a property (or `:preset`), its own sub-selection (None: none given),
    whether it is excluded (`!code`), and its transformers (`name~rename(n)`, `children::size`)."""

    name: str
    children: list[Field] | None = None
    exclude: bool = False
    preset: bool = False
    transformers: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)


_FIELD_TOKEN = re.compile(r"\s*(::|[~|]|[\[\](),;!:]|[^\[\](),;!:~|\s]+)")


def parse_fields(text: str | None) -> list[Field]:
    """The fields expression as a tree: `id,parent[id,code],children[id,name~rename(n)]`; `*` is `:all`.
    Brackets `[]` or `()` nest (as FieldFilterParser reads both); an unclosed or stray bracket is refused."""
    tokens = [t for t in _FIELD_TOKEN.findall(text or DEFAULT_FIELDS) if t]
    fields, position = _field_list(tokens, 0, text or "")
    if position != len(tokens):
        raise QueryProblem("bad_fields", f"Biểu thức fields có dấu ngoặc thừa: «{text}».",
                           f"The fields expression has an unmatched bracket: «{text}».", text or "")
    return fields


def _field_list(tokens: list[str], i: int, text: str) -> tuple[list[Field], int]:
    fields: list[Field] = []
    while i < len(tokens) and tokens[i] not in ("]", ")"):
        if tokens[i] == ",":
            i += 1
            continue
        item, i = _field(tokens, i, text)
        if item is not None:
            fields.append(item)
    return fields, i


def _field(tokens: list[str], i: int, text: str) -> tuple[Field | None, int]:
    item = Field(name="")
    if tokens[i] == "!":
        item.exclude, i = True, i + 1
    if i < len(tokens) and tokens[i] == ":":
        item.preset, i = True, i + 1
    if i < len(tokens) and tokens[i] == "*":
        item.name, item.preset, i = "all", True, i + 1
    elif i < len(tokens) and tokens[i] not in ("[", "(", ",", "]", ")", "::", "~", "|"):
        item.name, i = tokens[i], i + 1
    i = _transformers(tokens, i, item)
    if i < len(tokens) and tokens[i] in ("[", "("):
        close = "]" if tokens[i] == "[" else ")"
        item.children, i = _field_list(tokens, i + 1, text)
        if i >= len(tokens) or tokens[i] != close:
            raise QueryProblem("bad_fields", f"Biểu thức fields thiếu dấu đóng ngoặc: «{text}».",
                               f"The fields expression lacks a closing bracket: «{text}».", text)
        i = _transformers(tokens, i + 1, item)
    return (item if item.name else None), i


def _transformers(tokens: list[str], i: int, item: Field) -> int:
    while i + 1 < len(tokens) and tokens[i] in ("::", "~", "|"):
        name, i = tokens[i + 1], i + 2
        arguments: list[str] = []
        if i < len(tokens) and tokens[i] == "(":
            i += 1
            while i < len(tokens) and tokens[i] != ")":
                if tokens[i] != ";":
                    arguments.append(tokens[i])
                i += 1
            i += 1
        item.transformers.append((name, tuple(arguments)))
    return i


# -- filters -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    """`path:operator:value`: a property path (`parent.id`), DHIS2's operator by its canonical name, the value
    (a list for `in` and `!in`, None for `null`, `!null`, `empty`)."""

    path: tuple[str, ...]
    operator: str
    value: str | tuple[str, ...] | None
    text: str = ""


def parse_filter(text: str) -> Filter:
    """One filter as DefaultJpaQueryParser splits it: the value is everything after the second colon."""
    parts = text.split(":", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise QueryProblem("bad_filter", f"Bộ lọc không hợp lệ: «{text}» (thuộc tính:toán tử:giá trị).",
                           f"Invalid filter => {text} (property:operator:value)", text)
    path, written = parts[0].strip(), parts[1].strip()
    operator = OPERATORS.get(written)
    if operator is None:
        raise QueryProblem("bad_operator", f"«{written}» không phải là toán tử hợp lệ.",
                           f"`{written}` is not a valid operator.", text)
    raw = parts[2] if len(parts) == 3 else None
    if operator in NO_VALUE:
        return Filter(tuple(path.split(".")), operator, None, text)
    if raw is None:
        raise QueryProblem("bad_filter", f"Bộ lọc «{text}» thiếu giá trị.", f"The filter «{text}» has no value.",
                           text)
    value: str | tuple[str, ...] = raw
    if operator in ("in", "!in"):
        inner = raw[1:-1] if raw.startswith("[") and raw.endswith("]") else raw
        value = tuple(v for v in inner.split(",") if v != "")
        if not value:
            raise QueryProblem("bad_filter", f"Giá trị «{raw}» không dùng được cho toán tử in.",
                               f"Invalid argument `{raw}` for in operator.", text)
    return Filter(tuple(path.split(".")), operator, value, text)


def parse_order(text: str) -> list[tuple[str, str]]:
    """`order=name:asc,level:desc` as (property, direction) pairs; the direction is asc, desc, iasc or idesc."""
    orders = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, _, direction = part.partition(":")
        direction = (direction or "asc").lower()
        if direction not in ("asc", "desc", "iasc", "idesc"):
            raise QueryProblem("bad_order", f"Chiều sắp xếp «{direction}» không hợp lệ (asc, desc, iasc, idesc).",
                               f"Unknown order direction «{direction}» (asc, desc, iasc, idesc).", text)
        orders.append((name, direction))
    return orders


# -- paging ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pager:
    """DHIS2's pager: the page asked (clamped to 1…pageCount as Pager.getPageInternal does), the rows it starts
    at, and its links. The rows are those of the page *asked*: past the last page the list is empty, as in DHIS2."""

    page: int
    page_size: int
    total: int
    offset: int

    @classmethod
    def of(cls, page: int, page_size: int, total: int) -> Pager:
        page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        asked = max(page, 1)
        count = math.ceil(total / page_size)
        return cls(page=max(min(asked, count), 1), page_size=page_size, total=total,
                   offset=(asked - 1) * page_size)

    @property
    def page_count(self) -> int:
        return math.ceil(self.total / self.page_size)

    def as_dict(self, endpoint: str, parameters: str) -> dict[str, object]:
        """The pager as DHIS2 writes it, with nextPage/prevPage built as DefaultLinkService does."""
        size = "" if self.page_size == DEFAULT_PAGE_SIZE else f"&pageSize={self.page_size}"
        rest = f"&{parameters}" if parameters else ""
        body: dict[str, object] = {"page": self.page, "total": self.total, "pageSize": self.page_size,
                                   "pageCount": self.page_count}
        if self.page < self.page_count:
            body["nextPage"] = f"{endpoint}?page={self.page + 1}{size}{rest}"
        if self.page > 1:
            body["prevPage"] = (f"{endpoint}?page={self.page - 1}{size}{rest}" if self.page > 2
                                else endpoint + ("?" + (size + rest)[1:] if size or rest else ""))
        return body


def parse_int(text: str | None, default: int, name: str) -> int:
    """A whole-number query parameter (page, pageSize), refused when it is not one."""
    if text is None or text.strip() == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise QueryProblem("bad_parameter", f"Tham số {name} phải là số nguyên: «{text}».",
                           f"The parameter {name} must be a whole number: «{text}».", name) from None


# -- filters as database conditions and as Python tests -----------------------------------------------------

# The Django lookup of each text operator, and whether it is negated (DefaultJpaQueryParser's MatchMode:
# ANYWHERE → contains, START → startswith, END → endswith; the `i` forms ignore case).
_TEXT_LOOKUPS = {
    "eq": ("exact", False), "ieq": ("iexact", False), "ne": ("exact", True),
    "like": ("contains", False), "!like": ("contains", True), "ilike": ("icontains", False),
    "!ilike": ("icontains", True), "$like": ("startswith", False), "!$like": ("startswith", True),
    "like$": ("endswith", False), "!like$": ("endswith", True), "$ilike": ("istartswith", False),
    "!$ilike": ("istartswith", True), "ilike$": ("iendswith", False), "!ilike$": ("iendswith", True),
    "gt": ("gt", False), "ge": ("gte", False), "lt": ("lt", False), "le": ("lte", False),
    "in": ("in", False), "!in": ("in", True),
}
ORDERED_OPERATORS = frozenset({"gt", "ge", "lt", "le"})


def condition(lookup: str, operator: str, value: object, blank_is_null: bool = False) -> Q:
    """The filter as a Django condition on `lookup` (a field path such as `parent__code`), the value already
    read into the field's type. `blank_is_null`: a text field that stores "" for nothing (null matches it)."""
    if operator in ("null", "!null", "empty"):
        found = Q(**{f"{lookup}__isnull": True})
        if blank_is_null:
            found |= Q(**{lookup: ""})
        return ~found if operator == "!null" else found
    if operator in ("token", "!token"):
        # Every word of the value starts a word of the property (TokenOperator), case ignored.
        words = [w for w in str(value).split() if w]
        found = Q()
        for word in words:
            found &= Q(**{f"{lookup}__istartswith": word}) | Q(**{f"{lookup}__icontains": f" {word}"})
        return ~found if operator == "!token" else found
    django_lookup, negated = _TEXT_LOOKUPS[operator]
    found = Q(**{f"{lookup}__{django_lookup}": value})
    return ~found if negated else found


def holds(actual: object, operator: str, value: object) -> bool:
    """The same filter tested on a value in hand (the objects govkpi does not store: the default category
    objects and the unit levels)."""
    if operator in ("null", "empty"):
        return actual in (None, "", [])
    if operator == "!null":
        return actual not in (None, "", [])
    if actual is None:
        return operator in ("ne", "!like", "!ilike", "!$like", "!like$", "!$ilike", "!ilike$", "!in", "!token")
    if isinstance(actual, (int, float)) and not isinstance(actual, bool):
        text, given = actual, value
    else:
        text, given = str(actual), value
    folded, wanted = str(text).lower(), str(given).lower()
    tests = {
        "eq": lambda: text == given, "ieq": lambda: folded == wanted, "ne": lambda: text != given,
        "like": lambda: str(given) in str(text), "ilike": lambda: wanted in folded,
        "$like": lambda: str(text).startswith(str(given)), "like$": lambda: str(text).endswith(str(given)),
        "$ilike": lambda: folded.startswith(wanted), "ilike$": lambda: folded.endswith(wanted),
        "in": lambda: text in given,  # type: ignore[operator]
        "token": lambda: all(any(w.startswith(t) for w in folded.split()) for t in wanted.split()),
        "gt": lambda: text > given, "ge": lambda: text >= given,  # type: ignore[operator]
        "lt": lambda: text < given, "le": lambda: text <= given,  # type: ignore[operator]
    }
    if operator.startswith("!"):
        return not tests[operator[1:]]()
    return bool(tests[operator]())
