"""Write the reference hierarchy into the database, changing only what differs.

Running it twice leaves the database exactly as it was: rows are compared field by field and
only missing or changed ones are written, so primary keys and timestamps stay put.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields

from django.db import transaction

from govkpi.bulk import add_values
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
    return set(_keys_of(unit.name, unit.short_name, unit.name_en, unit.code, tuple(abbreviations)))


# Thirteen thousand units' keys cost seconds to fold; a process syncing again (the tests do, after each test
# that empties the tables) finds them here. The keys depend on these texts alone.
@functools.lru_cache(maxsize=32768)
def _keys_of(name: str, short_name: str, name_en: str, code: str,
             abbreviations: tuple[str, ...]) -> frozenset[tuple[str, str, str]]:
    result: set[tuple[str, str, str]] = set()
    for text in {name, short_name}:
        k = name_keys(text)
        result.add((k.full, k.full_plain, "full"))
        if k.short != k.full and k.short:
            result.add((k.short, k.short_plain, "short"))
    if name_en:
        k = name_keys(name_en)
        result.add((k.full, k.full_plain, "english"))
    for text in [code, *abbreviations]:
        k = name_keys(text)
        result.add((k.full, k.full_plain, "abbreviation"))
        if k.short != k.full and k.short:
            result.add((k.short, k.short_plain, "abbreviation"))
    return frozenset(result)


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
    if all(unit.pk is not None for unit in by_code.values()):  # PostgreSQL and SQLite return the new keys
        return by_code
    return {u.code: u for u in OrgUnit.objects.all() if u.code in by_code}


_SUCCESSION_FIELDS = ("kind", "effective", "is_main", "note")


def _sync_successions(hierarchy: ReferenceHierarchy, units: dict[str, OrgUnit], report: SyncReport) -> None:
    existing = {(s.predecessor_id, s.successor_id): s for s in Succession.objects.all()}
    to_create: list[tuple[object, ...]] = []
    to_update: list[Succession] = []
    for record in hierarchy.successions:
        pred, succ = units[record.predecessor], units[record.successor]
        wanted = {name: getattr(record, name) for name in _SUCCESSION_FIELDS}
        link = existing.get((pred.pk, succ.pk))
        if link is None:
            to_create.append((pred.pk, succ.pk, *wanted.values()))
        elif any(getattr(link, k) != v for k, v in wanted.items()):
            for k, v in wanted.items():
                setattr(link, k, v)
            to_update.append(link)
    # The old communes bring ten thousand links: inserted as plain rows, as their aliases and codes are.
    add_values(Succession, ["predecessor", "successor", *_SUCCESSION_FIELDS], to_create)
    Succession.objects.bulk_update(to_update, list(_SUCCESSION_FIELDS), batch_size=500)
    report.successions_written += len(to_create) + len(to_update)


def _sync_aliases(hierarchy: ReferenceHierarchy, units: dict[str, OrgUnit], report: SyncReport) -> None:
    existing: dict[int, dict[tuple[str, str, str], int]] = {}
    reference_ids = {unit.pk for unit in units.values()}
    # Every alias is read and those of other units skipped: no IN list of the thirteen thousand reference units.
    for alias_id, unit_id, key, plain, origin in UnitAlias.objects.values_list("id", "unit_id", "key", "plain_key",
                                                                                "origin"):
        if unit_id in reference_ids:
            existing.setdefault(unit_id, {})[(key, plain, origin)] = alias_id
    to_create: list[tuple[int, str, str, str]] = []
    to_remove: list[int] = []
    for code, unit in units.items():
        wanted = alias_keys(unit, hierarchy.abbreviations.get(code, []))
        have = existing.get(unit.pk, {})
        for key, plain, origin in sorted(wanted - have.keys()):
            to_create.append((unit.pk, key, plain, origin))
        to_remove.extend(alias_id for triple, alias_id in have.items() if triple not in wanted)
    add_values(UnitAlias, ["unit", "key", "plain_key", "origin"], to_create)
    UnitAlias.objects.filter(id__in=to_remove).delete()
    report.aliases_created += len(to_create)
    report.aliases_removed += len(to_remove)


_CODE_FIELDS = ("valid_from", "valid_to", "source")


def _sync_codes(hierarchy: ReferenceHierarchy, units: dict[str, OrgUnit], report: SyncReport) -> None:
    """Write the reference units' alternative codes; drop those the reference no longer gives.

    Like aliases, a reference unit's codes are exactly what the reference gives; other units' codes are left alone.
    """
    reference_ids = {unit.pk for unit in units.values()}
    existing = {(c.unit_id, c.scheme, c.code): c for c in UnitCode.objects.all() if c.unit_id in reference_ids}
    to_create: list[tuple[object, ...]] = []
    to_update: list[UnitCode] = []
    wanted_keys: set[tuple[int, str, str]] = set()
    for record in hierarchy.codes:
        unit = units[record.unit_code]
        key = (unit.pk, record.scheme, record.code)
        wanted_keys.add(key)
        wanted = {name: getattr(record, name) for name in _CODE_FIELDS}
        row = existing.get(key)
        if row is None:
            to_create.append((unit.pk, record.scheme, record.code, *wanted.values()))
        elif any(getattr(row, k) != v for k, v in wanted.items()):
            for k, v in wanted.items():
                setattr(row, k, v)
            to_update.append(row)
    add_values(UnitCode, ["unit", "scheme", "code", *_CODE_FIELDS], to_create)
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
