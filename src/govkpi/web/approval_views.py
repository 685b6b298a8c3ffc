"""The approver's inbox: the submissions waiting for this approver's decision, each with what changed since the
period before and its review flags; approve or return (with a reason) through the data form's approval action."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from govkpi.discussion.threads import submission_counts
from govkpi.reads.approvals import full_name, waiting_for


@login_required
def approvals_inbox(request: HttpRequest) -> HttpResponse:
    inbox = waiting_for(request.user)
    comments = submission_counts([(row.unit.pk, row.approval.period) for row in inbox.rows])
    rows = [(row, full_name(row.unit), comments.get((row.unit.pk, row.approval.period), 0)) for row in inbox.rows]
    return render(request, "web/approvals.html", {"rows": rows, "total": inbox.total,
                                                  "flash": request.session.pop("govkpi_flash", "")})
