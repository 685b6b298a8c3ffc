"""DHIS2's metadata endpoints, read-only: `/api/organisationUnits`, `/api/dataElements`, `/api/dataSets` (one per
theme), `/api/organisationUnitLevels` and DHIS2's `default` category objects (`categoryCombos`,
`categoryOptionCombos`, `categories`, `categoryOptions`, followed by the catalog's own disaggregation:
indicators.categories), each as a list (`{"pager": …, "<resource>": […]}`, or
every object with `paging=false`) or as one object (`/api/<resource>/<id>`), unversioned or `/api/40/…`.

govkpi has no DHIS2 UIDs: an object's `id` and its `code` are both its govkpi code (CP, 01, DVC_TONG, CDS), the
identifiers the data endpoints read (a category option combo's code is what a value is stored under). Only the
default category objects carry DHIS2's own UIDs. `fields`,
`filter`, `rootJunction`, `order`, `page`, `pageSize` and `paging` are read as DHIS2 reads them (api.dhis2_query);
docs/datacollection.md lists the differences.

Who sees what is the catalog API's rule (api.catalog.visible): the public and tokens that may not read see
published data elements only; every unit is public, historical ones included (DHIS2 keeps closed units too).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from govkpi.accounts.models import Membership
from govkpi.api.dhis2_query import (
    DEFAULT_PAGE_SIZE,
    PRESETS,
    Field,
    Filter,
    Pager,
    QueryProblem,
    condition,
    holds,
    parse_fields,
    parse_filter,
    parse_int,
    parse_order,
)
from govkpi.api.dhis2_schemas import DHIS2_PATH, EVERY, IN_MEMORY, NONE, SCHEMAS, Context, Schema, dhis2_path
from govkpi.api.dhis2_web import Unauthorized, _json, _unauthorized, authenticate
from govkpi.indicators.models import Theme
from govkpi.orgunits.models import OrgUnit

# -- rendering: DHIS2's field filter ---------------------------------------------------------------------


def _selection(schema: Schema, fields: list[Field] | None) -> list[tuple[str, list[Field] | None, list[Any]]]:
    """The properties asked, in order: presets expanded, exclusions removed, unknown names left out (as DHIS2
    leaves them out); one property may be asked twice under two names (`children[id],children~size~rename(n)`)."""
    if fields is None:
        return [(name, None, []) for name in schema.default]
    chosen: dict[str, tuple[str, list[Field] | None, list[Any]]] = {}  # by the key it is written under
    excluded: set[str] = set()
    for item in fields:
        if item.preset:
            names = PRESETS.get(item.name, ())
            for name in (schema.props if names is None else names):
                if name in schema.props:
                    excluded.add(name) if item.exclude else chosen.setdefault(name, (name, None, []))
        elif item.exclude:
            excluded.add(item.name)
        elif item.name in schema.props:
            key = next((args[0] for t, args in item.transformers if t == "rename" and args), item.name)
            chosen[key] = (item.name, item.children, item.transformers)
    return [entry for entry in chosen.values() if entry[0] not in excluded]


def render(obj: Any, schema: Schema, fields: list[Field] | None, ctx: Context) -> dict[str, Any]:
    """The object with the fields asked, references as the sub-fields asked of them (`{id}` by default);
    empty properties are left out, as DHIS2's JSON leaves out nulls."""
    out: dict[str, Any] = {}
    for name, sub, transformers in _selection(schema, fields):
        prop = schema.props[name]
        value = prop.get(obj, ctx)
        if prop.target and value is not None:
            target = SCHEMAS[prop.target]
            value = ([render(v, target, sub, ctx) for v in value] if prop.kind == "refs"
                     else render(value, target, sub, ctx))
        elif sub is not None and value is not None:
            value = _pick(value, sub)
        key = name
        for transformer, arguments in transformers:
            if transformer == "rename" and arguments:
                key = arguments[0]
            elif transformer == "size":
                value = len(value) if value is not None else 0
            elif transformer in ("isEmpty", "isNotEmpty"):
                value = (not value) == (transformer == "isEmpty")
        if value is not None:
            out[key] = value
    return out


def _pick(value: Any, fields: list[Field]) -> Any:
    """Sub-fields of a plain value (attributeValues[value], geometry[type]); a preset keeps it whole."""
    if isinstance(value, list):
        return [_pick(v, fields) for v in value]
    if not isinstance(value, dict) or any(f.preset for f in fields):
        return value
    return {f.name: (_pick(value[f.name], f.children) if f.children else value[f.name])
            for f in fields if not f.exclude and f.name in value}


# -- filters and order -----------------------------------------------------------------------------------

# What DHIS2 answers a query it cannot read with: 409 (CrudControllerAdvice.queryExceptionHandler, for
# QueryParserException); a malformed fields expression or paging parameter is govkpi's own 400.
CONFLICT_CODES = frozenset({"bad_filter", "bad_operator", "unknown_property", "not_filterable", "bad_value",
                            "bad_order"})
_NOT_TEXT_OPERATORS = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "in", "!in", "null", "!null"})


def _unknown(path: str, text: str) -> QueryProblem:
    return QueryProblem("unknown_property", f"Không có thuộc tính «{path}» để lọc.",
                        f"Unknown path property: {path}", text)


def _not_filterable(path: str, text: str) -> QueryProblem:
    return QueryProblem("not_filterable", f"Không lọc được theo thuộc tính «{path}».",
                        f"The property «{path}» cannot be filtered on here.", text)


def _typed(kind: str, value: Any, text: str) -> Any:
    """The filter's value read as the property's type (QueryUtils.parseValue): whole numbers, dates, booleans."""
    if isinstance(value, tuple):
        return tuple(_typed(kind, v, text) for v in value)
    if value is None or kind == "text":
        return value
    try:
        if kind == "int":
            return int(value)
        if kind == "date":
            return datetime.date.fromisoformat(value.strip()[:10])
        if kind == "bool":
            return {"true": True, "false": False}[value.strip().lower()]
    except (ValueError, KeyError):
        pass
    raise QueryProblem("bad_value", f"Không đọc được «{value}» theo kiểu {kind}.",
                       f"Unable to parse `{value}` as `{kind}`.", text)


def filter_condition(schema: Schema, item: Filter, ctx: Context) -> Q:
    """One filter as a condition on the schema's rows, following references (`parent.id`, `children.level`,
    `dataSetElements.dataSet.id`); a path that ends on a reference means its id."""
    prefix, current, path = "", schema, ".".join(item.path)
    steps = list(item.path)
    while steps:
        step = steps.pop(0)
        prop = current.props.get(step)
        if prop is None:
            raise _unknown(path, item.text)
        if prop.kind in ("ref", "refs"):
            if prop.target in IN_MEMORY and prop.variants is not None:  # a category combo that differs by row
                matched = NONE
                for obj, rows in prop.variants(ctx):
                    if _any_holds(_static_values(obj, SCHEMAS[prop.target], steps or ["id"], item, ctx), item):
                        matched |= rows
                return matched
            if prop.target in IN_MEMORY:  # a default category object: the same for every row
                found = _static_values(prop.get(None, ctx), SCHEMAS[prop.target], steps or ["id"], item, ctx)
                return EVERY if _any_holds(found, item) else NONE
            if prop.lookup is None:
                raise _not_filterable(path, item.text)
            prefix += f"{prop.lookup}__" if prop.lookup else ""
            current = SCHEMAS[prop.target]
            steps = steps or ["id"]
            continue
        if steps:
            raise _unknown(path, item.text)
        if prop.kind == "enum" and not prefix and prop.choices:
            chosen = [q for value, q in prop.choices(ctx).items() if holds(value, item.operator, item.value)]
            return _any(chosen) if item.operator not in ("null", "!null") else (NONE if item.operator == "null"
                                                                                    else EVERY)
        if prop.lookup is None or (prefix and prop.lookup == DHIS2_PATH):  # the annotation is on the rows only
            raise _not_filterable(path, item.text)
        if prop.kind != "text" and item.operator not in _NOT_TEXT_OPERATORS:
            raise QueryProblem("bad_operator", f"Toán tử «{item.operator}» không dùng được cho «{path}».",
                               f"The operator `{item.operator}` does not apply to «{path}».", item.text)
        value = _typed(prop.kind, item.value, item.text)
        if prop.to_db and value is not None:
            value = prop.to_db(item.operator, value)
        return condition(prefix + prop.lookup, item.operator, value, prop.blank_is_null)
    raise _unknown(path, item.text)


def _any(conditions: list[Q]) -> Q:
    found = NONE
    for q in conditions:
        found |= q
    return found


def _static_values(obj: Any, schema: Schema, steps: list[str], item: Filter, ctx: Context) -> list[Any]:
    """The values at a path of an object in hand (a list: a path through a collection gives each of its items')."""
    objects = obj if isinstance(obj, list) else [obj]
    step, rest = steps[0], steps[1:]
    prop = schema.props.get(step)
    if prop is None:
        raise _unknown(".".join(item.path), item.text)
    values: list[Any] = []
    for each in objects:
        value = prop.get(each, ctx)
        if prop.target:
            values += _static_values(value, SCHEMAS[prop.target], rest or ["id"], item, ctx)
        elif rest:
            raise _unknown(".".join(item.path), item.text)
        else:
            values.append(value)
    return values


def _any_holds(values: list[Any], item: Filter) -> bool:
    negated = item.operator.startswith("!") or item.operator == "ne"
    tests = []
    for actual in values:
        wanted: Any = item.value
        if isinstance(actual, bool):
            wanted = _typed("bool", wanted, item.text)
        elif isinstance(actual, int):
            wanted = _typed("int", wanted, item.text)
        tests.append(holds(actual, item.operator, wanted))
    return (all(tests) if negated else any(tests)) if tests else holds(None, item.operator, item.value)


def order_by(schema: Schema, text: str) -> list[Any]:
    """`order=name:asc,level:desc` as Django orderings (`iasc`/`idesc` ignore case); a property that cannot be
    ordered on is passed over, as DHIS2 passes over one that is not in the schema (OrderParams)."""
    orders: list[Any] = []
    for name, direction in parse_order(text):
        prop = schema.props.get(name)
        if prop is None or not prop.lookup or prop.kind in ("ref", "refs", "enum", "value"):
            continue
        expression: Any = Lower(prop.lookup) if direction.startswith("i") else F(prop.lookup)
        orders.append(expression.desc() if direction.endswith("desc") else expression.asc())
    return orders


# -- the answer ------------------------------------------------------------------------------------------


def _rows(resource: str, ctx: Context) -> QuerySet[Any]:
    """Every row of a stored resource the caller may see, before the query's own filters."""
    request = ctx.request
    if resource == "organisationUnits":
        rows: QuerySet[Any] = OrgUnit.objects.annotate(**{DHIS2_PATH: dhis2_path()})
        if "level" in request.GET:
            rows = rows.filter(level=parse_int(request.GET["level"], 1, "level") - 1)
        if request.GET.get("userOnly", "").lower() == "true":
            rows = rows.filter(pk__in=Membership.objects.filter(user_id=request.user.pk).values("unit_id"))
        return rows
    if resource == "dataElements":
        return ctx.visible_elements()
    return Theme.objects.all()


def _filters(request: HttpRequest) -> list[Filter]:
    return [parse_filter(text) for text in request.GET.getlist("filter") if text.strip()]


def _list(request: HttpRequest, resource: str, ctx: Context, fields: list[Field]) -> dict[str, Any]:
    schema = SCHEMAS[resource]
    filters = _filters(request)
    junction = request.GET.get("rootJunction", "AND").upper()
    paging = request.GET.get("paging", "true").lower() != "false"
    page = parse_int(request.GET.get("page"), 1, "page")
    size = parse_int(request.GET.get("pageSize"), DEFAULT_PAGE_SIZE, "pageSize")
    if resource in IN_MEMORY:
        objects = [o for o in IN_MEMORY[resource](ctx)
                   if _junction([_any_holds(_static_values(o, schema, list(f.path), f, ctx), f) for f in filters],
                                junction)]
        total = len(objects)
        pager = Pager.of(page, size, total)
        chosen = objects[pager.offset:pager.offset + pager.page_size] if paging else objects
    else:
        rows = _rows(resource, ctx)
        conditions = [filter_condition(schema, f, ctx) for f in filters]
        if conditions:
            combined = conditions[0]
            for q in conditions[1:]:
                combined = combined | q if junction == "OR" else combined & q
            # a condition through a collection (children, themes) matches a row once per item: keep it once
            rows = rows.filter(pk__in=rows.filter(combined).values("pk"))
        default = [Lower(schema.props["name"].lookup or "code").asc(), F("code").asc()]
        rows = rows.order_by(*(order_by(schema, request.GET.get("order", "")) or default))
        if paging:
            pager = Pager.of(page, size, rows.count())
            chosen = list(rows[pager.offset:pager.offset + pager.page_size])
        else:
            chosen = list(rows)
    ctx.add(schema, chosen)
    body: dict[str, Any] = {}
    if paging:
        endpoint = f"{ctx.base}{request.path.rstrip('/')}"
        query = request.GET.copy()
        for name in ("page", "pageSize"):
            query.pop(name, None)
        body["pager"] = pager.as_dict(endpoint, query.urlencode(safe="[]:,*!$^"))
    body[resource] = [render(o, schema, fields, ctx) for o in chosen]
    return body


def _junction(results: list[bool], junction: str) -> bool:
    if not results:
        return True
    return any(results) if junction == "OR" else all(results)


def _one(request: HttpRequest, resource: str, uid: str, ctx: Context, fields: list[Field]) -> Any:
    schema = SCHEMAS[resource]
    if resource in IN_MEMORY:
        found = next((o for o in IN_MEMORY[resource](ctx) if uid in (o["id"], o.get("code"))), None)
    else:
        found = _rows(resource, ctx).filter(code=uid).first()
    if found is None:
        return None
    ctx.add(schema, [found])
    return render(found, schema, fields, ctx)


def web_message(status: int, code: str, message_vi: str, message_en: str, **extra: Any) -> HttpResponse:
    """A refusal in DHIS2's WebMessage shape, with govkpi's code and both languages."""
    titles = {400: "Bad Request", 404: "Not Found", 409: "Conflict"}
    return _json(status, {"httpStatus": titles[status], "httpStatusCode": status, "status": "ERROR",
                          "message": f"{message_vi} / {message_en}", "code": code, **extra})


def metadata(request: HttpRequest, resource: str, version: str | None = None, uid: str | None = None,
             suffix: str | None = None) -> HttpResponse:
    """`GET /api/<resource>` (a page of objects) or `/api/<resource>/<id>` (one, every field by default, as
    AbstractFullReadOnlyController.getObject gives)."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        request.user = authenticate(request, required=False)
    except Unauthorized as error:
        return _unauthorized(str(error))
    ctx = Context(request)
    written = ",".join(f for f in request.GET.getlist("fields") if f.strip())
    try:
        fields = parse_fields(written or (":all" if uid else None))
        body = _one(request, resource, uid, ctx, fields) if uid else _list(request, resource, ctx, fields)
    except QueryProblem as problem:
        return web_message(409 if problem.code in CONFLICT_CODES else 400, problem.code, problem.message_vi,
                           problem.message_en)
    if body is None:
        singular = SCHEMAS[resource].singular
        return web_message(404, "not_found", f"Không có {singular} mã «{uid}».",
                           f"{singular} with id {uid} could not be found.", errorCode="E1005")
    response = _json(200, body)
    response["Cache-Control"] = "no-cache, private"  # AbstractFullReadOnlyController.cachePrivate
    return response
