"""Sign-in pages: password, second factor (with enrolment), sign-out, and the user's own tokens."""

from __future__ import annotations

import base64
import datetime

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from govkpi.accounts.contact import set_email
from govkpi.accounts.models import ApiToken, Membership
from govkpi.accounts.roles import Action
from govkpi.accounts.enrolment import issue_enrolment_code, may_issue, redeem_enrolment_code
from govkpi.accounts.security import (AccountRefused, refusal, requires_second_factor, second_factor_expected,
                                      sign_out_everywhere)
from govkpi.accounts.tokens import create_token_for_session, revoke_token
from govkpi.accounts.user_admin import manages_users
from govkpi.audit.trail import record
from govkpi.orgunits.models import OrgUnit

# The session holds the user's id once they gave a valid enrolment code, until they confirm an authenticator.
ENROLMENT_SESSION_KEY = "govkpi_enrolment_allowed"


class SignInForm(AuthenticationForm):
    """Django's sign-in form, refusing an account that may not be used now (a demo account in production)."""

    refused: AccountRefused | None = None

    def confirm_login_allowed(self, user: object) -> None:
        super().confirm_login_allowed(user)
        self.refused = refusal(user)
        if self.refused is not None:
            raise ValidationError(self.refused.message_vi, code=self.refused.code)


class SignInView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


def _safe_next(request: HttpRequest) -> str:
    landing = settings.LOGIN_REDIRECT_URL  # after sign-in with no page asked for: "my work"
    target = request.POST.get("next") or request.GET.get("next") or landing
    return target if url_has_allowed_host_and_scheme(target, {request.get_host()}) else landing


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
    if enrolling and request.session.get(ENROLMENT_SESSION_KEY) != user.pk:
        return _enrolment_code(request)
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
                request.session.pop(ENROLMENT_SESSION_KEY, None)
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


def _enrolment_code(request: HttpRequest) -> HttpResponse:
    """Before a first enrolment: ask for the one-time code another admin or the CLI issued."""
    user, error = request.user, ""
    if request.method == "POST":
        if redeem_enrolment_code(user, request.POST.get("enrolment_code", ""), request=request):
            # A fresh secret: a device made before the code (by anyone holding the password) is not reused.
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            request.session[ENROLMENT_SESSION_KEY] = user.pk
            return redirect(f"{request.path}?next={_safe_next(request)}")
        error = _("Mã đăng ký không đúng, đã dùng hoặc đã hết hạn. / "
                  "The enrolment code is wrong, used or expired.")
    context = {"error": error, "next": _safe_next(request), "required": requires_second_factor(user)}
    return render(request, "accounts/enrolment_code.html", context, status=403 if error else 200)


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
    """The user's own page: memberships, second factor, API tokens (a new token is shown once), and for a
    verified system admin the enrolment codes they issue to others."""
    user, verified = request.user, request.user.is_verified()
    new_token = new_code = ""
    status = 200
    form = request.POST.get("form") if request.method == "POST" else None
    if form == "create_token":
        try:
            new_token = _create_token(request)
        except AccountRefused as refused:
            messages.error(request, f"{refused.message_vi} / {refused.message_en}")
            status = 403
    elif form == "revoke_token":
        token = ApiToken.objects.filter(user=user, prefix=request.POST.get("prefix", "")).first()
        if token is not None:
            revoke_token(token, by=user)
    elif form == "email":
        try:
            with transaction.atomic():
                set_email(user, request.POST.get("email", ""))
            messages.success(request, _("Đã lưu địa chỉ e-mail."))
        except AccountRefused as refused:
            messages.error(request, f"{refused.message_vi} / {refused.message_en}")
            status = 400
    elif form == "enrolment_code":
        target = get_user_model().objects.filter(username=request.POST.get("username", ""), is_active=True).first()
        try:
            if target is None:
                raise AccountRefused("unknown_user", "Không có người dùng này.", "No such user.")
            new_code = issue_enrolment_code(target, issuer=user, issuer_verified=verified, request=request)
        except AccountRefused as refused:
            messages.error(request, f"{refused.message_vi} / {refused.message_en}")
            status = 403
    context = {
        "memberships": Membership.objects.filter(user=user).select_related("unit"),
        "tokens": ApiToken.objects.filter(user=user).prefetch_related("units").order_by("-created_at"),
        "new_token": new_token,
        "actions": Action.choices,
        "verified": verified,
        "may_create_tokens": verified or not second_factor_expected(user),
        "may_issue_codes": may_issue(user, issuer_verified=verified),
        "new_code": new_code,
        "new_code_for": request.POST.get("username", "") if new_code else "",
        "manages_users": manages_users(user),
    }
    return render(request, "accounts/account.html", context, status=status)


def _create_token(request: HttpRequest) -> str:
    """Parse the token form and create the token (AccountRefused when the session may not); return its text."""
    codes = [c.strip() for c in request.POST.get("units", "").split(",") if c.strip()]
    units = list(OrgUnit.objects.filter(code__in=codes))
    expires = request.POST.get("expires") or ""
    actions = [a for a in request.POST.getlist("actions") if a in Action.values]
    if len(units) != len(set(codes)):
        messages.error(request, _("Có mã đơn vị không tồn tại. / Some unit codes do not exist."))
        return ""
    try:
        expires_at = (datetime.datetime.combine(datetime.date.fromisoformat(expires), datetime.time.max,
                                                tzinfo=timezone.get_current_timezone()) if expires else None)
    except ValueError:
        messages.error(request, _("Ngày hết hạn không hợp lệ. / The expiry date is not valid."))
        return ""
    _token, text = create_token_for_session(request.user, verified=request.user.is_verified(), request=request,
                                            name=request.POST.get("name", "")[:100], units=units,
                                            actions=actions, expires_at=expires_at)
    return text
