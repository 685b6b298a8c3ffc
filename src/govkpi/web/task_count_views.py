"""The Government's count of tasks on a day (/tasks/count/) and the done tasks whose indicators did not move
(/tasks/effects/): parse, ask the read door, render (or download through table_export)."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from govkpi.reads.task_effects import Effect, Movement, done_tasks_not_moved
from govkpi.reads.tasks import official_count
from govkpi.reads.visibility import Viewer
from govkpi.tasks.counting import Count, CountBasis, Tier
from govkpi.web import table_export
from govkpi.web.table_export import Table, number


def _as_of(request: HttpRequest) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        return timezone.localdate()


def tier_labels() -> dict[str, str]:
    return {"": _("Tất cả các cấp"), Tier.MINISTRIES.value: _("Bộ, ngành trung ương"),
            Tier.PROVINCES.value: _("Tỉnh, thành phố"), Tier.COMMUNES.value: _("Xã, phường, đặc khu")}


def _holders_noun(tier: Tier | None) -> str:
    """Who holds the tasks, as the sentence names them ("9 bộ, ngành")."""
    return {Tier.MINISTRIES: _("bộ, ngành"), Tier.PROVINCES: _("tỉnh, thành phố"),
            Tier.COMMUNES: _("xã, phường, đặc khu")}.get(tier, _("cơ quan, địa phương")) if tier else _(
        "cơ quan, địa phương")


def sentence(count: Count, basis: CountBasis) -> str:
    """The seeds' sentence for the count: "Đến ngày 04/12/2026: 75 nhiệm vụ chậm tiến độ thuộc trách nhiệm
    của 9 bộ, ngành." (per assignment: "… lượt nhiệm vụ …")."""
    values = {"d": count.day.strftime("%d/%m/%Y"), "n": count.headline(basis), "m": count.late_agencies,
              "who": _holders_noun(count.tier)}
    if basis is CountBasis.ASSIGNMENT:
        return _("Đến ngày %(d)s: %(n)s lượt nhiệm vụ chậm tiến độ thuộc trách nhiệm của %(m)s %(who)s.") % values
    return _("Đến ngày %(d)s: %(n)s nhiệm vụ chậm tiến độ thuộc trách nhiệm của %(m)s %(who)s.") % values


def basis_note(basis: CountBasis) -> str:
    if basis is CountBasis.ASSIGNMENT:
        return _("Cách đếm: theo lượt giao — mỗi đơn vị nhận một nhiệm vụ là một lượt; nhiệm vụ giao cho nhiều "
                 "đơn vị được đếm một lần cho mỗi đơn vị chậm.")
    return _("Cách đếm: theo nhiệm vụ gốc (cách Chính phủ báo cáo) — nhiệm vụ giao cho nhiều đơn vị là một nhiệm "
             "vụ; nhiệm vụ chậm tiến độ khi có ít nhất một đơn vị chậm; mỗi đơn vị chậm được tính cho cơ quan đó.")


def recurring_note(count: Count) -> str:
    return _("%(k)s lượt định kỳ quá hạn (của %(r)s nhiệm vụ định kỳ, %(a)s cơ quan), tính riêng, không cộng vào "
             "số nhiệm vụ.") % {"k": count.late_occurrences, "r": count.recurring,
                                "a": count.late_occurrence_agencies}


def _tier(request: HttpRequest) -> Tier | None:
    try:
        return Tier(request.GET.get("tier", ""))
    except ValueError:
        return None


def _basis(request: HttpRequest) -> CountBasis:
    try:
        return CountBasis(request.GET.get("basis", ""))
    except ValueError:
        return CountBasis.ORIGINAL


def _notes(count: Count, basis: CountBasis) -> list[str]:
    return [sentence(count, basis), basis_note(basis), recurring_note(count)]


def agencies_table(count: Count, basis: CountBasis) -> Table:
    labels = tier_labels()
    headers = [_("Mã"), _("Cơ quan"), _("Cấp"), _("Số nhiệm vụ"), _("Chậm tiến độ"), _("Lượt chậm"),
               _("Nhiệm vụ định kỳ"), _("Lượt định kỳ quá hạn")]
    rows = [[a.holder.code, a.holder.name, labels.get(a.holder.tier.value if a.holder.tier else "", ""), a.tasks,
             a.late, a.late_parts, a.recurring, a.late_occurrences] for a in count.agencies]
    return Table("nhiem-vu-cham-theo-co-quan", _("Nhiệm vụ chậm tiến độ theo cơ quan"), headers, rows,
                 scope=labels[count.tier.value if count.tier else ""], period=count.day.strftime("%d/%m/%Y"),
                 notes=_notes(count, basis))


def tiers_table(count: Count, basis: CountBasis) -> Table:
    labels = tier_labels()
    headers = [_("Cấp"), _("Số nhiệm vụ"), _("Chậm tiến độ"), _("Số cơ quan có nhiệm vụ chậm"), _("Lượt chậm"),
               _("Lượt định kỳ quá hạn")]
    rows = [[labels[t.value], number(c.tasks, 0), number(c.late, 0), number(c.agencies, 0), number(c.late_parts, 0),
             number(c.late_occurrences, 0)] for t, c in count.tiers.items()]
    return Table("nhiem-vu-cham-theo-cap", _("Nhiệm vụ chậm tiến độ theo cấp"), headers, rows,
                 scope=labels[count.tier.value if count.tier else ""], period=count.day.strftime("%d/%m/%Y"),
                 notes=_notes(count, basis))


def task_count(request: HttpRequest) -> HttpResponse:
    """The official count on a day, per tier and per agency; ?tier=ministries for the ministries alone,
    ?basis=assignment for the count per assignment; ?export=agencies|tiers&format=xlsx|csv downloads."""
    day, tier, basis = _as_of(request), _tier(request), _basis(request)
    count = official_count(day, tier)
    exported = table_export.answer(request, {"agencies": lambda: agencies_table(count, basis),
                                             "tiers": lambda: tiers_table(count, basis)})
    if exported:
        return exported
    labels = tier_labels()
    context: dict[str, Any] = {
        "count": count, "as_of": day, "tier": tier.value if tier else "", "basis": basis.value,
        "sentence": sentence(count, basis), "basis_note": basis_note(basis), "recurring_note": recurring_note(count),
        "other_sentence": sentence(count, CountBasis.ASSIGNMENT if basis is CountBasis.ORIGINAL
                                   else CountBasis.ORIGINAL),
        "tiers": [(labels[t.value], c) for t, c in count.tiers.items()], "tier_labels": labels.items(),
        "agencies": [(a, labels.get(a.holder.tier.value if a.holder.tier else "", "")) for a in count.agencies
                     if a.tasks or a.recurring],
    }
    return render(request, "web/task_count.html", context)


def movement_labels() -> dict[str, str]:
    return {Movement.IMPROVED.value: _("Chuyển biến tốt"), Movement.UNCHANGED.value: _("Không đổi"),
            Movement.WORSENED.value: _("Xấu đi"), Movement.NO_BEFORE.value: _("Chưa có số liệu trước"),
            Movement.NO_AFTER.value: _("Chưa có số liệu sau")}


def labelled(effects: list[Effect]) -> list[dict[str, Any]]:
    """The effects as the templates show them, each with its movement's label."""
    labels = movement_labels()
    return [{"indicator": e.indicator, "unit": e.unit, "before": e.before, "after": e.after,
             "provisional": e.provisional, "movement": e.movement, "label": labels[e.movement.value]}
            for e in effects]


def task_effects(request: HttpRequest) -> HttpResponse:
    """Done tasks whose linked indicators did not move, or moved the wrong way (official figures)."""
    listed = [{**item, "effects": labelled(item["effects"])} for item in done_tasks_not_moved(Viewer(request.user))]
    return render(request, "web/task_effects.html", {"listed": listed, "labels": movement_labels()})
