"""What each DHIS2 metadata resource govkpi answers is made of: its properties (how each is read, filtered and
ordered), DHIS2's default category objects, and one request's loaders, which read every related object of a page
in one query (api.dhis2_metadata renders and answers; api.dhis2_query reads the query language).

govkpi has no DHIS2 UIDs: an object's `id` and its `code` are both its govkpi code. DHIS2 counts levels from 1
(the Government is level 1, ministries and provinces 2, communes 3); govkpi's own `level` starts at 0.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Length, Substr
from django.http import HttpRequest

from govkpi.api.catalog import visible
from govkpi.indicators.models import CategoryCombo, DataElement, Theme
from govkpi.orgunits.models import Kind, OrgUnit, UnitCode

# DHIS2's default category objects, with the UIDs every DHIS2 instance gives them (dhis2-core 2.40.9
# DefaultCategoryService.generateDefaultDimension).
DEFAULT_COMBO, DEFAULT_COC, DEFAULT_CATEGORY, DEFAULT_OPTION = "bjDvmb4bfuf", "HllvX50cXC0", "GLevLNI9wkl", "xYerKDKCefk"
# govkpi's types as DHIS2's ValueType (core.values: counts and ranks are whole and never negative, a percentage
# lies within 0…100, amounts and ratios are any number).
VALUE_TYPES = {"count": "INTEGER_ZERO_OR_POSITIVE", "rank": "INTEGER_ZERO_OR_POSITIVE", "amount": "NUMBER",
               "ratio": "NUMBER", "percentage": "PERCENTAGE", "boolean": "BOOLEAN", "date": "DATE"}
PERIOD_TYPES = {"daily": "Daily", "weekly": "Weekly", "monthly": "Monthly", "quarterly": "Quarterly",
                "sixmonthly": "SixMonthly", "yearly": "Yearly"}
FREQUENCY_ORDER = list(PERIOD_TYPES)  # a tie between frequencies goes to the shorter period
DHIS2_PATH = "dhis2_path"
NONE = Q(pk__in=[])
EVERY = Q(pk__isnull=False)


def aggregation_type(units: str, periods: str) -> str:
    """DHIS2's AggregationType for govkpi's two aggregations (across units, across periods)."""
    if units == "none":
        return "NONE"
    if units in ("min", "max"):
        return units.upper()
    averaged = units in ("average", "weighted_average")  # DHIS2 has no weighted average: AVERAGE is nearest
    if periods == "last":
        return "LAST_AVERAGE_ORG_UNIT" if averaged else "LAST"
    if periods == "average":
        return "AVERAGE" if averaged else "AVERAGE_SUM_ORG_UNIT"
    if periods == "max":
        return "MAX" if averaged else "MAX_SUM_ORG_UNIT"
    return "AVERAGE" if averaged else "SUM"


def _date(day: datetime.date | None) -> str | None:
    return f"{day.isoformat()}T00:00:00.000" if day else None  # DHIS2 writes dates as local date-times


# -- what a resource is made of ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Prop:
    """A property: its kind (text, int, date, bool, enum, value, ref, refs), how to read it, and how to filter
    and order on it (`lookup`, a Django field path; None: not filterable)."""

    kind: str
    get: Callable[[Any, Context], Any]
    lookup: str | None = None
    target: str | None = None
    to_db: Callable[[str, Any], Any] | None = None
    choices: Callable[[Context], dict[str, Q]] | None = None  # enum: each DHIS2 value and the rows that have it
    blank_is_null: bool = False
    # A reference to an in-memory object that differs by row (a data element's category combo): each object it
    # can be and the rows that have it, so that a filter through it is a condition on the rows.
    variants: Callable[[Context], list[tuple[Any, Q]]] | None = None


@dataclass(frozen=True)
class Schema:
    name: str  # the collection, as in the path
    singular: str  # as DHIS2 names the class in its messages
    props: dict[str, Prop]
    default: tuple[str, ...] = ("id",)  # an object referred to without sub-fields (Preset.defaultAssociationPreset)


def _text(lookup: str, attribute: str | None = None) -> Prop:
    name = attribute or lookup
    return Prop("text", lambda o, c: getattr(o, name), lookup)


def _href(collection: str) -> Prop:
    return Prop("text", lambda o, c: f"{c.base}/api/{collection}/{o.code}")


def dhis2_path() -> Substr:
    """The DHIS2 path of a unit row, for the database to filter on: govkpi's path without its last slash."""
    return Substr("path", 1, Length("path") - 1)


def _level_to_db(operator: str, value: Any) -> Any:
    return tuple(v - 1 for v in value) if isinstance(value, tuple) else value - 1


def _units_schema() -> Schema:
    props = {
        "id": _text("code"), "code": _text("code"), "name": _text("name"), "displayName": _text("name"),
        "shortName": _text("short_name"), "displayShortName": _text("short_name"),
        "level": Prop("int", lambda u, c: u.level + 1, "level", to_db=_level_to_db),
        # DHIS2's path (/CP/01/00004) is govkpi's without its last slash: filtered on as an annotation (DHIS2_PATH)
        "path": Prop("text", lambda u, c: u.path.rstrip("/"), DHIS2_PATH),
        "parent": Prop("ref", lambda u, c: c.units.parent(u), "parent", target="organisationUnits"),
        "children": Prop("refs", lambda u, c: c.units.children(u), "children", target="organisationUnits"),
        "ancestors": Prop("refs", lambda u, c: c.units.ancestors(u), target="organisationUnits"),
        "leaf": Prop("bool", lambda u, c: not c.units.children(u)),
        "openingDate": Prop("date", lambda u, c: _date(u.valid_from), "valid_from"),
        "closedDate": Prop("date", lambda u, c: _date(u.valid_to), "valid_to"),
        "attributeValues": Prop("value", lambda u, c: c.units.attribute_values(u)),
        "geometry": Prop("value", lambda u, c: {"type": "Point", "coordinates": [u.longitude, u.latitude]}
                         if u.latitude is not None and u.longitude is not None else None),
        "href": _href("organisationUnits"),
    }
    return Schema("organisationUnits", "OrganisationUnit", props)


def _value_type_choices(ctx: Context) -> dict[str, Q]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for ours, theirs in VALUE_TYPES.items():
        grouped[theirs].append(ours)
    return {theirs: Q(value_type__in=ours) for theirs, ours in grouped.items()}


def _aggregation_choices(ctx: Context) -> dict[str, Q]:
    pairs: dict[str, Q] = defaultdict(lambda: NONE)
    for units, periods in DataElement.objects.values_list("aggregation_units", "aggregation_periods").distinct():
        pairs[aggregation_type(units, periods)] |= Q(aggregation_units=units, aggregation_periods=periods)
    return dict(pairs)


def _elements_schema() -> Schema:
    props = {
        "id": _text("code"), "code": _text("code"), "name": _text("name_vi"), "displayName": _text("name_vi"),
        "shortName": _text("name_vi"), "displayShortName": _text("name_vi"), "formName": _text("name_vi"),
        "description": Prop("text", lambda e, c: e.definition_vi or None, "definition_vi", blank_is_null=True),
        "valueType": Prop("enum", lambda e, c: VALUE_TYPES.get(e.value_type, "TEXT"), choices=_value_type_choices),
        "aggregationType": Prop("enum", lambda e, c: aggregation_type(e.aggregation_units, e.aggregation_periods),
                                choices=_aggregation_choices),
        "domainType": Prop("enum", lambda e, c: "AGGREGATE", choices=lambda c: {"AGGREGATE": EVERY}),
        "zeroIsSignificant": Prop("bool", lambda e, c: True),  # govkpi keeps every zero it is sent
        "categoryCombo": Prop("ref", lambda e, c: c.combo(e.category_combo_id), target="categoryCombos",
                              variants=lambda c: c.combo_variants("category_combo")),
        "dataSetElements": Prop("refs", lambda e, c: [{"dataSet": t, "dataElement": e} for t in c.themes_of(e)],
                                "themes", target="dataSetElements"),
        "dataSets": Prop("refs", lambda e, c: c.themes_of(e), "themes", target="dataSets"),
        "href": _href("dataElements"),
    }
    return Schema("dataElements", "DataElement", props)


def _period_type_choices(ctx: Context) -> dict[str, Q]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for theme in Theme.objects.all():
        grouped[ctx.period_type(theme)].append(theme.code)
    return {period_type: Q(code__in=codes) for period_type, codes in grouped.items()}


def _sets_schema() -> Schema:
    props = {
        "id": _text("code"), "code": _text("code"), "name": _text("name_vi"), "displayName": _text("name_vi"),
        "shortName": _text("code"), "displayShortName": _text("code"),
        "periodType": Prop("enum", lambda t, c: c.period_type(t), choices=_period_type_choices),
        "dataSetElements": Prop("refs", lambda t, c: [{"dataSet": t, "dataElement": e} for e in c.elements_of(t)],
                                target="dataSetElements"),
        "categoryCombo": Prop("ref", lambda t, c: c.combo(t.attribute_combo_id), target="categoryCombos",
                              variants=lambda c: c.combo_variants("attribute_combo")),
        "href": _href("dataSets"),
    }
    return Schema("dataSets", "DataSet", props)


def _set_elements_schema() -> Schema:
    # From a data element, dataSetElements.dataSet is the element's themes relation itself (lookup "").
    props = {"dataSet": Prop("ref", lambda d, c: d["dataSet"], "", target="dataSets"),
             "dataElement": Prop("ref", lambda d, c: d["dataElement"], target="dataElements")}
    return Schema("dataSetElements", "DataSetElement", props, default=("dataSet", "dataElement"))


# DHIS2's default category objects (generateDefaultDimension): references are written as UIDs and read below.
STATIC: dict[str, dict[str, Any]] = {
    DEFAULT_OPTION: {"id": DEFAULT_OPTION, "categories": [DEFAULT_CATEGORY], "categoryOptionCombos": [DEFAULT_COC]},
    DEFAULT_CATEGORY: {"id": DEFAULT_CATEGORY, "dataDimensionType": "DISAGGREGATION", "dataDimension": False,
                       "categoryOptions": [DEFAULT_OPTION], "categoryCombos": [DEFAULT_COMBO]},
    DEFAULT_COMBO: {"id": DEFAULT_COMBO, "dataDimensionType": "DISAGGREGATION", "isDefault": True,
                    "skipTotal": False, "categories": [DEFAULT_CATEGORY], "categoryOptionCombos": [DEFAULT_COC]},
    DEFAULT_COC: {"id": DEFAULT_COC, "ignoreApproval": False, "categoryCombo": DEFAULT_COMBO,
                  "categoryOptions": [DEFAULT_OPTION]},
}
for _uid, _object in STATIC.items():  # DHIS2 names each of them `default`
    STATIC[_uid] = {"id": _uid, "code": "default", "name": "default", "shortName": "default",
                    "displayName": "default", "displayShortName": "default", **_object}
STATIC_REFS = {"categories": "categories", "categoryOptionCombos": "categoryOptionCombos",
               "categoryOptions": "categoryOptions", "categoryCombos": "categoryCombos",
               "categoryCombo": "categoryCombos"}


def _key(name: str) -> Callable[[Any, Context], Any]:
    return lambda o, c: o.get(name)


def _static_refs(name: str) -> Callable[[Any, Context], Any]:
    return lambda o, c: [c.category_objects()[uid] for uid in o[name]]


def _static_ref(name: str) -> Callable[[Any, Context], Any]:
    return lambda o, c: c.category_objects()[o[name]]


def _static_schema(name: str, singular: str, sample: dict[str, Any]) -> Schema:
    props: dict[str, Prop] = {}
    for key, value in sample.items():
        if key in STATIC_REFS:
            many = isinstance(value, list)
            props[key] = Prop("refs" if many else "ref", _static_refs(key) if many else _static_ref(key),
                              target=STATIC_REFS[key])
        else:
            props[key] = Prop("value", _key(key))
    props["href"] = Prop("text", lambda o, c: f"{c.base}/api/{name}/{o['id']}")
    return Schema(name, singular, props)


def _level_objects(ctx: Context) -> list[dict[str, Any]]:
    """One level per depth of the tree (DHIS2 counts from 1: the Government is level 1), named by its kinds."""
    kinds: dict[int, set[str]] = defaultdict(set)
    for level, kind in OrgUnit.objects.values_list("level", "kind").distinct():
        kinds[level + 1].add(kind)
    labels = {k.value: str(k.label) for k in Kind}
    order = [k.value for k in Kind]
    levels = []
    for level in sorted(kinds):
        name = "; ".join(labels[k] for k in sorted(kinds[level], key=order.index))
        levels.append({"id": f"level{level}", "code": f"level{level}", "name": name, "displayName": name,
                       "level": level})
    return levels


SCHEMAS: dict[str, Schema] = {s.name: s for s in (_units_schema(), _elements_schema(), _sets_schema(),
                                                  _set_elements_schema())}
SCHEMAS.update({
    "categoryCombos": _static_schema("categoryCombos", "CategoryCombo", STATIC[DEFAULT_COMBO]),
    "categoryOptionCombos": _static_schema("categoryOptionCombos", "CategoryOptionCombo", STATIC[DEFAULT_COC]),
    "categories": _static_schema("categories", "Category", STATIC[DEFAULT_CATEGORY]),
    "categoryOptions": _static_schema("categoryOptions", "CategoryOption", STATIC[DEFAULT_OPTION]),
    "organisationUnitLevels": Schema("organisationUnitLevels", "OrganisationUnitLevel",
                                     {k: Prop("value", _key(k)) for k in ("id", "code", "name", "displayName", "level")}),
})
IN_MEMORY: dict[str, Callable[[Context], list[dict[str, Any]]]] = {
    "categoryCombos": lambda c: c.category_list("categoryCombos"),
    "categoryOptionCombos": lambda c: c.category_list("categoryOptionCombos"),
    "categories": lambda c: c.category_list("categories"),
    "categoryOptions": lambda c: c.category_list("categoryOptions"),
    "organisationUnitLevels": _level_objects,
}


# -- what one request has read: every related object is loaded once for the whole page ---------------------

ThemeLink = DataElement.themes.through


class UnitGraph:
    """Units read for one answer, with their ancestors, children and official codes each loaded in one query
    for every unit of the same batch (the page's units, then the children loaded for them…)."""

    def __init__(self) -> None:
        self.by_code: dict[str, OrgUnit] = {}
        self.batch: dict[int, OrgUnit] = {}  # the units whose children or codes are loaded together
        self._children: dict[int, list[OrgUnit]] = {}
        self._codes: dict[int, list[UnitCode]] = {}

    def add(self, units: Iterable[OrgUnit]) -> None:
        for unit in units:
            self.by_code.setdefault(unit.code, unit)
            self.batch[unit.pk] = unit

    def ancestors(self, unit: OrgUnit) -> list[OrgUnit]:
        codes = unit.ancestor_codes()
        if any(c not in self.by_code for c in codes):
            wanted = {c for u in [*self.by_code.values(), unit] for c in u.ancestor_codes()} - set(self.by_code)
            for found in OrgUnit.objects.filter(code__in=wanted):
                self.by_code[found.code] = found
        return [self.by_code[c] for c in codes if c in self.by_code]

    def parent(self, unit: OrgUnit) -> OrgUnit | None:
        ancestors = self.ancestors(unit) if unit.parent_id else []
        return ancestors[-1] if ancestors else None

    def _pending(self, unit: OrgUnit, loaded: dict[int, Any]) -> list[int]:
        group = self.batch if unit.pk in self.batch else {u.pk: u for u in self.by_code.values()}
        return [pk for pk in group if pk not in loaded] or [unit.pk]

    def children(self, unit: OrgUnit) -> list[OrgUnit]:
        if unit.pk not in self._children:
            pending = self._pending(unit, self._children)
            found: dict[int, list[OrgUnit]] = defaultdict(list)
            for child in OrgUnit.objects.filter(parent_id__in=pending).order_by("code"):
                found[child.parent_id].append(child)
            for pk in pending:
                self._children[pk] = found.get(pk, [])
            self.add(child for children in found.values() for child in children)
        return self._children[unit.pk]

    def attribute_values(self, unit: OrgUnit) -> list[dict[str, Any]]:
        """The unit's other codes (the statistics office's code of an old province) as DHIS2 attribute values."""
        if unit.pk not in self._codes:
            pending = self._pending(unit, self._codes)
            found: dict[int, list[UnitCode]] = defaultdict(list)
            for code in UnitCode.objects.filter(unit_id__in=pending).order_by("scheme", "valid_from", "code"):
                found[code.unit_id].append(code)
            for pk in pending:
                self._codes[pk] = found.get(pk, [])
        return [{"attribute": {"id": c.scheme, "code": c.scheme, "name": str(c.get_scheme_display())},
                 "value": c.code} for c in self._codes[unit.pk]]


class Context:
    """One request's reader, its base address and what it has loaded."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.base = request.build_absolute_uri("/").rstrip("/")
        self.units = UnitGraph()
        self.elements: dict[int, DataElement] = {}
        self.themes: dict[int, Theme] = {}
        self._themes_of: dict[int, list[Theme]] = {}
        self._elements_of: dict[int, list[DataElement]] = {}
        self._period_types: dict[int, str] | None = None
        self._categories: dict[str, list[dict[str, Any]]] | None = None
        self._category_objects: dict[str, dict[str, Any]] | None = None
        self._combo_codes: dict[int, str] | None = None

    def category_list(self, resource: str) -> list[dict[str, Any]]:
        """DHIS2's default category object of the resource, then the catalog's (read once per request)."""
        if self._categories is None:
            from govkpi.api.dhis2_categories import catalog_category_objects  # it reads STATIC from here

            self._categories = catalog_category_objects()
        return self._categories[resource]

    def category_objects(self) -> dict[str, dict[str, Any]]:
        """Every category object by id, DHIS2's default ones and the catalog's."""
        if self._category_objects is None:
            self._category_objects = dict(STATIC)
            for resource in ("categoryOptions", "categories", "categoryCombos", "categoryOptionCombos"):
                self._category_objects.update((o["id"], o) for o in self.category_list(resource))
        return self._category_objects

    def combo(self, combo_id: int | None) -> dict[str, Any]:
        """A data element's category combo or a theme's attribute combo; DHIS2's default one for none."""
        if combo_id is None:
            return STATIC[DEFAULT_COMBO]
        if self._combo_codes is None:
            self._combo_codes = dict(CategoryCombo.objects.values_list("id", "code"))
        return self.category_objects()[self._combo_codes[combo_id]]

    def combo_variants(self, field: str) -> list[tuple[Any, Q]]:
        """Each combo a row's `field` can hold, with the rows that hold it (null: the default)."""
        found = [(STATIC[DEFAULT_COMBO], Q(**{f"{field}__isnull": True}))]
        for combo_id, code in CategoryCombo.objects.values_list("id", "code"):
            found.append((self.category_objects()[code], Q(**{f"{field}_id": combo_id})))
        return found

    def add(self, schema: Schema, objects: list[Any]) -> None:
        if schema.name == "organisationUnits":
            self.units.add(objects)
        elif schema.name == "dataElements":
            self.elements.update((e.pk, e) for e in objects)
        elif schema.name == "dataSets":
            self.themes.update((t.pk, t) for t in objects)

    def visible_elements(self) -> QuerySet[DataElement]:
        return visible(DataElement.objects.all(), self.request)  # the catalog API's rule, not a copy of it

    def themes_of(self, element: DataElement) -> list[Theme]:
        if element.pk not in self._themes_of:
            pending = [pk for pk in self.elements if pk not in self._themes_of] or [element.pk]
            found: dict[int, list[Theme]] = defaultdict(list)
            for link in ThemeLink.objects.filter(dataelement_id__in=pending).select_related("theme").order_by(
                    "theme__code"):
                found[link.dataelement_id].append(link.theme)
            for pk in pending:
                self._themes_of[pk] = found.get(pk, [])
            self.themes.update((t.pk, t) for themes in found.values() for t in themes)
        return self._themes_of[element.pk]

    def elements_of(self, theme: Theme) -> list[DataElement]:
        if theme.pk not in self._elements_of:
            pending = [pk for pk in self.themes if pk not in self._elements_of] or [theme.pk]
            found: dict[int, list[DataElement]] = defaultdict(list)
            links = (ThemeLink.objects.filter(theme_id__in=pending, dataelement__in=self.visible_elements())
                     .select_related("dataelement").order_by("dataelement__code"))
            for link in links:
                found[link.theme_id].append(link.dataelement)
            for pk in pending:
                self._elements_of[pk] = found.get(pk, [])
            self.elements.update((e.pk, e) for elements in found.values() for e in elements)
        return self._elements_of[theme.pk]

    def period_type(self, theme: Theme) -> str:
        """The period type most of the theme's (visible) elements are reported in; a tie goes to the shorter
        period; Monthly for a theme with none (govkpi's default frequency)."""
        if self._period_types is None:
            counts: dict[int, Counter[str]] = defaultdict(Counter)
            rows = ThemeLink.objects.filter(dataelement__in=self.visible_elements()).values_list(
                "theme_id", "dataelement__frequency")
            for theme_id, frequency in rows:
                counts[theme_id][frequency] += 1
            self._period_types = {
                theme_id: PERIOD_TYPES[min(c, key=lambda f: (-c[f], FREQUENCY_ORDER.index(f)))]
                for theme_id, c in counts.items()}
        return self._period_types.get(theme.pk, "Monthly")


