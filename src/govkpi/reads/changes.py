"""What changed lately, in words: the dashboard's "Thay đổi hôm nay" (changes today) panel.

Each line is read from one change event through its typed schema (events.types); the words of every kind live
here and nowhere else. A line names up to NAMED units and never an indicator the viewer may not read.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import assert_never

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govkpi.datavalues.models import ApprovalState
from govkpi.events.models import ChangeEvent
from govkpi.events.types import (AnyChange, ApprovalChanged, ResultsChanged, ScoresChanged, TargetsChanged,
                                 TaskChange, TaskChanged, ValuesWritten, parse)
from govkpi.orgunits.models import OrgUnit
from govkpi.reads.visibility import Viewer

CHANGES_SHOWN = 12
SCANNED = 10  # the latest CHANGES_SHOWN × SCANNED events are read to find those the viewer may see
NAMED = 3  # units named on one line; more are shown as "…"

TASK_CHANGES: dict[TaskChange, Promise] = {
    "created": gettext_lazy("được giao"), "progress": gettext_lazy("cập nhật tiến độ"),
    "product_submitted": gettext_lazy("nộp sản phẩm"), "stage": gettext_lazy("chuyển tình trạng"),
    "extension_requested": gettext_lazy("xin gia hạn"), "extension_decided": gettext_lazy("được quyết định gia hạn"),
    "fan_out": gettext_lazy("giao cho các đơn vị"), "occurrences": gettext_lazy("tạo kỳ mới"),
    "edited": gettext_lazy("được sửa"), "reassigned": gettext_lazy("chuyển cơ quan chủ trì"),
}


@dataclass(frozen=True)
class ChangeLine:
    """One change in words, with where to read more (empty when no single page fits)."""

    id: int
    at: datetime.datetime
    kind: str
    text: str
    link: str


@dataclass(frozen=True)
class RecentChanges:
    items: list[ChangeLine]
    today: int  # change events recorded since midnight


@dataclass(frozen=True)
class _Context:
    """What the words of one event need besides the event: the units it names, the indicators one may read."""

    units: list[OrgUnit]
    visible: set[str]

    @property
    def who(self) -> str:
        return ", ".join(u.short_name for u in self.units[:NAMED]) + ("…" if len(self.units) > NAMED else "")

    @property
    def unit_link(self) -> str:
        return reverse("web:unit", args=[self.units[0].code]) if len(self.units) == 1 else ""


def _number(n: int) -> str:
    return formats.number_format(n, use_l10n=True, force_grouping=True)


def _with_who(text: str, context: _Context, wide: bool = False) -> str:
    if context.who:
        return f"{text} — {context.who}"
    return f"{text} — {_('nhiều đơn vị')}" if wide else text


def words(event: ChangeEvent, change: AnyChange, context: _Context) -> tuple[str, str]:
    """The text of one change and its link."""
    match change:
        case ValuesWritten():
            text = _("%(n)s giá trị số liệu được ghi") % {"n": _number(change.written)}
            return _with_who(text, context, change.wide), context.unit_link
        case TaskChanged():
            text = _("Nhiệm vụ %(task)s %(change)s") % {"task": change.task, "change": TASK_CHANGES[change.change]}
            return _with_who(text, context), reverse("web:task", args=[change.task])
        case ApprovalChanged():
            text = _("Phê duyệt số liệu kỳ %(period)s: %(state)s") % {
                "period": ", ".join(event.periods), "state": ApprovalState(change.state).label}
            return _with_who(text, context), context.unit_link
        case TargetsChanged():
            shown = [code for code in change.indicators if code in context.visible]
            text = _("Mục tiêu thay đổi, đánh giá lại %(n)s chỉ tiêu") % {"n": _number(len(shown))}
            return text, reverse("web:indicator", args=[shown[0]]) if len(shown) == 1 else ""
        case ResultsChanged():
            text = _("%(n)s kết quả đánh giá được tính lại") % {"n": _number(change.changed)}
            return _with_who(text, context, change.wide), context.unit_link
        case ScoresChanged():
            return _("%(n)s điểm xếp hạng được tính lại") % {"n": _number(change.changed)}, reverse("web:rankings")
        case _:
            assert_never(change)


def recent_changes(viewer: Viewer, limit: int = CHANGES_SHOWN) -> RecentChanges:
    """The latest change events the viewer may hear of, in words, newest first, with how many happened today."""
    readable = viewer.readable_codes()
    seen: list[tuple[ChangeEvent, list[str]]] = []
    for event in ChangeEvent.objects.order_by("-id")[:limit * SCANNED]:
        as_seen = viewer.change_as_seen(event.kind, event.units, event.periods, readable)  # the stream's rule
        if as_seen is not None:
            event.units, event.periods = as_seen  # what the viewer may be told, not what the row holds
            seen.append((event, as_seen[0]))
        if len(seen) == limit:
            break
    changes = [(event, parse(event)) for event, _units in seen]
    named = {c for _e, codes in seen for c in codes[:NAMED + 1]}
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=named)}
    asked = {code for _e, change in changes if isinstance(change, TargetsChanged) for code in change.indicators}
    visible = set(viewer.indicators().filter(code__in=asked).values_list("code", flat=True)) if asked else set()
    items = []
    for event, change in changes:
        context = _Context([units[c] for c in event.units[:NAMED + 1] if c in units], visible)
        text, link = words(event, change, context)
        items.append(ChangeLine(id=event.id, at=event.at, kind=event.kind, text=text, link=link))
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return RecentChanges(items=items, today=ChangeEvent.objects.filter(at__gte=start).count())
