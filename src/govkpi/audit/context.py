"""Who is acting and from where, for the audit rows written while a request (or a command) runs.

The writes of the application are plain functions called from many faces (pages, API, admin, importers); passing
the request down every one of them was forgotten in places, so rows went without a client address. The middleware
keeps the request of the moment in a context variable; `record` takes the address and, when the caller named
none, the actor from it. Context variables follow asgiref's thread hops, so this holds under ASGI too.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse

_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar("audit_request", default=None)
_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("audit_actor", default=None)


def current_request() -> HttpRequest | None:
    """The request being answered in this context, or None (commands, the engine, tests without a client)."""
    return _request.get()


def current_actor() -> Any:
    """The actor named by `acting_as`, else the signed-in user (or token's user) of the current request, or None."""
    actor = _actor.get()
    if actor is not None:
        return actor
    request = _request.get()
    user = getattr(request, "user", None) if request is not None else None
    return user if getattr(user, "is_authenticated", False) else None


@contextlib.contextmanager
def acting_as(actor: Any) -> Iterator[None]:
    """Name the actor of the rows written inside (e.g. by signals that cannot know who granted a role)."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


@contextlib.contextmanager
def answering(request: HttpRequest) -> Iterator[None]:
    """Make `request` the current one inside."""
    token = _request.set(request)
    try:
        yield
    finally:
        _request.reset(token)


class AuditContextMiddleware:
    """Keep the request for the audit trail while it is answered (after authentication: rows need the user)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with answering(request):
            return self.get_response(request)
