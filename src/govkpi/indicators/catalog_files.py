"""The catalog as files: export the database to a catalog document, and YAML/XLSX to and from it."""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from openpyxl import Workbook

from govkpi.core.tabular import TabularError, restore_text
from govkpi.core.workbooks import open_workbook, spreadsheet_text
from govkpi.indicators import categories
from govkpi.indicators.models import DataElement, Indicator, ReportedFigure, Target
from govkpi.tasks.models import Directive

_ENTRY = ["code", "name_vi", "name_en", "definition_vi", "unit", "value_type", "decimals", "frequency",
          "unit_kinds", "owner", "data_source", "legal_basis", "themes", "published", "notes"]
COLUMNS: dict[str, list[str]] = {
    "sources": ["id", "kind", "number", "date", "date_inferred", "issuing_body", "title", "meeting", "url", "file"],
    "data_elements": _ENTRY + ["aggregation_units", "aggregation_periods", "minimum", "maximum", "category_combo"],
    "indicators": _ENTRY + ["direction", "band_low", "band_high", "formula", "missing_values"],
    "targets": ["indicator", "value", "deadline", "scope", "unit", "unit_kinds", "baseline_value", "baseline_period",
                "set_by", "set_on", "supersedes", "green_from", "amber_from", "quote"],
    "figures": ["indicator", "value", "period", "scope", "unit", "source", "quote", "note"],
    # Disaggregation (indicators.categories): a category's options one per row, option combos whose code is chosen.
    "categories": ["code", "name_vi", "name_en"],
    "category_options": ["category", "code", "name_vi", "name_en"],
    "category_combos": ["code", "name_vi", "name_en", "kind", "categories"],
    "category_option_combos": ["combo", "options", "code"],
    "themes": ["code", "attribute_combo"],
}
LIST_COLUMNS = {"unit_kinds", "themes", "categories", "options"}
_OPTIONAL_SHEETS = ("categories", "category_options", "category_combos", "category_option_combos", "themes")


def _entry(obj: Any) -> dict[str, Any]:
    return {
        "code": obj.code, "name_vi": obj.name_vi, "name_en": obj.name_en, "definition_vi": obj.definition_vi,
        "unit": obj.unit_of_measure, "value_type": obj.value_type, "decimals": obj.decimals,
        "frequency": obj.frequency, "unit_kinds": list(obj.unit_kinds),
        "owner": obj.owner.code if obj.owner_id else None, "data_source": obj.data_source,
        "legal_basis": obj.legal_basis.code if obj.legal_basis_id else None,
        "themes": sorted(t.code for t in obj.themes.all()), "published": obj.published, "notes": obj.notes,
    }


def _target(t: Target) -> dict[str, Any]:
    return {
        "value": t.value, "deadline": t.deadline, "scope": t.scope, "unit": t.scope_unit.code if t.scope_unit_id else None,
        "unit_kinds": [k for k in t.scope_kind.split(",") if k], "baseline_value": t.baseline_value,
        "baseline_period": t.baseline_period or None, "set_by": t.directive.code if t.directive_id else None,
        "set_on": t.set_on, "supersedes": t.supersedes_id is not None, "quote": t.quote,
        "green_from": t.green_from, "amber_from": t.amber_from,
    }


def _figure(f: ReportedFigure) -> dict[str, Any]:
    return {"value": f.value, "period": f.period, "scope": f.subset or None, "unit": f.unit.code,
            "source": f.source.code, "quote": f.quote, "note": f.note}


def export_catalog() -> dict[str, Any]:
    """Return the whole catalog as a document that `apply_catalog` takes back unchanged."""
    sources = [{
        "id": d.code, "kind": d.kind, "number": d.number, "date": d.issued_on, "date_inferred": d.date_inferred,
        "issuing_body": d.issuing_body.code if d.issuing_body_id else None, "title": d.title, "meeting": d.meeting,
        "url": d.url, "file": d.source_file,
    } for d in Directive.objects.select_related("issuing_body")]
    elements = []
    for e in DataElement.objects.select_related("owner", "legal_basis", "category_combo").prefetch_related("themes"):
        elements.append({**_entry(e), "aggregation_units": e.aggregation_units,
                         "aggregation_periods": e.aggregation_periods, "minimum": e.minimum, "maximum": e.maximum,
                         **({"category_combo": e.category_combo.code} if e.category_combo_id else {})})
    indicators = []
    for i in Indicator.objects.select_related("owner", "legal_basis").prefetch_related("themes"):
        indicators.append({
            **_entry(i), "direction": i.direction, "band_low": i.band_low, "band_high": i.band_high,
            "formula": i.formula or None, "missing_values": i.missing_values,
            "targets": [_target(t) for t in i.targets.select_related("scope_unit", "directive").order_by("set_on")],
            "figures": [_figure(f) for f in i.figures.select_related("unit", "source")],
        })
    document = {"sources": sources, "data_elements": elements, "indicators": indicators}
    categories.export(document)
    return document


def _drop_empty(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v not in (None, "", [])}


def to_yaml(document: dict[str, Any]) -> str:
    """Return the document as YAML text (UTF-8, Vietnamese kept readable)."""
    clean = {
        "sources": [_drop_empty(s) for s in document.get("sources", [])],
        "data_elements": [_drop_empty(e) for e in document.get("data_elements", [])],
        "indicators": [
            {**_drop_empty({k: v for k, v in i.items() if k not in {"targets", "figures"}}),
             "targets": [_drop_empty(t) for t in i.get("targets", [])],
             "figures": [_drop_empty(f) for f in i.get("figures", [])]}
            for i in document.get("indicators", [])
        ],
    }
    for section in ("categories", "category_combos", "themes"):  # only when the catalog has them
        if document.get(section):
            clean[section] = document[section]
    return yaml.safe_dump(clean, allow_unicode=True, sort_keys=False, width=110)


def _cell(value: Any) -> Any:
    """A document value as a cell: lists joined, text neutralised (a name "=HYPERLINK(…)" stays text)."""
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    return spreadsheet_text(value)


def to_xlsx(document: dict[str, Any]) -> bytes:
    """Return the document as an Excel workbook: one sheet per section, machine keys in the first row."""
    book = Workbook()
    book.remove(book.active)
    rows: dict[str, list[dict[str, Any]]] = {
        "sources": document.get("sources", []),
        "data_elements": document.get("data_elements", []),
        "indicators": document.get("indicators", []),
        "targets": [{"indicator": i["code"], **t} for i in document.get("indicators", []) for t in i.get("targets", [])],
        "figures": [{"indicator": i["code"], **f} for i in document.get("indicators", []) for f in i.get("figures", [])],
        "categories": document.get("categories", []),
        "category_options": [{"category": c["code"], **o} for c in document.get("categories", [])
                             for o in c.get("options", [])],
        "category_combos": document.get("category_combos", []),
        "category_option_combos": [{"combo": c["code"], **o} for c in document.get("category_combos", [])
                                   for o in c.get("option_combos", [])],
        "themes": document.get("themes", []),
    }
    for sheet_name, columns in COLUMNS.items():
        if sheet_name in _OPTIONAL_SHEETS and not rows[sheet_name]:
            continue  # a catalog without disaggregation keeps its five sheets
        sheet = book.create_sheet(sheet_name)
        sheet.append(columns)
        for item in rows[sheet_name]:
            sheet.append([_cell(item.get(c)) for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _read_value(column: str, value: Any) -> Any:
    if isinstance(value, str):
        value = restore_text(value)  # undo what `_cell` did, so export → import gives the catalog back
    if isinstance(value, datetime.datetime):
        return value.date()
    if column in LIST_COLUMNS:
        return [v.strip() for v in str(value or "").split(",") if v.strip()]
    if isinstance(value, str) and column in {"deadline", "set_on", "date"}:
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return value  # validation reports it with its place
    return value


def from_xlsx(data: bytes) -> dict[str, Any]:
    """Return the catalog document held in a workbook written by `to_xlsx` (or by hand in its shape).

    Raises TabularError when the workbook breaks the upload limits (size, zip bomb, cells) or is no workbook.
    """
    book = open_workbook(data, settings.DATA_FILE_MAX_BYTES)
    sections: dict[str, list[dict[str, Any]]] = {}
    for sheet_name in COLUMNS:
        if sheet_name not in book.sheetnames:
            sections[sheet_name] = []
            continue
        rows = book[sheet_name].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
        sections[sheet_name] = [
            {h: _read_value(h, v) for h, v in zip(header, row) if h and v not in (None, "")}
            for row in rows if any(v not in (None, "") for v in row)
        ]
    indicators = sections["indicators"]
    for item in indicators:
        item["targets"] = [{k: v for k, v in t.items() if k != "indicator"}
                           for t in sections["targets"] if t.get("indicator") == item.get("code")]
        item["figures"] = [{k: v for k, v in f.items() if k != "indicator"}
                           for f in sections["figures"] if f.get("indicator") == item.get("code")]
    document = {"sources": sections["sources"], "data_elements": sections["data_elements"], "indicators": indicators}
    for category in sections["categories"]:
        category["options"] = [{k: v for k, v in o.items() if k != "category"}
                               for o in sections["category_options"] if o.get("category") == category.get("code")]
    for combo in sections["category_combos"]:
        chosen = [{k: v for k, v in o.items() if k != "combo"}
                  for o in sections["category_option_combos"] if o.get("combo") == combo.get("code")]
        if chosen:
            combo["option_combos"] = chosen
    for section in ("categories", "category_combos", "themes"):
        if section in book.sheetnames:
            document[section] = sections[section]
    return document


def read_catalog_file(path: Path) -> dict[str, Any]:
    """Return the catalog document in a .yaml/.yml or .xlsx file."""
    if path.suffix.lower() == ".xlsx":
        with path.open("rb") as file:  # one byte past the limit is enough to refuse a file
            return from_xlsx(file.read(settings.DATA_FILE_MAX_BYTES + 1))
    return catalog_yaml(path.read_bytes())


def catalog_yaml(data: bytes) -> Any:
    """The document in a YAML file; TabularError when the bytes are not UTF-8 or not YAML (its line and column),
    so a command or a page says what is wrong instead of failing. Its shape is checked by validate_catalog."""
    try:
        return yaml.safe_load(data.decode("utf-8-sig")) or {}
    except UnicodeDecodeError as error:
        raise TabularError("bad_encoding", f"Tệp YAML phải được mã hóa UTF-8 (byte {error.start + 1} không hợp lệ).",
                           f"A YAML file must be UTF-8 encoded (byte {error.start + 1} is not).") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where_vi, where_en = (f" ở dòng {mark.line + 1}, cột {mark.column + 1}",
                              f" at line {mark.line + 1}, column {mark.column + 1}") if mark else ("", "")
        reason = getattr(error, "problem", None) or "không đọc được / unreadable"
        raise TabularError("bad_yaml", f"YAML không hợp lệ{where_vi}: {reason}.",
                           f"Invalid YAML{where_en}: {reason}.") from None


def write_catalog_file(path: Path) -> None:
    """Write the whole catalog to a .yaml/.yml or .xlsx file."""
    document = export_catalog()
    if path.suffix.lower() == ".xlsx":
        path.write_bytes(to_xlsx(document))
    else:
        path.write_text(to_yaml(document), encoding="utf-8")
