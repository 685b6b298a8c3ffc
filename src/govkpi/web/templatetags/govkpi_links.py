"""Stored links as hrefs: `{{ url|safe_href }}` gives the link only when it is http(s) or a path on this site.

Every template that puts a stored address (evidence, product, a directive's or source's url) into an href
uses it, so rows written before links were checked on write never become a live `javascript:` link."""

from __future__ import annotations

from django import template

from govkpi.tasks.actions import shown_link

register = template.Library()


@register.filter
def safe_href(url: str | None) -> str:
    """The link to put in an href, or "" when it must be shown as text only (see tasks.actions.shown_link)."""
    return shown_link(url)
