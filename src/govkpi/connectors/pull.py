"""One pull of a connector: what changed at the source since the watermark, written here through the one
writer, batch by batch.

    1. the source's clock (system/info): the next watermark is that time less the connector's overlap;
    2. the source's values changed since the watermark, deletions included (`lastUpdated`,
       `includeDeleted=true`), streamed as DHIS2 CSV;
    3. the source's codes mapped to ours, each batch written as the connector's account, values checked as
       DHIS2 input (machine numbers, a dissolved unit's name refused); each batch commits on its own, with its
       import batch and audit entry, so what was written before a crash stays written;
    4. only a pull read to its end moves the watermark.

A pull cut short (network, crash, SIGKILL) leaves the watermark where it was, so the next pull asks again for
everything since then: the values already written come back unchanged and are counted so (ignored), and the
copy converges. Reporting windows are not applied: the source's own windows admitted these values, and a
window here is a rule for people entering data. Locks are: approved or submitted data here is never changed
by a pull; such a value is reported as refused, as is anything else the writer refuses.
"""

from __future__ import annotations

import datetime
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.utils import timezone

from govkpi.connectors.models import Connector, ConnectorRun, RunState
from govkpi.connectors.source import Source, SourceError, source_time
from govkpi.datavalues import dhis2
from govkpi.datavalues.models import Channel
from govkpi.datavalues.writer import Item, WriteResult, write_values

BATCH_SIZE = 5000
REFUSALS_KEPT = 500  # the first refusals of a run are kept in full; the rest are counted
COUNTS = ("read", "created", "updated", "unchanged", "deleted", "rejected")


class ConnectorError(Exception):
    """A connector that cannot run as configured (no token, nothing to ask for)."""

    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.code, self.message_vi, self.message_en = code, message_vi, message_en


def token_of(connector: Connector) -> str:
    """The source's token, from the environment variable or the file the connector names."""
    if connector.token_env:
        token = os.environ.get(connector.token_env, "").strip()
        if token:
            return token
        raise ConnectorError("no_token", f"Biến môi trường {connector.token_env} không có mã truy cập.",
                             f"The environment variable {connector.token_env} holds no token.")
    if connector.token_file:
        try:
            token = Path(connector.token_file).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ConnectorError("no_token", f"Không đọc được tệp mã truy cập {connector.token_file}: "
                                 f"{error.strerror}.", f"Cannot read the token file {connector.token_file}: "
                                 f"{error.strerror}.") from None
        if token:
            return token
    raise ConnectorError("no_token", "Kết nối không có mã truy cập (--token-env hoặc --token-file).",
                         "The connector has no token (--token-env or --token-file).")


def export_params(connector: Connector, since: datetime.datetime | None, zone: str) -> dict[str, Any]:
    """DHIS2's export parameters for the connector: its data and units (subtrees), what changed since."""
    if not (connector.data_sets or connector.data_elements) or not connector.org_units:
        raise ConnectorError("nothing_to_pull", "Kết nối cần dữ liệu (--data-set/--data-element) và đơn vị "
                             "(--org-unit).", "The connector needs data (--data-set/--data-element) and units "
                             "(--org-unit).")
    params: dict[str, Any] = {"orgUnit": connector.org_units, "children": "true", "includeDeleted": "true",
                              "lastUpdated": source_time(since, zone) if since else "1970-01-01"}
    if connector.data_sets:
        params["dataSet"] = connector.data_sets
    if connector.data_elements:
        params["dataElement"] = connector.data_elements
    return params


def mapped(items: Iterable[Item], code_map: dict[str, dict[str, str]]) -> Iterator[Item]:
    """The items with the source's codes replaced by ours where the connector's map says so."""
    units, elements = code_map.get("units") or {}, code_map.get("elements") or {}
    for item in items:
        item.unit = units.get(item.unit, item.unit)
        item.data_element = elements.get(item.data_element, item.data_element)
        yield item


def _batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _alive(run: ConnectorRun) -> bool:
    """Whether the process of a run still marked running is still there (on this machine)."""
    if run.host != socket.gethostname() or not run.pid:
        return True  # another machine's: not ours to judge
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _close_dead_runs(connector: Connector) -> None:
    for run in connector.runs.filter(state=RunState.RUNNING):
        if not _alive(run):
            run.state, run.error = RunState.INTERRUPTED, "Tiến trình đã dừng giữa chừng / the process ended mid-run"
            run.save(update_fields=["state", "error"])


def _record(run: ConnectorRun, result: WriteResult) -> None:
    counts = run.counts
    for name, figure in (("read", result.total), ("created", result.created), ("updated", result.updated),
                         ("unchanged", result.unchanged), ("deleted", result.deleted),
                         ("rejected", result.rejected)):
        counts[name] = counts.get(name, 0) + figure
    room = REFUSALS_KEPT - len(run.refused)
    for conflict in result.conflicts[:max(room, 0)]:
        run.refused.append({"row": conflict.row, **conflict.as_dict()})
    run.batches += 1


def pull(connector: Connector, *, batch_size: int = BATCH_SIZE, full: bool = False,
         progress: Callable[[ConnectorRun], None] | None = None) -> ConnectorRun:
    """Run one pull of the connector and return its record (state done or failed)."""
    _close_dead_runs(connector)
    since = None if full else connector.watermark
    run = ConnectorRun.objects.create(connector=connector, started_at=timezone.now(), state=RunState.RUNNING,
                                      since=since, host=socket.gethostname(), pid=os.getpid(),
                                      counts=dict.fromkeys(COUNTS, 0))
    try:
        source = Source(connector.url, token_of(connector))
        clock, zone = source.clock()
        params = export_params(connector, since, zone)
        items = mapped(dhis2.items_from_csv(source.value_lines(params)), connector.code_map or {})
        for batch in _batches(items, batch_size):
            result = write_values(dhis2.as_dhis2_would(batch), actor=connector.run_as, channel=Channel.DHIS2,
                                  atomic=False, check_windows=False, machine_input=True,
                                  filename=f"connector:{connector.name}")
            _record(run, result)
            run.save(update_fields=["counts", "refused", "batches"])
            if progress:
                progress(run)
        connector.watermark = clock - datetime.timedelta(seconds=connector.overlap_seconds)
        connector.source_time_zone = zone
        connector.save(update_fields=["watermark", "source_time_zone"])
        run.state = RunState.DONE
    except (SourceError, ConnectorError, dhis2.PayloadError) as error:
        run.state, run.error = RunState.FAILED, f"[{error.code}] {error.message_vi} / {error.message_en}"
    finally:
        run.finished_at = timezone.now()
        if run.state == RunState.RUNNING:  # an exception nobody expected: recorded, then raised on
            run.state, run.error = RunState.FAILED, "Lỗi không lường trước / unexpected error"
        run.save()
    return run


def due(now: datetime.datetime | None = None) -> list[Connector]:
    """The enabled connectors whose last pull began at least `every_minutes` ago, or that never ran."""
    now = now or timezone.now()
    ready = []
    for connector in Connector.objects.filter(enabled=True).select_related("run_as"):
        last = connector.runs.order_by("-started_at").first()
        if last is None or last.started_at <= now - datetime.timedelta(minutes=connector.every_minutes):
            ready.append(connector)
    return ready
