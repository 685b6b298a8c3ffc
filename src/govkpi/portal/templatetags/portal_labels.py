"""Labels of the portal: statuses, peer groups and names in the reader's language."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

register = template.Library()

STATUS = {
    "achieved": _("Đã đạt"),
    "on_track": _("Đúng tiến độ"),
    "at_risk": _("Có nguy cơ chậm"),
    "off_track": _("Chậm tiến độ"),
    "no_data": _("Chưa có số liệu"),
}
GROUPS = {"ministries": _("Bộ, cơ quan ngang bộ"), "provinces": _("Tỉnh, thành phố")}
DATABASE_STATUS = {
    "planned": _("Đang lập kế hoạch"),
    "building": _("Đang xây dựng"),
    "operating": _("Đang vận hành"),
    "connected": _("Đã kết nối"),
}


@register.filter
def status_label(status: str | None) -> str:
    """The traffic-light status in words: off_track → Chậm tiến độ."""
    return str(STATUS.get(status or "", status or "—"))


@register.filter
def group_label(group: str | None) -> str:
    return str(GROUPS.get(group or "", group or "—"))


@register.filter
def database_status(status: str | None) -> str:
    return str(DATABASE_STATUS.get(status or "", status or "—"))


@register.filter
def local_name(entry) -> str:  # noqa: ANN001 - anything with name_vi and name_en
    """The English name on English pages when there is one, else the Vietnamese name."""
    name_en = getattr(entry, "name_en", "")
    if name_en and (get_language() or "").startswith("en"):
        return name_en
    return getattr(entry, "name_vi", "")
