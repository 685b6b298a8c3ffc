"""Session rules applied on every request."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from govkpi.accounts.security import SESSION_EPOCH_KEY, current_epoch, refusal, requires_second_factor

# Paths a signed-in user may reach before the second factor: signing in, enrolling, static files.
OPEN_PREFIXES = ("/account/", "/static/", "/i18n/")


class SessionEpochMiddleware:
    """Signs out a session started before the user's last "sign out everywhere" or of an account refused
    now (a demo account once the mode is production), and asks for the second factor before anything
    else when the user's role requires it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            if request.session.get(SESSION_EPOCH_KEY, 0) != current_epoch(user) or refusal(user) is not None:
                logout(request)
            elif not user.is_verified() and not request.path.startswith(OPEN_PREFIXES) \
                    and requires_second_factor(user):
                if request.path.startswith("/api/"):
                    return JsonResponse({"code": "second_factor_required",
                                         "message": "Cần xác thực hai lớp trước. / Sign in with your second factor first.",
                                         "message_en": "Sign in with your second factor first."}, status=403)
                return redirect(f"/account/2fa/?next={request.get_full_path()}")
        return self.get_response(request)
