"""Numbers, percentages, dates and rank changes as Vietnamese readers write them (39,51%; 24/09/2025; 1.234),
following the active language, so an English page reads 39.51% and 1,234."""

from __future__ import annotations

import datetime

from django import template
from django.utils import formats, translation
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def num(value: float | int | None, decimals: int | str = 0) -> str:
    """A number with the active language's decimal and thousand separators; "—" when there is none."""
    if value is None or value == "":
        return "—"
    try:
        digits = int(decimals)
        number = round(float(value), digits)
    except (TypeError, ValueError):
        return str(value)
    if digits == 0:
        number = int(number)
    return formats.number_format(number, digits if digits else None, use_l10n=True, force_grouping=True)


@register.filter
def pct(value: float | int | None, decimals: int | str = 2) -> str:
    """A percentage: 39,51%."""
    return "—" if value is None or value == "" else f"{num(value, decimals)}%"


@register.filter
def day(value: datetime.date | datetime.datetime | None) -> str:
    """A date as dd/mm/yyyy (24/09/2025); a moment in the current time zone."""
    if not value:
        return "—"
    if isinstance(value, datetime.datetime):
        from django.utils import timezone

        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return value.strftime("%d/%m/%Y")


@register.filter
def month(period: str | None) -> str:
    """A period identifier as people write it: 202509 → 09/2025, 2025Q3 → Quý 3/2025, 2025S1 → 6 tháng 1/2025."""
    if not period:
        return "—"
    if len(period) == 6 and period.isdigit():
        return f"{period[4:]}/{period[:4]}"
    if len(period) == 6 and period[4] == "Q":
        return _("Quý %(q)s/%(y)s") % {"q": period[5], "y": period[:4]}
    if len(period) == 6 and period[4] == "S":
        return _("6 tháng %(s)s/%(y)s") % {"s": period[5], "y": period[:4]}
    return period


@register.filter
def value_of(value: float | None, indicator) -> str:  # noqa: ANN001 - an Indicator or a dict with its fields
    """A value in the indicator's own unit and decimals (percentages with %)."""
    decimals = getattr(indicator, "decimals", None)
    if decimals is None and isinstance(indicator, dict):
        decimals = indicator.get("decimals", 2)
    kind = getattr(indicator, "value_type", None) or (indicator.get("value_type") if isinstance(indicator, dict) else "")
    if kind == "percentage":
        return pct(value, decimals if decimals is not None else 2)
    return num(value, decimals or 0)


@register.filter
def get(mapping, key):  # noqa: ANN001, ANN201 - a template lookup by a variable key
    """mapping[key] in a template, or None."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def absolute(value: int | float | None) -> int | float | None:
    """The size of a number without its sign (rank changes read ▲3 / ▼3)."""
    return None if value is None else abs(value)


@register.filter
def rank_change(score) -> str:  # noqa: ANN001 - a Score (or anything with rank_change)
    """▲n, ▼n, = or – for places gained since the previous period, with words for screen readers."""
    from django.utils.html import format_html

    change = getattr(score, "rank_change", None)
    if change is None:
        return format_html('<span class="change change-none" title="{}">–</span>', _("Chưa có hạng kỳ trước"))
    if change > 0:
        words, css, arrow = _("Lên %(n)s bậc so với kỳ trước") % {"n": change}, "up", "▲"
    elif change < 0:
        words, css, arrow = _("Xuống %(n)s bậc so với kỳ trước") % {"n": -change}, "down", "▼"
    else:
        words, css, arrow = _("Giữ nguyên thứ hạng"), "same", "="
    shown = abs(change) if change else ""
    return format_html('<span class="change change-{}" title="{}"><span aria-hidden="true">{}{}</span>'
                       '<span class="visually-hidden">{}</span></span>', css, words, arrow, shown, words)


def _pattern(name: str) -> str:
    """A URL with one code argument, reversed once per script prefix (long tables link every row)."""
    from django.urls import get_script_prefix, reverse

    key = (name, get_script_prefix())
    if key not in _PATTERNS:
        _PATTERNS[key] = reverse(name, args=["__CODE__"])
    return _PATTERNS[key]


_PATTERNS: dict[tuple[str, str], str] = {}


@register.filter
def unit_url(code: str) -> str:
    """/units/<code>/"""
    from urllib.parse import quote

    return _pattern("web:unit").replace("__CODE__", quote(str(code), safe=""))


@register.filter
def explain_url(score) -> str:  # noqa: ANN001 - a Score
    """/units/<code>/score/?period=YYYYMM for a score."""
    from urllib.parse import quote

    return _pattern("web:score_explain").replace("__CODE__", quote(score.unit.code, safe="")) + f"?period={score.period}"


@register.filter
def local_name(entry) -> str:  # noqa: ANN001 - a catalog entry or a theme (name_vi, name_en)
    """The entry's English name when the interface is in English and one exists, else its Vietnamese name."""
    english = getattr(entry, "name_en", "") or ""
    if english and (translation.get_language() or "vi").startswith("en"):
        return english
    return getattr(entry, "name_vi", "") or ""
