"""Posting to a thread: parse, ask `threads.post` (which decides who may), go back to the page at the thread."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from govkpi.discussion import threads
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks.models import Task

_ERROR = "govkpi_comment_error"


def _post(request: HttpRequest, thread: threads.Thread) -> HttpResponse:
    try:
        threads.post(request.user, thread, request.POST.get("body", ""))
    except threads.DiscussionError as error:
        request.session[_ERROR] = f"{error.message_vi} / {error.message_en}"
    return redirect(thread.link)


@login_required
@require_POST
def post_to_submission(request: HttpRequest, code: str, period: str) -> HttpResponse:
    unit = OrgUnit.objects.select_related("parent").filter(code=code).first()
    if unit is None:
        raise Http404(code)
    try:
        thread = threads.submission(unit, period)
    except threads.DiscussionError:
        raise Http404(period) from None
    return _post(request, thread)


@login_required
@require_POST
def post_to_task(request: HttpRequest, code: str) -> HttpResponse:
    task = Task.objects.select_related("lead_unit", "directive__issuing_body").filter(code=code).first()
    if task is None:
        raise Http404(code)
    return _post(request, threads.of_task(task))
