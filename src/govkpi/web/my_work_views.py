""""Việc của tôi" (my work): what the signed-in person has to do, in one page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from govkpi.reads.my_work import my_work as read_my_work


@login_required
def my_work(request: HttpRequest) -> HttpResponse:
    day = timezone.localdate()
    return render(request, "web/my_work.html", {"work": read_my_work(request.user, day), "day": day})
