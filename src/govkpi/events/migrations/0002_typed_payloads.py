"""Rewrite the payloads written before the typed events (events.types) into their schemas' shapes.

The old shapes are few and known: the value writer counted created/unchanged/rejected (now imported/ignored,
DHIS2's words) and named no channel (taken from its import batch); the demo generator wrote `imported` only;
task events carried the task's stage. Rows already in the new shape come out unchanged, and rows of unknown
kinds are left as they are (events.types.parse refuses them, naming the row).
"""

from django.db import migrations

CHUNK = 1000


def _values(p, channels):
    return {"elements": list(p.get("elements") or []), "batch": p.get("batch"),
            "imported": int(p.get("imported", p.get("created", 0)) or 0), "updated": int(p.get("updated") or 0),
            "deleted": int(p.get("deleted") or 0),
            "ignored": int(p.get("ignored", (p.get("unchanged") or 0) + (p.get("rejected") or 0)) or 0),
            "channel": str(p.get("channel") or channels.get(p.get("batch"), "")), "wide": bool(p.get("wide"))}


def _kept(*keys, **defaults):
    return lambda p, _channels: {**defaults, **{k: p[k] for k in keys if k in p}, "wide": bool(p.get("wide"))}


SHAPES = {
    "datavalues": _values,
    "approval": _kept("state", "action"),
    "task": _kept("task", "change"),
    "targets": _kept("indicators", "elements", indicators=[], elements=[]),
    "results": _kept("changed", "cells", cells=[]),
    "scores": _kept("changed"),
}


def forwards(apps, schema_editor):
    ChangeEvent = apps.get_model("events", "ChangeEvent")
    ImportBatch = apps.get_model("datavalues", "ImportBatch")
    channels = dict(ImportBatch.objects.values_list("id", "channel"))
    changed = []
    for event in ChangeEvent.objects.filter(kind__in=SHAPES).iterator(chunk_size=CHUNK):
        payload = SHAPES[event.kind](event.payload or {}, channels)
        if payload != event.payload:
            event.payload = payload
            changed.append(event)
        if len(changed) >= CHUNK:
            ChangeEvent.objects.bulk_update(changed, ["payload"])
            changed = []
    ChangeEvent.objects.bulk_update(changed, ["payload"])


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0001_initial"),
        ("datavalues", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
