"""Views that fail on purpose, on govkpi's API, DHIS2's paths and a page (tests/web/test_problems.py)."""

from django.db import IntegrityError, OperationalError
from django.urls import path

handler500 = "govkpi.web.problems.server_error"  # as govkpi.urls

FAILURES = {
    "locked": OperationalError("database is locked"),
    "lock_timeout": OperationalError("canceling statement due to lock timeout"),
    "readonly": OperationalError("attempt to write a readonly database"),
    "disk_full": OperationalError("database or disk is full"),
    "pg_disk_full": OperationalError('could not extend file "base/16384/16500": No space left on device'),
    "duplicate": IntegrityError("UNIQUE constraint failed: datavalues_datavalue.key"),
    "bug": ZeroDivisionError("division by zero"),
}


def fail(request, kind):  # noqa: ANN001, ANN201
    raise FAILURES[kind]


urlpatterns = [path("api/v1/fail/<str:kind>", fail), path("api/fail/<str:kind>", fail), path("fail/<str:kind>", fail)]
