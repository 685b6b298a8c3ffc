"""The one way the API pages a list: `limit` (default 100, at most 1,000) and `offset`; every answer is
`{"count": total, "next": the next page's URL or null, "items": [...]}`.

A list grows with history (results, scores, the audit trail), so no list answers all of it at once. Use it as
`@paginate(Page)` under the route; a route whose rows need the caller to render (a score's figures depend on
the viewer) returns `Rows(query, item)`, and only the rows of the page asked for are rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 10**12


@dataclass(frozen=True)
class Rows:
    """A list to page, how one of its rows becomes an item of the answer, and (where counting is costly and
    can be kept) how to know its total."""

    query: QuerySet | Sequence[Any]
    item: Callable[[Any], Any] = lambda row: row
    total: Callable[[], int] | None = None


def filters(request: HttpRequest) -> str:
    """The query string without the paging: what names one list (a key for its total)."""
    query = request.GET.copy()
    for name in ("limit", "offset"):
        query.pop(name, None)
    return query.urlencode()


def _next_url(request: HttpRequest, offset: int) -> str:
    query = request.GET.copy()
    query["offset"] = str(offset)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


class Page(PaginationBase):
    """Limit and offset with the total and a link to the next page (null on the last one)."""

    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, description=f"rows per page (at most {MAX_LIMIT})")
        # Bounded: past 2**63 the database refuses the number itself (a 500 before); no list is that long.
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    class Output(Schema):
        count: int
        next: str | None
        items: list[Any]

    def paginate_queryset(self, queryset: Any, pagination: Input, request: HttpRequest, **params: Any) -> Any:
        rows = queryset if isinstance(queryset, Rows) else Rows(queryset)
        limit = min(pagination.limit, MAX_LIMIT)  # asking for more is not an error: the page is just full
        start = pagination.offset
        if rows.total is not None:
            total = rows.total()
        else:
            total = rows.query.count() if isinstance(rows.query, QuerySet) else len(rows.query)
        items = [rows.item(row) for row in rows.query[start:start + limit]]
        return {"count": total, "next": _next_url(request, start + limit) if start + limit < total else None,
                "items": items}
