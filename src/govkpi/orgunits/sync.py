"""Write the reference hierarchy into the database, changing only what differs.

Running it twice leaves the database exactly as it was: rows are compared field by field and
only missing or changed ones are written, so primary keys and timestamps stay put.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from django.db import transaction

from govkpi.core.names import name_keys
from govkpi.orgunits.models import OrgUnit, Succession, UnitAlias, UnitCode, build_path
from govkpi.orgunits.reference import ReferenceHierarchy, UnitRecord

_UNIT_FIELDS = [f.name for f in fields(UnitRecord) if f.name not in {"code", "parent_code"}]


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    aliases_created: int = 0
    aliases_removed: int = 0
    successions_written: int = 0
    codes_written: int = 0
    codes_removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.aliases_created or self.aliases_removed
                    or self.successions_written or self.codes_written or self.codes_removed)


def alias_keys(unit: OrgUnit, abbreviations: list[str]) -> set[tuple[str, str, str]]:
    """Return the (key, plain key, origin) triples under which a unit can be found."""
    result: set[tuple[str, str, str]] = set()
    for text in {unit.name, unit.short_name}:
        k = name_keys(text)
        result.add((k.full, k.full_plain, "full"))
        if k.short != k.full and k.short:
            result.add((k.short, k.short_plain, "short"))
    if unit.name_en:
        k = name_keys(unit.name_en)
        result.add((k.full, k.full_plain, "english"))
    for text in [unit.code, *abbreviations]:
        k = name_keys(text)
        result.add((k.full, k.full_plain, "abbreviation"))
        if k.short != k.full and k.short:
            result.add((k.short, k.short_plain, "abbreviation"))
    return result


def _sync_units(hierarchy: ReferenceHierarchy, report: SyncReport) -> dict[str, OrgUnit]:
    existing = {u.code: u for u in OrgUnit.objects.all()}
    by_code: dict[str, OrgUnit] = {}
    to_create: list[OrgUnit] = []
    to_update: list[OrgUnit] = []
    for record in hierarchy.units:  # parents come before their children
        parent = by_code.get(record.parent_code) if record.parent_code else None
        wanted = {name: getattr(record, name) for name in _UNIT_FIELDS}
        wanted["parent_id"] = parent.pk if parent else None
        wanted["level"] = parent.level + 1 if parent else 0
        wanted["path"] = build_path(parent.path if parent else None, record.code)
        unit = existing.get(record.code)
        if unit is None:
            unit = OrgUnit(code=record.code, **wanted)
            if unit.kind == "commune":
                to_create.append(unit)  # leaves: inserted in batches below
            else:
                unit.save()  # parents need their key before their children are built
            report.created += 1
        elif any(getattr(unit, k) != v for k, v in wanted.items()):
            for k, v in wanted.items():
                setattr(unit, k, v)
            to_update.append(unit)
            report.updated += 1
        else:
            report.unchanged += 1
        by_code[record.code] = unit
    # Communes are the bulk: insert them in batches once their provinces have keys.
    OrgUnit.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        OrgUnit.objects.bulk_update(to_update, ["parent_id", "level", "path", *_UNIT_FIELDS], batch_size=500)
    return {u.code: u for u in OrgUnit.objects.filter(code__in=list(by_code))}


def _sync_successions(hierarchy: ReferenceHierarchy, units: dict[str, OrgUnit], report: SyncReport) -> None:
    existing = {(s.predecessor_id, s.successor_id): s for s in Succession.objects.all()}
    for record in hierarchy.successions:
        pred, succ = units[record.predecessor], units[record.successor]
        wanted = {"kind": record.kind, "effective": record.effective, "is_main": record.is_main, "note": record.note}
        link = existing.get((pred.pk, succ.pk))
        if link is None:
            Succession.objects.create(predecessor=pred, successor=succ, **wanted)
            report.successions_written += 1
        elif any(getattr(link, k) != v for k, v in wanted.items()):
            for k, v in wanted.items():
                setattr(link, k, v)
            link.save()
            report.successions_written += 1


def _sync_aliases(hierarchy: ReferenceHierarchy, units: dict[str, OrgUnit], report: SyncReport) -> None:
    existing: dict[int, dict[tuple[str, str, str], int]] = {}
    for alias in UnitAlias.objects.filter(unit__in=list(units.values())).values("id", "unit_id", "key",
                                                                                  "plain_key", "origin"):
        existing.setdefault(alias["unit_id"], {})[(alias["key"], alias["plain_key"], alias["origin"])] = alias["id"]
    to_create: list[UnitAlias] = []
    to_remove: list[int] = []
    for code, unit in units.items():
        wanted = alias_keys(unit, hierarchy.abbreviations.get(code, []))
        have = existing.get(unit.pk, {})
        for key, plain, origin in sorted(wanted - have.keys()):
            to_create.append(UnitAlias(unit=unit, key=key, plain_key=plain, origin=origin))
        to_remove.extend(alias_id for triple, alias_id in have.items() if triple not in wanted)
    UnitAlias.objects.bulk_create(to_create, batch_size=1000)
    UnitAlias.objects.filter(id__in=to_remove).delete()
    report.aliases_created += len(to_create)
    report.aliases_removed += len(to_remove)


_CODE_FIELDS = ("valid_from", "valid_to", "source")


def _sync_codes(hierarchy: ReferenceHierarchy, units: dict[str, OrgUnit], report: SyncReport) -> None:
    """Write the reference units' alternative codes; drop those the reference no longer gives.

    Like aliases, a reference unit's codes are exactly what the reference gives; other units' codes are left alone.
    """
    existing = {(c.unit_id, c.scheme, c.code): c for c in UnitCode.objects.filter(unit__in=list(units.values()))}
    to_create: list[UnitCode] = []
    to_update: list[UnitCode] = []
    wanted_keys: set[tuple[int, str, str]] = set()
    for record in hierarchy.codes:
        unit = units[record.unit_code]
        key = (unit.pk, record.scheme, record.code)
        wanted_keys.add(key)
        wanted = {name: getattr(record, name) for name in _CODE_FIELDS}
        row = existing.get(key)
        if row is None:
            to_create.append(UnitCode(unit=unit, scheme=record.scheme, code=record.code, **wanted))
        elif any(getattr(row, k) != v for k, v in wanted.items()):
            for k, v in wanted.items():
                setattr(row, k, v)
            to_update.append(row)
    UnitCode.objects.bulk_create(to_create, batch_size=500)
    UnitCode.objects.bulk_update(to_update, list(_CODE_FIELDS), batch_size=500)
    stale = [row.pk for key, row in existing.items() if key not in wanted_keys]
    UnitCode.objects.filter(pk__in=stale).delete()
    report.codes_written += len(to_create) + len(to_update)
    report.codes_removed += len(stale)


@transaction.atomic
def sync_reference_hierarchy(hierarchy: ReferenceHierarchy) -> SyncReport:
    """Bring the units, successions, aliases and alternative codes in the database in line with the reference."""
    report = SyncReport()
    units = _sync_units(hierarchy, report)
    _sync_successions(hierarchy, units, report)
    _sync_aliases(hierarchy, units, report)
    _sync_codes(hierarchy, units, report)
    return report
