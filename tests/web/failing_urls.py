"""A URL that fails on purpose: how a 500 is logged (tests/web/test_bad_input.py)."""

from django.urls import path


def boom(request):  # noqa: ANN001, ANN201
    return 1 / 0


urlpatterns = [path("boom/", boom)]
