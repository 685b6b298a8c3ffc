"""The users page of a unit administrator (/account/users/) and the invited user's set-password page.

The view parses the form, calls accounts.user_admin (which authorises and audits), and renders; a new
set-password link is shown once, on the answer to the invitation.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from govkpi.accounts import user_admin
from govkpi.accounts.models import Membership
from govkpi.accounts.permissions import NotAllowed
from govkpi.accounts.roles import Action, Role
from govkpi.accounts.security import requires_second_factor
from govkpi.orgunits.models import OrgUnit

MAX_UNIT_CHOICES = 400  # the datalist of units; more are still reached by code or name


def _words(refused: user_admin.UserAdminRefused) -> str:
    return refused.message_en if (get_language() or "vi").startswith("en") else refused.message_vi


def _unit(request: HttpRequest, text: str) -> OrgUnit:
    unit = user_admin.find_unit(request.user, text)
    if unit is None:
        raise user_admin.UserAdminRefused(
            "unit_not_found", f"Không tìm thấy đơn vị «{text}» trong phạm vi bạn quản lý.",
            f"No unit «{text}» within what you manage.")
    return unit


def _target(request: HttpRequest) -> object:
    user = get_user_model().objects.filter(username=request.POST.get("username", "")).first()
    if user is None:
        raise user_admin.UserAdminRefused("unknown_user", "Không có người dùng này.", "No such user.")
    return user


def _act(request: HttpRequest) -> str:
    """Do what the posted form asks; return a new set-password link to show once, or ""."""
    form, admin, post = request.POST.get("form"), request.user, request.POST
    if form == "invite":
        user, link = user_admin.invite_user(admin, username=post.get("username", ""),
                                            full_name=post.get("full_name", "")[:300], email=post.get("email", ""),
                                            role=post.get("role", ""), unit=_unit(request, post.get("unit", "")),
                                            request=request)
        messages.success(request, _("Đã mời %(user)s.") % {"user": user.username})
        return request.build_absolute_uri(link)
    if form == "grant":
        user_admin.grant(admin, _target(request), post.get("role", ""), _unit(request, post.get("unit", "")),
                         request=request)
        messages.success(request, _("Đã cấp vai trò."))
    elif form == "withdraw":
        membership = Membership.objects.select_related("unit", "user").filter(pk=post.get("membership") or 0).first()
        if membership is None:
            raise user_admin.UserAdminRefused("unknown_role", "Không có vai trò này.", "No such role.")
        user_admin.withdraw(admin, membership, request=request)
        messages.success(request, _("Đã gỡ vai trò."))
    elif form in ("deactivate", "reactivate"):
        user_admin.set_active(admin, _target(request), form == "reactivate", request=request)
        messages.success(request, _("Đã khóa tài khoản.") if form == "deactivate" else _("Đã mở lại tài khoản."))
    elif form == "link":
        return request.build_absolute_uri(user_admin.new_set_password_link(admin, _target(request), request=request))
    return ""


@login_required
def users(request: HttpRequest) -> HttpResponse:
    """The users of the administrator's subtrees, the invitation form, and the actions on each user."""
    admin = request.user
    if not admin.is_verified() and requires_second_factor(admin):
        # /account/ is open before the second factor (to reach it); this page of it is not.
        return redirect(f"/account/2fa/?next={request.get_full_path()}")
    if not user_admin.manages_users(admin):
        home = admin_home(admin) or OrgUnit.objects.filter(parent__isnull=True).order_by("code").first()
        raise NotAllowed(Action.MANAGE_USERS, home) if home is not None else PermissionDenied()
    link, link_for, status = "", "", 200
    if request.method == "POST":
        try:
            link = _act(request)
            link_for = request.POST.get("username", "").strip().lower() if link else ""
        except user_admin.UserAdminRefused as refused:
            messages.error(request, _words(refused))
            status = 403
    units = user_admin.managed_units(admin)
    context = {
        "rows": user_admin.users_of(admin),
        "units": units[:MAX_UNIT_CHOICES],
        "roles": [(r, Role(r).label) for r in user_admin.grantable_roles(admin, units[0])],
        "link": link, "link_for": link_for,
    }
    return render(request, "accounts/users.html", context, status=status)


def admin_home(user: object) -> OrgUnit | None:
    """The unit of the user's first membership: where they would ask for a role."""
    m = Membership.objects.filter(user=user).select_related("unit").order_by("unit__level").first()
    return m.unit if m is not None else None


class SetPasswordView(PasswordResetConfirmView):
    """The invited user's one-time link: choose a password, then sign in (the link stops working once used)."""

    template_name = "accounts/set_password.html"
    success_url = reverse_lazy("accounts:login")
    post_reset_login = False

    def get_user(self, uidb64: str) -> Any:
        """The link's user, while active: deactivating an account also ends the links given for it."""
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        from govkpi.audit.trail import record

        record("user.set_password", actor=self.user, object_type="User", object_key=self.user.username,
               request=self.request)
        messages.success(self.request, _("Đã đặt mật khẩu. Hãy đăng nhập."))
        return response
