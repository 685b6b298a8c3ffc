"""The cache as the reads use it: an outage of the shared cache (Redis, REDIS_URL) is a miss, not an error.

What the reads keep there (watermarks, approval counts, publication counts, task figures, a writer's replica
position) can always be computed again from the database; the database is the truth. So while Redis is down a
`get` answers its default and a `set` is dropped, with a warning at most once a minute, and pages and the API
keep answering, only slower. Before, every read answered 500 with Redis down (tests/faults/test_redis_down.py).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import cache as _cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT

log = logging.getLogger(__name__)
try:
    from redis.exceptions import RedisError
except ImportError:  # no Redis client installed: the cache is the process's own memory
    RedisError = OSError
CACHE_DOWN = (RedisError, OSError)
WARN_EVERY = 60.0  # seconds between two warnings that the shared cache is down
_warned = 0.0


def warn_cache_down(error: Exception) -> None:
    """Log that the cache is unreachable, once a minute at most (every request would otherwise log it)."""
    global _warned
    if time.monotonic() - _warned > WARN_EVERY:
        _warned = time.monotonic()
        log.warning("cache unreachable (%s): computed from the database until it is back", error)


class SharedCache:
    """Django's default cache with an outage read as a miss (`get`) and a dropped write (`set`)."""

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return _cache.get(key, default)
        except CACHE_DOWN as error:
            warn_cache_down(error)
            return default

    def set(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        try:
            _cache.set(key, value, timeout)
        except CACHE_DOWN as error:
            warn_cache_down(error)


cache = SharedCache()
