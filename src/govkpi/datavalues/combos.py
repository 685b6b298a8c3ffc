"""Which option combos a value may be given under: the writer's reading of the catalog's disaggregation.

A value's key holds a category option combo (COC) and an attribute option combo (AOC), each the code of a
CategoryOptionCombo, "" for DHIS2's default (sent as "", "default" or its UID HllvX50cXC0). A COC must be one of
the element's category combo; an AOC one of the attribute combo of one of the element's themes (DHIS2's data set
attribute combo). Either may be sent as the code, as ADX dimensions (`GIOI_TINH=NU;NHOM_TUOI=U5`: category
code = option code), or as option codes joined by ";" (DHIS2's `cp` parameter). Anything else is refused, so a
value is never written over another combination's: an element with a category combo refuses the default COC
(it would be a second, undisaggregated value beside the disaggregated ones, and the total would count both),
except to delete a value stored under it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from govkpi.indicators.models import (
    CategoryComboPlace,
    CategoryOptionCombo,
    CategoryOptionPlace,
    DataElement,
)

# DHIS2's default category option combo, by code and by the UID every DHIS2 instance gives it.
DEFAULT_COMBOS = frozenset({"", "default", "HllvX50cXC0"})
_LISTED = 12  # codes named in a refusal at most


@dataclass(frozen=True)
class Refusal:
    code: str
    message_vi: str
    message_en: str


class CatalogCombos:
    """The catalog's option combos, read once per batch and only when a batch needs them (one query when the
    catalog has none)."""

    def __init__(self) -> None:
        self.codes: dict[int, list[str]] = defaultdict(list)  # combo id → its COC codes, in order
        self.combo_of: dict[str, int] = {}  # COC code → combo id
        self.combo_code: dict[int, str] = {}
        self.by_options: dict[tuple[int, frozenset[str]], str] = {}
        self.by_dimensions: dict[tuple[int, frozenset[tuple[str, str]]], str] = {}
        self.attribute_combos: dict[int, set[int]] = defaultdict(set)  # element id → its themes' attribute combos
        rows = list(CategoryOptionCombo.objects.order_by("combo_id", "position")
                    .values_list("id", "code", "combo_id", "combo__code"))
        if not rows:
            return
        category_of: dict[tuple[int, str], str] = {}  # (combo id, option code) → category code
        options_of: dict[int, list[str]] = defaultdict(list)
        for category_id, option in CategoryOptionPlace.objects.values_list("category_id", "option__code"):
            options_of[category_id].append(option)
        for combo_id, category_id, category in CategoryComboPlace.objects.values_list(
                "combo_id", "category_id", "category__code"):
            for option in options_of[category_id]:
                category_of[(combo_id, option)] = category
        members: dict[int, list[str]] = defaultdict(list)
        for coc_id, option in CategoryOptionCombo.options.through.objects.values_list(
                "categoryoptioncombo_id", "categoryoption__code"):
            members[coc_id].append(option)
        for coc_id, code, combo_id, combo_code in rows:
            self.codes[combo_id].append(code)
            self.combo_of[code] = combo_id
            self.combo_code[combo_id] = combo_code
            options = members[coc_id]
            self.by_options[(combo_id, frozenset(options))] = code
            self.by_dimensions[(combo_id, frozenset((category_of.get((combo_id, o), ""), o) for o in options))] = code
        for element_id, combo_id in DataElement.themes.through.objects.filter(
                theme__attribute_combo__isnull=False).values_list("dataelement_id", "theme__attribute_combo_id"):
            self.attribute_combos[element_id].add(combo_id)

    def disaggregated(self, element: DataElement) -> bool:
        """True when the element may hold more than one value for a unit and period."""
        return element.category_combo_id is not None or bool(self.attribute_combos.get(element.id))

    def find(self, combo_id: int, text: str) -> str | None:
        """The code of the combo's option combo that `text` names (code, dimensions or options), or None."""
        from govkpi.datavalues.adx import dimensions_of  # adx imports the writer, which imports this module

        if self.combo_of.get(text) == combo_id:
            return text
        dimensions = dimensions_of(text)
        if dimensions is not None:
            return self.by_dimensions.get((combo_id, frozenset(dimensions.items())))
        return self.by_options.get((combo_id, frozenset(p.strip() for p in text.split(";") if p.strip())))

    def listed(self, combo_ids: list[int]) -> str:
        codes = [c for combo_id in combo_ids for c in self.codes.get(combo_id, [])]
        more = f", … ({len(codes)})" if len(codes) > _LISTED else ""
        return ", ".join(codes[:_LISTED]) + more


def option_combo_dimensions() -> dict[str, str]:
    """Every option combo's code → its ADX dimensions text (`GIOI_TINH=NU;NHOM_TUOI=U5`: adx.dimensions_text)."""
    from govkpi.datavalues.adx import dimensions_text

    combos = CatalogCombos()
    out: dict[str, str] = {}
    for (_combo_id, pairs), code in combos.by_dimensions.items():
        if all(category for category, _option in pairs):
            out[code] = dimensions_text(dict(pairs))
    return out


def category_option_combo(combos: CatalogCombos, element: DataElement, text: str, deleting: bool) -> str | Refusal:
    """The stored code of an item's COC ("" for the default), or why it is refused."""
    text = text.strip()
    combo_id = element.category_combo_id
    if text in DEFAULT_COMBOS:
        if combo_id is None or deleting:
            return ""
        name = combos.combo_code.get(combo_id, "")
        return Refusal("category_option_combo_required",
                       f"Chỉ tiêu {element.code} được phân tổ theo {name}: hãy ghi một trong {combos.listed([combo_id])} "
                       "(không nhận số liệu không phân tổ).",
                       f"{element.code} is disaggregated by {name}: give one of {combos.listed([combo_id])} "
                       "(an undisaggregated value is refused).")
    found = combos.find(combo_id, text) if combo_id is not None else None
    if found is not None:
        return found
    owner = combos.combo_code.get(combos.combo_of.get(text, -1))
    elsewhere_vi = f" (thuộc tổ hợp {owner})" if owner else ""
    elsewhere_en = f" (it belongs to {owner})" if owner else ""
    if combo_id is None:
        return Refusal("category_option_combo_unknown",
                       f"Chỉ tiêu {element.code} không phân tổ: chỉ nhận phân tổ default, không nhận «{text}»"
                       f"{elsewhere_vi}.",
                       f"{element.code} is not disaggregated: only the default combo is taken, not «{text}»"
                       f"{elsewhere_en}.")
    name = combos.combo_code[combo_id]
    return Refusal("category_option_combo_unknown",
                   f"«{text}» không phải phân tổ của chỉ tiêu {element.code}{elsewhere_vi}: theo {name}, ghi một "
                   f"trong {combos.listed([combo_id])}.",
                   f"«{text}» is not a disaggregation of {element.code}{elsewhere_en}: by {name}, give one of "
                   f"{combos.listed([combo_id])}.")


def attribute_option_combo(combos: CatalogCombos, element: DataElement, text: str) -> str | Refusal:
    """The stored code of an item's AOC ("" for the default), or why it is refused."""
    text = text.strip()
    if text in DEFAULT_COMBOS:
        return ""
    allowed = sorted(combos.attribute_combos.get(element.id, ()))
    for combo_id in allowed:
        found = combos.find(combo_id, text)
        if found is not None:
            return found
    if not allowed:
        return Refusal("attribute_option_combo_unknown",
                       f"Không có tổ hợp thuộc tính «{text}» cho chỉ tiêu {element.code}: các chủ đề của chỉ tiêu "
                       "không có tổ hợp thuộc tính, chỉ nhận default.",
                       f"No attribute option combo «{text}» for {element.code}: none of its themes has an attribute "
                       "combo; only the default is taken.")
    return Refusal("attribute_option_combo_unknown",
                   f"«{text}» không phải tổ hợp thuộc tính của các chủ đề của chỉ tiêu {element.code}: ghi một "
                   f"trong {combos.listed(allowed)} hoặc default.",
                   f"«{text}» is not an attribute option combo of {element.code}'s themes: give one of "
                   f"{combos.listed(allowed)} or default.")
