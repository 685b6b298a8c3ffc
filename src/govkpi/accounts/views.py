"""Sign-in pages: password, second factor (with enrolment), sign-out, and the user's own tokens."""

from __future__ import annotations

import base64
import datetime

import segno
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from govkpi.accounts.models import ApiToken, Membership
from govkpi.accounts.roles import Action
from govkpi.accounts.security import requires_second_factor, sign_out_everywhere
from govkpi.accounts.tokens import create_token, revoke_token
from govkpi.audit.trail import record
from govkpi.orgunits.models import OrgUnit


class SignInView(LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    return target if url_has_allowed_host_and_scheme(target, {request.get_host()}) else "/"


def _qr_data_uri(device: TOTPDevice) -> str:
    svg = segno.make(device.config_url, error="m").svg_inline(scale=4)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """Ask for the TOTP code; enrol an authenticator first when the user has none."""
    user = request.user
    if user.is_verified():
        return redirect(_safe_next(request))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=False)
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "").strip().replace(" ", "")
        if code.isdigit() and device.verify_token(code):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                record("auth.second_factor_enrolled", actor=user, object_type="User", object_key=user.username,
                       request=request)
            otp_login(request, device)
            record("auth.second_factor_verified", actor=user, object_type="User", object_key=user.username,
                   request=request)
            return redirect(_safe_next(request))
        record("auth.second_factor_failed", actor=user, object_type="User", object_key=user.username,
               request=request)
        error = _("Mã không đúng hoặc đã hết hạn. / The code is wrong or has expired.")
    context = {"enrolling": enrolling, "error": error, "next": _safe_next(request),
               "required": requires_second_factor(user)}
    if enrolling:
        context.update(qr=_qr_data_uri(device), secret=base64.b32encode(device.bin_key).decode())
    return render(request, "accounts/second_factor.html", context)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("/")


@require_POST
@login_required
def sign_out_all(request: HttpRequest) -> HttpResponse:
    sign_out_everywhere(request.user, request)
    logout(request)
    return redirect("/")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The user's own page: memberships, second factor, API tokens (a new token is shown once)."""
    user = request.user
    new_token = ""
    if request.method == "POST" and request.POST.get("form") == "create_token":
        codes = [c.strip() for c in request.POST.get("units", "").split(",") if c.strip()]
        units = list(OrgUnit.objects.filter(code__in=codes))
        expires = request.POST.get("expires") or ""
        actions = [a for a in request.POST.getlist("actions") if a in Action.values]
        if len(units) != len(set(codes)):
            messages.error(request, _("Có mã đơn vị không tồn tại. / Some unit codes do not exist."))
        else:
            try:
                expires_at = (datetime.datetime.combine(datetime.date.fromisoformat(expires), datetime.time.max,
                                                        tzinfo=timezone.get_current_timezone()) if expires else None)
            except ValueError:
                messages.error(request, _("Ngày hết hạn không hợp lệ. / The expiry date is not valid."))
            else:
                _token, new_token = create_token(user, name=request.POST.get("name", "")[:100], units=units,
                                                 actions=actions, expires_at=expires_at)
    elif request.method == "POST" and request.POST.get("form") == "revoke_token":
        token = ApiToken.objects.filter(user=user, prefix=request.POST.get("prefix", "")).first()
        if token is not None:
            revoke_token(token, by=user)
    context = {
        "memberships": Membership.objects.filter(user=user).select_related("unit"),
        "tokens": ApiToken.objects.filter(user=user).prefetch_related("units").order_by("-created_at"),
        "new_token": new_token,
        "actions": Action.choices,
        "verified": user.is_verified(),
    }
    return render(request, "accounts/account.html", context)
