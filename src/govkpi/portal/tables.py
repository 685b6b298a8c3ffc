"""The portal's tables as downloads: built from what its pages render (`portal.published`, as the public sees
it), with the portal's columns and marks. The same for every visitor: nothing here reads a user."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from govkpi.portal.templatetags.portal_labels import database_status, group_label, local_name, status_label
from govkpi.web.table_export import Table, measure, number, percent
from govkpi.web.templatetags.govkpi_format import month

COMPONENTS = ("indicators", "tasks", "quality")


def _with_demo(table: Table, flags: list[bool]) -> Table:
    if table.demo:
        table.headers.append(_("Số liệu minh họa"))
        for row, flag in zip(table.rows, flags, strict=True):
            row.append(bool(flag))
    return table


def indicators_table(summaries: list[Any]) -> Table:
    """Published indicators with their latest official national result."""
    headers = [_("Mã chỉ tiêu"), _("Chỉ tiêu"), _("Kỳ"), _("Giá trị"), _("Đơn vị tính"), _("Mục tiêu"),
               _("Thời hạn"), _("Mức đạt (%)"), _("Tình trạng")]
    rows, flags = [], []
    for item in summaries:
        i, r = item.indicator, item.national
        rows.append([i.code, local_name(i), month(r.period) if r else "", measure(r.value if r else None, i),
                     i.unit_of_measure, measure(r.target_value if r else None, i), r.deadline if r else None,
                     percent(r.achievement if r else None, 2), status_label(r.status) if r else ""])
        flags.append(bool(r and r.demo))
    table = Table("chi-tieu-cong-khai", _("Chỉ tiêu công khai và kết quả cả nước"), headers, rows,
                  scope=_("Cả nước"), notes=[_("Chỉ số liệu chính thức: các kỳ đã hết hạn báo cáo, tính từ số liệu "
                                               "đã được phê duyệt.")], demo=any(flags))
    return _with_demo(table, flags)


def ranking_table(ranking: Any, rows_shown: list[Any], short: bool = False) -> Table:
    """A peer group's public ranking (short: the top lines, rank, unit, score and change)."""
    headers = [_("Hạng"), _("Mã đơn vị"), _("Đơn vị"), _("Điểm")]
    if not short:
        headers += [_("Chỉ tiêu"), _("Nhiệm vụ"), _("Chất lượng dữ liệu")]
    headers.append(_("Thay đổi hạng"))
    rows = []
    for s in rows_shown:
        cells = [s.rank, s.unit.code, s.unit.name, number(s.value, 2)]
        if not short:
            cells += [number((s.components.get(n) or {}).get("score"), 2) for n in COMPONENTS]
        rows.append([*cells, s.rank_change])
    notes = ([_("Phương pháp phiên bản %(v)s.") % {"v": ranking.methodology_version}]
             if ranking.methodology_version else [])
    name = "cong-khai-xep-hang-" + ("bo" if ranking.group == "ministries" else "tinh")
    table = Table(name, f"{_('Xếp hạng')}: {group_label(ranking.group)}", headers, rows,
                  period=month(ranking.period) if ranking.period else "", notes=notes, demo=ranking.demo)
    return _with_demo(table, [s.demo for s in rows_shown])


def databases_table(rows_in: list[Any], today: Any) -> Table:
    headers = [_("Mã"), _("Cơ sở dữ liệu"), _("Nghị định 47/2024"), _("Cơ quan chủ quản"), _("Trạng thái"),
               _("Cập nhật gần nhất"), _("Đúng"), _("Đủ"), _("Sạch"), _("Sống"), _("Điểm")]
    rows = [[row.database.code, local_name(row.database), bool(row.database.in_decree_47_2024),
             row.database.owner.name if row.database.owner else "", database_status(row.database.status),
             row.database.last_updated, number(row.dung, 1), number(row.du, 1), number(row.sach, 1),
             number(row.song, 1), number(row.score, 1)] for row in rows_in]
    flags = [bool(row.database.demo) for row in rows_in]
    table = Table("co-so-du-lieu", _("Cơ sở dữ liệu quốc gia, chuyên ngành được theo dõi"), headers, rows,
                  notes=[_("Tính đến ngày %(d)s; mỗi tiêu chí từ 0 đến 100.") % {"d": today.strftime("%d/%m/%Y")}],
                  demo=any(flags))
    return _with_demo(table, flags)
