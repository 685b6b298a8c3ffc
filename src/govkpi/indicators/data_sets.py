"""Which data sets (themes) a data element belongs to, as DHIS2's clients read them.

A theme (KHCN, DMST, CDS, DA06) is where DHIS2 sees a data set: what a unit reports for it. The catalog names
themes on indicators; an indicator is computed from data elements (its formula, through other indicators too,
or the element of its own code when reported directly). A data element belongs to the themes given to it and
to the themes of every indicator computed from it — otherwise `dataSet=CDS` would name no value at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govkpi.core.formulas import FormulaError, parse_formula


def _references(indicator: Mapping[str, Any]) -> frozenset[str]:
    formula = (indicator.get("formula") or "").strip()
    if not formula:
        return frozenset({indicator["code"]})  # reported directly: the element of the same code
    try:
        return parse_formula(formula).references
    except FormulaError:
        return frozenset()  # the catalog's validation reports it; nothing to derive from here


def element_themes(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each data element's themes in a catalog document: its own and those of the indicators computed from it
    (followed through indicators that use other indicators), sorted."""
    elements = {item["code"]: set(item.get("themes") or []) for item in document.get("data_elements") or []}
    indicators = {item["code"]: item for item in document.get("indicators") or []}

    def inputs(code: str, seen: frozenset[str]) -> set[str]:
        found: set[str] = set()
        for reference in _references(indicators[code]):
            if reference in elements:
                found.add(reference)
            elif reference in indicators and reference not in seen:  # a cycle is the validation's to report
                found |= inputs(reference, seen | {reference})
        return found

    for code, indicator in indicators.items():
        for element in inputs(code, frozenset({code})):
            elements[element] |= set(indicator.get("themes") or [])
    return {code: sorted(themes) for code, themes in elements.items()}
