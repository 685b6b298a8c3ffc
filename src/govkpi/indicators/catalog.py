"""The whole catalog in and out: one validated pipeline, with YAML and XLSX as formats in front of it.

`validate_catalog(document)` checks a catalog document (the structure of
`data/reference-catalog.yaml`) and returns every problem with where it is; `apply_catalog` writes a
valid document in one transaction, changing only what differs, so loading the same file twice
changes nothing. Nothing is written when any problem is found.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import models, transaction

from govkpi.audit.trail import record
from govkpi.core.aggregation import PeriodAggregation, UnitAggregation
from govkpi.core.formulas import FormulaError, find_cycle, parse_formula
from govkpi.events.outbox import emit
from govkpi.events.types import TargetsChanged
from govkpi.indicators import categories
from govkpi.indicators.catalog_shape import shape_problems
from govkpi.indicators.data_sets import element_themes
from govkpi.indicators.models import (
    DataElement,
    Direction,
    Frequency,
    Indicator,
    ReportedFigure,
    Target,
    TargetScope,
    Theme,
    ValueType,
)
from govkpi.orgunits.models import Kind, OrgUnit
from govkpi.tasks.actions import TaskRuleError, web_link
from govkpi.tasks.models import Directive, DirectiveKind

REFERENCE_CATALOG = Path(__file__).resolve().parent / "data" / "reference-catalog.yaml"
THEMES = {
    "KHCN": ("Khoa học, công nghệ", "Science and technology"),
    "DMST": ("Đổi mới sáng tạo", "Innovation"),
    "CDS": ("Chuyển đổi số", "Digital transformation"),
    "DA06": ("Đề án 06", "Project 06"),
}
ENTRY_FIELDS = ("name_vi", "name_en", "definition_vi", "data_source", "notes")


@dataclass(frozen=True)
class CatalogProblem:
    where: str  # e.g. "indicators[3].formula"
    code: str
    message_vi: str
    message_en: str


def _listing(bucket: dict[str, int]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in sorted(bucket.items())) or "—"


@dataclass
class CatalogReport:
    problems: list[CatalogProblem] = field(default_factory=list)
    actor: Any = None  # who writes: recorded in the audit trail with every change
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    # Indicators whose targets or definition changed: their results are recomputed (a `targets` event).
    judged_again: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """Return what was written, in Vietnamese and English, for people."""
        if not self.created and not self.updated:
            return "không thay đổi gì / nothing changed"
        return f"tạo mới/created: {_listing(self.created)}; cập nhật/updated: {_listing(self.updated)}"

    def count(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1


def load_yaml(path: Path) -> dict[str, Any]:
    """Return the catalog document in a YAML file."""
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


class _Checker:
    def __init__(self, document: dict[str, Any]) -> None:
        self.doc = document
        self.problems: list[CatalogProblem] = []
        self.units = set(OrgUnit.objects.values_list("code", flat=True))

    def add(self, where: str, code: str, vi: str, en: str) -> None:
        self.problems.append(CatalogProblem(where, code, vi, en))

    def choice(self, where: str, value: Any, allowed: set[str], required: bool = True) -> None:
        if value is None and not required:
            return
        if value not in allowed:
            options = ", ".join(sorted(allowed))
            self.add(where, "invalid_choice", f"Giá trị «{value}» không hợp lệ; chọn một trong: {options}.",
                     f"«{value}» is not one of: {options}.")

    def date(self, where: str, value: Any) -> None:
        if not isinstance(value, datetime.date):
            self.add(where, "invalid_date", f"«{value}» không phải ngày (YYYY-MM-DD).",
                     f"«{value}» is not a date (YYYY-MM-DD).")

    def link(self, where: str, value: Any) -> None:
        # A source's url is rendered as a link on indicator and portal pages: the evidence links' rule.
        try:
            web_link(str(value or ""))
        except TaskRuleError as error:
            self.add(where, error.code, error.message_vi, error.message_en)

    def unique_codes(self, section: str) -> set[str]:
        seen: set[str] = set()
        for i, item in enumerate(self.doc.get(section) or []):
            code = item.get("code") or item.get("id")
            if not code:
                self.add(f"{section}[{i}]", "missing_code", "Thiếu mã.", "The code is missing.")
            elif code in seen:
                self.add(f"{section}[{i}].code", "duplicate_code", f"Mã «{code}» bị trùng.",
                         f"The code «{code}» appears twice.")
            seen.add(code)
        return seen


def validate_catalog(document: dict[str, Any]) -> list[CatalogProblem]:
    """Return every problem in a catalog document (an empty list when it can be loaded)."""
    shape = shape_problems(document)  # the checks below read each field as what it means
    if shape:
        return [CatalogProblem(where, code, vi, en) for where, code, vi, en in shape]
    c = _Checker(document)
    # References may point at what the document declares or at what the catalog already holds.
    sources = c.unique_codes("sources") | set(Directive.objects.values_list("code", flat=True))
    elements = c.unique_codes("data_elements") | set(DataElement.objects.values_list("code", flat=True))
    indicators = c.unique_codes("indicators") | set(Indicator.objects.values_list("code", flat=True))
    for i, s in enumerate(document.get("sources") or []):
        c.date(f"sources[{i}].date", s.get("date"))
        c.link(f"sources[{i}].url", s.get("url"))
    for i, e in enumerate(document.get("data_elements") or []):
        where = f"data_elements[{i}]"
        c.choice(f"{where}.value_type", e.get("value_type"), set(ValueType.values))
        c.choice(f"{where}.aggregation_units", e.get("aggregation_units", "sum"), {a.value for a in UnitAggregation})
        c.choice(f"{where}.aggregation_periods", e.get("aggregation_periods", "last"),
                 {a.value for a in PeriodAggregation})
    graph: dict[str, list[str]] = {
        code: sorted(parse_formula(text).references)
        for code, text in Indicator.objects.exclude(formula="").values_list("code", "formula")
    }
    for i, ind in enumerate(document.get("indicators") or []):
        where = f"indicators[{i}]"
        c.choice(f"{where}.value_type", ind.get("value_type"), set(ValueType.values))
        c.choice(f"{where}.direction", ind.get("direction", "higher_is_better"), set(Direction.values))
        c.choice(f"{where}.frequency", ind.get("frequency", "yearly"), set(Frequency.values))
        for kind in ind.get("unit_kinds") or []:
            c.choice(f"{where}.unit_kinds", kind, set(Kind.values))
        for theme in ind.get("themes") or []:
            c.choice(f"{where}.themes", theme, set(THEMES))
        if ind.get("owner") and ind["owner"] not in c.units:
            c.add(f"{where}.owner", "unknown_unit", f"Không có đơn vị mã «{ind['owner']}».",
                  f"No unit has the code «{ind['owner']}».")
        if ind.get("formula"):
            try:
                formula = parse_formula(ind["formula"])
            except FormulaError as error:
                c.add(f"{where}.formula", error.code, f"{error.message_vi} (ký tự {error.column})",
                      f"{error.message_en} (character {error.column})")
            else:
                graph[ind["code"]] = sorted(formula.references)
                for ref in sorted(formula.references - elements - indicators):
                    c.add(f"{where}.formula", "unknown_reference", f"Công thức dùng mã «{ref}» chưa khai báo.",
                          f"The formula refers to «{ref}», which is not declared.")
        for j, t in enumerate(ind.get("targets") or []):
            _check_target(c, f"{where}.targets[{j}]", t, sources)
        for j, f in enumerate(ind.get("figures") or []):
            _check_figure(c, f"{where}.figures[{j}]", f, sources)
    cycle = find_cycle(graph)
    if cycle:
        path = " → ".join(cycle)
        c.add("indicators", "formula_cycle", f"Công thức tham chiếu vòng: {path}.", f"Formulas form a cycle: {path}.")
    categories.check(c, document, set(THEMES))
    return c.problems


def _check_target(c: _Checker, where: str, t: dict[str, Any], sources: set[str]) -> None:
    if not isinstance(t.get("value"), (int, float)):
        c.add(f"{where}.value", "invalid_number", "Giá trị mục tiêu phải là số.", "The target value must be a number.")
    c.date(f"{where}.deadline", t.get("deadline"))
    c.date(f"{where}.set_on", t.get("set_on"))
    c.choice(f"{where}.scope", t.get("scope", "national"), set(TargetScope.values))
    for name in ("green_from", "amber_from"):
        if name in t and not isinstance(t[name], (int, float)):
            c.add(f"{where}.{name}", "invalid_number", "Ngưỡng phải là số.", "A threshold must be a number.")
    if isinstance(t.get("green_from", 100), (int, float)) and isinstance(t.get("amber_from", 80), (int, float)) \
            and t.get("amber_from", 80) > t.get("green_from", 100):
        c.add(f"{where}.amber_from", "thresholds_out_of_order", "Ngưỡng vàng phải thấp hơn ngưỡng xanh.",
              "The amber threshold must be below the green one.")
    if t.get("set_by") and t["set_by"] not in sources:
        c.add(f"{where}.set_by", "unknown_source", f"Không có nguồn «{t['set_by']}».", f"No source «{t['set_by']}».")


def _check_figure(c: _Checker, where: str, f: dict[str, Any], sources: set[str]) -> None:
    from govkpi.core.periods import PeriodError, parse_period

    if not isinstance(f.get("value"), (int, float)):
        c.add(f"{where}.value", "invalid_number", "Số liệu phải là số.", "The figure must be a number.")
    try:
        parse_period(str(f.get("period", "")))
    except PeriodError as error:
        c.add(f"{where}.period", error.code, error.message_vi, error.message_en)
    if f.get("source") not in sources:
        c.add(f"{where}.source", "unknown_source", f"Không có nguồn «{f.get('source')}».",
              f"No source «{f.get('source')}».")
    unit = f.get("unit", "CP")
    if unit not in c.units:
        c.add(f"{where}.unit", "unknown_unit", f"Không có đơn vị mã «{unit}».", f"No unit has the code «{unit}».")


def _plain(value: Any) -> Any:
    """A value as the audit trail keeps it: related rows by their code (or key)."""
    if isinstance(value, models.Model):
        return getattr(value, "code", None) or value.pk
    return value


def _save(model: type, lookup: dict[str, Any], values: dict[str, Any], report: CatalogReport, kind: str) -> Any:
    """Create or update one row, writing (and auditing) only when something differs."""
    obj = model.objects.filter(**lookup).first()
    key = "/".join(str(_plain(v)) for v in lookup.values())
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        report.count(report.created, kind)
        record(f"catalog.{kind}.create", actor=report.actor, object_type=model.__name__, object_key=key,
               after={k: _plain(v) for k, v in values.items()})
        _note_judged_again(obj, report)
    elif any(getattr(obj, k) != v for k, v in values.items()):
        before = {k: _plain(getattr(obj, k)) for k in values}
        for k, v in values.items():
            setattr(obj, k, v)
        obj.save()
        report.count(report.updated, kind)
        record(f"catalog.{kind}.update", actor=report.actor, object_type=model.__name__, object_key=key,
               before=before, after={k: _plain(v) for k, v in values.items()})
        _note_judged_again(obj, report)
    return obj


def _note_judged_again(obj: Any, report: CatalogReport) -> None:
    if isinstance(obj, Target):
        report.judged_again.add(obj.indicator.code)
    elif isinstance(obj, Indicator):
        report.judged_again.add(obj.code)


def _announce(report: CatalogReport) -> None:
    """One change event for the evaluation engine and open dashboards, in the catalog write's transaction."""
    if report.judged_again:
        emit(TargetsChanged(indicators=tuple(sorted(report.judged_again))))


def _entry_values(item: dict[str, Any], units: dict[str, OrgUnit], directives: dict[str, Directive]) -> dict[str, Any]:
    return {
        **{name: item.get(name) or "" for name in ENTRY_FIELDS},
        "unit_of_measure": item.get("unit") or "",
        "value_type": item["value_type"],
        "decimals": int(item.get("decimals", 0)),
        "frequency": item.get("frequency", "yearly"),
        "unit_kinds": list(item.get("unit_kinds") or []),
        "owner": units.get(item.get("owner") or ""),
        "legal_basis": directives.get(item.get("legal_basis") or ""),
        "published": bool(item.get("published", True)),
    }


def _set_themes(obj: Any, codes: list[str], themes: dict[str, Theme], report: CatalogReport) -> None:
    before = sorted(obj.themes.values_list("code", flat=True))
    if before != sorted(set(codes)):
        obj.themes.set([themes[c] for c in codes])
        record("catalog.themes.update", actor=report.actor, object_type=type(obj).__name__, object_key=obj.code,
               before=before, after=sorted(set(codes)))


@transaction.atomic
def apply_catalog(document: dict[str, Any], dry_run: bool = False, actor: Any = None) -> CatalogReport:
    """Validate and write a catalog document; nothing is written if it has any problem or on a dry run."""
    report = CatalogReport(problems=validate_catalog(document), actor=actor)
    if not report.ok:
        return report
    units = {u.code: u for u in OrgUnit.objects.filter(kind__in=["government", "ministry"])}
    units.update({u.code: u for u in OrgUnit.objects.filter(
        code__in=[f.get("unit") for i in document.get("indicators") or [] for f in i.get("figures") or []])})
    themes = {code: _save(Theme, {"code": code}, {"name_vi": vi, "name_en": en}, report, "themes")
              for code, (vi, en) in THEMES.items()}
    directives: dict[str, Directive] = {}
    for s in document.get("sources") or []:
        directives[s["id"]] = _save(Directive, {"code": s["id"]}, {
            "kind": s.get("kind", DirectiveKind.MEETING_CONCLUSION), "number": s.get("number", ""),
            "issued_on": s["date"], "date_inferred": bool(s.get("date_inferred", False)),
            "issuing_body": units.get(s.get("issuing_body", "CP")), "title": s.get("title", ""),
            "meeting": s.get("meeting", ""), "url": s.get("url", ""), "source_file": s.get("file", ""),
        }, report, "sources")
    combos = categories.apply(document, report)
    categories.apply_themes(document, themes, combos, report)
    data_set_themes = element_themes(document)
    for item in document.get("data_elements") or []:
        values = _entry_values(item, units, directives)
        values.update(aggregation_units=item.get("aggregation_units", "sum"),
                      aggregation_periods=item.get("aggregation_periods", "last"),
                      minimum=item.get("minimum"), maximum=item.get("maximum"),
                      category_combo=combos.get(item.get("category_combo") or ""))
        element = _save(DataElement, {"code": item["code"]}, values, report, "data_elements")
        _set_themes(element, data_set_themes[item["code"]], themes, report)
    for item in document.get("indicators") or []:
        _apply_indicator(item, units, directives, themes, report)
    if dry_run:
        transaction.set_rollback(True)
    else:
        _announce(report)
    return report


def _apply_indicator(item: dict[str, Any], units: dict[str, OrgUnit], directives: dict[str, Directive],
                     themes: dict[str, Theme], report: CatalogReport) -> None:
    values = _entry_values(item, units, directives)
    values.update(direction=item.get("direction", "higher_is_better"), band_low=item.get("band_low"),
                  band_high=item.get("band_high"), formula=item.get("formula") or "",
                  missing_values=item.get("missing_values", "propagate"))
    if not values["legal_basis"] and item.get("targets"):
        values["legal_basis"] = directives.get(item["targets"][0].get("set_by", ""))
    indicator = _save(Indicator, {"code": item["code"]}, values, report, "indicators")
    _set_themes(indicator, item.get("themes") or [], themes, report)
    previous: dict[str, Target] = {}  # the latest version so far, per scope
    for t in sorted(item.get("targets") or [], key=lambda t: t["set_on"]):
        scope_unit = units.get(t.get("unit") or "")
        lookup = {"indicator": indicator, "set_on": t["set_on"], "scope": t.get("scope", "national"),
                  "scope_unit": scope_unit, "deadline": t["deadline"]}
        target = _save(Target, lookup, {
            "value": float(t["value"]), "scope_kind": ",".join(t.get("unit_kinds") or []),
            "directive": directives.get(t.get("set_by", "")), "quote": t.get("quote", ""),
            "green_from": float(t.get("green_from", 100)), "amber_from": float(t.get("amber_from", 80)),
            "baseline_value": t.get("baseline_value"), "baseline_period": str(t.get("baseline_period") or ""),
            # Every later version of the same scope supersedes the one before, a restatement included;
            # `supersedes: true` in a file marks a real change of value for people reading it.
            "supersedes": previous.get(lookup["scope"]),
        }, report, "targets")
        previous[lookup["scope"]] = target
    for f in item.get("figures") or []:
        _save(ReportedFigure, {
            "indicator": indicator, "period": str(f["period"]), "unit": units[f.get("unit", "CP")],
            "subset": f.get("scope") if f.get("scope") == "provinces" else "", "source": directives[f["source"]],
        }, {"value": float(f["value"]), "quote": f.get("quote", ""), "note": f.get("note", "")}, report, "figures")


@transaction.atomic
def apply_target(indicator_code: str, item: dict[str, Any], actor: Any = None) -> CatalogReport:
    """Add or update one target version of an existing indicator; it supersedes the latest earlier
    version of the same scope, which is kept."""
    checker = _Checker({})
    sources = set(Directive.objects.values_list("code", flat=True))
    _check_target(checker, "target", item, sources)
    indicator = Indicator.objects.filter(code=indicator_code).first()
    if indicator is None:
        checker.add("target.indicator", "unknown_indicator", f"Không có chỉ tiêu «{indicator_code}».",
                    f"No indicator «{indicator_code}».")
    report = CatalogReport(problems=checker.problems, actor=actor)
    if not report.ok:
        return report
    scope = item.get("scope", "national")
    scope_unit = OrgUnit.objects.filter(code=item.get("unit") or "").first()
    previous = (Target.objects.filter(indicator=indicator, scope=scope, scope_unit=scope_unit,
                                      set_on__lt=item["set_on"]).order_by("-set_on").first())
    _save(Target, {"indicator": indicator, "set_on": item["set_on"], "scope": scope, "scope_unit": scope_unit,
                   "deadline": item["deadline"]}, {
        "value": float(item["value"]), "scope_kind": ",".join(item.get("unit_kinds") or []),
        "directive": Directive.objects.filter(code=item.get("set_by") or "").first(),
        "quote": item.get("quote", ""), "baseline_value": item.get("baseline_value"),
        "green_from": float(item.get("green_from", 100)), "amber_from": float(item.get("amber_from", 80)),
        "baseline_period": str(item.get("baseline_period") or ""),
        "supersedes": previous,
    }, report, "targets")
    _announce(report)
    return report
