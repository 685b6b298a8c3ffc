"""The inbox and the preferences page: parse, ask notify's functions, render."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from govkpi.notify import inbox as boxes
from govkpi.notify import preferences
from govkpi.notify.kinds import Frequency, Kind

PER_PAGE = 50
LABELS = dict(Kind.choices)


def _kind(request: HttpRequest) -> str:
    kind = request.GET.get("kind") or request.POST.get("kind") or ""
    return kind if kind in Kind.values else ""


def _back(kind: str) -> HttpResponse:
    return redirect("notify:inbox" if not kind else f"/inbox/?{urlencode({'kind': kind})}")


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The signed-in person's notifications, newest first, unread marked, of one kind when asked."""
    kind = _kind(request)
    page = Paginator(boxes.notifications_for(request.user, kind), PER_PAGE).get_page(request.GET.get("page"))
    items = []
    for n in page.object_list:
        title, body = boxes.in_language(n)
        items.append({"pk": n.pk, "title": title, "body": body, "link": boxes.safe_link(n.link),
                      "kind": LABELS.get(n.kind, n.kind), "unit": n.unit, "created_at": n.created_at,
                      "unread": n.read_at is None})
    return render(request, "notify/inbox.html", {
        "items": items, "page": page, "kind": kind, "kinds": Kind.choices,
        "unread": boxes.unread_count(request.user), "query": urlencode({"kind": kind}) if kind else ""})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the person's own notifications read (another's is not found)."""
    if not boxes.notifications_for(request.user).filter(pk=pk).exists():
        raise Http404
    boxes.mark_read(request.user, timezone.now(), pk=pk)
    return _back(_kind(request))


@login_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow one of the person's notifications to its page, marking it read on the way (another's is not
    found; a link that is not a path inside govkpi leads back to the inbox)."""
    notification = boxes.notifications_for(request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404
    boxes.mark_read(request.user, timezone.now(), pk=pk)
    return redirect(boxes.safe_link(notification.link) or "notify:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    """Mark all the person's notifications read (of the kind shown, when filtered)."""
    kind = _kind(request)
    boxes.mark_read(request.user, timezone.now(), kind=kind)
    return _back(kind)


class PreferencesForm(forms.Form):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for value, label in Kind.choices:
            self.fields[value] = forms.ChoiceField(label=label, choices=Frequency.choices,
                                                   widget=forms.RadioSelect)


@login_required
def preferences_page(request: HttpRequest) -> HttpResponse:
    """Per kind: at once, a daily digest, or off."""
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            preferences.set_frequencies(request.user, form.cleaned_data)
            return redirect(f"{request.path}?saved=1")
    else:
        form = PreferencesForm(initial=preferences.frequencies(request.user))
    return render(request, "notify/preferences.html", {
        "form": form, "saved": request.GET.get("saved") == "1", "has_email": bool(request.user.email),
        "rows": [(form[value], label) for value, label in Kind.choices]},
        status=400 if form.is_bound else 200)

