"""ASGI entry point: `uvicorn govkpi.asgi:application` (what `govkpi serve` runs)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govkpi.settings")
application = get_asgi_application()
