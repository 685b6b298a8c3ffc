"""Signed webhooks to other systems: one POST per event per endpoint, retried with backoff, every attempt logged.

The body is JSON (planning.payload plus `sent_at`, the attempt's time); the headers:

    X-Govkpi-Signature  sha256=<hex HMAC-SHA256 of the raw body, keyed with the endpoint's secret>
    X-Govkpi-Delivery   the delivery's id, the same on every retry (dedupe on it)
    X-Govkpi-Event      the kind
    X-Govkpi-Timestamp  the attempt's time in Unix seconds, equal to the signed body's `sent_at`

A 2xx answer is success; any other status (a redirect too: it is not followed), a timeout or a refused
connection is retried (notify.delivery). The standard library's urllib, no dependency.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import json
import urllib.error
import urllib.request

from django.conf import settings

from govkpi.notify import delivery
from govkpi.notify.models import WebhookAttempt, WebhookDelivery

USER_AGENT = "govkpi-webhook/1"


def signature(secret: str, body: bytes) -> str:
    """The X-Govkpi-Signature of a body: sha256= and the hex HMAC-SHA256 keyed with the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def request_for(row: WebhookDelivery, now: datetime.datetime) -> urllib.request.Request:
    """The signed POST of a delivery at `now`."""
    stamp = int(now.timestamp())
    body = json.dumps({**row.payload, "sent_at": stamp}, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               "X-Govkpi-Signature": signature(row.endpoint.secret, body), "X-Govkpi-Delivery": str(row.uuid),
               "X-Govkpi-Event": row.kind, "X-Govkpi-Timestamp": str(stamp)}
    return urllib.request.Request(row.endpoint.url, data=body, headers=headers, method="POST")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx is an answer like any other non-2xx: failed, retried


_opener = urllib.request.build_opener(_NoRedirects)


def post(request: urllib.request.Request) -> tuple[int | None, str]:
    """POST it: the status code (None without an answer) and an error ("" for a 2xx)."""
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        with error:
            try:
                detail = error.read(300).decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):  # the error's body cut off: its status is enough
                detail = ""
        return error.code, f"HTTP {error.code}: {detail}".strip()
    # refused, timed out, no route, a bad address; or an answer that is not HTTP (http.client's exceptions are
    # not OSErrors: uncaught, one such receiver would stop the run before every delivery after its own)
    except (OSError, ValueError, http.client.HTTPException) as error:
        return None, f"{type(error).__name__}: {error}"
    return status, "" if 200 <= status < 300 else f"HTTP {status}"


def deliver_webhooks(now: datetime.datetime) -> int:
    """POST every webhook delivery due at `now` whose endpoint is active; how many were handled."""
    due = WebhookDelivery.objects.filter(endpoint__active=True)
    return delivery.each_due(due, now, lambda row: _send(row, now))


def _send(row: WebhookDelivery, now: datetime.datetime) -> None:
    endpoint = row.endpoint
    if not endpoint.wants(row.kind, row.unit):  # the endpoint's scope or kinds changed since the event
        delivery.skipped(row, "ngoài phạm vi hay loại của điểm nhận / outside the endpoint's scope or kinds")
        return
    status, error = post(request_for(row, now))
    WebhookAttempt.objects.create(delivery=row, number=row.attempts, at=now, status_code=status, error=error)
    if error:
        delivery.failed(row, now, error, last_status=status)
    else:
        delivery.succeeded(row, now, last_status=status)
