"""Imports and connector runs that failed: whoever ran them is told, once per job or run.

An asynchronous DHIS2 import (datavalues.ImportJob) that ended in ERROR or WARNING goes to the user who sent
it; a connector pull (connectors.ConnectorRun) that failed or was interrupted to the connector's owners (who
created it, and the account it writes as). Only what finished within FAILURE_LOOKBACK of the scan is looked
at, so that installing the reminders on an old database does not announce last year's failures.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db.models import Q

from govkpi.connectors.models import ConnectorRun, RunState
from govkpi.datavalues.models import ImportJob
from govkpi.notify.kinds import Kind
from govkpi.notify.outbox import Message
from govkpi.reminders.sending import already_sent, send_all

FAILURE_LOOKBACK = datetime.timedelta(days=2)
FAILED_IMPORTS = ("ERROR", "WARNING")  # DHIS2 ImportSummary statuses worth telling (SUCCESS is not)


def import_message(job: ImportJob) -> Message:
    status = str(job.summary.get("status", ""))
    counts = job.summary.get("importCount") or {}
    conflicts = job.summary.get("conflicts") or []
    first = conflicts[0].get("value", "") if conflicts and isinstance(conflicts[0], dict) else ""
    what_vi = "không thành công" if status == "ERROR" else "có giá trị bị từ chối"
    what_en = "failed" if status == "ERROR" else "had values refused"
    counted = ", ".join(f"{k}: {v}" for k, v in counts.items())
    return Message(Kind.IMPORT_FAILED, f"import-failed:{job.uid}",
                   f"Lần nhập dữ liệu {job.uid} {what_vi}", f"Import {job.uid} {what_en}",
                   "\n".join(t for t in (counted, first) if t), "\n".join(t for t in (counted, first) if t),
                   f"/api/system/taskSummaries/{job.kind}/{job.uid}", None,
                   {"job": job.uid, "status": status, "counts": counts, "conflicts": len(conflicts)})


def run_message(run: ConnectorRun) -> Message:
    name = run.connector.name
    state_vi = "bị lỗi" if run.state == RunState.FAILED else "bị ngắt"
    return Message(Kind.CONNECTOR_FAILED, f"connector-failed:{run.pk}",
                   f"Lần kéo số liệu #{run.pk} của kết nối {name} {state_vi}",
                   f"Pull #{run.pk} of connector {name} {run.state}",
                   run.error[:2000], run.error[:2000], "", None,
                   {"connector": name, "run": run.pk, "state": run.state, "counts": run.counts})


def failure_reminders(now: datetime.datetime) -> int:
    """Tell who ran them of the imports and pulls that failed within the lookback. Returns notifications written."""
    since = now - FAILURE_LOOKBACK
    jobs = list(ImportJob.objects.filter(finished__gte=since, finished__lte=now).select_related("user"))
    jobs = [job for job in jobs if str(job.summary.get("status", "")) in FAILED_IMPORTS]
    runs = list(ConnectorRun.objects.filter(state__in=[RunState.FAILED, RunState.INTERRUPTED])
                .filter(Q(finished_at__gte=since, finished_at__lte=now)
                        | Q(finished_at__isnull=True, started_at__gte=since, started_at__lte=now))
                .select_related("connector__run_as"))
    planned = [(import_message(job), [job.user]) for job in jobs]
    creators = {u.username: u for u in get_user_model().objects.filter(
        username__in={run.connector.created_by for run in runs if run.connector.created_by})}
    for run in runs:
        owners = [creators[run.connector.created_by]] if run.connector.created_by in creators else []
        planned.append((run_message(run), [*owners, run.connector.run_as]))
    sent = already_sent(m.key for m, _p in planned)
    return send_all((m, people) for m, people in planned if m.key not in sent)
