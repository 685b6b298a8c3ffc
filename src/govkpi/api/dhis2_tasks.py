"""DHIS2's job polling for async imports: `/api/system/tasks/DATAVALUE_IMPORT/<id>` (the job's notifications,
newest first, the newest completed) and `/api/system/taskSummaries/DATAVALUE_IMPORT/<id>` (its ImportSummary),
versioned paths too (dhis2-core 2.40.9 SystemController.getTaskJsonByUid / getTaskSummaryJson).

A job is read by the user who started it or by a system admin; for anyone else, as for an id that never was,
the answer is 404 (DHIS2 answers any user, with an empty list for an unknown id). `Cache-Control: no-store`, as
DHIS2's answers say.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from govkpi.api.dhis2_web import Unauthorized, _json, _unauthorized, authenticate
from govkpi.datavalues import import_jobs
from govkpi.datavalues.models import ImportJob


def task_notifications(request: HttpRequest, job_type: str, uid: str, version: str | None = None,
                       suffix: str = "") -> HttpResponse:
    return _answer(request, job_type, uid, import_jobs.notifications)


def task_summary(request: HttpRequest, job_type: str, uid: str, version: str | None = None,
                 suffix: str = "") -> HttpResponse:
    return _answer(request, job_type, uid, lambda job: job.summary)


def _answer(request: HttpRequest, job_type: str, uid: str, render: Any) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    try:
        user = authenticate(request, required=True)
    except Unauthorized as error:
        return _unauthorized(str(error))
    job: ImportJob | None = import_jobs.readable_job(user, job_type, uid)
    if job is None:
        response = _json(404, {"httpStatus": "Not Found", "httpStatusCode": 404, "status": "ERROR",
                               "message": f"Không có tác vụ {job_type}/{uid} / No job {job_type}/{uid} was found"})
    else:
        response = _json(200, render(job))
    response["Cache-Control"] = "no-store"
    return response
