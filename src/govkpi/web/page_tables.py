"""The tables the pages show, as `Table`s for their downloads: built from the very context the page renders
(read once through the read door), with the page's columns in the interface language and its marks (demo
data, provisional figures, internal indicators). Nothing here reads the database for figures."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from govkpi.reads.labels import STATUS_LABELS
from govkpi.web.table_export import Measure, Table, measure, number, percent
from govkpi.web.templatetags.govkpi_format import local_name, month, value_of

SCORE_DECIMALS = 2
COMPONENTS = ("indicators", "tasks", "quality")


def _demo(table: Table, flags: list[bool]) -> Table:
    """The table with a "demo data" column, one mark per row, when the page marks it as demo."""
    if table.demo:
        table.headers.append(_("Số liệu minh họa"))
        for row, flag in zip(table.rows, flags, strict=True):
            row.append(bool(flag))
    return table


def _indicator_name(indicator: Any) -> str:
    name = local_name(indicator)
    return name if indicator.published else f"{name} ({_('nội bộ')})"


def _status(code: str | None) -> str:
    return str(STATUS_LABELS.get(code, code)) if code else ""


# -- results ----------------------------------------------------------------------------------------------------

PROVISIONAL_HEADERS = ("Giá trị tạm tính", "Kỳ tạm tính", "Số đơn vị đã báo cáo (tạm tính)",
                       "Số đơn vị phải báo cáo", "Hạn báo cáo")


def _provisional_cells(p: Any, indicator: Any) -> list[Any]:
    if p is None:
        return [None] * len(PROVISIONAL_HEADERS)
    return [measure(p.result.value, indicator), month(p.result.period), p.coverage.reporting, p.coverage.expected,
            p.coverage.due]


def results_table(results: dict[str, Any], *, name: str, title: str, scope: str, figures: bool = False,
                  forecast_range: bool = False) -> Table:
    """A unit's indicators (the headline is the Government's): official figure, target, status, forecast, and
    for a reader of the unit the provisional figure beside it, labelled as the page labels it."""
    rows_in = results["rows"]
    provisional = any(row["provisional"] for row in rows_in)
    headers = [_("Mã chỉ tiêu"), _("Chỉ tiêu"), _("Tình trạng"), _("Kỳ"), _("Giá trị"), _("Đơn vị tính"),
               _("Mục tiêu"), _("Thời hạn"), _("Mức đạt (%)"), _("Dự báo đến hạn")]
    if forecast_range:
        headers += [_("Dự báo: cận dưới"), _("Dự báo: cận trên")]
    if provisional:
        headers += [_(h) for h in PROVISIONAL_HEADERS]
    if figures:
        headers.append(_("Chính phủ đã công bố (số thật, có nguồn)"))
    rows, flags = [], []
    for row in rows_in:
        r, i = row["result"], row["indicator"]
        cells = [i.code, _indicator_name(i), row["status_label"] and str(row["status_label"]),
                 month(r.period) if r else "", measure(r.value if r else None, i), i.unit_of_measure,
                 measure(r.target_value if r else None, i), r.deadline if r else None,
                 percent(r.achievement if r else None), measure(r.forecast if r else None, i)]
        if forecast_range:
            cells += [measure(r.forecast_low if r else None, i), measure(r.forecast_high if r else None, i)]
        if provisional:
            cells += _provisional_cells(row["provisional"], i)
        if figures:
            cells.append("; ".join(_figure_text(f, i) for f in row.get("figures", [])))
        rows.append(cells)
        flags.append(bool((r and r.demo) or (row["provisional"] and row["provisional"].result.demo)))
    notes = [_("Số liệu chính thức của kỳ đã hết hạn báo cáo, tính từ số liệu đã phê duyệt; cột «tạm tính»: kỳ "
               "đang báo cáo, chỉ người có quyền xem đơn vị mới thấy.")] if provisional else []
    return _demo(Table(name, title, headers, rows, scope=scope, notes=notes, demo=results["demo"]), flags)


def _figure_text(figure: Any, indicator: Any) -> str:
    subset = f", {_('các tỉnh')}" if figure.subset == "provinces" else ""
    source = figure.source.number or figure.source.code
    return f"{value_of(figure.value, indicator)} ({month(figure.period)}{subset}; {source})"


def headline_table(headline: dict[str, Any]) -> Table:
    return results_table(headline, name="chi-tieu-chu-yeu", title=_("Chỉ tiêu chủ yếu của cả nước so với mục tiêu"),
                         scope=_("Cả nước"), figures=True, forecast_range=True)


def unit_results_table(results: dict[str, Any], unit: Any) -> Table:
    return results_table(results, name=f"chi-tieu-{unit.code}", title=_("Chỉ tiêu"), scope=unit.name)


def province_values_table(values: dict[str, Any], status_labels: dict | None = None) -> Table:
    """Every province's figure of one indicator in one period (the map's table)."""
    indicator = values["indicator"]
    headers = [_("Mã"), _("Tỉnh, thành phố"), _("Giá trị"), _("Mục tiêu"), _("Tình trạng")]
    rows, flags = [], []
    for unit, r in values["table"]:
        if r is None:
            rows.append([unit.code, unit.name, None, None, _("Chưa có số liệu chính thức")])
        else:
            rows.append([unit.code, unit.name, measure(r.value, indicator), measure(r.target_value, indicator),
                         _status(r.status)])
        flags.append(bool(r and r.demo))
    notes = [] if values.get("official", True) or not values["period"] else [_("Số liệu tạm tính (kỳ đang báo cáo).")]
    table = Table(f"tinh-{indicator.code}", local_name(indicator), headers, rows, scope=_("34 tỉnh, thành phố"),
                  period=month(values["period"]) if values["period"] else "", notes=notes, demo=values["demo"])
    return _demo(table, flags)


def series_table(series: list[Any], indicator: Any, unit: Any, calendar: Any) -> Table:
    """An indicator's data table for one unit, newest first, each period labelled official or provisional."""
    headers = [_("Kỳ"), _("Số liệu"), _("Giá trị"), _("Mục tiêu"), _("Lộ trình kỳ vọng"), _("Mức đạt (%)"),
               _("Tình trạng"), _("Dự báo đến hạn"), _("Dự báo: cận dưới"), _("Dự báo: cận trên"),
               _("Thành phần số liệu")]
    rows = [[month(r.period), _("chính thức") if calendar.is_official(r.period) else _("tạm tính"),
             measure(r.value, indicator), measure(r.target_value, indicator), measure(r.expected, indicator),
             percent(r.achievement), _status(r.status), measure(r.forecast, indicator),
             measure(r.forecast_low, indicator), measure(r.forecast_high, indicator), _inputs_text(r.inputs)]
            for r in series]
    demo = any(r.demo for r in series)
    table = Table(f"so-lieu-{indicator.code}-{unit.code}", f"{local_name(indicator)} — {unit.name}", headers, rows,
                  scope=unit.name, demo=demo)
    return _demo(table, [r.demo for r in series])


def _inputs_text(inputs: dict[str, Any]) -> str:
    parts = []
    for key, value in (inputs or {}).items():
        if key == "_units":
            parts.append(_("%(n)s đơn vị báo cáo") % {"n": value})
        elif not key.startswith("_"):
            parts.append(f"{key} = {value}")
    return "; ".join(parts)


def targets_table(targets: list[Any], superseded: set[int], indicator: Any) -> Table:
    headers = [_("Ngày đặt"), _("Mục tiêu"), _("Thời hạn"), _("Giá trị cơ sở"), _("Kỳ cơ sở"), _("Phạm vi"),
               _("Văn bản"), _("Hiệu lực")]
    rows = []
    for t in targets:
        scope = t.get_scope_display() + (f": {t.scope_unit.name}" if t.scope_unit else
                                         (f": {t.scope_kind}" if t.scope_kind else ""))
        rows.append([t.set_on, measure(t.value, indicator), t.deadline, measure(t.baseline_value, indicator),
                     month(t.baseline_period) if t.baseline_period else "", scope,
                     f"{t.directive} — {t.directive.title}" if t.directive else "",
                     _("đã được thay thế") if t.id in superseded else _("đang áp dụng")])
    return Table(f"muc-tieu-{indicator.code}", f"{_('Lịch sử mục tiêu')}: {local_name(indicator)}", headers, rows)


# -- scores and rankings ----------------------------------------------------------------------------------------

def _component(score: Any, name: str) -> Measure:
    part = (score.components or {}).get(name) if score is not None else None
    return number(part.get("score") if isinstance(part, dict) else None, SCORE_DECIMALS)


def ranking_title(group: str, province: Any = None) -> str:
    if group == "ministries":
        return _("Xếp hạng bộ, cơ quan ngang bộ")
    if group == "provinces":
        return _("Xếp hạng tỉnh, thành phố")
    return _("Xếp hạng xã, phường của %(p)s") % {"p": province.name if province else ""}


def ranking_table(context: dict[str, Any], compact: bool = False) -> Table:
    """A peer group's ranking as the panel shows it (compact: rank, change, unit, score)."""
    ranking, group, province = context["ranking"], context["group"], context.get("province")
    headers = [_("Hạng"), _("Thay đổi"), _("Mã đơn vị"), _("Đơn vị"), _("Điểm")]
    if not compact:
        headers += [_("Chỉ tiêu"), _("Nhiệm vụ"), _("Chất lượng số liệu")]
    rows = []
    for s in context["rows"]:
        cells = [s.rank, s.rank_change, s.unit.code, s.unit.name, number(s.value, SCORE_DECIMALS)]
        if not compact:
            cells += [_component(s, n) for n in COMPONENTS]
        rows.append(cells)
    notes = []
    if ranking.methodology:
        notes.append(_("Phương pháp phiên bản %(v)s.") % {"v": ranking.methodology.version})
    if ranking.period and not ranking.official:
        notes.append(_("Điểm tạm tính (kỳ đang báo cáo)."))
    name = "xep-hang-" + {"ministries": "bo", "provinces": "tinh"}.get(group, f"xa-{province.code if province else ''}")
    table = Table(name, ranking_title(group, province), headers, rows, scope=province.name if province else "",
                  period=month(ranking.period) if ranking.period else "", notes=notes, demo=ranking.demo)
    return _demo(table, [s.demo for s in context["rows"]])


def communes_table(communes: dict[str, Any], unit: Any) -> Table:
    """A province's communes with their score, rank and components (a commune without a score has dashes)."""
    headers = [_("Hạng"), _("Thay đổi"), _("Mã"), _("Xã, phường, đặc khu"), _("Điểm"), _("Chỉ tiêu"), _("Nhiệm vụ"),
               _("Chất lượng số liệu")]
    rows, flags = [], []
    for row in communes["rows"]:
        s, c = row["score"], row["unit"]
        rows.append([s.rank if s else None, s.rank_change if s else None, c.code, c.name,
                     number(s.value if s else None, SCORE_DECIMALS), *[_component(s, n) for n in COMPONENTS]])
        flags.append(bool(s and s.demo))
    table = Table(f"xa-phuong-{unit.code}", _("Điểm và xếp hạng các đơn vị trực thuộc"), headers, rows,
                  scope=unit.name, period=month(communes["period"]) if communes["period"] else "",
                  demo=communes["demo"])
    return _demo(table, flags)


def score_parts_table(score: Any, parts: list[dict[str, Any]], unit: Any) -> Table:
    headers = [_("Thành phần"), _("Điểm"), _("Trọng số"), _("Đóng góp")]
    rows = [[str(p["label"]), number(p.get("score"), 2), number(p.get("effective_weight"), 2),
             number(p.get("contribution"), 2)] for p in parts]
    notes = []
    if score is not None:
        notes.append(_("Hạng %(r)s/%(n)s, điểm %(v)s, phương pháp v%(m)s.") % {
            "r": score.rank or "—", "n": score.group_size, "v": f"{score.value:.2f}" if score.value is not None else "—",
            "m": score.methodology.version if score.methodology else "—"})
    table = Table(f"diem-{unit.code}", _("Điểm và thứ hạng"), headers, rows, scope=unit.name,
                  period=month(score.period) if score else "", notes=notes, demo=bool(score and score.demo))
    return _demo(table, [bool(score and score.demo)] * len(rows))


# -- tasks ------------------------------------------------------------------------------------------------------

def overdue_table(overdue: dict[str, Any]) -> Table:
    headers = [_("Mã"), _("Cơ quan chủ trì"), _("Quá hạn"), _("Tổng số"), _("Đến hạn 7 ngày")]
    rows = [[u.code, u.short_name, f.overdue, f.total, f.due_within_7] for u, f in overdue["rows"]]
    notes = [_("Đến ngày %(d)s: %(n)s nhiệm vụ quá hạn của %(u)s cơ quan, đơn vị.") % {
        "d": overdue["day"].strftime("%d/%m/%Y"), "n": overdue["total"], "u": overdue["units"]}]
    table = Table("nhiem-vu-qua-han", _("Nhiệm vụ quá hạn theo cơ quan"), headers, rows, scope=_("Cả nước"),
                  notes=notes, demo=overdue["demo"])
    return _demo(table, [overdue["demo"]] * len(rows))


def agency_figures_table(figures: list[Any], day: Any) -> Table:
    headers = [_("Mã"), _("Cơ quan"), _("Tổng"), _("Quá hạn"), _("Đang thực hiện"), _("Đúng hạn"), _("Trễ hạn"),
               _("Đến hạn 7 ngày")]
    rows = [[u.code, u.name, f.total, f.overdue, f.in_progress, f.done_on_time, f.done_late, f.due_within_7]
            for u, f in figures]
    return Table("nhiem-vu-theo-co-quan", _("Nhiệm vụ theo cơ quan"), headers, rows,
                 notes=[_("Tính đến ngày %(d)s.") % {"d": day.strftime("%d/%m/%Y")}])


def task_list_table(items: list[dict[str, Any]], day: Any, filters: str) -> Table:
    """The task board's list (every page of it, filters applied)."""
    demo = any(t["demo_status"] for t in items)
    headers = [_("Mã"), _("Nhiệm vụ"), _("Chủ trì"), _("Giao ban đầu"), _("Thời hạn"), _("Hạn (ngày)"),
               _("Tình trạng"), _("Tiến độ (%)"), _("6 rõ")]
    rows = [[t["code"], t["title"], t["lead_unit"] or "", t["assigned_unit"] if t["assigned_unit"] != t["lead_unit"]
             else "", t["deadline_text"], t["deadline"], t["status_label"], t["progress"],
             (_("Thiếu") + ": " + ", ".join(t["missing_labels"])) if t["missing_labels"] else "✓"] for t in items]
    notes = [_("Tính đến ngày %(d)s.") % {"d": day.strftime("%d/%m/%Y")}] + ([f"{_('Lọc')}: {filters}"] if filters else [])
    table = Table("nhiem-vu", _("Theo dõi nhiệm vụ"), headers, rows, notes=notes, demo=demo)
    return _demo(table, [t["demo_status"] for t in items])


# -- units ------------------------------------------------------------------------------------------------------

def provinces_table(provinces: Any) -> Table:
    rows = [[p.code, p.name, p.child_count] for p in provinces]
    return Table("tinh-thanh-pho", _("Tỉnh, thành phố trực thuộc trung ương"),
                 [_("Mã"), _("Tên"), _("Số xã, phường, đặc khu")], rows)


def ministries_table(ministries: Any) -> Table:
    rows = [[m.code, m.name] for m in ministries]
    return Table("bo-co-quan-ngang-bo", _("Bộ, cơ quan ngang bộ"), [_("Mã"), _("Tên")], rows)
