"""The briefs page: choose a scope, a period and a format, download; the stored briefs the user may see.
Parse, authorise (the domain checks READ on the scope's unit), call the domain, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from govkpi.accounts.permissions import scope_units
from govkpi.brief import produce as stored
from govkpi.brief.assemble import NATIONAL, BriefRefused
from govkpi.brief.models import Format, Report
from govkpi.brief.renderers import CONTENT_TYPES
from govkpi.core.periods import parse_period
from govkpi.orgunits.models import OrgUnit
from govkpi.reads.official import Calendar


def _default_period() -> str:
    """The latest official month (the month a meeting reviews: its figures are approved and published), as the
    form's month field writes it."""
    month = parse_period(Calendar().last_official_month())
    return f"{month.start:%Y-%m}"


@login_required
@require_http_methods(["GET", "POST"])
def briefs(request: HttpRequest) -> HttpResponse:
    error, status = "", 200
    form = {"scope": request.POST.get("scope", NATIONAL).strip() or NATIONAL,
            "period": request.POST.get("period", "").strip() or _default_period(),
            "format": request.POST.get("format", Format.PDF), "lang": request.POST.get("lang", "vi")}
    if request.method == "POST":
        if form["format"] not in Format.values or form["lang"] not in ("vi", "en"):
            error, status = "Định dạng hoặc ngôn ngữ không hợp lệ. / Unknown format or language.", 400
        else:
            try:
                report = stored.produce(form["scope"], form["period"], form["format"], form["lang"], None,
                                        request.user)
            except BriefRefused as refused:
                error = f"{refused.message_vi} / {refused.message_en}"
                status = 403 if refused.code == "forbidden" else 400
            else:
                return redirect("brief:download", pk=report.pk)
    tops = list(scope_units(request.user))
    units = sorted({u.pk: u for u in [*tops, *OrgUnit.objects.filter(parent__in=tops, kind__in=("ministry", "province"))
                                      .current()]}.values(), key=lambda u: (u.kind, u.code))
    return render(request, "brief/briefs.html", {
        "form": form, "error": error, "formats": Format.choices, "units": units,
        "reports": stored.visible_reports(request.user)}, status=status)


@login_required
def download(request: HttpRequest, pk: int) -> FileResponse:
    report = Report.objects.filter(pk=pk).first()
    if report is None or not stored.may_download(request.user, report):
        raise Http404(str(pk))  # not told whether a brief they may not read exists
    return FileResponse(report.file.open("rb"), as_attachment=True, filename=report.filename,
                        content_type=CONTENT_TYPES[report.format])
