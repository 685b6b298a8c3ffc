"""The id of the latest change event, for pages: their live script subscribes from there, so no change made
between rendering the page and opening the stream is missed."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from govkpi.live.hub import latest_id


def latest_event(request: HttpRequest) -> dict:
    return {"latest_event_id": SimpleLazyObject(latest_id)}
