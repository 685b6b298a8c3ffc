"""The admin site (/admin/): system administrators only, past their second factor.

django-otp's admin site sends anyone it refuses to the admin's sign-in page; ours is the one sign-in page, which
sends a signed-in user straight back to `next`: a signed-in person who is not staff (a unit administrator) went
round /admin/ → /admin/login/?next=/admin/ → /admin/ for ever. A signed-in person the site refuses now gets the
403 page saying why, and where unit administrators manage their users (/account/users/) instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django_otp.admin import OTPAdminSite

from govkpi.accounts.error_pages import AdminSiteRefused
from govkpi.accounts.models import Membership
from govkpi.accounts.roles import Role


def is_system_admin(user: Any) -> bool:
    """True for an active superuser or holder of the system administrator's role at a root unit."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or Membership.objects.filter(user=user, role=Role.SYSTEM_ADMIN,
                                                          unit__parent__isnull=True).exists()


class GovkpiAdminSite(OTPAdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        """Staff, verified (django-otp's rule), and a system administrator."""
        return super().has_permission(request) and is_system_admin(request.user)

    def admin_view(self, view: Callable[..., HttpResponse], cacheable: bool = False) -> Callable[..., HttpResponse]:
        inner = super().admin_view(view, cacheable)

        def refuse_the_signed_in(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # The anonymous go to sign in; someone signed in but not verified was sent to the second factor by
            # SessionEpochMiddleware when their role needs one; whoever is left and refused is refused here.
            user = request.user
            if user.is_authenticated and not self.has_permission(request) \
                    and (user.is_verified() or not _needs_second_factor(user)):
                raise AdminSiteRefused()
            return inner(request, *args, **kwargs)

        refuse_the_signed_in.admin_site = self  # type: ignore[attr-defined]
        return refuse_the_signed_in


def _needs_second_factor(user: Any) -> bool:
    from govkpi.accounts.security import requires_second_factor

    return requires_second_factor(user)
