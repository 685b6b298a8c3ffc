"""Memberships in the API: who holds which role where; unit admins manage their own subtree."""

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from govkpi.api.paging import Page
from govkpi.accounts.memberships import grant_role, withdraw_role
from govkpi.accounts.models import Membership
from govkpi.accounts.permissions import units_where
from govkpi.accounts.roles import Action, Role
from govkpi.accounts.tokens import SESSION_AUTH, BearerToken
from govkpi.orgunits.models import OrgUnit
from govkpi.api.schemas.problem import Problem

router = Router(auth=[BearerToken(), SESSION_AUTH])


class MembershipOut(Schema):
    id: int
    user: str
    unit: str
    role: str
    created_at: datetime.datetime

    @staticmethod
    def resolve_user(obj: Any) -> str:
        return obj.user.username

    @staticmethod
    def resolve_unit(obj: Any) -> str:
        return obj.unit.code


class MembershipIn(Schema):
    user: str
    unit: str
    role: Role


@router.get("", response=list[MembershipOut])
@paginate(Page)
def list_memberships(request: HttpRequest, unit: str | None = None) -> QuerySet:
    """Memberships at units where the caller manages users."""
    qs = Membership.objects.select_related("user", "unit").filter(
        unit__in=OrgUnit.objects.filter(units_where(request.user, Action.MANAGE_USERS)))
    if unit:
        qs = qs.filter(unit__code=unit)
    return qs.order_by("unit__path", "user__username")


@router.post("", response={201: MembershipOut, 200: MembershipOut, 403: Problem, 404: Problem})
def create_membership(request: HttpRequest, payload: MembershipIn) -> Status:
    """Grant a role over a unit's subtree; only roles whose actions the caller holds there."""
    user = get_user_model().objects.filter(username=payload.user).first()
    unit = OrgUnit.objects.filter(code=payload.unit).first()
    if user is None or unit is None:
        return Status(404, {"code": "not_found", "message": "Không có người dùng hoặc đơn vị này.",
                            "message_en": "No such user or unit."})
    membership, created = grant_role(request.user, user, payload.role, unit)
    return Status(201 if created else 200, membership)


@router.delete("/{membership_id}", response={204: None, 403: Problem, 404: Problem})
def delete_membership(request: HttpRequest, membership_id: int) -> Status:
    """Withdraw a role."""
    membership = Membership.objects.select_related("unit", "user").filter(pk=membership_id).first()
    if membership is None:
        return Status(404, {"code": "not_found", "message": "Không có phân quyền này.",
                            "message_en": "No such membership."})
    withdraw_role(request.user, membership)
    return Status(204, None)
