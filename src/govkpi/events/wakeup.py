"""Wake the outbox's readers when a change event commits, instead of having each poll the table.

`emit` rings: on PostgreSQL the outbox's own trigger notifies (`pg_notify` in the INSERT that writes the event,
migration events 0003: delivered to every listening process when, and only if, the transaction commits; no
query of its own), and in this process on commit (any database). Each
process that reads the outbox (the engine, the live streams' hub) starts one `listen()` thread: it holds a
connection of its own that LISTENs on PostgreSQL, or subscribes to Redis where `REDIS_URL` is set, and rings
the local bell on every notification. So a write through one web worker wakes the engine and the streams
held by every other process. Readers still poll, every `FALLBACK` seconds, in case a notification is lost
(a listener reconnecting, a database restart): a wake-up is a hint, the outbox stays the truth.
"""

from __future__ import annotations

import logging
import os
import threading

from django.db import connection, connections, transaction

log = logging.getLogger(__name__)
CHANNEL = "govkpi_events"  # also named by the outbox's trigger (migration events 0003)
FALLBACK = 2.0  # seconds a reader waits without a wake-up before it looks anyway


class Bell:
    """A counter readers wait on: each ring wakes every waiter that has not seen it."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._rung = 0

    def ring(self) -> None:
        with self._condition:
            self._rung += 1
            self._condition.notify_all()

    @property
    def rung(self) -> int:
        return self._rung

    def wait(self, seen: int, timeout: float) -> int:
        """Wait until the bell has rung past `seen` or for `timeout` seconds; return the count to pass next."""
        with self._condition:
            if self._rung == seen:
                self._condition.wait(timeout)
            return self._rung


BELL = Bell()
_listening = threading.Lock()
_listener: threading.Thread | None = None
_stopping = threading.Event()
LISTEN_TICK = 1.0  # seconds between the listener's looks at whether it should stop


def ring_on_commit() -> None:
    """Called by `emit` inside the writer's transaction (PostgreSQL's trigger has notified the others)."""
    if connection.vendor != "postgresql" and _redis_url():
        transaction.on_commit(_publish_redis)
    transaction.on_commit(BELL.ring)


def _redis_url() -> str:
    return os.environ.get("REDIS_URL", "")


_redis_client = None


def _publish_redis() -> None:
    global _redis_client
    try:
        import redis

        if _redis_client is None:
            _redis_client = redis.Redis.from_url(_redis_url())  # it pools its connections
        _redis_client.publish(CHANNEL, b"")
    except Exception:  # a lost wake-up only delays readers to their fallback poll
        log.warning("wake-up: could not publish to Redis", exc_info=True)


def own_connection_params() -> dict:
    """psycopg.connect() arguments for a connection of one's own to Django's default database (the
    listener's, the engine's leader lock), without the options only Django's wrapper understands."""
    return {k: v for k, v in connections["default"].get_connection_params().items()
            if k not in ("cursor_factory", "context", "prepare_threshold")}


def listen() -> None:
    """Start this process's listener thread once (idempotent): PostgreSQL LISTEN, else Redis, else nothing
    (SQLite in one process: the on-commit ring is enough)."""
    global _listener
    with _listening:
        if _listener is not None and _listener.is_alive():
            return
        if connection.vendor == "postgresql":
            target = _listen_postgresql
            args: tuple = (own_connection_params(),)
        elif _redis_url():
            target, args = _listen_redis, (_redis_url(),)
        else:
            return
        _listener = threading.Thread(target=target, args=args, name="govkpi-wakeup", daemon=True)
        _listener.start()


def stop_listening() -> None:
    """End this process's listener and its connection (tests, before their database is dropped)."""
    global _listener
    with _listening:
        if _listener is not None:
            _stopping.set()
            _listener.join(timeout=LISTEN_TICK * 5)
            _stopping.clear()
            _listener = None


def _listen_postgresql(params: dict) -> None:
    import psycopg

    while not _stopping.is_set():
        try:
            with psycopg.connect(**params, autocommit=True) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                BELL.ring()  # something may have committed while (re)connecting
                while not _stopping.is_set():
                    for _notification in conn.notifies(timeout=LISTEN_TICK):
                        BELL.ring()
        except Exception:
            log.warning("wake-up: PostgreSQL listener lost its connection; reconnecting", exc_info=True)
            _stopping.wait(1)


def _listen_redis(url: str) -> None:
    import redis

    while not _stopping.is_set():
        try:
            pubsub = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(CHANNEL)
            BELL.ring()
            while not _stopping.is_set():
                if pubsub.get_message(timeout=LISTEN_TICK) is not None:
                    BELL.ring()
            pubsub.close()
        except Exception:
            log.warning("wake-up: Redis listener lost its connection; reconnecting", exc_info=True)
            _stopping.wait(1)
