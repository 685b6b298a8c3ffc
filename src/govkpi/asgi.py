"""ASGI entry point: `uvicorn govkpi.asgi:application` (what `govkpi serve` runs).

Django's application behind a cap on the requests it runs at once (govkpi.server.BoundedThreads,
GOVKPI_REQUEST_THREADS), so that a crowd of clients waits in line instead of opening a thread and a database
connection each."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govkpi.settings")
django_application = get_asgi_application()

from django.conf import settings  # after Django is set up

from govkpi.server import BoundedThreads

STREAM_PATHS = frozenset({"/api/v1/events"})  # asynchronous, capped on their own (live.stream)
application = BoundedThreads(django_application, settings.REQUEST_THREADS, exempt=STREAM_PATHS)
