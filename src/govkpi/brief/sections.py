"""The brief laid out as numbered sections of paragraphs and tables, in one language: what every renderer writes.

Cells keep their type (a number stays a number, with its decimals; a date a date) so the spreadsheet holds real
figures and the documents write them the language's way.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from govkpi.brief.document import Brief, Headline, TaskLine, Verdict
from govkpi.brief.words import WORDS, day, kind_word, number, signed, status_word, word
from govkpi.core.periods import parse_period


@dataclass(frozen=True)
class Num:
    value: float | int | None
    decimals: int = 1


Cell = str | Num | datetime.date | None


@dataclass
class Table:
    name: str  # the sheet's name (short, no special characters)
    columns: list[str]
    rows: list[list[Cell]]
    widths: list[float] = field(default_factory=list)  # relative widths for the documents
    doc_skip: tuple[int, ...] = ()  # columns the documents leave to the spreadsheet (too wide for A4)


@dataclass
class Section:
    number: int
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def text(cell: Cell, lang: str) -> str:
    """A cell as the documents write it."""
    if cell is None:
        return ""
    if isinstance(cell, Num):
        return number(cell.value, lang, cell.decimals)
    if isinstance(cell, datetime.date):
        return day(cell, lang)
    return cell


def period_label(period: str, lang: str) -> str:
    if not period:
        return "–"
    parsed = parse_period(period)
    return parsed.label_vi if lang == "vi" else parsed.label_en


def group_label(brief: Brief, group: str, lang: str) -> str:
    if group.startswith("communes:"):
        return word("communes", lang, name=brief.groups.get(group, group.split(":", 1)[1]))
    return word(group, lang) if group in ("ministries", "provinces") else group


def demo_mark(demo: bool, lang: str) -> str:
    return word("demo", lang) if demo else ""


def component_label(name: str, lang: str) -> str:
    return word(f"comp_{name}", lang) if name else "–"


def _subset(subset: str, lang: str) -> str:
    return word(f"subset_{subset}", lang) if f"subset_{subset}" in WORDS else subset


def _figures(h: Headline, lang: str) -> str:
    return "; ".join(f"{number(f.value, lang, h.decimals if float(f.value).is_integer() else max(h.decimals, 2))} "
                     f"({period_label(f.period, lang)}"
                     f"{', ' + _subset(f.subset, lang) if f.subset else ''}; {f.source})" for f in h.figures)


def _provisional(h: Headline, lang: str) -> str:
    p = h.provisional
    if p is None:
        return ""
    return (f"{number(p.value, lang, h.decimals)} ({word('provisional', lang)}, {period_label(p.period, lang)}, "
            f"{status_word(p.status, lang)})")


def headline_table(brief: Brief, lang: str) -> Table:
    w = lambda key: word(key, lang)
    rows: list[list[Cell]] = [[
        h.code, h.name_vi if lang == "vi" else h.name_en, period_label(h.period, lang), Num(h.value, h.decimals),
        h.uom, Num(h.target, h.decimals), h.deadline, Num(h.achievement, 1), status_word(h.status, lang),
        Num(h.forecast, h.decimals), _provisional(h, lang), _figures(h, lang), demo_mark(h.demo, lang)]
        for h in brief.headlines]
    return Table("1_ChiTieu" if lang == "vi" else "1_Indicators",
                 [w("code"), w("indicator"), w("period"), w("value"), w("uom"), w("target"), w("deadline"),
                  w("achievement"), w("status"), w("forecast"), w("provisional_value"), w("published"),
                  w("demo_col")], rows, [2.2, 4.2, 1.9, 1.5, 1.3, 1.5, 1.6, 1.4, 2.2, 1.5, 2.4, 3.4, 1.5], doc_skip=(0, 6))


def _task_rows(lines: list[TaskLine], lang: str) -> list[list[Cell]]:
    return [[t.agency_name, t.code, t.title, t.deadline, word(t.state, lang),
             word("overdue_days" if t.state == "overdue" else "due_in", lang, n=t.days), Num(t.progress, 0),
             demo_mark(t.demo, lang)] for t in lines]


def _standing(brief: Brief, lang: str) -> list[str]:
    """The scope unit's own score and rank, first thing in section 4 (a province's brief says where it stands)."""
    if brief.standing is None or brief.standing[0] is None:
        return []
    rank, size, value, change = brief.standing
    moved = ""
    if change:
        moved = word("standing_up" if change > 0 else "standing_down", lang, n=abs(change))
    name = brief.scope.name if lang == "vi" else (brief.scope.name_en or brief.scope.name)
    return [word("standing", lang, unit=name, score=number(value, lang, 2), rank=rank, size=size, change=moved)]


def _agency_rows(lines: list[TaskLine], lang: str) -> list[list[Cell]]:
    """Per lead agency: its overdue tasks, the longest overdue, its tasks due soon — most overdue first, what a
    steering committee reads before the task-by-task list."""
    by: dict[str, list] = {}
    for t in lines:
        row = by.setdefault(t.agency_code, [t.agency_name, 0, 0, 0, False])
        if t.state == "overdue":
            row[1] += 1
            row[2] = max(row[2], t.days)
        else:
            row[3] += 1
        row[4] = row[4] or t.demo
    ordered = sorted(by.items(), key=lambda item: (-item[1][1], -item[1][2], -item[1][3], item[0]))
    return [[name, Num(late, 0), Num(longest if late else None, 0), Num(soon, 0), demo_mark(demo, lang)]
            for _code, (name, late, longest, soon, demo) in ordered]


def _verdict_rows(brief: Brief, verdicts: list[Verdict], lang: str, key: str) -> list[list[Cell]]:
    return [[group_label(brief, v.group, lang), v.code, v.name, Num(v.rank, 0), Num(v.size, 0), Num(v.value, 2),
             word(key, lang, rank=v.rank, size=v.size, score=number(v.value, lang, 2),
                  component=component_label(v.component, lang), part=number(v.part, lang, 1)),
             v.link, demo_mark(v.demo, lang)] for v in verdicts]


def _reason(deltas: dict[str, float], lang: str) -> str:
    if not deltas:
        return word("no_previous", lang)
    return "; ".join(word("moved", lang, component=component_label(n, lang), delta=signed(d, lang, 2))
                     for n, d in list(deltas.items())[:2])


def sections(brief: Brief, lang: str) -> list[Section]:
    """The seven numbered sections of the brief."""
    w = lambda key, **kw: word(key, lang, **kw)
    one = Section(1, w("s1"), tables=[headline_table(brief, lang)])
    two = Section(2, w("s2"), tables=[Table(
        "2_ChamTienDo" if lang == "vi" else "2_Behind",
        [w("code"), w("unit"), w("kind"), w("off_track"), w("judged"), w("code"), w("worst"), w("achievement"),
         w("demo_col")],
        [[b.code, b.name, kind_word(b.kind, lang), Num(b.off_track, 0), Num(b.judged, 0), b.worst_code,
          b.worst_name, Num(b.worst_achievement, 1), demo_mark(b.demo, lang)]
         for b in brief.behind], [1.3, 4, 1.5, 1.5, 1.5, 2.5, 5, 1.5, 1.1], doc_skip=(0, 5))])
    three = Section(3, w("s3"), paragraphs=[w("task_totals", overdue=len(brief.overdue), soon=len(brief.due_soon),
                                                days=brief.soon_days,
                                                agencies=len({t.agency_code for t in brief.tasks}))],
                    tables=[Table("3a_TheoCoQuan" if lang == "vi" else "3a_ByAgency",
                                  [w("agency"), w("overdue_count"), w("longest_overdue"), w("soon_count"),
                                   w("demo_col")], _agency_rows(brief.tasks, lang), [5, 2, 2, 2, 1.1]),
                            Table("3_NhiemVu" if lang == "vi" else "3_Tasks",
                                  [w("agency"), w("code"), w("task"), w("deadline"), w("state"), w("days"),
                                   w("progress"), w("demo_col")], _task_rows(brief.tasks, lang),
                                  [3, 2.2, 6, 1.6, 1.6, 1.8, 1.2, 1.1], doc_skip=(1,))])
    four = Section(4, w("s4"), paragraphs=_standing(brief, lang), tables=[Table(
        "4_XepHang" if lang == "vi" else "4_Rankings",
        [w("group"), w("code"), w("unit"), w("rank"), w("previous_rank"), w("change"), w("score"), w("reason"),
         w("evidence"), w("demo_col")],
        [[group_label(brief, c.group, lang), c.code, c.name, Num(c.rank, 0), Num(c.previous_rank, 0),
          Num(c.change, 0), Num(c.value, 2), _reason(c.deltas, lang), c.link, demo_mark(c.demo, lang)]
         for c in brief.rank_changes], [2.2, 1.2, 3.5, 1, 1.5, 1.3, 1.3, 4.5, 4, 1.1], doc_skip=(1, 8))])
    five = Section(5, w("s5"), paragraphs=[w("quality_summary", units=len(brief.quality),
                                               mean=number(brief.quality_mean(), lang, 1),
                                               short=brief.quality_short())],
                   tables=[Table("5_ChatLuong" if lang == "vi" else "5_Quality",
                                 [w("group"), w("code"), w("unit"), w("expected"), w("received"), w("du"),
                                  w("song"), w("sach"), w("dung"), w("quality"), w("demo_col")],
                                 [[group_label(brief, q.group, lang), q.code, q.name, Num(q.expected, 0),
                                   Num(q.received, 0), Num(q.du, 1), Num(q.song, 1), Num(q.sach, 1), Num(q.dung, 1),
                                   Num(q.score, 1), demo_mark(q.demo, lang)] for q in brief.quality],
                                 [2.4, 1.2, 4, 1.2, 1.2, 1, 1.2, 1, 1.2, 1.3, 1.1], doc_skip=(1,))])
    verdict_columns = [w("group"), w("code"), w("unit"), w("rank"), w("group_size"), w("score"), w("reason"),
                       w("evidence"), w("demo_col")]
    widths = [2.2, 1.2, 3.5, 1, 1.2, 1.2, 5, 4, 1.1]
    skip = (1, 4, 5)  # code, group size and score: the reason says them
    six = Section(6, w("s6"), paragraphs=[w("method", text=_method(lang))], tables=[
        Table("6a_BieuDuong" if lang == "vi" else "6a_Commend", verdict_columns,
              _verdict_rows(brief, brief.commend, lang, "commend_reason"), widths, skip),
        Table("6b_NhacNho" if lang == "vi" else "6b_CallOut", verdict_columns,
              _verdict_rows(brief, brief.call_out, lang, "call_out_reason"), widths, skip)])
    return [one, two, three, four, five, six, _problems_section(brief, lang)]


def _problems_section(brief: Brief, lang: str) -> Section:
    w = lambda key, **kw: word(key, lang, **kw)
    lines = brief.problems
    waiting = [p for p in lines if p.state == "open"]
    summary = w("problem_totals", n=len(lines), open=len(waiting), late=sum(1 for p in waiting if p.days_overdue),
                answered=len(lines) - len(waiting), agencies=len({p.acting_code for p in lines}))
    rows: list[list[Cell]] = [[p.acting_name, p.raising_name, w(p.kind), p.title, p.task_code, p.raised_on,
                               p.answer_due, w(f"problem_{p.state}"),
                               w("overdue_days", n=p.days_overdue) if p.days_overdue else ""] for p in lines]
    return Section(7, w("s7"), paragraphs=[summary], tables=[Table(
        "7_VuongMac" if lang == "vi" else "7_Problems",
        [w("acting"), w("raised_by"), w("problem_kind"), w("problem"), w("task"), w("raised_on"), w("answer_due"),
         w("state"), w("days")], rows, [3, 3, 1.5, 5, 1.8, 1.6, 1.6, 2, 1.8], doc_skip=(4,))])


def _method(lang: str) -> str:
    from govkpi.brief.assemble import CALL_OUT_BOTTOM, COMMEND_TOP

    if lang == "vi":
        return (f"theo điểm tổng hợp và xếp hạng trong nhóm (chỉ tiêu, nhiệm vụ, chất lượng số liệu): {COMMEND_TOP} "
                f"đơn vị đứng đầu mỗi nhóm (có chỉ tiêu được đánh giá trong kỳ) được đề nghị biểu dương, {CALL_OUT_BOTTOM} "
                "đơn vị cuối nhóm cần nhắc nhở.")
    return (f"by the composite score and rank within the peer group (indicators, tasks, data quality): the first "
            f"{COMMEND_TOP} of each group (with indicators judged in the period) are proposed for commendation, the last "
            f"{CALL_OUT_BOTTOM} to be called out.")


DOC_ROWS = 30  # rows of one table the documents list (the spreadsheet has every row)


@dataclass
class DocTable:
    columns: list[str]
    rows: list[list[str]]
    widths: list[float]
    numeric: list[bool]  # right-aligned
    total: int  # rows in all (the documents list at most DOC_ROWS)


def doc_table(table: Table, lang: str) -> DocTable:
    """A table as the documents print it: without the columns left to the spreadsheet or empty in every row,
    at most DOC_ROWS rows, as text."""
    keep = [i for i in range(len(table.columns)) if i not in table.doc_skip
            and (not table.rows or any(text(row[i], lang) not in ("", "–") for row in table.rows))]
    widths = table.widths or [1.0] * len(table.columns)
    numeric = {i for i in range(len(table.columns)) if any(isinstance(row[i], Num) for row in table.rows)}
    return DocTable([table.columns[i] for i in keep], [[text(row[i], lang) for i in keep] for row in table.rows[:DOC_ROWS]],
                    [widths[i] for i in keep], [i in numeric for i in keep], len(table.rows))


def front_matter(brief: Brief, lang: str) -> list[str]:
    """The lines under the title: scope, period, as of, official or not, demonstration data."""
    from govkpi.brief.words import moment

    scope = word("national", lang) if brief.scope.national else (
        brief.scope.name if lang == "vi" else (brief.scope.name_en or brief.scope.name))
    period = brief.period_vi if lang == "vi" else brief.period_en
    lines = [(f"{word('scope', lang)}: {scope} · {word('period', lang)}: {period} · "
              f"{word('as_of', lang)}: {moment(brief.as_of, lang)}")]
    lines.append(word("official_month", lang) if brief.official else word("provisional_month", lang, period=period))
    if brief.demo:
        lines.append(word("demo_notice", lang))
    return lines
