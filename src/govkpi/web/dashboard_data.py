"""What the dashboards show, read from results, scores, tasks, the catalog and the change events.

Every reader here takes the user, so that an unpublished indicator reaches only signed-in users with read
rights (the same rule as the API: published, or a unit the user may read). Each function is a handful of
queries whatever the number of units.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govkpi.accounts.permissions import User, can, sees_unpublished, units_where
from govkpi.accounts.roles import Action
from govkpi.core.task_status import AgencyFigures
from govkpi.evaluation.models import Methodology, Result, Score
from govkpi.events.models import ChangeEvent
from govkpi.indicators.models import Indicator, ReportedFigure
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.reference import GOVERNMENT_CODE
from govkpi.tasks.figures import figures_by_unit
from govkpi.tasks.models import Task

GROUPS = ("ministries", "provinces", "communes")
STATUS_LABELS = {
    "achieved": gettext_lazy("Đã đạt"), "on_track": gettext_lazy("Đúng tiến độ"),
    "at_risk": gettext_lazy("Có nguy cơ chậm"), "off_track": gettext_lazy("Chậm tiến độ"),
    "no_data": gettext_lazy("Chưa có số liệu"), "no_target": gettext_lazy("Chưa có mục tiêu"),
}
TASK_STATE_LABELS = {
    "not_started": gettext_lazy("Chưa triển khai"), "in_progress": gettext_lazy("Đang thực hiện"),
    "overdue": gettext_lazy("Quá hạn"), "done_on_time": gettext_lazy("Hoàn thành đúng hạn"),
    "done_late": gettext_lazy("Hoàn thành quá hạn"), "paused": gettext_lazy("Tạm dừng"),
    "cancelled": gettext_lazy("Hủy bỏ"), "not_yet_assigned": gettext_lazy("Chưa giao"),
}
COMPONENT_LABELS = {"indicators": gettext_lazy("Chỉ tiêu"), "tasks": gettext_lazy("Nhiệm vụ"),
                    "quality": gettext_lazy("Chất lượng số liệu")}
TOP_AGENCIES = 10
CHANGES_SHOWN = 12
TASK_FIGURES_SECONDS = 600


# -- who sees what -------------------------------------------------------------------------------------------

def visible_indicators(user: User) -> QuerySet[Indicator]:
    """Published indicators; every indicator for a signed-in user with read rights somewhere."""
    return Indicator.objects.all() if sees_unpublished(user) else Indicator.objects.filter(published=True)


def visible_results(user: User, prefix: str = "") -> Q:
    """A filter on Result (or, with `prefix`, on a relation to it): published, or a unit the user may read."""
    published = Q(**{f"{prefix}indicator__published": True})
    if not sees_unpublished(user):
        return published
    readable = OrgUnit.objects.filter(units_where(user, Action.READ))
    return published | Q(**{f"{prefix}unit__in": readable})


def sees_unit_unpublished(user: User, unit: OrgUnit) -> bool:
    return sees_unpublished(user) and can(user, Action.READ, unit)


def latest_per_indicator(results) -> list[Result]:  # noqa: ANN001 - a Result queryset
    """The latest period of each indicator among the results, in indicator code order."""
    latest: dict[int, Result] = {}
    for result in results.order_by("period_end", "id"):
        latest[result.indicator_id] = result
    return sorted(latest.values(), key=lambda r: r.indicator.code)


# -- national dashboard --------------------------------------------------------------------------------------

def headline(user: User) -> dict[str, Any]:
    """The Government's latest judged result per indicator, each with the figures the Government published,
    and the cited figures of indicators not judged yet."""
    results = latest_per_indicator(
        Result.objects.filter(visible_results(user), unit__code=GOVERNMENT_CODE, valid_to__isnull=True,
                              period_end__lt=timezone.localdate())  # a period still open is partial
        .select_related("indicator", "target__directive"))
    indicators = visible_indicators(user)
    figures: dict[int, list[ReportedFigure]] = defaultdict(list)
    for figure in (ReportedFigure.objects.filter(unit__code=GOVERNMENT_CODE, indicator__in=indicators)
                   .select_related("indicator", "source").order_by("indicator__code", "period")):
        figures[figure.indicator_id].append(figure)
    judged = {r.indicator_id for r in results}
    rows = [{"result": r, "indicator": r.indicator, "figures": figures.get(r.indicator_id, []),
             "status_label": STATUS_LABELS.get(r.status, r.status)} for r in results]
    cited = [f for iid, group in figures.items() if iid not in judged for f in group]
    return {"rows": rows, "cited": cited, "demo": any(r.demo for r in results)}


def task_figures(day: datetime.date) -> list[tuple[OrgUnit, AgencyFigures]]:
    """figures_by_unit for the day, cached until the next task change event (every task write emits one), since
    computing every task's state takes about 150 ms with the reference dataset."""
    last = ChangeEvent.objects.filter(kind="task").order_by("-id").values_list("id", flat=True).first()
    key = f"web:task-figures:{day.isoformat()}:{last}:{Task.objects.count()}"
    figures = cache.get(key)
    if figures is None:
        tasks = (Task.objects.filter(lead_unit__isnull=False, children__isnull=True).select_related("lead_unit")
                 .only("id", "code", "assigned_on", "original_deadline", "lead_unit_id", "lead_unit__code",
                       "lead_unit__name", "lead_unit__short_name", "lead_unit__kind"))
        figures = [(u, f) for u, f in figures_by_unit(day, tasks) if f.total]
        cache.set(key, figures, TASK_FIGURES_SECONDS)
    return figures


def overdue_by_agency(day: datetime.date, limit: int = TOP_AGENCIES) -> dict[str, Any]:
    """Agencies with the most overdue tasks on the day, and the totals."""
    figures = task_figures(day)
    return {"day": day, "rows": [(u, f) for u, f in figures if f.overdue][:limit],
            "total": sum(f.overdue for _u, f in figures), "units": sum(1 for _u, f in figures if f.overdue),
            "demo": Task.objects.filter(demo_status=True, lead_unit__isnull=False).exists()}


def group_key(group: str, province: str = "") -> str | None:
    if group == "communes":
        return f"communes:{province}" if province else None
    return group if group in GROUPS else None


def latest_score_period(group: str) -> str | None:
    return (Score.objects.filter(group=group, valid_to__isnull=True).order_by("-period")
            .values_list("period", flat=True).first())


def ranking(group: str, period: str = "") -> dict[str, Any]:
    """A peer group's current ranking for a month (default: the latest scored)."""
    period = period or latest_score_period(group) or ""
    rows = list(Score.objects.filter(group=group, period=period, valid_to__isnull=True)
                .select_related("unit", "methodology").order_by("rank", "unit__code"))
    periods = list(Score.objects.filter(group=group, valid_to__isnull=True).order_by("-period")
                   .values_list("period", flat=True).distinct()[:24])
    return {"group": group, "period": period or None, "rows": rows, "periods": periods,
            "demo": any(s.demo for s in rows), "methodology": rows[0].methodology if rows else None}


def map_indicators(user: User) -> list[Indicator]:
    """Visible indicators with results for provinces: what the map can show."""
    ids = (Result.objects.filter(visible_results(user), valid_to__isnull=True, unit__kind="province")
           .values_list("indicator_id", flat=True).distinct())
    return list(visible_indicators(user).filter(id__in=ids).order_by("code"))


def _indicator_dict(indicator: Indicator) -> dict[str, Any]:
    return {"code": indicator.code, "name": indicator.name_vi, "unit_of_measure": indicator.unit_of_measure,
            "value_type": indicator.value_type, "decimals": indicator.decimals, "direction": indicator.direction}


def province_values(user: User, indicator: Indicator, period: str = "") -> dict[str, Any]:
    """Each current province's result for the indicator in one period (default: the latest with results)."""
    query = Result.objects.filter(visible_results(user), indicator=indicator, valid_to__isnull=True,
                                  unit__kind="province", unit__valid_to__isnull=True)
    if not period:
        # The latest period that has ended: the month in progress holds only the first reports.
        period = (query.filter(period_end__lt=timezone.localdate()).order_by("-period_end")
                  .values_list("period", flat=True).first() or "")
    rows = list(query.filter(period=period).select_related("unit").order_by("unit__code"))
    reverse_order = indicator.direction == "lower_is_better"
    ranked = sorted((r for r in rows if r.value is not None), key=lambda r: r.value, reverse=not reverse_order)
    return {"indicator": indicator, "period": period or None, "rows": rows, "ranked": ranked,
            "demo": any(r.demo for r in rows)}


def map_payload(values: dict[str, Any]) -> dict[str, Any]:
    """The province values as the map script reads them (JSON)."""
    return {"indicator": _indicator_dict(values["indicator"]), "period": values["period"], "demo": values["demo"],
            "items": [{"code": r.unit.code, "name": r.unit.name, "value": r.value, "target": r.target_value,
                       "achievement": r.achievement, "status": r.status,
                       "status_label": str(STATUS_LABELS.get(r.status, r.status)),
                       "url": reverse("web:unit", args=[r.unit.code])} for r in values["rows"]]}


def series(user: User, indicator: Indicator, unit: OrgUnit) -> list[Result]:
    """The unit's current results for the indicator, oldest first (empty when the user may not see them)."""
    if not indicator.published and not sees_unit_unpublished(user, unit):
        return []
    return list(Result.objects.filter(indicator=indicator, unit=unit, valid_to__isnull=True)
                .select_related("target").order_by("period_end"))


def series_payload(indicator: Indicator, unit: OrgUnit, results: list[Result]) -> dict[str, Any]:
    """A series as the trend chart reads it: values, the trajectory, the target and the forecast."""
    last = results[-1] if results else None
    return {"indicator": _indicator_dict(indicator), "unit": {"code": unit.code, "name": unit.name},
            "demo": any(r.demo for r in results),
            "points": [{"period": r.period, "end": r.period_end.isoformat(), "value": r.value,
                        "expected": r.expected, "target": r.target_value, "status": r.status} for r in results],
            "target": None if last is None or last.target_value is None else {
                "value": last.target_value, "deadline": last.deadline.isoformat() if last.deadline else None},
            "forecast": None if last is None or last.forecast is None or last.deadline is None else {
                "value": last.forecast, "low": last.forecast_low, "high": last.forecast_high,
                "at": last.deadline.isoformat(), "from": last.period_end.isoformat(), "from_value": last.value}}


# -- what changed ----------------------------------------------------------------------------------------------

TASK_CHANGES = {
    "created": gettext_lazy("được giao"), "progress": gettext_lazy("cập nhật tiến độ"),
    "product_submitted": gettext_lazy("nộp sản phẩm"), "stage": gettext_lazy("chuyển tình trạng"),
    "extension_requested": gettext_lazy("xin gia hạn"), "extension_decided": gettext_lazy("được quyết định gia hạn"),
    "fan_out": gettext_lazy("giao cho các đơn vị"), "occurrences": gettext_lazy("tạo kỳ mới"),
}


def _describe(event: ChangeEvent, units: dict[str, OrgUnit], visible: set[str]) -> dict[str, Any]:
    p = event.payload
    named = [units[c] for c in event.units if c in units]
    who = ", ".join(u.short_name for u in named[:3]) + ("…" if len(named) > 3 else "")
    link = reverse("web:unit", args=[named[0].code]) if len(named) == 1 else ""
    if event.kind == "datavalues":
        text = _("%(n)s giá trị số liệu được ghi") % {"n": p.get("imported", p.get("written", "?"))}
        text += f" — {who}" if who else (" — " + _("nhiều đơn vị") if p.get("wide") else "")
    elif event.kind == "task":
        text = _("Nhiệm vụ %(task)s %(change)s") % {"task": p.get("task", ""),
                                                   "change": TASK_CHANGES.get(p.get("change"), p.get("change", ""))}
        text += f" — {who}" if who else ""
        link = reverse("web:task", args=[p["task"]]) if p.get("task") else link
    elif event.kind == "approval":
        text = _("Phê duyệt số liệu kỳ %(period)s: %(state)s") % {
            "period": ", ".join(event.periods), "state": p.get("state", "")} + (f" — {who}" if who else "")
    elif event.kind == "targets":
        shown = [c for c in p.get("indicators", []) if c in visible]
        text = _("Mục tiêu thay đổi, đánh giá lại %(n)s chỉ tiêu") % {"n": len(shown)}
        link = reverse("web:indicator", args=[shown[0]]) if len(shown) == 1 else ""
    elif event.kind == "results":
        text = _("%(n)s kết quả đánh giá được tính lại") % {"n": p.get("changed", "?")} + (f" — {who}" if who else "")
    elif event.kind == "scores":
        text = _("%(n)s điểm xếp hạng được tính lại") % {"n": p.get("changed", "?")}
        link = reverse("web:rankings")
    else:
        text = event.kind + (f" — {who}" if who else "")
    return {"id": event.id, "at": event.at, "kind": event.kind, "text": text, "link": link}


def recent_changes(user: User, limit: int = CHANGES_SHOWN) -> dict[str, Any]:
    """The latest change events in words, with how many happened today."""
    events = list(ChangeEvent.objects.order_by("-id")[:limit])
    codes = {c for e in events for c in e.units[:4]}
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
    visible = set(visible_indicators(user).values_list("code", flat=True))
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return {"items": [_describe(e, units, visible) for e in events],
            "today": ChangeEvent.objects.filter(at__gte=start).count()}


# -- methodology ----------------------------------------------------------------------------------------------

def methodology_versions() -> list[Methodology]:
    return list(Methodology.objects.order_by("-version"))


def empty_figures() -> AgencyFigures:
    return AgencyFigures()
