"""The shared cache unreachable (a Redis URL on a port where nothing listens): the reads' cache answers a miss
and drops its writes, the rate limiter lets requests through uncounted; nothing raises. The same through real
processes and a real redis-server stopped and started: tests/faults/test_redis_down.py."""

from __future__ import annotations

import socket

import pytest
from django.test import override_settings

from govkpi.shared_cache import cache
from govkpi.web.ratelimit import take


@pytest.fixture
def cache_down():
    with socket.socket() as s:  # a port just freed: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    location = f"redis://127.0.0.1:{port}/0"
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                               "LOCATION": location}}):
        yield


def test_an_unreachable_cache_reads_as_a_miss_and_drops_writes(cache_down):
    cache.set("govkpi:test:key", 41, 30)
    assert cache.get("govkpi:test:key") is None
    assert cache.get("govkpi:test:key", "default") == "default"


def test_the_rate_limiter_counts_nothing_while_the_cache_is_unreachable(cache_down):
    assert all(take("api-user", "user:1", "2/m") is None for _ in range(5))  # over the rate, still let through


def test_a_reachable_cache_keeps_what_is_set_and_the_limit_holds():
    cache.set("govkpi:test:key", 41, 30)
    assert cache.get("govkpi:test:key") == 41
    assert [take("api-user", "user:1", "2/m") is None for _ in range(3)] == [True, True, False]
