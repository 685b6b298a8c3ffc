"""The 403 and 404 pages: why, and what to do next (which role to ask for, at which unit, from whom).

Under /api/ the answer stays a JSON problem (web.problems), with the refusal's own words.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from govkpi.accounts.models import Membership
from govkpi.accounts.permissions import NotAllowed
from govkpi.accounts.roles import ROLE_ACTIONS, Action, Role
from govkpi.orgunits.models import OrgUnit
from govkpi.web import problems

MAX_CONTACTS = 3


class AdminSiteRefused(PermissionDenied):
    """Refused: the admin site (/admin/) is for system administrators only."""

    def __init__(self) -> None:
        super().__init__("Trang quản trị chỉ dành cho quản trị hệ thống. / "
                         "The admin site is for system administrators only.")


def role_for(action: str) -> str:
    """The narrowest role that allows the action (the one to ask for)."""
    roles = [r for r in Role.values if action in ROLE_ACTIONS[r] and r != Role.SYSTEM_ADMIN]
    return min(roles, key=lambda r: (len(ROLE_ACTIONS[r]), r)) if roles else Role.SYSTEM_ADMIN


def granters(role: str, unit: OrgUnit) -> tuple[str, list[str]]:
    """Who can grant the role at the unit: the granting role and up to MAX_CONTACTS active people holding it at
    the unit or above, nearest first."""
    granting = Role.UNIT_ADMIN if ROLE_ACTIONS[role] <= ROLE_ACTIONS[Role.UNIT_ADMIN] else Role.SYSTEM_ADMIN
    above = Q(unit__path__in=[f"/{'/'.join(unit.path.strip('/').split('/')[:n])}/"
                              for n in range(1, unit.path.strip("/").count("/") + 2)])
    people = (Membership.objects.filter(above, role=granting, user__is_active=True)
              .select_related("user", "unit").order_by("-unit__level", "user__username"))
    names = []
    for m in people[:MAX_CONTACTS]:
        names.append(f"{m.user.get_full_name() or m.user.username} ({m.user.username})")
    return granting, names


def branch(unit: OrgUnit) -> str:
    """The path of the ministry or province a unit belongs to (the Government's own path for the Government)."""
    codes = unit.path.strip("/").split("/")
    return f"/{'/'.join(codes[:2])}/"


def colleague(user: Any, unit: OrgUnit) -> bool:
    """True when the user holds a membership within the unit's ministry or province (or at the Government)."""
    top = branch(unit)
    units = [m.unit for m in Membership.objects.filter(user=user).select_related("unit")]
    if unit.level == 0:  # the Government's own administrators: named to the Government's people only
        return any(u.level == 0 for u in units)
    return any(u.level == 0 or u.path.startswith(top) for u in units)


def _halves(message: str) -> str:
    """The refusal's words in the interface's language ("tiếng Việt / English" messages)."""
    vi, sep, en = message.partition(" / ")
    return en.strip() if sep and (get_language() or "vi").startswith("en") else vi.strip()


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403: the reason and the next step; a JSON problem under /api/."""
    message = str(exception or "").strip()
    if problems.is_api(request.path):
        base = problems.problem_for_status(403)
        vi, sep, en = message.partition(" / ")
        problem = problems.Problem(403, base.code, vi.strip() or base.message_vi,
                                   (en if sep else vi).strip() or base.message_en)
        return problems.render(request, problem)
    context: dict[str, Any] = {"reason": _halves(message) if message else "", "path": request.path,
                               "admin_site": isinstance(exception, AdminSiteRefused)}
    user = request.user
    if isinstance(exception, NotAllowed):
        role = role_for(exception.action)
        # Names only to a colleague (a member somewhere in the same ministry or province): anyone refused
        # anywhere must not be able to list the country's administrators by trying pages.
        granting, names = (granters(role, exception.unit) if user.is_authenticated and colleague(user, exception.unit)
                           else (Role.UNIT_ADMIN, []))
        unit = exception.unit
        in_english = (get_language() or "vi").startswith("en") and unit.name_en
        context.update(action=Action(exception.action).label, role=Role(role).label,
                       unit_name=unit.name_en if in_english else unit.name,
                       granting=Role(granting).label, contacts=names)
    if context["admin_site"] and user.is_authenticated:
        from govkpi.accounts.admin_site import is_system_admin
        from govkpi.accounts.user_admin import manages_users

        context["manages_users"] = manages_users(user)
        context["needs_staff"] = is_system_admin(user) and not user.is_staff
    return render(request, "403.html", context, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the address is unknown; what to try instead. A JSON problem under /api/."""
    if problems.is_api(request.path):
        return problems.render(request, problems.problem_for_status(404))
    return render(request, "404.html", {"path": request.path}, status=404)
