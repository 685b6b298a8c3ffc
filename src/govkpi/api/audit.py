"""The audit trail in the API, for auditors: entries of the units they audit."""

import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from govkpi.api.paging import Page
from govkpi.accounts.permissions import can, units_where
from govkpi.accounts.roles import Action
from govkpi.accounts.tokens import SESSION_AUTH, BearerToken
from govkpi.audit.models import AuditEntry
from govkpi.orgunits.models import OrgUnit
from govkpi.orgunits.reference import GOVERNMENT_CODE

router = Router(auth=[BearerToken(), SESSION_AUTH])


class AuditEntryOut(Schema):
    seq: int
    at: datetime.datetime
    actor: str
    action: str
    object_type: str
    object_key: str
    unit: str
    ip: str
    before: Any = None
    after: Any = None


def visible_entries(user: Any) -> QuerySet:
    """Everything for a national auditor; for a unit's auditor, the entries of units in its subtree."""
    root = OrgUnit.objects.get(code=GOVERNMENT_CODE)
    if can(user, Action.READ_AUDIT, root):
        return AuditEntry.objects.all()
    codes = OrgUnit.objects.filter(units_where(user, Action.READ_AUDIT)).values("code")
    return AuditEntry.objects.filter(unit__in=codes)


@router.get("", response=list[AuditEntryOut])
@paginate(Page)
def list_entries(request: HttpRequest, action: str | None = None, actor: str | None = None,
                 unit: str | None = None, object_key: str | None = None) -> QuerySet:
    """Audit entries, newest first; an empty list for callers who audit nothing."""
    qs = visible_entries(request.user)
    for field, value in (("action", action), ("actor", actor), ("unit", unit), ("object_key", object_key)):
        if value:
            qs = qs.filter(**{field: value})
    return qs.order_by("-seq")
