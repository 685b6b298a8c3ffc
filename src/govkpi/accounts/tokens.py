"""API tokens: create (shown once), check, revoke. Bearer tokens in `Authorization: Bearer …`."""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import DatabaseError, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import SessionAuth
from ninja.security import APIKeyHeader, HttpBearer

from govkpi.accounts.models import ApiToken, TokenOrigin
from govkpi.accounts.roles import Action
from govkpi.accounts.security import SECOND_FACTOR_FIRST, refusal, second_factor_expected
from govkpi.audit.trail import record
from govkpi.core.clientaddr import client_address
from govkpi.orgunits.models import OrgUnit

log = logging.getLogger(__name__)

TOKEN_PREFIX = "gk_"
# Writing last_used_at on every request would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
# Origins that vouch for a user who must use a second factor: a session that passed it, or the server's shell.
VOUCHING_ORIGINS = frozenset({TokenOrigin.VERIFIED_SESSION, TokenOrigin.SERVER})


def _digest(token: str) -> str:
    # Tokens carry 256 random bits: a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def create_token(user: Any, *, name: str = "", units: Iterable[OrgUnit] = (), actions: Iterable[str] = (),
                 expires_at: datetime.datetime | None = None, created_by: Any = None,
                 origin: str = TokenOrigin.SERVER, request: HttpRequest | None = None) -> tuple[ApiToken, str]:
    """Create a token; return the stored row and the token text, which is never shown again.

    `origin` says who vouches for it: the default is the server's own code (the CLI); a web session
    goes through `create_token_for_session`, which refuses a session short of its second factor."""
    actions = sorted(set(actions))
    unknown = set(actions) - set(Action.values)
    if unknown:
        raise ValueError(f"unknown actions: {', '.join(sorted(unknown))}")
    prefix = secrets.token_hex(4)
    text = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, digest=_digest(text),
                                    actions=actions, expires_at=expires_at, origin=origin)
    units = list(units)
    token.units.set(units)
    record("token.create", actor=created_by or user, object_type="ApiToken", object_key=prefix,
           after={"user": user.username, "name": name, "units": [u.code for u in units], "actions": actions,
                  "expires_at": expires_at, "origin": origin}, request=request)
    return token, text


def create_token_for_session(user: Any, *, verified: bool, request: HttpRequest | None = None,
                             **scope: Any) -> tuple[ApiToken, str]:
    """Create a token from a signed-in session; refused (AccountRefused) before a second factor the user
    has or must have, since a token outlives the session and never meets the second-factor check itself."""
    if not verified and second_factor_expected(user):
        raise SECOND_FACTOR_FIRST
    origin = TokenOrigin.VERIFIED_SESSION if verified else TokenOrigin.PASSWORD_SESSION
    return create_token(user, origin=origin, request=request, **scope)


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
    if refusal(token.user) is not None:
        return None
    # A bearer request never meets the second factor: the token must have been made behind it.
    if token.origin not in VOUCHING_ORIGINS and second_factor_expected(token.user):
        return None
    return token


class BearerToken(HttpBearer):
    """ninja authentication: the request acts as the token's user, narrowed by the token's scope."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = active_token(token)
        if found is None:
            # A token was presented and is unknown, expired or revoked: say so (401) rather than fall through to
            # the session's authentication, which answered a POST "CSRF check Failed", or to anonymous reads,
            # which hid from a system that its token no longer works.
            raise AuthenticationError(message="Mã truy cập không hợp lệ, đã hết hạn hoặc bị thu hồi / the token "
                                              "is unknown, expired or revoked")
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > LAST_USED_RESOLUTION:
            try:  # a note, not the request's purpose: a read-only or busy database must not refuse the read
                with transaction.atomic():
                    ApiToken.objects.filter(pk=found.pk).update(last_used_at=now,
                                                               last_used_ip=client_address(request))
            except DatabaseError:
                log.warning("could not note the token's last use (read-only or busy database)", exc_info=True)
        user = found.user
        user._govkpi_token = found  # read by accounts.permissions
        request.user = user
        return user


class SignedInSession(SessionAuth):
    """ninja's session authentication, asked for CSRF only when there is a signed-in session to protect: a
    request with no session (a system that sent no token, or an expired one) is told 401, not "CSRF check
    Failed"."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


SESSION_AUTH = SignedInSession()


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
