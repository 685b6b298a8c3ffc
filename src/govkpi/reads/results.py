"""Results as each face reads them: the headline, a unit's indicators, the provinces' map, a series, the API list.

Each read takes a `Viewer` and shows official figures by default. A provisional figure (its period still being
reported) is added beside the official one only for a viewer who reads the unit, with its coverage:
"Số liệu tạm tính: 1/49 đơn vị đã báo cáo, hạn 15/12/2026".
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from govkpi.evaluation.engine import results_as_of
from govkpi.evaluation.models import Result
from govkpi.indicators.models import Indicator, ReportedFigure
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.reference import GOVERNMENT_CODE
from govkpi.reads import publication
from govkpi.reads.labels import STATUS_LABELS
from govkpi.reads.official import Coverage
from govkpi.reads.visibility import Viewer

@dataclass
class Provisional:
    """A result of a period still being reported, with how far it has been reported."""

    result: Result
    coverage: Coverage


def latest_per_indicator(results: QuerySet[Result]) -> list[Result]:
    """The latest period of each indicator among the results (one unit's), in indicator code order.

    One query: per indicator, the newest matching row is one probe of result_current_latest_idx (unit,
    indicator, period end), so a unit with four years of history reads one row per indicator, not all of them
    (the national unit: ~100 rows instead of ~5,000 with their inputs)."""
    newest = results.filter(indicator=OuterRef("pk")).order_by("-period_end", "-id").values("id")[:1]
    ids = Indicator.objects.annotate(newest=Subquery(newest)).filter(newest__isnull=False).values("newest")
    return sorted(results.filter(id__in=ids), key=lambda r: r.indicator.code)


def _element_codes(indicator: Indicator, result: Result) -> set[str]:
    return {k for k in result.inputs if not k.startswith("_")} or {indicator.code}


def _provisional(viewer: Viewer, unit: OrgUnit, official: dict[int, Result]) -> dict[int, Provisional]:
    """The unit's provisional results newer than its official ones (the month in progress included: its
    coverage says how partial it is), when the viewer reads the unit."""
    if not viewer.may_read(unit):
        return {}
    calendar = viewer.calendar
    newer = (Result.objects.filter(unit=unit, valid_to__isnull=True).exclude(calendar.official_q())
             .select_related("indicator", "target__directive"))
    shown = [r for r in latest_per_indicator(newer)
             if r.indicator_id not in official or official[r.indicator_id].period_end < r.period_end]
    coverages = calendar.coverages(unit, [(r.period, _element_codes(r.indicator, r)) for r in shown])
    return {r.indicator_id: Provisional(r, coverage) for r, coverage in zip(shown, coverages, strict=True)}


def _rows(viewer: Viewer, unit: OrgUnit, results: list[Result]) -> list[dict[str, Any]]:
    official = {r.indicator_id: r for r in results}
    provisional = _provisional(viewer, unit, official)
    indicators = {r.indicator_id: r.indicator for r in results}
    indicators.update({i: p.result.indicator for i, p in provisional.items()})
    rows = []
    for indicator_id, indicator in sorted(indicators.items(), key=lambda item: item[1].code):
        result = official.get(indicator_id)
        rows.append({"result": result, "indicator": indicator, "provisional": provisional.get(indicator_id),
                     "status_label": STATUS_LABELS.get(result.status, result.status) if result else ""})
    return rows


def unit_results(viewer: Viewer, unit: OrgUnit) -> dict[str, Any]:
    """The unit's latest official result per indicator the viewer may see, and for a reader of the unit the
    newer provisional one beside it."""
    return publication.for_public(viewer, f"unit_results:{unit.code}", lambda: _unit_results(viewer, unit))


def _unit_results(viewer: Viewer, unit: OrgUnit) -> dict[str, Any]:
    query = (Result.objects.filter(viewer.official_results(), unit=unit, valid_to__isnull=True)
             .select_related("indicator", "target__directive"))
    rows = _rows(viewer, unit, latest_per_indicator(query))
    demo = any((row["result"] and row["result"].demo) or (row["provisional"] and row["provisional"].result.demo)
               for row in rows)
    return {"rows": rows, "demo": demo, "as_of": viewer.calendar.today}


def headline(viewer: Viewer) -> dict[str, Any]:
    """The Government's latest official result per indicator with the figures the Government published (and
    the provisional one for a national reader), and the cited figures of indicators not judged yet."""
    return publication.for_public(viewer, "headline", lambda: _headline(viewer))


def _headline(viewer: Viewer) -> dict[str, Any]:
    government = OrgUnit.objects.get(code=GOVERNMENT_CODE)
    table = unit_results(viewer, government)
    figures: dict[int, list[ReportedFigure]] = defaultdict(list)
    for figure in (ReportedFigure.objects.filter(unit=government, indicator__in=viewer.indicators())
                   .select_related("indicator", "source").order_by("indicator__code", "period")):
        figures[figure.indicator_id].append(figure)
    for row in table["rows"]:
        row["figures"] = figures.get(row["indicator"].id, [])
    judged = {row["indicator"].id for row in table["rows"]}
    cited = [f for iid, group in figures.items() if iid not in judged for f in group]
    return {**table, "cited": cited}


def map_indicators(viewer: Viewer) -> list[Indicator]:
    """Indicators with official results for provinces the viewer may see: what the map can show."""
    return publication.for_public(viewer, "map_indicators", lambda: _map_indicators(viewer))


def _map_indicators(viewer: Viewer) -> list[Indicator]:
    # EXISTS per indicator: the first official province row ends the search (a DISTINCT over every official
    # province result read ~50,000 rows at national scale).
    found = Result.objects.filter(viewer.official_results(), indicator=OuterRef("pk"), valid_to__isnull=True,
                                  unit__kind="province")
    return list(viewer.indicators().filter(Exists(found)).order_by("code"))


def province_values(viewer: Viewer, indicator: Indicator, period: str = "") -> dict[str, Any]:
    """Each current province's result for the indicator in one period (default: the latest official one)."""
    return publication.for_public(viewer, f"province_values:{indicator.code}:{period}",
                                  lambda: _province_values(viewer, indicator, period))


def _province_values(viewer: Viewer, indicator: Indicator, period: str) -> dict[str, Any]:
    query = Result.objects.filter(viewer.results(), indicator=indicator, valid_to__isnull=True,
                                  unit__kind="province", unit__valid_to__isnull=True)
    if not period:
        period = (query.filter(viewer.calendar.official_q()).order_by("-period_end")
                  .values_list("period", flat=True).first() or "")
    rows = list(query.filter(period=period).select_related("unit").order_by("unit__code"))
    lower_is_better = indicator.direction == "lower_is_better"
    ranked = sorted((r for r in rows if r.value is not None), key=lambda r: r.value, reverse=not lower_is_better)
    by_unit = {r.unit_id: r for r in rows}
    # Every province has its line, with no figure where none is official (not reported, or not yet approved).
    table = [(unit, by_unit.get(unit.id)) for unit in
             OrgUnit.objects.filter(kind="province", valid_to__isnull=True).order_by("code")] if period else []
    return {"indicator": indicator, "period": period or None, "rows": rows, "ranked": ranked, "table": table,
            "official": bool(period) and viewer.calendar.is_official(period), "demo": any(r.demo for r in rows)}


def _indicator_dict(indicator: Indicator) -> dict[str, Any]:
    return {"code": indicator.code, "name": indicator.name_vi, "unit_of_measure": indicator.unit_of_measure,
            "value_type": indicator.value_type, "decimals": indicator.decimals, "direction": indicator.direction}


def map_payload(values: dict[str, Any]) -> dict[str, Any]:
    """The province values as the map script reads them (JSON): every province, with no value where none is
    official."""
    def item(unit: OrgUnit, r: Result | None) -> dict[str, Any]:
        status = r.status if r else "no_data"
        return {"code": unit.code, "name": unit.name, "value": r.value if r else None,
                "target": r.target_value if r else None, "achievement": r.achievement if r else None,
                "status": status, "status_label": str(STATUS_LABELS.get(status, status)),
                "url": reverse("web:unit", args=[unit.code])}

    return {"indicator": _indicator_dict(values["indicator"]), "period": values["period"], "demo": values["demo"],
            "official": values["official"], "items": [item(unit, r) for unit, r in values["table"]]}


def series(viewer: Viewer, indicator: Indicator, unit: OrgUnit) -> list[Result]:
    """The unit's current results for the indicator that the viewer may see, oldest first."""
    return publication.for_public(viewer, f"series:{indicator.code}:{unit.code}",
                                  lambda: _series(viewer, indicator, unit))


def _series(viewer: Viewer, indicator: Indicator, unit: OrgUnit) -> list[Result]:
    return list(Result.objects.filter(viewer.results(), indicator=indicator, unit=unit, valid_to__isnull=True)
                .select_related("target").order_by("period_end"))


def series_payload(viewer: Viewer, indicator: Indicator, unit: OrgUnit, results: list[Result]) -> dict[str, Any]:
    """A series as the trend chart reads it: values (each marked official or not), the trajectory, the target
    and the forecast."""
    last = results[-1] if results else None
    return {"indicator": _indicator_dict(indicator), "unit": {"code": unit.code, "name": unit.name},
            "demo": any(r.demo for r in results),
            "points": [{"period": r.period, "end": r.period_end.isoformat(), "value": r.value,
                        "expected": r.expected, "target": r.target_value, "status": r.status,
                        "official": viewer.calendar.is_official(r.period)} for r in results],
            "target": None if last is None or last.target_value is None else {
                "value": last.target_value, "deadline": last.deadline.isoformat() if last.deadline else None},
            "forecast": None if last is None or last.forecast is None or last.deadline is None else {
                "value": last.forecast, "low": last.forecast_low, "high": last.forecast_high,
                "at": last.deadline.isoformat(), "from": last.period_end.isoformat(), "from_value": last.value}}


def api_results(viewer: Viewer, *, indicator: str = "", unit: str = "", parent: str = "", period: str = "",
                as_of: datetime.date | None = None) -> QuerySet[Result]:
    """GET /api/v1/results: what the viewer may see, filtered, newest periods first (render each row with
    `api_row`; the API pages the query, so only one page is ever read)."""
    if as_of is not None:
        query = results_as_of(datetime.datetime.combine(as_of, datetime.time.max,
                                                        tzinfo=timezone.get_current_timezone()))
    else:
        query = Result.objects.filter(valid_to__isnull=True)
    query = query.filter(viewer.results()).select_related("indicator", "unit", "target")
    filters = Q()
    if indicator:
        filters &= Q(indicator__code__in=indicator.split(","))
    if unit:
        filters &= Q(unit__code__in=unit.split(","))
    if parent:
        filters &= Q(unit__parent__code=parent)
    if period:
        filters &= Q(period__in=period.split(","))
    # Ids, not codes, after the period: the order an index holds (result_current_newest_idx), so a page of the
    # newest months is read from the index instead of sorting every current result.
    return query.filter(filters).order_by("-period_end", "indicator_id", "unit_id", "period")


def api_row(viewer: Viewer, result: Result) -> dict[str, Any]:
    """One result as the API answers it, marked official or provisional."""
    return {"indicator": result.indicator.code, "unit": result.unit.code, "unit_name": result.unit.name,
            "period": result.period, "figures": viewer.calendar.status(result.period).value,
            "value": result.value, "inputs": viewer.inputs(result.inputs, result.unit),
            "target_value": result.target_value, "target_set_on": result.target.set_on if result.target else None,
            "deadline": result.deadline, "achievement": result.achievement, "achievement_raw": result.achievement_raw,
            "expected": result.expected, "status": result.status, "forecast": result.forecast,
            "forecast_low": result.forecast_low, "forecast_high": result.forecast_high, "csi": result.csi,
            "escap_ratio": result.escap_ratio, "escap_category": result.escap_category,
            "demo": result.demo, "computed_at": result.valid_from}
