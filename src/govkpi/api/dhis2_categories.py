"""The catalog's disaggregation as DHIS2's category metadata (api.dhis2_schemas serves it): categories, category
options, category combos and category option combos, each resource's list beginning with DHIS2's default object.
govkpi has no UIDs: an object's id is its catalog code, the code a value is stored under (datavalues.combos)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from govkpi.api.dhis2_schemas import DEFAULT_CATEGORY, DEFAULT_COC, DEFAULT_COMBO, DEFAULT_OPTION, STATIC
from govkpi.indicators.models import Category, CategoryCombo, ComboKind


def _named(code: str, name_vi: str, **rest: Any) -> dict[str, Any]:
    return {"id": code, "code": code, "name": name_vi, "shortName": name_vi, "displayName": name_vi,
            "displayShortName": name_vi, **rest}


def catalog_category_objects() -> dict[str, list[dict[str, Any]]]:
    """The catalog's categories, options, combos and option combos in DHIS2's shapes (ids are codes), by
    resource, each after DHIS2's default one; references are ids, as in STATIC."""
    combos = list(CategoryCombo.objects.prefetch_related("category_places__category", "option_combos__options"))
    categories = list(Category.objects.prefetch_related("option_places__option"))
    option_categories: dict[str, list[str]] = defaultdict(list)
    option_cocs: dict[str, list[str]] = defaultdict(list)
    category_combos: dict[str, list[str]] = defaultdict(list)
    attribute_categories: set[str] = set()
    out: dict[str, list[dict[str, Any]]] = {"categoryCombos": [STATIC[DEFAULT_COMBO]],
                                            "categoryOptionCombos": [STATIC[DEFAULT_COC]],
                                            "categories": [STATIC[DEFAULT_CATEGORY]],
                                            "categoryOptions": [STATIC[DEFAULT_OPTION]]}
    for combo in combos:
        kind = "ATTRIBUTE" if combo.kind == ComboKind.ATTRIBUTE else "DISAGGREGATION"
        places = sorted(combo.category_places.all(), key=lambda p: p.position)
        cocs = sorted(combo.option_combos.all(), key=lambda c: c.position)
        for place in places:
            category_combos[place.category.code].append(combo.code)
            if kind == "ATTRIBUTE":
                attribute_categories.add(place.category.code)
        out["categoryCombos"].append(_named(combo.code, combo.name_vi, dataDimensionType=kind, isDefault=False,
                                            skipTotal=False, categories=[p.category.code for p in places],
                                            categoryOptionCombos=[c.code for c in cocs]))
        for coc in cocs:
            options = sorted(o.code for o in coc.options.all())
            for option in options:
                option_cocs[option].append(coc.code)
            out["categoryOptionCombos"].append(_named(coc.code, coc.name_vi, ignoreApproval=False,
                                                      categoryCombo=combo.code, categoryOptions=options))
    options: dict[str, Any] = {}
    for category in categories:
        places = sorted(category.option_places.all(), key=lambda p: p.position)
        for place in places:
            option_categories[place.option.code].append(category.code)
            options.setdefault(place.option.code, place.option)
        out["categories"].append(_named(
            category.code, category.name_vi,
            dataDimensionType="ATTRIBUTE" if category.code in attribute_categories else "DISAGGREGATION",
            dataDimension=True, categoryOptions=[p.option.code for p in places],
            categoryCombos=category_combos.get(category.code, [])))
    for code in sorted(options):
        out["categoryOptions"].append(_named(code, options[code].name_vi, categories=option_categories[code],
                                             categoryOptionCombos=option_cocs.get(code, [])))
    return out
