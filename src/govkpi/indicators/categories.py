"""Disaggregation in the catalog: categories, category combos and their option combos (DHIS2's model).

A category (sex) has options (Nữ, Nam); a category combo crosses categories (sex × age group); its option
combos are the cartesian product of their options, generated when the catalog is applied, each stored values'
key (DataValue.category_option_combo, attribute_option_combo). A combo of kind `disaggregation` is given to a
data element of an additive type (count, amount); one of kind `attribute` to a theme (DHIS2's data set attribute
combo). The document's sections:

    categories:
      - {code: GIOI_TINH, name_vi: Giới tính, name_en: Sex,
         options: [{code: NU, name_vi: Nữ, name_en: Female}, {code: NAM, name_vi: Nam, name_en: Male}]}
    category_combos:
      - {code: THEO_GIOI_TINH, name_vi: Theo giới tính, kind: disaggregation, categories: [GIOI_TINH],
         option_combos: [{options: [NU], code: X1}]}   # optional: codes chosen, else <combo>_<option>_…
    themes:
      - {code: CDS, attribute_combo: NGUON_VON}

`check` adds every problem to the catalog's checker; `apply` writes a valid document's part (catalog.py calls
both). Refused as well: a change that would leave stored values under an option combo the catalog no longer
gives them (the writer could neither update nor delete them, and totals would include them silently).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from govkpi.indicators.models import (
    ADDITIVE_TYPES,
    Category,
    CategoryCombo,
    CategoryComboPlace,
    CategoryOption,
    CategoryOptionCombo,
    CategoryOptionPlace,
    ComboKind,
    DataElement,
    Theme,
)

if TYPE_CHECKING:  # catalog.py imports this module
    from govkpi.indicators.catalog import CatalogReport, _Checker

DEFAULT_NAMES = frozenset({"", "default", "HllvX50cXC0"})  # DHIS2's default combo: never a catalog code
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")  # no ";", "=" or "%": ADX dimensions stay readable
CODE_MAX = 64


@dataclass(frozen=True)
class OptionCombo:
    """One option combo as the catalog document makes it."""

    code: str
    options: tuple[str, ...]  # one option code per category, in the combo's category order
    name_vi: str
    name_en: str
    position: int


def generated_code(combo: str, options: tuple[str, ...]) -> str:
    """The code of an option combo the catalog gives none: the combo's code and the options', joined by _."""
    return "_".join((combo, *options))


class _Plan:
    """The categories and combos a document declares, completed by what the database holds."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.options: dict[str, tuple[str, str]] = {o.code: (o.name_vi, o.name_en)
                                                    for o in CategoryOption.objects.all()}
        self.categories: dict[str, list[str]] = {}
        for category in Category.objects.prefetch_related("option_places__option"):
            self.categories[category.code] = [p.option.code for p in
                                              sorted(category.option_places.all(), key=lambda p: p.position)]
        self.combos: dict[str, tuple[str, list[str]]] = {}
        for combo in CategoryCombo.objects.prefetch_related("category_places__category"):
            self.combos[combo.code] = (combo.kind, [p.category.code for p in
                                                    sorted(combo.category_places.all(), key=lambda p: p.position)])
        self.stored_cocs: dict[str, set[str]] = {}
        self.coc_owner: dict[str, str] = {}
        for code, combo in CategoryOptionCombo.objects.values_list("code", "combo__code"):
            self.stored_cocs.setdefault(combo, set()).add(code)
            self.coc_owner[code] = combo
        self.declared_combos: dict[str, dict[str, Any]] = {}
        for item in _items(document, "categories"):
            code = str(item.get("code") or "")
            self.categories[code] = [str(o.get("code") if isinstance(o, dict) else o)
                                     for o in item.get("options") or []]
            for option in item.get("options") or []:
                if isinstance(option, dict) and option.get("name_vi"):
                    self.options[str(option.get("code"))] = (str(option["name_vi"]), str(option.get("name_en") or ""))
        for item in _items(document, "category_combos"):
            code = str(item.get("code") or "")
            self.combos[code] = (item.get("kind", ComboKind.DISAGGREGATION), [str(c) for c in item.get("categories")
                                                                              or []])
            self.declared_combos[code] = item

    def option_combos(self, combo: str) -> list[OptionCombo]:
        """The option combos of a combo: the product of its categories' options, in order."""
        _kind, categories = self.combos[combo]
        chosen = {tuple(str(o) for o in (c.get("options") or [])): str(c.get("code") or "")
                  for c in (self.declared_combos.get(combo, {}).get("option_combos") or []) if isinstance(c, dict)}
        made = []
        product = itertools.product(*(self.categories.get(c, []) for c in categories))
        for position, options in enumerate(product):
            names = [self.options.get(o, (o, o)) for o in options]
            made.append(OptionCombo(chosen.get(options) or generated_code(combo, options), options,
                                    ", ".join(vi for vi, _en in names), ", ".join(en or vi for vi, en in names),
                                    position))
        return made


def _items(document: dict[str, Any], section: str) -> list[dict[str, Any]]:
    return [item for item in document.get(section) or [] if isinstance(item, dict)]


def _bad_code(c: _Checker, where: str, code: str) -> bool:
    if code in DEFAULT_NAMES or not _CODE.fullmatch(code):
        c.add(where, "invalid_combo_code", f"Mã «{code}» không hợp lệ: tối đa {CODE_MAX} chữ, số, «_», «.», «-», "
                                           "không phải «default».",
              f"The code «{code}» is not valid: at most {CODE_MAX} letters, digits, «_», «.», «-», and not "
              "«default».")
        return True
    return False


def check(c: _Checker, document: dict[str, Any], themes: set[str]) -> None:
    """Add every problem of the document's categories, combos, element combos and theme attribute combos."""
    plan = _Plan(document)
    c.unique_codes("categories")
    c.unique_codes("category_combos")
    _check_categories(c, document, plan)
    _check_combos(c, document, plan)
    _check_elements(c, document, plan)
    _check_themes(c, document, plan, themes)


def _check_categories(c: _Checker, document: dict[str, Any], plan: _Plan) -> None:
    names: dict[str, tuple[str, str, str]] = {}  # option code → names and where first declared
    for i, item in enumerate(_items(document, "categories")):
        where = f"categories[{i}]"
        _bad_code(c, f"{where}.code", str(item.get("code") or "x"))
        if not item.get("name_vi"):
            c.add(f"{where}.name_vi", "missing_name", "Thiếu tên tiếng Việt.", "The Vietnamese name is missing.")
        options = item.get("options") or []
        if not options:
            c.add(f"{where}.options", "category_without_options", "Phân loại phải có ít nhất một phương án.",
                  "A category needs at least one option.")
        seen: set[str] = set()
        for j, option in enumerate(options):
            there = f"{where}.options[{j}]"
            code = str(option.get("code") if isinstance(option, dict) else option or "")
            if _bad_code(c, f"{there}.code", code):
                continue
            if code in seen:
                c.add(f"{there}.code", "duplicate_code", f"Phương án «{code}» bị trùng.",
                      f"The option «{code}» appears twice.")
            seen.add(code)
            if not isinstance(option, dict) or not option.get("name_vi"):
                if code not in plan.options:
                    c.add(f"{there}.name_vi", "missing_name", f"Phương án «{code}» thiếu tên tiếng Việt.",
                          f"The option «{code}» has no Vietnamese name.")
                continue
            mine = (str(option["name_vi"]), str(option.get("name_en") or ""))
            if code in names and names[code][:2] != mine:
                c.add(f"{there}.name_vi", "option_names_differ",
                      f"Phương án «{code}» đã khai báo tên khác ở {names[code][2]}.",
                      f"The option «{code}» is declared with other names at {names[code][2]}.")
            names.setdefault(code, (*mine, there))


def _check_combos(c: _Checker, document: dict[str, Any], plan: _Plan) -> None:
    from govkpi.datavalues.models import DataValue

    produced: dict[str, list[str]] = {}  # option combo code → the declared combos that make it
    for item in _items(document, "category_combos"):
        code = str(item.get("code") or "")
        if code in plan.combos and all(name in plan.categories for name in plan.combos[code][1]):
            for made in plan.option_combos(code):
                produced.setdefault(made.code, []).append(code)
    for i, item in enumerate(_items(document, "category_combos")):
        where, code = f"category_combos[{i}]", str(item.get("code") or "")
        if _bad_code(c, f"{where}.code", code or "x"):
            continue
        c.choice(f"{where}.kind", item.get("kind", ComboKind.DISAGGREGATION), set(ComboKind.values))
        categories = [str(x) for x in item.get("categories") or []]
        if not categories:
            c.add(f"{where}.categories", "combo_without_categories", "Tổ hợp phân tổ phải có ít nhất một phân loại.",
                  "A category combo needs at least one category.")
        for name in categories:
            if name not in plan.categories:
                c.add(f"{where}.categories", "unknown_category", f"Không có phân loại «{name}».",
                      f"No category «{name}».")
        if len(set(categories)) != len(categories):
            c.add(f"{where}.categories", "duplicate_category", "Một phân loại chỉ được dùng một lần trong tổ hợp.",
                  "A category may appear only once in a combo.")
            continue
        if any(name not in plan.categories for name in categories):
            continue
        for j, chosen in enumerate(item.get("option_combos") or []):
            options = [str(o) for o in (chosen.get("options") or [])] if isinstance(chosen, dict) else []
            fits = len(options) == len(categories) and all(o in plan.categories[cat]
                                                           for o, cat in zip(options, categories))
            if not fits:
                c.add(f"{where}.option_combos[{j}].options", "option_combo_mismatch",
                      f"Cần đúng một phương án cho mỗi phân loại, theo thứ tự {', '.join(categories)}.",
                      f"Give exactly one option per category, in the order {', '.join(categories)}.")
            _bad_code(c, f"{where}.option_combos[{j}].code", str(chosen.get("code") or "")
                      if isinstance(chosen, dict) else "")
        made = plan.option_combos(code)
        for combo in made:
            if len(combo.code) > CODE_MAX:
                c.add(f"{where}.option_combos", "option_combo_code_too_long",
                      f"Mã tự sinh «{combo.code}» dài quá {CODE_MAX} ký tự: hãy đặt mã trong option_combos.",
                      f"The generated code «{combo.code}» is longer than {CODE_MAX}: give one in option_combos.")
            owners = produced.get(combo.code, [])
            stored_owner = plan.coc_owner.get(combo.code)
            other = next((o for o in owners if o != code), None) or (
                stored_owner if stored_owner not in (None, code) and stored_owner not in plan.declared_combos
                else None)
            if other is not None or owners.count(code) > 1:
                c.add(f"{where}.option_combos", "duplicate_code",
                      f"Mã tổ hợp phương án «{combo.code}» trùng (tổ hợp {other or code}).",
                      f"The option combo code «{combo.code}» is not unique (combo {other or code}).")
        dropped = plan.stored_cocs.get(code, set()) - {m.code for m in made}
        stored_kind = CategoryCombo.objects.filter(code=code).values_list("kind", flat=True).first()
        if dropped and DataValue.objects.filter(Q(category_option_combo__in=dropped)
                                                | Q(attribute_option_combo__in=dropped)).exists():
            c.add(where, "option_combo_in_use",
                  f"Đã có số liệu theo tổ hợp phương án {', '.join(sorted(dropped))} mà tổ hợp {code} mới không còn: "
                  "hãy xóa số liệu đó trước.",
                  f"Values are stored under {', '.join(sorted(dropped))}, which the new {code} no longer gives: "
                  "delete them first.")
        elif stored_kind and stored_kind != item.get("kind", ComboKind.DISAGGREGATION) and \
                (DataElement.objects.filter(category_combo__code=code).exists()
                 or Theme.objects.filter(attribute_combo__code=code).exists()):
            c.add(f"{where}.kind", "combo_kind_in_use", f"Tổ hợp {code} đang được dùng: không đổi loại được.",
                  f"The combo {code} is in use: its kind cannot change.")


def _check_elements(c: _Checker, document: dict[str, Any], plan: _Plan) -> None:
    from govkpi.datavalues.models import DataValue

    current = dict(DataElement.objects.values_list("code", "category_combo__code"))
    for i, item in enumerate(_items(document, "data_elements")):
        combo = item.get("category_combo")
        where, code = f"data_elements[{i}].category_combo", str(item.get("code") or "")
        if combo:
            if combo not in plan.combos:
                c.add(where, "unknown_category_combo", f"Không có tổ hợp phân tổ «{combo}».",
                      f"No category combo «{combo}».")
                continue
            if plan.combos[combo][0] != ComboKind.DISAGGREGATION:
                c.add(where, "not_a_disaggregation", f"«{combo}» là tổ hợp thuộc tính (của chủ đề), không phải "
                                                     f"tổ hợp phân tổ của chỉ tiêu {code}.",
                      f"«{combo}» is an attribute combo (a theme's), not a disaggregation of {code}.")
                continue
            if item.get("value_type") not in ADDITIVE_TYPES:
                c.add(where, "category_combo_not_additive",
                      f"Chỉ tiêu {code} có kiểu «{item.get('value_type')}»: chỉ số lượng (count) và giá trị "
                      "(amount) mới phân tổ được, vì giá trị của chỉ tiêu là tổng các phân tổ.",
                      f"{code} is of type «{item.get('value_type')}»: only counts and amounts can be "
                      "disaggregated, since the element's value is the sum of its disaggregations.")
                continue
        if code in current and (current[code] or None) != (combo or None):
            allowed = {m.code for m in plan.option_combos(combo)} if combo else {""}
            stored = (DataValue.objects.filter(data_element__code=code)
                      .exclude(category_option_combo__in=allowed).count())
            if stored:
                c.add(where, "category_combo_in_use",
                      f"Chỉ tiêu {code} đã có {stored} số liệu theo cách phân tổ cũ ({current[code] or 'default'}): "
                      "xóa chúng trước khi đổi phân tổ, để tổng không gộp hai cách phân tổ.",
                      f"{code} has {stored} values stored under its former disaggregation "
                      f"({current[code] or 'default'}): delete them before changing it, so that no total mixes two "
                      "disaggregations.")


def _check_themes(c: _Checker, document: dict[str, Any], plan: _Plan, themes: set[str]) -> None:
    from govkpi.datavalues.models import DataValue

    if "themes" not in document:
        return
    wanted = {str(t.get("code")): t.get("attribute_combo") or None for t in _items(document, "themes")}
    for i, item in enumerate(_items(document, "themes")):
        where = f"themes[{i}]"
        c.choice(f"{where}.code", item.get("code"), themes)
        combo = item.get("attribute_combo")
        if combo and combo not in plan.combos:
            c.add(f"{where}.attribute_combo", "unknown_category_combo", f"Không có tổ hợp «{combo}».",
                  f"No category combo «{combo}».")
        elif combo and plan.combos[combo][0] != ComboKind.ATTRIBUTE:
            c.add(f"{where}.attribute_combo", "not_an_attribute_combo",
                  f"«{combo}» là tổ hợp phân tổ chỉ tiêu, không phải tổ hợp thuộc tính của chủ đề.",
                  f"«{combo}» is a data elements' disaggregation, not a theme's attribute combo.")
    kept = set(wanted.values())
    for code, old in Theme.objects.exclude(attribute_combo=None).values_list("code", "attribute_combo__code"):
        if wanted.get(code) != old and old not in kept and DataValue.objects.filter(
                attribute_option_combo__in=plan.stored_cocs.get(old, set())).exists():
            c.add("themes", "attribute_combo_in_use",
                  f"Đã có số liệu theo tổ hợp thuộc tính {old} của chủ đề {code}: xóa chúng trước khi bỏ tổ hợp.",
                  f"Values are stored under {old}, the attribute combo of theme {code}: delete them before "
                  "removing it.")


def apply(document: dict[str, Any], report: CatalogReport) -> dict[str, CategoryCombo]:
    """Write the document's categories and combos (their option combos generated); return every combo by code."""
    from govkpi.indicators.catalog import _save

    plan = _Plan(document)
    options: dict[str, CategoryOption] = {o.code: o for o in CategoryOption.objects.all()}
    for item in _items(document, "categories"):
        for option in item.get("options") or []:
            if isinstance(option, dict) and option.get("name_vi"):
                options[str(option["code"])] = _save(CategoryOption, {"code": str(option["code"])}, {
                    "name_vi": str(option["name_vi"]), "name_en": str(option.get("name_en") or "")},
                    report, "category_options")
    categories = {c.code: c for c in Category.objects.all()}
    for item in _items(document, "categories"):
        category = categories[item["code"]] = _save(Category, {"code": item["code"]}, {
            "name_vi": item["name_vi"], "name_en": item.get("name_en") or ""}, report, "categories")
        _place(category, "option_places", CategoryOptionPlace, "option",
               [options[o] for o in plan.categories[item["code"]]], report)
    combos = {c.code: c for c in CategoryCombo.objects.all()}
    for item in _items(document, "category_combos"):
        combo = combos[item["code"]] = _save(CategoryCombo, {"code": item["code"]}, {
            "name_vi": item.get("name_vi") or item["code"], "name_en": item.get("name_en") or "",
            "kind": item.get("kind", ComboKind.DISAGGREGATION)}, report, "category_combos")
        _place(combo, "category_places", CategoryComboPlace, "category",
               [categories[c] for c in plan.combos[item["code"]][1]], report)
        _apply_option_combos(combo, plan.option_combos(combo.code), options, report)
    return combos


def _place(owner: Any, places: str, model: type, field: str, members: list[Any], report: CatalogReport) -> None:
    """Set an ordered membership (a category's options, a combo's categories), audited when it changes."""
    from govkpi.audit.trail import record

    before = [getattr(p, field).code for p in getattr(owner, places).select_related(field).order_by("position")]
    after = [m.code for m in members]
    if before == after:
        return
    getattr(owner, places).all().delete()
    owner_field = "category" if model is CategoryOptionPlace else "combo"
    model.objects.bulk_create([model(**{owner_field: owner, field: m, "position": i}) for i, m in enumerate(members)])
    record(f"catalog.{places}.update", actor=report.actor, object_type=type(owner).__name__, object_key=owner.code,
           before=before, after=after)


def _apply_option_combos(combo: CategoryCombo, made: list[OptionCombo], options: dict[str, CategoryOption],
                         report: CatalogReport) -> None:
    from govkpi.indicators.catalog import _save

    for m in made:
        coc = _save(CategoryOptionCombo, {"code": m.code}, {"name_vi": m.name_vi, "name_en": m.name_en,
                                                             "combo": combo, "position": m.position},
                    report, "category_option_combos")
        if sorted(coc.options.values_list("code", flat=True)) != sorted(m.options):
            coc.options.set([options[o] for o in m.options])
    gone = CategoryOptionCombo.objects.filter(combo=combo).exclude(code__in=[m.code for m in made])
    if gone.exists():  # the checks refused this while values are stored under them
        from govkpi.audit.trail import record

        record("catalog.category_option_combos.delete", actor=report.actor, object_type="CategoryOptionCombo",
               object_key=combo.code, before=sorted(gone.values_list("code", flat=True)))
        gone.delete()


def apply_themes(document: dict[str, Any], themes: dict[str, Theme], combos: dict[str, CategoryCombo],
                 report: CatalogReport) -> None:
    """A `themes:` section sets each theme's attribute combo (a theme it does not list gets none); a document
    without the section leaves them as they are."""
    from govkpi.indicators.catalog import _save

    if "themes" not in document:
        return
    wanted = {str(t["code"]): t.get("attribute_combo") or None for t in _items(document, "themes")}
    for code, theme in themes.items():
        combo = combos.get(wanted.get(code) or "")
        _save(Theme, {"code": code}, {"name_vi": theme.name_vi, "name_en": theme.name_en, "attribute_combo": combo},
              report, "themes")


def export(document: dict[str, Any]) -> None:
    """Add the catalog's categories, combos and theme attribute combos to an exported document (only the
    sections that have something, so a catalog without disaggregation exports as before)."""
    categories = [{"code": c.code, "name_vi": c.name_vi, "name_en": c.name_en,
                   "options": [{"code": o.code, "name_vi": o.name_vi, "name_en": o.name_en}
                               for o in c.ordered_options()]} for c in Category.objects.all()]
    combos = []
    for combo in CategoryCombo.objects.all():
        ordered = combo.ordered_categories()
        order = [c.code for c in ordered]
        category_of = {o.code: c.code for c in ordered for o in c.ordered_options()}
        chosen = []
        for coc in combo.option_combos.prefetch_related("options"):
            by_category = {category_of.get(o.code): o.code for o in coc.options.all()}
            options = tuple(by_category.get(c, "") for c in order)
            if coc.code != generated_code(combo.code, options):
                chosen.append({"options": list(options), "code": coc.code})
        combos.append({"code": combo.code, "name_vi": combo.name_vi, "name_en": combo.name_en, "kind": combo.kind,
                       "categories": order, **({"option_combos": chosen} if chosen else {})})
    themes = [{"code": t.code, "attribute_combo": t.attribute_combo.code}
              for t in Theme.objects.exclude(attribute_combo=None).select_related("attribute_combo")]
    for name, section in (("categories", categories), ("category_combos", combos), ("themes", themes)):
        if section:
            document[name] = section
