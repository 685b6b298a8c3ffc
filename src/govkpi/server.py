"""How `govkpi serve` runs: uvicorn's web workers, the evaluation engine beside them, bounded request threads.

One worker (`./dev run`): the engine follows the change events in a thread of the server's own process.
Several (`--workers N`): the workers are stateless, each its own process with its own live hub (live.hub) and
wake-up listener (events.wakeup); the engine runs once, as a child `govkpi evaluate --follow` that this process
starts, restarts if it dies, and ends with the server. On PostgreSQL it is leader-elected like any other
engine (evaluation.runner): a second server or `govkpi evaluate --follow` elsewhere waits. Before, the engine
was a thread of uvicorn's supervisor, the process that only watches the workers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)
ENGINE_RESTART = 2.0  # seconds before a dead engine process is started again
ENGINE_STOP = 10.0  # seconds an engine is given to end on SIGTERM before it is killed
# Seconds the workers give open requests to end when the server stops: event streams never end on their own
# (their browsers reconnect to another server, or to this one once it is back).
SHUTDOWN_GRACE = 5

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable, Callable], Awaitable[None]]


class BoundedThreads:
    """An ASGI wrapper: at most `limit` HTTP requests at a time run in Django; the others wait here.

    Django runs each request's synchronous code (middleware, sync views) on a thread of its own, made for the
    request (asgiref's thread-sensitive context), and each thread opens its own database connection: uncapped
    clients meant uncapped threads and connections, until PostgreSQL refused them ("too many clients"). A
    request waiting here costs neither. The event streams (`exempt` paths) are asynchronous, hold no thread once
    they are open and are capped on their own (EVENT_STREAMS_MAX)."""

    def __init__(self, app: ASGIApp, limit: int, exempt: frozenset[str] = frozenset()) -> None:
        self.app, self.limit, self.exempt = app, limit, exempt
        self._slots: asyncio.Semaphore | None = None  # made on the first request, in the server's event loop

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or self.limit <= 0 or scope.get("path") in self.exempt:
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        async with self._slots:
            await self.app(scope, receive, send)


class EngineProcess:
    """`govkpi evaluate --follow` as a child of the server: started, restarted if it dies, ended with the server."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self._stop = threading.Event()
        self._starting = threading.Lock()  # stop() never misses a process being started
        self._thread = threading.Thread(target=self._keep, name="govkpi-engine-process", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._starting:
            self._stop.set()
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(ENGINE_STOP)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._thread.join(ENGINE_STOP)

    def _keep(self) -> None:
        while True:
            with self._starting:
                if self._stop.is_set():
                    return
                # A session of its own: a Ctrl-C at the terminal reaches the server, which then ends the engine.
                process = self._process = subprocess.Popen(
                    [sys.executable, "-m", "govkpi.cli", "evaluate", "--follow"], env=os.environ.copy(),
                    start_new_session=True)
            code = process.wait()
            if self._stop.is_set():
                return
            print(f"govkpi: bộ đánh giá đã dừng (mã {code}), khởi động lại / the engine ended (code {code}); "
                  "restarting", file=sys.stderr, flush=True)
            self._stop.wait(ENGINE_RESTART)


def serve(host: str, port: int, workers: int, evaluation: bool) -> None:
    """Run uvicorn with `workers` processes and, unless `evaluation` is off, the engine once beside them."""
    import uvicorn

    engine = None
    if evaluation and workers <= 1:
        import django

        django.setup()
        from govkpi.evaluation.runner import start_in_background

        start_in_background()
    elif evaluation:
        _warn_without_wakeups()
        engine = EngineProcess()
        engine.start()
    print(f"govkpi: http://{host}:{port}/ ({workers} worker{'s' if workers > 1 else ''})", flush=True)
    try:
        uvicorn.run("govkpi.asgi:application", host=host, port=port, workers=workers, log_level="info",
                    lifespan="off", timeout_graceful_shutdown=SHUTDOWN_GRACE, **proxy_options())
    finally:
        if engine is not None:
            engine.stop()


def proxy_options() -> dict[str, Any]:
    """uvicorn's forwarded-header options: believed only from GOVKPI_TRUSTED_PROXIES, from nobody by default.

    uvicorn's own default believes X-Forwarded-For and -Proto from 127.0.0.1 (or FORWARDED_ALLOW_IPS), so any
    local process, or a proxy that passes the client's header on, chose the address every limit and audit row
    saw. The client address itself is worked out once, in Django (core.clientaddr), from the same setting."""
    from govkpi.core.clientaddr import parse_networks

    networks = parse_networks(os.environ.get("GOVKPI_TRUSTED_PROXIES", ""))
    if not networks:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": [str(net) for net in networks]}


def _warn_without_wakeups() -> None:
    """SQLite's commits ring only their own process; between processes they need Redis, else readers poll."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and not settings.REDIS_URL:
        print("govkpi: SQLite với nhiều tiến trình: đặt REDIS_URL để đánh thức giữa các tiến trình, nếu không các "
              "luồng cập nhật chậm tới 2 giây. / SQLite with several processes: set REDIS_URL for wake-ups between "
              "them, else the streams lag by up to 2 s.", file=sys.stderr, flush=True)
