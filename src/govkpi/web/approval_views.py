"""The approver's inbox: the submissions waiting for this approver's decision, each with what changed since the
period before and its review flags; approve or return (with a reason) through the data form's approval action."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from govkpi.reads.approvals import full_name, waiting_for


@login_required
def approvals_inbox(request: HttpRequest) -> HttpResponse:
    inbox = waiting_for(request.user)
    rows = [(row, full_name(row.unit)) for row in inbox.rows]
    return render(request, "web/approvals.html", {"rows": rows, "total": inbox.total,
                                                  "flash": request.session.pop("govkpi_flash", "")})
