"""A view that shows the database timeouts its request runs with (tests/datavalues/test_request_timeouts.py)."""

from django.db import connection
from django.http import JsonResponse
from django.urls import path


def timeouts(request):  # noqa: ANN001, ANN201
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout'), current_setting('statement_timeout')")
        lock, statement = cursor.fetchone()
    return JsonResponse({"lock_timeout": lock, "statement_timeout": statement})


urlpatterns = [path("settings", timeouts)]
