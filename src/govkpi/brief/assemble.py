"""The meeting brief ("báo cáo giao ban") of a scope and a period, as it stood at one moment, for one viewer.

Everything is read through the read door: results and scores as they stood at `as_of` (their versioned rows,
evaluation.engine.results_as_of / evaluation.scores.scores_as_of) filtered by the viewer's rule
(reads.visibility.Viewer), with official and provisional periods as the calendar said on `as_of`'s day. So the
same scope, period, as_of and viewer give the same brief again; what has no as-of read is said in the notes.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from statistics import median
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from govkpi.brief.document import (
    Brief,
    CitedFigure,
    Headline,
    ProblemLine,
    ProvisionalFigure,
    QualityLine,
    RankChange,
    Scope,
    TaskLine,
    UnitBehind,
    Verdict,
)
from govkpi.core.periods import Period, PeriodType, parse_period, period_of
from govkpi.core.task_status import State, days_overdue, deadline_on, state_on
from govkpi.evaluation.engine import results_as_of
from govkpi.evaluation.models import Result, Score
from govkpi.evaluation.scores import scores_as_of
from govkpi.indicators.models import ReportedFigure
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.reference import GOVERNMENT_CODE
from govkpi.orgunits.resolve import resolve_unit
from govkpi.problems.figures import all_problems, standing
from govkpi.problems.models import PENDING
from govkpi.reads.official import Calendar
from govkpi.reads.problems import problems_q
from govkpi.reads.results import latest_per_indicator
from govkpi.reads.visibility import Viewer
from govkpi.tasks.figures import facts_for, figures_by_unit
from govkpi.tasks.models import Task

NATIONAL = "national"
COMMEND_TOP = 3  # the first three of a peer group are proposed for commendation
CALL_OUT_BOTTOM = 3  # the last three are proposed to be called out (never one already commended)
JUDGED = ("achieved", "on_track", "at_risk", "off_track")
COMPONENTS = ("indicators", "tasks", "quality")
AS_OF_NOTES = [
    (("Kết quả, điểm và xếp hạng được đọc đúng như tại thời điểm lập (bản ghi có phiên bản). Trạng thái chính thức "
      "của một kỳ theo ngày của thời điểm đó; riêng quy tắc «chính thức sớm khi mọi đơn vị đã được duyệt» đọc tình "
      "trạng phê duyệt hiện tại."),
     ("Results, scores and ranks are read as they stood at the moment (versioned rows). A period's official status "
      "is the calendar's on that day; only the rule «official early once every unit is approved» reads today's "
      "approvals.")),
    (("Nhiệm vụ được tính theo các sự kiện có ngày của nhiệm vụ đến ngày lập; số liệu Chính phủ công bố, tên đơn vị "
      "và việc công khai chỉ tiêu là như hiện tại (không có bản lưu theo thời điểm)."),
     ("Tasks are counted from their dated facts up to the day; the Government's published figures, unit names and "
      "which indicators are published are as they are now (they have no as-of record).")),
]


class BriefRefused(PermissionError):
    """The viewer may not read the scope's unit, or the scope or period is not one a brief is made for."""

    def __init__(self, message_vi: str, message_en: str, code: str = "invalid") -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.message_vi, self.message_en, self.code = message_vi, message_en, code  # code: invalid | forbidden


class EveryUnitReader(Viewer):
    """A reader of the whole country who is nobody in particular: what the scheduled national briefs are made
    with (the people they are sent to all read the whole country)."""

    is_public = False
    reads_everything = True

    @property
    def readable_units(self) -> QuerySet[OrgUnit]:  # type: ignore[override]
        return OrgUnit.objects.all()

    def may_read(self, unit: OrgUnit) -> bool:
        return True


def scope_unit(scope: str) -> OrgUnit:
    """The unit a scope names: "national" is the Government; otherwise a unit's code, or its name as people
    write it ("Hà Nội", "TP.HCM", "Bộ Công an": the name resolver; a merged province's old name gives its
    successor)."""
    text = scope.strip()
    code = GOVERNMENT_CODE if text.lower() in ("", NATIONAL, "toàn quốc", "toan quoc") else text
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is not None:
        return unit
    found = resolve_unit(text)
    if found.unit is None:
        raise BriefRefused(found.message_vi or f"Không tìm thấy đơn vị «{scope}».",
                           found.message_en or f"No unit «{scope}».")
    return found.unit


def brief_period(text: str) -> Period:
    """A month (2026-10, 202610, or 10/2026 as the pages write it) or a quarter (2026-Q3, 2026Q3)."""
    cleaned = text.strip().upper().replace("-", "")
    written = re.fullmatch(r"(?:THÁNG\s*)?(\d{1,2})/(\d{4})", cleaned)
    if written:
        cleaned = f"{written[2]}{int(written[1]):02d}"
    try:
        period = parse_period(cleaned)
    except ValueError:
        period = None
    if period is None or period.type not in (PeriodType.MONTHLY, PeriodType.QUARTERLY):
        raise BriefRefused(f"Kỳ «{text}» không hợp lệ: ghi tháng (2026-10) hoặc quý (2026-Q3).",
                           f"«{text}» is not a period: give a month (2026-10) or a quarter (2026-Q3).")
    return period


def explain_link(code: str, month: str) -> str:
    """The address of the page that explains a unit's score in a month."""
    return f"{settings.SITE_URL}{reverse('web:score_explain', args=[code])}?period={month}"


def assemble(scope: str, period: str, as_of: datetime.datetime, viewer: Viewer) -> Brief:
    """The brief of the scope ("national" or a unit code) for the period, from the data as it stood at `as_of`,
    as `viewer` may see it."""
    unit = scope_unit(scope)
    if not viewer.may_read(unit):
        raise BriefRefused(f"Bạn không có quyền xem số liệu của {unit.name}.",
                           f"You may not read the figures of {unit.name_en or unit.name}.", code="forbidden")
    parsed = brief_period(period)
    day = timezone.localtime(as_of).date()
    viewer = type(viewer)(viewer.user, Calendar(today=day))  # official periods as the calendar said that day
    month = period_of(PeriodType.MONTHLY, parsed.end).id
    brief = Brief(scope=Scope(unit.code, unit.name, unit.name_en, unit.kind, unit.code == GOVERNMENT_CODE),
                  period=parsed.id, period_vi=parsed.label_vi, period_en=parsed.label_en, month=month, as_of=as_of,
                  official=viewer.calendar.is_official(month), notes=list(AS_OF_NOTES))
    results = results_as_of(as_of).filter(viewer.results()).select_related("indicator", "unit")
    brief.headlines = _headlines(viewer, unit, results, parsed)
    brief.behind = _behind(viewer, unit, results, parsed, day)
    brief.soon_days = max(settings.REMIND_TASK_DAYS or (7,))
    brief.tasks = _tasks(unit, day, brief.soon_days)
    brief.problems = _problems(viewer, unit, as_of)
    scores = scores_as_of(as_of).filter(viewer.scores()).select_related("unit")
    lines = _score_lines(unit, scores.filter(period=month), day)
    previous = {s.unit_id: s for s in scores.filter(period=parse_period(month).previous().id,
                                                    unit__in=[s.unit_id for s in lines])}
    brief.groups = {s.group: s.unit.parent.name for s in lines if s.group.startswith("communes:")} if lines else {}
    brief.rank_changes = _rank_changes(lines, previous, month)
    own = next((s for s in lines if s.unit_id == unit.pk), None)
    if own is not None and unit.code != GOVERNMENT_CODE:
        brief.standing = (own.rank, own.group_size, own.value, own.rank_change)
    brief.quality = _quality(lines)
    # Overdue tasks held by each unit on the day, and the middle of each peer group (the whole group, even when
    # the scope shows one unit of it): a unit late on more than most of its peers is not commended.
    overdue = {agency.code: figures.overdue for agency, figures in figures_by_unit(day)}
    peers: dict[str, list[int]] = defaultdict(list)
    for group, code in scores.filter(period=month, group__in={s.group for s in lines}).values_list("group",
                                                                                                 "unit__code"):
        peers[group].append(overdue.get(code, 0))
    typical = {group: median(counts) for group, counts in peers.items()}
    brief.commend, brief.call_out = _verdicts(unit, lines, month, overdue, typical)
    if not brief.official:
        brief.notes.insert(0, ((f"{parsed.label_vi} chưa có số liệu chính thức tại thời điểm lập; điểm, xếp hạng "
                                "và đề xuất biểu dương, nhắc nhở là tạm tính; mục 2 chỉ xét số liệu chính thức."),
                               (f"{parsed.label_en} was not official at the moment; scores, ranks and the units to "
                                "commend or call out are provisional; section 2 counts official figures only.")))
    return brief


# -- 1. headline indicators ----------------------------------------------------------------------------------

def _headlines(viewer: Viewer, unit: OrgUnit, results: QuerySet[Result], period: Period) -> list[Headline]:
    """The scope unit's latest official result per indicator up to the period's end, the newer provisional one
    beside it for a reader of the unit, and the Government's published figures."""
    calendar = viewer.calendar
    mine = results.filter(unit=unit, period_end__lte=period.end)
    official = {r.indicator_id: r for r in latest_per_indicator(mine.filter(calendar.official_q()))}
    provisional: dict[int, Result] = {}
    if viewer.may_read(unit):
        for r in latest_per_indicator(mine.exclude(calendar.official_q())):
            if r.indicator_id not in official or official[r.indicator_id].period_end < r.period_end:
                provisional[r.indicator_id] = r
    figures: dict[int, list[CitedFigure]] = defaultdict(list)
    indicators = {r.indicator_id: r.indicator for r in [*official.values(), *provisional.values()]}
    for figure in (ReportedFigure.objects.filter(unit=unit, indicator__in=viewer.indicators())
                   .select_related("indicator", "source").order_by("indicator__code", "period", "id")):
        if parse_period(figure.period).end <= period.end:
            figures[figure.indicator_id].append(CitedFigure(
                figure.value, figure.period, _source(figure.source), figure.subset))
            indicators.setdefault(figure.indicator_id, figure.indicator)
    out = []
    for indicator_id, indicator in sorted(indicators.items(), key=lambda item: item[1].code):
        r = official.get(indicator_id)
        p = provisional.get(indicator_id)
        out.append(Headline(
            code=indicator.code, name_vi=indicator.name_vi, name_en=indicator.name_en or indicator.name_vi,
            uom=indicator.unit_of_measure, decimals=indicator.decimals, period=r.period if r else "",
            value=r.value if r else None, target=r.target_value if r else None, deadline=r.deadline if r else None,
            achievement=r.achievement if r else None, status=r.status if r else "no_data",
            forecast=r.forecast if r else None, forecast_low=r.forecast_low if r else None,
            forecast_high=r.forecast_high if r else None, demo=bool(r and r.demo) or bool(p and p.demo),
            provisional=ProvisionalFigure(p.period, p.value, p.status, calendar.due(p.period)) if p else None,
            figures=figures.get(indicator_id, [])))
    # Judged indicators first (worst status first within the judged), then those with cited figures only.
    order = {"off_track": 0, "at_risk": 1, "on_track": 2, "achieved": 3}
    return sorted(out, key=lambda h: (h.value is None and h.provisional is None, order.get(h.status, 4), h.code))


def _source(directive) -> str:
    """A published figure's source, short: the document's number (or code) and date."""
    return f"{directive.number or directive.code}, {directive.issued_on:%d/%m/%Y}"


# -- 2. units behind -----------------------------------------------------------------------------------------

def _judged_units(unit: OrgUnit, day: datetime.date) -> QuerySet[OrgUnit]:
    """The units a scope's brief judges one by one: ministries and provinces nationally, a province's communes."""
    current = OrgUnit.objects.valid_on(day)
    if unit.code == GOVERNMENT_CODE:
        return current.filter(kind__in=("ministry", "province"))
    if unit.kind == "province":
        return current.filter(kind="commune", path__startswith=unit.path)
    return current.none()


def _behind(viewer: Viewer, unit: OrgUnit, results: QuerySet[Result], period: Period,
            day: datetime.date) -> list[UnitBehind]:
    """Units with official results off track among those of the periods ending within the brief's period."""
    rows = (results.filter(viewer.calendar.official_q(), unit__in=_judged_units(unit, day),
                           period_end__gte=period.start, period_end__lte=period.end)
            .order_by("unit__code", "indicator__code", "-period_end"))
    latest: dict[tuple[int, int], Result] = {}
    for r in rows:
        latest.setdefault((r.unit_id, r.indicator_id), r)
    by_unit: dict[int, list[Result]] = defaultdict(list)
    for r in latest.values():
        if r.status in JUDGED:
            by_unit[r.unit_id].append(r)
    out = []
    for judged in by_unit.values():
        late = [r for r in judged if r.status == "off_track"]
        if not late:
            continue
        worst = min(late, key=lambda r: (r.achievement if r.achievement is not None else -1, r.indicator.code))
        u = worst.unit
        out.append(UnitBehind(u.code, u.name, u.kind, len(late), len(judged), worst.indicator.code,
                              worst.indicator.name_vi, worst.achievement, any(r.demo for r in judged)))
    return sorted(out, key=lambda b: (-b.off_track, b.worst_achievement or 0, b.code))


# -- 3. tasks ------------------------------------------------------------------------------------------------

def _tasks(unit: OrgUnit, day: datetime.date, soon_days: int) -> list[TaskLine]:
    """Tasks led within the scope, overdue on the day or due within `soon_days`, by agency (the public register's
    fields only: title, lead unit, deadline, state, progress)."""
    tasks = list(Task.objects.filter(lead_unit__path__startswith=unit.path, children__isnull=True,
                                     assigned_on__lte=day).select_related("lead_unit").order_by("code"))
    facts = facts_for(tasks)
    out = []
    for task in tasks:
        fact = facts[task.pk]
        state = state_on(fact, day)
        deadline = deadline_on(fact, day)
        if state is State.OVERDUE:
            out.append(_task_line(task, deadline, "overdue", days_overdue(fact, day)))
        elif state in (State.NOT_STARTED, State.IN_PROGRESS) and deadline and 0 <= (deadline - day).days <= soon_days:
            out.append(_task_line(task, deadline, "due_soon", (deadline - day).days))
    return sorted(out, key=lambda t: (t.agency_code, t.state != "overdue", -t.days if t.state == "overdue" else t.days,
                                      t.code))


def _task_line(task: Task, deadline: datetime.date | None, state: str, days: int) -> TaskLine:
    lead = task.lead_unit
    return TaskLine(lead.code, lead.name, task.code, task.title, deadline, state, days, task.progress,
                    task.demo_status)


# -- 7. problems raised from below ---------------------------------------------------------------------------

def _problems(viewer: Viewer, unit: OrgUnit, as_of: datetime.datetime) -> list[ProblemLine]:
    """Problems raised within the scope or to be answered within it, still waiting at `as_of` (their state then,
    from their dated events), by acting agency, the longest overdue first."""
    within = (Q(raising_unit__path__startswith=unit.path) | Q(acting_unit__path__startswith=unit.path))
    out = []
    for s in standing(all_problems().filter(within, problems_q(viewer)).select_related("raising_unit"), as_of):
        if s.state not in PENDING:
            continue
        p = s.problem
        out.append(ProblemLine(p.acting_unit.code, p.acting_unit.name, p.raising_unit.name, p.kind, p.title,
                               p.task.code if p.task_id else "", timezone.localdate(p.raised_at), p.answer_due,
                               s.state, s.days_overdue))
    return sorted(out, key=lambda line: (line.acting_code, line.state != "open", -line.days_overdue,
                                         line.raised_on, line.title))


# -- 4, 5, 6. scores: ranking changes, data quality, commend and call out --------------------------------------

def _score_lines(unit: OrgUnit, month_scores: QuerySet[Score], day: datetime.date) -> list[Score]:
    """The scores a scope's brief shows for the month: the judged units' and the scope unit's own."""
    wanted = month_scores.filter(unit__in=_judged_units(unit, day)) | month_scores.filter(unit=unit)
    return list(wanted.select_related("unit__parent").order_by("group", "rank", "unit__code"))


def _contribution(score: Score, name: str) -> float:
    return float((score.components.get(name) or {}).get("contribution") or 0.0)


def _rank_changes(lines: list[Score], previous: dict[int, Score], month: str) -> list[RankChange]:
    out = []
    for s in lines:
        change = s.rank_change
        if not change:
            continue
        before = previous.get(s.unit_id)
        deltas: dict[str, float] = {}
        if before is not None:
            moved = {n: round(_contribution(s, n) - _contribution(before, n), 2) for n in COMPONENTS}
            deltas = dict(sorted(((n, d) for n, d in moved.items() if d), key=lambda item: -abs(item[1])))
        out.append(RankChange(s.group, s.unit.code, s.unit.name, s.rank, s.previous_rank, change, s.value, deltas,
                              explain_link(s.unit.code, month), s.demo))
    return sorted(out, key=lambda c: (-abs(c.change), c.group, c.rank or 0, c.code))


def _quality(lines: list[Score]) -> list[QualityLine]:
    out = []
    for s in lines:
        q: dict[str, Any] = s.components.get("quality") or {}
        if not q.get("expected"):  # owing nothing yet (before the due date, nothing sent): not measured
            continue
        out.append(QualityLine(s.group, s.unit.code, s.unit.name, q.get("expected"), q.get("received"), q.get("du"),
                               q.get("song"), q.get("sach"), q.get("dung"), q.get("score"), s.demo))
    return sorted(out, key=lambda q: (q.score if q.score is not None else -1, q.code))


def _verdict(s: Score, month: str, strongest: bool) -> Verdict:
    parts = [(n, (s.components.get(n) or {}).get("score")) for n in COMPONENTS]
    parts = [(n, v) for n, v in parts if v is not None]
    pick = (max if strongest else min)(parts, key=lambda item: item[1]) if parts else ("", None)
    return Verdict(s.group, s.unit.code, s.unit.name, s.rank, s.group_size, s.value, pick[0], pick[1],
                   explain_link(s.unit.code, month), s.demo)


def _call_out_from(group: list[Score]) -> int:
    """The rank from which a group's units are called out: the rank of the CALL_OUT_BOTTOM-th last unit (ties
    included: units sharing the last places share the call), or from the group's size when only part of the
    group is in the brief (a province's own line among the provinces)."""
    size = group[0].group_size
    ranks = sorted(s.rank for s in group if s.rank is not None)
    if len(ranks) == size and ranks:
        return ranks[-min(CALL_OUT_BOTTOM, len(ranks))]
    return size - CALL_OUT_BOTTOM + 1


def _verdicts(unit: OrgUnit, lines: list[Score], month: str, overdue: dict[str, int],
              typical: dict[str, float]) -> tuple[list[Verdict], list[Verdict]]:
    """Under the methodology's ranks: the first COMMEND_TOP of each peer group to commend, the last
    CALL_OUT_BOTTOM places to call out (a scope unit shown alone in its group is judged by the same ranks). A unit
    with no indicator judged in the month is not commended: its score is its data quality and tasks alone. Nor
    is a unit holding more overdue tasks (on the brief's day) than the middle unit of its group: a ministry late
    on more tasks than most of its peers is not held up as an example, whatever its score ("phân minh")."""
    groups: dict[str, list[Score]] = defaultdict(list)
    for s in lines:
        if s.rank is not None and s.group_size:
            groups[s.group].append(s)
    commend, call_out = [], []
    for group in groups.values():
        bottom = _call_out_from(group)
        for s in group:
            judged = (s.components.get("indicators") or {}).get("score") is not None
            late = overdue.get(s.unit.code, 0) > typical.get(s.group, 0)
            if s.rank <= COMMEND_TOP and judged and not late:
                commend.append(_verdict(s, month, strongest=True))
            elif s.rank >= bottom and s.rank > COMMEND_TOP:
                call_out.append(_verdict(s, month, strongest=False))
    commend.sort(key=lambda v: (v.group, v.rank or 0, v.code))
    call_out.sort(key=lambda v: (v.group, -(v.rank or 0), v.code))
    return commend, call_out
