"""Long tables written in Python: a province's communes (126 rows in Hà Nội, up to a few hundred elsewhere).

Through the template engine each cell resolves its variables and runs its filters one node at a time: about 60%
of a province page's time at national scale. The same cells written here, with the same filters and escaping,
cost a few milliseconds. The markup is the one `_communes.html` had, cell for cell.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from govkpi.web.templatetags.govkpi_format import explain_url, num, rank_change, unit_url

register = template.Library()

COMPONENTS = ("indicators", "tasks", "quality")


def _component(score: Any, name: str) -> Any:
    part = (score.components or {}).get(name) if score is not None else None
    return part.get("score") if isinstance(part, dict) else None


def _raw(value: Any) -> str:
    """A cell's sort value: the number as Python writes it, empty when there is none."""
    return "" if value is None else str(value)


def commune_row(row: dict[str, Any]) -> SafeString:
    """One `<tr>` of the communes table: rank, rank change, name, score and its three components."""
    score, unit = row["score"], row["unit"]
    if score is not None:
        link = explain_url(score)
        rank = format_html('<a href="{}">{}</a>', link, score.rank or "—")
        value = format_html('<a href="{}">{}</a>', link, num(score.value, 2))
        change = rank_change(score)
    else:
        rank = value = mark_safe("—")
        change = ""
    cells = [
        format_html('<td class="num" data-value="{}">{}</td>', (score.rank or "") if score else "", rank),
        format_html('<td class="num" data-value="{}">{}</td>', _raw(score.rank_change) if score else "", change),
        format_html('<td data-value="{}"><a href="{}">{}</a> <span class="code">{}</span></td>',
                    unit.name, unit_url(unit.code), unit.name, unit.code),
        format_html('<td class="num" data-value="{}">{}</td>', _raw(score.value) if score else "", value),
    ]
    for name in COMPONENTS:
        part = _component(score, name)
        cells.append(format_html('<td class="num" data-value="{}">{}</td>', _raw(part), num(part, 2)))
    return mark_safe("<tr>\n      " + "\n      ".join(conditional_escape(c) for c in cells) + "\n    </tr>")


@register.simple_tag
def commune_rows(rows: list[dict[str, Any]]) -> SafeString:
    """Every row of the communes table."""
    return mark_safe("".join(commune_row(row) for row in rows))
