"""Open data: what the portal publishes, as CSV, XLSX and JSON.

A dataset is a list of columns and one dict per row, built only from `portal.published`. The three formats
carry the same rows; text cells of CSV and XLSX are neutralised against formula injection (core.tabular),
JSON keeps the text as it is (it is never run by a spreadsheet) and may carry nested detail.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import timezone
from openpyxl import Workbook

from govkpi.core.tabular import neutralise
from govkpi.evaluation.models import Result, Score
from govkpi.events.models import ChangeEvent
from govkpi.indicators.models import Indicator, ReportedFigure
from govkpi.portal import published
from govkpi.reads.visibility import Viewer

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_CONTENT_TYPE, "json": "application/json"}
CACHE_SECONDS = 600
LICENCE = "Dữ liệu công khai; ghi rõ nguồn govkpi khi sử dụng lại. / Open data; cite govkpi as the source."
OFFICIAL_ONLY = ("Chỉ gồm số liệu chính thức: các kỳ đã hết hạn báo cáo, tính từ số liệu đã được phê duyệt. / "
                 "Official figures only: periods whose reporting window is due, made of approved values.")


@dataclass
class Dataset:
    name: str
    columns: list[str]
    rows: list[dict[str, Any]]
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
    rows = []
    for values in query.values_list(*fields):  # tuples: 20,000 results without building 60,000 objects
        row = dict(zip(columns, values, strict=True))
        row["period_end"], row["deadline"] = _day(row["period_end"]), _day(row["deadline"])
        rows.append(row)
    return Dataset("results", columns, rows)


def scores_dataset() -> Dataset:
    columns = ["group", "period", "rank", "unit", "unit_name", "value", "group_size", "previous_rank",
               "rank_change", "indicators_score", "tasks_score", "quality_score", "methodology_version", "demo"]
    codes = published.published_codes()
    rows = []
    for s in published.published_scores():
        components = published.public_components(s.components, codes)
        rows.append({"group": s.group, "period": s.period, "rank": s.rank, "unit": s.unit.code,
                     "unit_name": s.unit.name, "value": s.value, "group_size": s.group_size,
                     "previous_rank": s.previous_rank, "rank_change": s.rank_change,
                     **{f"{name}_score": (components.get(name) or {}).get("score")
                        for name in published.COMPONENTS},
                     "methodology_version": s.methodology.version, "demo": s.demo, "components": components})
    return Dataset("scores", columns, rows, nested={"components": "breakdown of published parts"})


def indicators_dataset() -> Dataset:
    columns = ["code", "name_vi", "name_en", "definition_vi", "unit_of_measure", "value_type", "decimals",
               "frequency", "direction", "owner", "owner_name", "data_source", "legal_basis",
               "latest_period", "latest_value", "target_value", "deadline", "achievement", "status",
               "figure_value", "figure_period", "figure_source", "figure_quote", "demo"]
    rows = []
    for summary in published.indicator_summaries():
        i, national = summary.indicator, summary.national
        figure = summary.figures[-1] if summary.figures else None
        rows.append({
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
            "figure_source": _source(figure.source) if figure else None, "figure_quote": figure.quote if figure else None,
            "demo": bool(national and national.demo),
            "figures": [{"value": f.value, "period": f.period, "unit": f.unit.code, "subset": f.subset,
                         "source": _source(f.source), "source_url": f.source.url, "quote": f.quote, "note": f.note}
                        for f in summary.figures]})
    return Dataset("indicators", columns, rows, nested={"figures": "every figure cited"})


DATASETS: dict[str, Callable[[], Dataset]] = {
    "results": results_dataset, "scores": scores_dataset, "indicators": indicators_dataset}


# -- formats ---------------------------------------------------------------------------------------------------

def _cell(value: Any) -> Any:
    """A value as a spreadsheet cell: text neutralised, everything else as it is."""
    if isinstance(value, str):
        return neutralise(value)
    return value


def _csv_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else _cell(value)


def to_csv(dataset: Dataset) -> bytes:
    """UTF-8 with a byte-order mark so that Excel reads the Vietnamese; "." as the decimal mark."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(dataset.columns)
    for row in dataset.rows:
        writer.writerow([_csv_cell(row.get(c)) for c in dataset.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(dataset: Dataset) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(dataset.name)
    sheet.append(dataset.columns)
    for row in dataset.rows:
        sheet.append([_cell(row.get(c)) for c in dataset.columns])
    notes = workbook.create_sheet("about")
    notes.append([LICENCE])
    notes.append([OFFICIAL_ONLY])
    notes.append([f"generated_at {timezone.now().isoformat(timespec='seconds')}"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def to_json(dataset: Dataset) -> bytes:
    extra = list(dataset.nested or {})
    document = {"dataset": dataset.name, "generated_at": timezone.now().isoformat(timespec="seconds"),
                "licence": LICENCE, "basis": OFFICIAL_ONLY, "columns": dataset.columns, "count": len(dataset.rows),
                "items": [{c: row.get(c) for c in [*dataset.columns, *extra]} for row in dataset.rows]}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


WRITERS: dict[str, Callable[[Dataset], bytes]] = {"csv": to_csv, "xlsx": to_xlsx, "json": to_json}


def published_version() -> str:
    """A digest that changes whenever anything a download holds may have changed: the change events (results
    and scores), the stored rows, and every published indicator with its wording and cited figures. An
    indicator withdrawn from publication changes it at once, so a cached file never outlives it."""
    calendar = Viewer.public().calendar
    parts = [
        calendar.cutoff, calendar.early_official,  # a month turning official changes what is published
        ChangeEvent.objects.aggregate(last=Max("id"))["last"],
        Result.objects.aggregate(n=Count("id"), last=Max("id"), closed=Max("valid_to")),
        Score.objects.aggregate(n=Count("id"), last=Max("id"), closed=Max("valid_to")),
        list(Indicator.objects.filter(published=True).order_by("code").values_list(
            "code", "name_vi", "name_en", "definition_vi", "unit_of_measure", "owner_id", "data_source",
            "legal_basis_id", "decimals", "value_type", "frequency", "direction")),
        list(ReportedFigure.objects.order_by("id").values_list("id", "indicator_id", "value", "period", "quote",
                                                               "note", "source_id")),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def render(name: str, fmt: str) -> bytes:
    """The dataset `name` in format `fmt`, from the cache while nothing published has changed (an XLSX of every
    result takes seconds to write)."""
    key = f"portal:opendata:{name}:{fmt}:{published_version()}"
    body = cache.get(key)
    if body is None:
        body = WRITERS[fmt](DATASETS[name]())
        cache.set(key, body, CACHE_SECONDS)
    return body
