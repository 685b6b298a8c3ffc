"""Open data: what the portal publishes, as CSV, XLSX and JSON, written row by row.

A dataset is a list of columns and the rows, one dict each, produced lazily from `portal.published` (a query read
in chunks, never held whole: results.csv holds every current official result of the country). The three formats
carry the same rows; text cells of CSV and XLSX are neutralised against formula injection (core.tabular),
JSON keeps the text as it is (it is never run by a spreadsheet) and may carry nested detail. The writers write
to a file (portal.opendata_files keeps the files), so memory stays bounded whatever the size.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.utils import timezone
from openpyxl import Workbook

from govkpi.core.workbooks import spreadsheet_text
from govkpi.portal import published

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_CONTENT_TYPE, "json": "application/json"}
CHUNK = 2000  # rows read from the database at a time
LICENCE = "Dữ liệu công khai; ghi rõ nguồn govkpi khi sử dụng lại. / Open data; cite govkpi as the source."
OFFICIAL_ONLY = ("Chỉ gồm số liệu chính thức: các kỳ đã hết hạn báo cáo, tính từ số liệu đã được phê duyệt. / "
                 "Official figures only: periods whose reporting window is due, made of approved values.")


@dataclass
class Dataset:
    name: str
    columns: list[str]
    rows: Iterable[dict[str, Any]]  # read once, lazily
    nested: dict[str, str] | None = None  # JSON-only keys → what they hold


def _source(directive) -> str:  # noqa: ANN001 - a tasks.Directive
    return f"{directive} — {directive.title}"


def _day(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def results_dataset() -> Dataset:
    columns = ["indicator", "indicator_name", "unit", "unit_name", "period", "period_end", "value",
               "target_value", "deadline", "achievement", "expected", "status", "forecast", "demo"]
    fields = ["indicator__code", "indicator__name_vi", "unit__code", "unit__name", "period", "period_end", "value",
              "target_value", "deadline", "achievement", "expected", "status", "forecast", "demo"]
    query = published.published_results().order_by("indicator__code", "period_end", "unit__code")

    def rows() -> Iterator[dict[str, Any]]:
        for values in query.values_list(*fields).iterator(chunk_size=CHUNK):  # tuples, a chunk at a time
            row = dict(zip(columns, values, strict=True))
            row["period_end"], row["deadline"] = _day(row["period_end"]), _day(row["deadline"])
            yield row

    return Dataset("results", columns, rows())


def scores_dataset() -> Dataset:
    columns = ["group", "period", "rank", "unit", "unit_name", "value", "group_size", "previous_rank",
               "rank_change", "indicators_score", "tasks_score", "quality_score", "methodology_version", "demo"]

    def rows() -> Iterator[dict[str, Any]]:
        codes = published.published_codes()
        for s in published.published_scores().iterator(chunk_size=CHUNK):
            components = published.public_components(s.components, codes)
            yield {"group": s.group, "period": s.period, "rank": s.rank, "unit": s.unit.code,
                   "unit_name": s.unit.name, "value": s.value, "group_size": s.group_size,
                   "previous_rank": s.previous_rank, "rank_change": s.rank_change,
                   **{f"{name}_score": (components.get(name) or {}).get("score") for name in published.COMPONENTS},
                   "methodology_version": s.methodology.version, "demo": s.demo, "components": components}

    return Dataset("scores", columns, rows(), nested={"components": "breakdown of published parts"})


def indicators_dataset() -> Dataset:
    columns = ["code", "name_vi", "name_en", "definition_vi", "unit_of_measure", "value_type", "decimals",
               "frequency", "direction", "owner", "owner_name", "data_source", "legal_basis",
               "latest_period", "latest_value", "target_value", "deadline", "achievement", "status",
               "figure_value", "figure_period", "figure_source", "figure_quote", "demo"]

    def rows() -> Iterator[dict[str, Any]]:
        for summary in published.indicator_summaries():
            i, national = summary.indicator, summary.national
            figure = summary.figures[-1] if summary.figures else None
            yield {
                "code": i.code, "name_vi": i.name_vi, "name_en": i.name_en, "definition_vi": i.definition_vi,
                "unit_of_measure": i.unit_of_measure, "value_type": i.value_type, "decimals": i.decimals,
                "frequency": i.frequency, "direction": i.direction, "owner": i.owner.code if i.owner else None,
                "owner_name": i.owner.name if i.owner else None, "data_source": i.data_source,
                "legal_basis": str(i.legal_basis) if i.legal_basis else None,
                "latest_period": national.period if national else None,
                "latest_value": national.value if national else None,
                "target_value": national.target_value if national else None,
                "deadline": _day(national.deadline) if national else None,
                "achievement": national.achievement if national else None,
                "status": national.status if national else None,
                "figure_value": figure.value if figure else None, "figure_period": figure.period if figure else None,
                "figure_source": _source(figure.source) if figure else None,
                "figure_quote": figure.quote if figure else None,
                "demo": bool(national and national.demo),
                "figures": [{"value": f.value, "period": f.period, "unit": f.unit.code, "subset": f.subset,
                             "source": _source(f.source), "source_url": f.source.url, "quote": f.quote,
                             "note": f.note} for f in summary.figures]}

    return Dataset("indicators", columns, rows(), nested={"figures": "every figure cited"})


DATASETS: dict[str, Callable[[], Dataset]] = {
    "results": results_dataset, "scores": scores_dataset, "indicators": indicators_dataset}


# -- formats ---------------------------------------------------------------------------------------------------

def _cell(value: Any) -> Any:
    """A value as a spreadsheet cell: text neutralised, everything else as it is."""
    return spreadsheet_text(value)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else _cell(value)


def write_csv(dataset: Dataset, out: BinaryIO) -> None:
    """UTF-8 with a byte-order mark so that Excel reads the Vietnamese; "." as the decimal mark."""
    text = codecs.getwriter("utf-8")(out)
    text.write("\ufeff")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(dataset.columns)
    for row in dataset.rows:
        writer.writerow([_csv_cell(row.get(c)) for c in dataset.columns])


def write_xlsx(dataset: Dataset, out: BinaryIO) -> None:
    # Write-only: openpyxl streams the sheet's rows to a temporary file instead of keeping every cell.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(dataset.name)
    sheet.append(dataset.columns)
    for row in dataset.rows:
        sheet.append([_cell(row.get(c)) for c in dataset.columns])
    notes = workbook.create_sheet("about")
    notes.append([LICENCE])
    notes.append([OFFICIAL_ONLY])
    notes.append([f"generated_at {timezone.now().isoformat(timespec='seconds')}"])
    workbook.save(out)


def write_json(dataset: Dataset, out: BinaryIO) -> None:
    """One document, written item by item; `count` follows the items (it is known only once they are written)."""
    extra = list(dataset.nested or {})
    head = {"dataset": dataset.name, "generated_at": timezone.now().isoformat(timespec="seconds"),
            "licence": LICENCE, "basis": OFFICIAL_ONLY, "columns": dataset.columns}
    out.write(json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1].encode("utf-8"))
    out.write(b',"items":[')
    count = 0
    for row in dataset.rows:
        item = {c: row.get(c) for c in [*dataset.columns, *extra]}
        out.write((b"," if count else b"") + json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode())
        count += 1
    out.write(f'],"count":{count}}}'.encode())


WRITERS: dict[str, Callable[[Dataset, BinaryIO], None]] = {"csv": write_csv, "xlsx": write_xlsx, "json": write_json}


def write(name: str, fmt: str, path: Path) -> None:
    """The dataset `name` in format `fmt`, written to `path`."""
    with path.open("wb") as out:
        WRITERS[fmt](DATASETS[name](), out)
