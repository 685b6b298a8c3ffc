"""DHIS2's asynchronous imports (`async=true`): recorded as jobs a client polls, in DHIS2's shapes.

The import is done before the answer. govkpi has no background worker yet (a later issue brings a database
task queue): a thread in the web process would be lost on a restart and would escape the request's limits, and
answering "Initiated" for work nobody will pick up would be a promise nothing keeps. So an async import runs
exactly as a synchronous one, within the request, and is recorded as a finished job: the answer is DHIS2's job
WebMessage (dhis2-core 2.40.9 WebMessageUtils.jobConfigurationReport, 200 OK), and the client's polling of
/api/system/tasks and /api/system/taskSummaries finds it done at once. A client written for DHIS2 works
unchanged; it only waits longer for the first answer.

Only the user who started a job, or a system admin (at a root unit, through a token that keeps the right),
reads it; to anyone else it does not exist. DHIS2 2.40 shows every job's notifications to any user.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
import string
from typing import Any

from django.utils import timezone

from govkpi.accounts.models import Membership
from govkpi.accounts.permissions import can
from govkpi.accounts.roles import Action, Role
from govkpi.datavalues.models import ImportJob, ImportJobKind

JOB_NAME = "dataValueImport"  # the name DataValueSetController gives the job, and its answer repeats
_LETTERS = string.ascii_letters
_ALPHANUMERIC = string.ascii_letters + string.digits


def new_uid() -> str:
    """A DHIS2 UID (CodeGenerator.generateUid): a letter, then ten letters or digits."""
    return secrets.choice(_LETTERS) + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(10))


def record(user: Any, summary: dict[str, Any], batch_id: int | None, started: datetime.datetime) -> ImportJob:
    """The finished job of an import that began at `started` and ended with this ImportSummary."""
    return ImportJob.objects.create(uid=new_uid(), kind=ImportJobKind.DATAVALUE_IMPORT, user=user, created=started,
                                    finished=timezone.now(), summary=summary, batch_id=batch_id)


def dhis2_time(moment: datetime.datetime) -> str:
    """A time as DHIS2's Jackson writes a Date in these answers (UTC here, as /api/system/info says)."""
    utc = moment.astimezone(datetime.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}"


def notifier_path(job: ImportJob) -> str:
    return f"/api/system/tasks/{job.kind}/{job.uid}"


def job_message(job: ImportJob) -> dict[str, Any]:
    """DHIS2's answer to an async import: WebMessage OK wrapping JobConfigurationWebMessageResponse (its null
    fields left out, as DHIS2's mapper does). jobStatus says COMPLETED, since the job is done; DHIS2 says
    SCHEDULED, as its job has only been queued."""
    return {"httpStatus": "OK", "httpStatusCode": 200, "status": "OK", "message": f"Initiated {JOB_NAME}",
            "response": {"name": JOB_NAME, "id": job.uid, "created": dhis2_time(job.created), "jobType": job.kind,
                         "jobStatus": "COMPLETED", "relativeNotifierEndpoint": notifier_path(job)}}


def notifications(job: ImportJob) -> list[dict[str, Any]]:
    """The job's notifications, newest first as DHIS2's notifier lists them: the import's steps
    (DefaultDataValueSetService: "Process started", "Importing data values", "Import done"), the last completed."""
    finished = job.finished or job.created
    steps = [(job.created, "Process started", False), (job.created, "Importing data values", False),
             (finished, "Import done", True)]
    made = []
    for number, (moment, message, completed) in enumerate(steps):
        uid = _notification_uid(job, number)
        made.append({"id": uid, "uid": uid, "level": "INFO", "category": job.kind, "time": dhis2_time(moment),
                     "message": message, "completed": completed})
    return made[::-1]


def _notification_uid(job: ImportJob, number: int) -> str:
    """A UID for the job's n-th notification, the same at every poll."""
    digest = hashlib.sha256(f"{job.uid}:{number}".encode()).digest()
    return _LETTERS[digest[0] % len(_LETTERS)] + "".join(_ALPHANUMERIC[b % len(_ALPHANUMERIC)] for b in digest[1:11])


def readable_job(user: Any, kind: str, uid: str) -> ImportJob | None:
    """The job, if this user may read it: the one who started it, or a system admin; None otherwise."""
    if not user.is_authenticated or kind not in ImportJobKind.values:
        return None
    job = ImportJob.objects.filter(kind=kind, uid=uid).first()
    if job is None or (job.user_id != user.pk and not _system_admin(user)):
        return None
    return job


def _system_admin(user: Any) -> bool:
    """A system admin of a whole country tree, as the request's token lets them act (permissions.can)."""
    roots = [m.unit for m in Membership.objects.filter(user=user, role=Role.SYSTEM_ADMIN, unit__parent__isnull=True)
             .select_related("unit")]
    return any(can(user, Action.READ_AUDIT, root) for root in roots)
