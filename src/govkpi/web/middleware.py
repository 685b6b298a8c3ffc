"""Vietnamese first: the interface speaks Vietnamese unless the user chose English with the switch."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class VietnameseFirstMiddleware:
    """Placed before LocaleMiddleware: a browser's Accept-Language is ignored, so the language is the one
    chosen with the switch (the django_language cookie) or else LANGUAGE_CODE (vi). Government machines often
    run English-language browsers; their users still expect the Vietnamese interface."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
