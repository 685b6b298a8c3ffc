"""Public portal pages and open-data downloads: no sign-in, and the same for every visitor.

The views never read `request.user`: what they show comes from `portal.published` alone, and the templates
get an anonymous user, so that a signed-in official sees exactly what the public sees."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.models import AnonymousUser
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from govkpi.evaluation import scores
from govkpi.portal import opendata, opendata_files, published
from govkpi.portal import tables as portal_tables
from govkpi.reads.visibility import Viewer
from govkpi.web import table_export

GROUPS = {"ministries": scores.MINISTRIES, "provinces": scores.PROVINCES}
DOWNLOAD_BLOCK = 256 * 1024
INDEX_RANKING_ROWS = 5  # the top of each ranking on the portal's first page


def _render(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    # The auth context processor would hand the session user to the page; the portal shows nobody.
    return render(request, template, {**context, "user": AnonymousUser(), "perms": None})


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """Published indicators with their latest national result and cited figures; the top of each ranking."""
    public = Viewer.public()  # one for the request: what is published is worked out once
    summaries = sorted(published.indicator_summaries(public), key=lambda s: s.national is None)  # results first
    rankings = [published.ranking(g, public=public) for g in GROUPS.values()]
    demo = any(s.national and s.national.demo for s in summaries) or any(r.demo for r in rankings)
    tables = {"indicators": lambda: portal_tables.indicators_table(summaries),
              **{f"rankings-{r.group}": (lambda r=r: portal_tables.ranking_table(r, r.rows[:INDEX_RANKING_ROWS], True))
                 for r in rankings}}
    return table_export.answer(request, tables) or _render(
        request, "portal/index.html", {"summaries": summaries, "rankings": rankings, "demo": demo})


@require_safe
def rankings(request: HttpRequest) -> HttpResponse:
    """The ranking of ministries and of provinces for a month (default: the latest scored)."""
    period = request.GET.get("period", "").strip()[:16]
    public = Viewer.public()
    tables = [published.ranking(g, period, public) for g in GROUPS.values()]
    periods = sorted(set(published.score_periods(scores.MINISTRIES, public))
                     | set(published.score_periods(scores.PROVINCES, public)), reverse=True)
    exported = table_export.answer(request, {f"rankings-{r.group}": (lambda r=r: portal_tables.ranking_table(r, r.rows))
                                             for r in tables})
    return exported or _render(request, "portal/rankings.html", {
        "rankings": tables, "periods": periods, "period": period or (tables[1].period or tables[0].period or ""),
        "demo": any(r.demo for r in tables)})


@require_safe
def methodology(request: HttpRequest) -> HttpResponse:
    return _render(request, "portal/methodology.html", {"versions": published.methodology_versions()})


@require_safe
def databases(request: HttpRequest) -> HttpResponse:
    rows, today = published.databases(), timezone.localdate()
    exported = table_export.answer(request, {"databases": lambda: portal_tables.databases_table(rows, today)})
    return exported or _render(request, "portal/databases.html", {
        "rows": rows, "today": today, "demo": any(r.database.demo for r in rows)})


@require_safe
def data(request: HttpRequest) -> HttpResponse:
    return _render(request, "portal/data.html", {"datasets": list(opendata.DATASETS),
                                                 "formats": list(opendata.FORMATS)})


@require_safe
def download(request: HttpRequest, dataset: str, fmt: str) -> HttpResponse:
    """One dataset in one format, as an attachment named govkpi-<dataset>-<date>.<format>, streamed from its
    file. `?version=` asks for an earlier version while it is still on disk (marked superseded); while the
    current one is being written, 503 with Retry-After: a previous file is never answered as the current one."""
    if dataset not in opendata.DATASETS or fmt not in opendata.FORMATS:
        raise Http404(f"{dataset}.{fmt}")
    asked = request.GET.get("version", "")
    current = opendata_files.current_version()
    if asked and asked != current:
        path = opendata_files.file_of_version(dataset, fmt, asked)
        if path is None:
            raise Http404(f"{dataset}.{fmt}?version={asked}")
        return _file_response(path, dataset, fmt, asked, status=DATA_SUPERSEDED)
    try:
        path, version = opendata_files.published_file(dataset, fmt)
    except opendata_files.Updating as updating:
        return _updating(request, dataset, fmt, updating)
    return _file_response(path, dataset, fmt, version, status=DATA_CURRENT)


# X-Govkpi-Data: what a download holds. "current": what is published now; "superseded": an earlier version,
# asked for by ?version=, that what is published now replaces.
DATA_CURRENT, DATA_SUPERSEDED = "current", "superseded"
UPDATING_RETRY_SECONDS = 30


def _file_response(path: Path, dataset: str, fmt: str, version: str, status: str) -> FileResponse:
    response = FileResponse(path.open("rb"), content_type=opendata.FORMATS[fmt], as_attachment=True,
                            filename=f"govkpi-{dataset}-{timezone.localdate():%Y%m%d}.{fmt}")
    response.block_size = DOWNLOAD_BLOCK  # Django's default 4 KB makes 25,000 steps of a 100 MB file
    response["ETag"] = f'"{version}"'
    response["X-Govkpi-Data"] = status
    response["Access-Control-Allow-Origin"] = "*"  # open data: any site may read it
    return response


def _updating(request: HttpRequest, dataset: str, fmt: str, updating: opendata_files.Updating) -> HttpResponse:
    """503 while the current file is being written, naming the previous version (which is not current)."""
    lines = [(f"Đang cập nhật: tệp {dataset}.{fmt} theo số liệu công bố mới đang được tạo; "
              f"thử lại sau {UPDATING_RETRY_SECONDS} giây."),
             (f"Being updated: {dataset}.{fmt} for the newly published figures is being written; "
              f"try again in {UPDATING_RETRY_SECONDS} seconds.")]
    response = HttpResponse(status=503, content_type="text/plain; charset=utf-8")
    if updating.version:
        previous = f"{request.path}?version={updating.version}"
        lines += [f"Bản trước (chưa gồm thay đổi mới nhất) / previous version (without the latest change): {previous}"]
        response["Link"] = f'<{previous}>; rel="prev"'
    response.content = ("\n".join(lines) + "\n").encode()
    response["Retry-After"] = str(UPDATING_RETRY_SECONDS)
    response["X-Govkpi-Data"] = "updating"
    response["Cache-Control"] = "no-store"
    response["Access-Control-Allow-Origin"] = "*"
    return response
