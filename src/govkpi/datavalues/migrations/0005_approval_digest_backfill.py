"""Record the digest of every approval already approved before 0004 added the column (the demo database's
7,665 approvals had none, so `verify` could not tell whether their values changed).

The digest is computed from the values as they are now: while approved they are read-only, so these are the
values that were approved (as far as anyone can still tell)."""

import hashlib
import json

from django.db import migrations

DIGEST_VERSION = "govkpi-approval-v1"
CHUNK = 500


def frozen_digest_of(unit_code, period, values):
    """Frozen copy of govkpi.datavalues.approval.digest_of (version govkpi-approval-v1): a migration must not
    import live code, which may change after it; tests check both still agree."""
    canonical = sorted([code, value, comment, bool(follow_up)] for code, value, comment, follow_up in values)
    text = json.dumps([DIGEST_VERSION, unit_code, period, canonical], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _record(DataApproval, DataValue, batch):
    wanted = {(a.unit_id, a.period) for a in batch}
    values = {key: [] for key in wanted}
    rows = (DataValue.objects.filter(unit_id__in={u for u, _p in wanted}, period__in={p for _u, p in wanted})
            .values_list("unit_id", "period", "data_element__code", "value", "comment", "follow_up"))
    for unit_id, period, *value in rows.iterator(chunk_size=5000):
        if (unit_id, period) in values:
            values[(unit_id, period)].append(value)
    for approval in batch:
        found = values[(approval.unit_id, approval.period)]
        approval.digest = frozen_digest_of(approval.unit.code, approval.period, found)
        approval.approved_values = len(found)
    DataApproval.objects.bulk_update(batch, ["digest", "approved_values"])


def record_digests(apps, schema_editor):
    DataApproval = apps.get_model("datavalues", "DataApproval")
    DataValue = apps.get_model("datavalues", "DataValue")
    # Chunks of approvals, and the values of a chunk's unit-periods in one query: bounded memory on a large table.
    pending = DataApproval.objects.filter(state="approved", digest="").select_related("unit").order_by("pk")
    batch = []
    for approval in pending.iterator(chunk_size=CHUNK):
        batch.append(approval)
        if len(batch) == CHUNK:
            _record(DataApproval, DataValue, batch)
            batch = []
    if batch:
        _record(DataApproval, DataValue, batch)


class Migration(migrations.Migration):

    dependencies = [
        ("datavalues", "0004_approval_digest"),
    ]

    operations = [
        migrations.RunPython(record_digests, migrations.RunPython.noop),
    ]
