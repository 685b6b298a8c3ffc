"""API tokens: create (shown once), check, revoke. Bearer tokens in `Authorization: Bearer …`."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyHeader, HttpBearer

from govkpi.accounts.models import ApiToken
from govkpi.accounts.roles import Action
from govkpi.audit.trail import record
from govkpi.core.clientaddr import client_address
from govkpi.orgunits.models import OrgUnit

TOKEN_PREFIX = "gk_"
# Writing last_used_at on every request would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def _digest(token: str) -> str:
    # Tokens carry 256 random bits: a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def create_token(user: Any, *, name: str = "", units: Iterable[OrgUnit] = (), actions: Iterable[str] = (),
                 expires_at: datetime.datetime | None = None, created_by: Any = None) -> tuple[ApiToken, str]:
    """Create a token; return the stored row and the token text, which is never shown again."""
    actions = sorted(set(actions))
    unknown = set(actions) - set(Action.values)
    if unknown:
        raise ValueError(f"unknown actions: {', '.join(sorted(unknown))}")
    prefix = secrets.token_hex(4)
    text = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, digest=_digest(text),
                                    actions=actions, expires_at=expires_at)
    units = list(units)
    token.units.set(units)
    record("token.create", actor=created_by or user, object_type="ApiToken", object_key=prefix,
           after={"user": user.username, "name": name, "units": [u.code for u in units], "actions": actions,
                  "expires_at": expires_at})
    return token, text


@transaction.atomic
def revoke_token(token: ApiToken, by: Any = None) -> None:
    """Revoke a token from now on (kept for the record)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record("token.revoke", actor=by or token.user, object_type="ApiToken", object_key=token.prefix,
               after={"revoked_at": token.revoked_at})


def active_token(text: str) -> ApiToken | None:
    """Return the token row for a presented token when it is valid now, else None."""
    if not text.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").prefetch_related("units").filter(digest=_digest(text)).first()
    now = timezone.now()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    return token


class BearerToken(HttpBearer):
    """ninja authentication: the request acts as the token's user, narrowed by the token's scope."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = active_token(token)
        if found is None:
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now,
                                                       last_used_ip=client_address(request))
        user = found.user
        user._govkpi_token = found  # read by accounts.permissions
        request.user = user
        return user


class DHIS2ApiToken(APIKeyHeader):
    """DHIS2's personal-access-token header, `Authorization: ApiToken …`, so DHIS2 clients work unchanged."""

    param_name = "Authorization"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key or not key.startswith("ApiToken "):
            return None
        return BearerToken().authenticate(request, key.removeprefix("ApiToken ").strip())


def allow_anonymous(request: HttpRequest) -> bool:
    """Last in a list of ninja auths: let the request through as it is (anonymous reads published data)."""
    return True


# Reads: a token or a session widens what is visible; without either, only published data.
READ_AUTH = [BearerToken(), DHIS2ApiToken(), allow_anonymous]
