"""The client address: the peer, or what a trusted proxy says; a client-written X-Forwarded-For is never believed."""

import pytest
from django.test import RequestFactory

from govkpi.core.clientaddr import client_address, client_address_from, parse_networks

PROXY = parse_networks("10.0.0.1, 192.168.8.0/24, 2001:db8::/32")


def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored():
    assert client_address_from("203.0.113.9", "1.2.3.4", ()) == "203.0.113.9"
    assert client_address_from("127.0.0.1", "1.2.3.4", ()) == "127.0.0.1"  # no proxy is trusted by default
    assert client_address_from("203.0.113.9", "1.2.3.4", PROXY) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client():
    assert client_address_from("10.0.0.1", "198.51.100.7", PROXY) == "198.51.100.7"
    # The client prepends a forged address: the proxy appended the real one, nearest us.
    assert client_address_from("10.0.0.1", "1.2.3.4, 198.51.100.7", PROXY) == "198.51.100.7"
    assert client_address_from("10.0.0.1", "1.2.3.4, 198.51.100.7, 192.168.8.20", PROXY) == "198.51.100.7"
    assert client_address_from("2001:db8::5", "[2001:db9::1]:443", PROXY) == "2001:db9::1"


def test_a_malformed_hop_stops_at_the_last_trusted_one():
    assert client_address_from("10.0.0.1", "198.51.100.7, nonsense", PROXY) == "10.0.0.1"
    assert client_address_from("10.0.0.1", "<script>, 192.168.8.20", PROXY) == "192.168.8.20"


def test_a_bad_trusted_proxy_entry_is_refused():
    with pytest.raises(ValueError):
        parse_networks("10.0.0.1, not-an-address")


def test_client_address_reads_the_setting(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    settings.TRUSTED_PROXIES = ""
    assert client_address(request) == "127.0.0.1"
    settings.TRUSTED_PROXIES = "127.0.0.1"
    assert client_address(request) == "1.2.3.4"


def test_uvicorn_believes_forwarded_headers_only_from_the_trusted_proxies(monkeypatch):
    from govkpi.server import proxy_options

    monkeypatch.delenv("GOVKPI_TRUSTED_PROXIES", raising=False)
    assert proxy_options()["proxy_headers"] is False
    monkeypatch.setenv("GOVKPI_TRUSTED_PROXIES", "10.0.0.1,192.168.8.0/24")
    assert proxy_options() == {"proxy_headers": True, "forwarded_allow_ips": ["10.0.0.1/32", "192.168.8.0/24"]}
