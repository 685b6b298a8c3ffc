"""The "Tải Excel · Tải CSV" links under a table: the page's own address and filters, asking for that table."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from govkpi.web.table_export import EXPORT_PARAM, FORMAT_PARAM

register = template.Library()
NOT_CARRIED = (EXPORT_PARAM, FORMAT_PARAM, "page")  # a download holds every page of a list


def export_href(query: QueryDict | None, name: str, fmt: str) -> str:
    """?<the page's filters>&export=<name>&format=<fmt>: relative, so it is the page's address even in a panel
    that htmx fetched from its own URL."""
    asked = query.copy() if query is not None else QueryDict(mutable=True)
    for key in NOT_CARRIED:
        asked.pop(key, None)
    asked[EXPORT_PARAM], asked[FORMAT_PARAM] = name, fmt
    return "?" + asked.urlencode()


@register.simple_tag(takes_context=True)
def export_links(context: dict[str, Any], name: str) -> SafeString:
    """Two links downloading the table `name` of this page as XLSX and as CSV."""
    request = context.get("request")
    query = request.GET if request is not None else None
    return format_html('<p class="export-links">{} <a href="{}" download>{}</a> · <a href="{}" download>{}</a></p>',
                       _("Tải về:"), export_href(query, name, "xlsx"), _("Tải Excel"),
                       export_href(query, name, "csv"), _("Tải CSV"))


@register.filter
def is_official(period: str, calendar: Any) -> bool:
    """Whether the period's figures are official for the calendar (a page labels the others «tạm tính», as its
    download does)."""
    return bool(calendar is None or calendar.is_official(period))
