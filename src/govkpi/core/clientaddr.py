"""The client address of a request: the peer, or what a trusted proxy in front of us says the peer was.

One function for every user of addresses (rate limits, sign-in lockouts, the audit trail, tokens' last use).
`X-Forwarded-For` is written by whoever sends the request, so it is believed only when the peer that handed us
the request is one of GOVKPI_TRUSTED_PROXIES (addresses or CIDRs; none by default). The pure part
(`client_address_from`) imports no Django; `client_address` reads the setting when it is called.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_ADDRESS = 64  # characters kept: the width of the address columns of the audit trail and tokens


def parse_networks(text: str | Iterable[str]) -> tuple[Network, ...]:
    """The networks of a comma- or space-separated list of addresses and CIDRs; a bad entry raises ValueError."""
    items = text.replace(",", " ").split() if isinstance(text, str) else list(text)
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.9:5123"
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address: Any, trusted: Sequence[Network]) -> bool:
    return address is not None and any(address.version == net.version and address in net for net in trusted)


def client_address_from(peer: str, forwarded_for: str, trusted: Sequence[Network]) -> str:
    """The client's address given the peer, the X-Forwarded-For header and the trusted proxies.

    From the right of the header (the hop nearest us) leftwards, trusted proxies are skipped and the first
    address that is not one is the client: entries left of it could be written by anybody. A malformed entry
    stops the walk at the last trusted hop, never at text the client chose."""
    peer_address = _address(peer)
    if not forwarded_for or not _trusted(peer_address, trusted):
        return (str(peer_address) if peer_address is not None else peer.strip())[:MAX_ADDRESS]
    client = peer_address
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:
            break
        client = address
        if not _trusted(address, trusted):
            break
    return str(client)[:MAX_ADDRESS]


def client_address(request: Any) -> str:
    """The address of the client that sent `request` (a Django request), after GOVKPI_TRUSTED_PROXIES."""
    from django.conf import settings

    meta = request.META
    return client_address_from(meta.get("REMOTE_ADDR", "") or "", meta.get("HTTP_X_FORWARDED_FOR", "") or "",
                               trusted_proxies(settings.TRUSTED_PROXIES))


_parsed: dict[tuple[str, ...] | str, tuple[Network, ...]] = {}


def trusted_proxies(value: str | Sequence[str]) -> tuple[Network, ...]:
    """The setting's networks, parsed once per distinct value (tests change the setting)."""
    key = value if isinstance(value, str) else tuple(value)
    if key not in _parsed:
        _parsed[key] = parse_networks(value)
    return _parsed[key]
