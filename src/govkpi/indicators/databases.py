"""Load the registry of tracked national and sectoral databases (indicators/data/databases.yaml)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from django.db import transaction

from govkpi.indicators.models import TrackedDatabase
from govkpi.orgunits.models import OrgUnit

REGISTRY = Path(__file__).parent / "data" / "databases.yaml"


@transaction.atomic
def load_databases(path: Path = REGISTRY) -> tuple[int, int]:
    """Create or update every entry; return (created, updated). Idempotent."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    owners = dict(OrgUnit.objects.filter(kind__in=("government", "ministry")).values_list("code", "id"))
    created = updated = 0
    for entry in data["databases"]:
        demo = entry.get("demo") or {}
        fields = {
            "name_vi": entry["name_vi"], "name_en": entry.get("name_en") or "", "kind": entry.get("kind") or "",
            "in_decree_47_2024": bool(entry.get("in_decree_47_2024")), "owner_id": owners.get(entry.get("owner")),
            "priority": str(entry.get("priority") or ""), "status": entry.get("status") or "",
            "status_as_of": entry.get("status_as_of"),
            "sources": json.loads(json.dumps(entry.get("source") or [], default=str)),  # YAML dates as text
            "notes": entry.get("notes") or "", "last_updated": demo.get("last_updated"),
            "records_expected": demo.get("records_expected"), "records_received": demo.get("records_received"),
            "records_valid": demo.get("records_valid"), "records_verified": demo.get("records_verified"),
            "demo": bool(demo.get("demo")),
        }
        _obj, was_created = TrackedDatabase.objects.update_or_create(code=entry["code"], defaults=fields)
        created += was_created
        updated += not was_created
    return created, updated
