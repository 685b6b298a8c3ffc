"""Find the unit a person means by a written name or a code, or say why not.

Codes (`units_by_code`): a code names one unit *on a date*, see that function.

Rules, in order (docs/orgunits.md explains them with examples):
1. Names are compared by tone key (core.names): case, NFC/NFD, tone placement, punctuation
   and legal-type prefixes do not matter; without any match, accents are ignored altogether.
2. When the name as written, prefix included, matches some units exactly ("Phường Ba Đình"),
   only those count; otherwise matches on the name without its prefix count.
3. `kind` and `parent` narrow the candidates; a written prefix implies the kind ("Tỉnh", "Thành phố"
   a province; "Xã", "Phường", "Đặc khu", "Thị trấn" a commune).
4. Units in force on the date win over dissolved ones; a dissolved unit's name resolves to its
   main successor, with a notice saying so.
5. Without `kind`, a name that matches one province (or ministry) and some communes means the
   province: people write "Lào Cai" for the province and "Phường Lào Cai" for the ward.
6. Anything still matching several units is refused with the candidates listed: never guessed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from django.utils import timezone

from govkpi.core.names import name_keys, words
from govkpi.orgunits.models import CodeScheme, OrgUnit, Succession, UnitAlias, UnitCode


class Outcome(str, Enum):
    FOUND = "found"
    NOT_FOUND = "unit_not_found"
    AMBIGUOUS = "unit_ambiguous"


@dataclass
class Resolution:
    """The answer to "which unit is this name?": a unit, or the reason there is none."""

    outcome: Outcome
    query: str
    unit: OrgUnit | None = None
    # The dissolved unit the name denotes, when the answer is its successor.
    matched: OrgUnit | None = None
    candidates: list[OrgUnit] = field(default_factory=list)
    message_vi: str = ""
    message_en: str = ""

    @property
    def found(self) -> bool:
        return self.outcome is Outcome.FOUND


def _aliases_matching(keys: set[str], column: str) -> dict[int, set[str]]:
    """Return unit id → the matching keys, for aliases whose `column` is one of `keys`."""
    matches: dict[int, set[str]] = {}
    for unit_id, key in UnitAlias.objects.filter(**{f"{column}__in": keys}).values_list("unit_id", column):
        matches.setdefault(unit_id, set()).add(key)
    return matches


# A written legal-type prefix says the tier: "Tỉnh Hà Tây" is never the commune "Xã Hà Tây".
_PREFIX_KINDS = {
    **{" ".join(words(p)): "province" for p in ("tỉnh", "thành phố", "tp", "thành phố trực thuộc trung ương")},
    **{" ".join(words(p)): "commune" for p in ("xã", "phường", "đặc khu", "thị trấn")},
}


def implied_kind(name: str) -> str | None:
    """The tier a name's written prefix implies (province or commune), if any."""
    return _PREFIX_KINDS.get(name_keys(name).prefix)


def _candidate_ids(name: str) -> set[int]:
    k = name_keys(name)
    for column, full, short in (("key", k.full, k.short), ("plain_key", k.full_plain, k.short_plain)):
        matches = _aliases_matching({full, short} - {""}, column)
        if matches:
            exact = {uid for uid, keys in matches.items() if full in keys}
            return exact or set(matches)
    return set()


def main_successor(unit: OrgUnit, on: datetime.date) -> OrgUnit | None:
    """Follow main-successor links from a dissolved unit to the one in force on the date."""
    seen = {unit.pk}
    current = unit
    while not current.valid_on(on):
        link = (
            Succession.objects.select_related("successor")
            .filter(predecessor=current, is_main=True)
            .first()
        )
        if link is None or link.successor.pk in seen:
            return None
        current = link.successor
        seen.add(current.pk)
    return current


def _describe(units: list[OrgUnit]) -> str:
    return "; ".join(f"{u.name} ({u.code}{', ' + u.parent.short_name if u.parent and u.level > 1 else ''})"
                     for u in units)


def resolve_unit(
    name: str,
    kind: str | None = None,
    parent: OrgUnit | None = None,
    on: datetime.date | None = None,
) -> Resolution:
    """Return the unit a written name denotes on a date (default today), or why it cannot be told."""
    on = on or timezone.localdate()
    ids = _candidate_ids(name)
    units = list(OrgUnit.objects.filter(pk__in=ids).select_related("parent").order_by("level", "code"))
    kind = kind or implied_kind(name)
    if kind:
        units = [u for u in units if u.kind == kind]
    if parent is not None:
        units = [u for u in units if u.pk != parent.pk and u.is_within(parent)]

    in_force = [u for u in units if u.valid_on(on)]
    matched: OrgUnit | None = None
    if not in_force and units:
        successors: dict[int, tuple[OrgUnit, OrgUnit]] = {}
        for old in units:
            new = main_successor(old, on)
            if new is not None:
                successors.setdefault(new.pk, (new, old))
        in_force = [new for new, _ in successors.values()]
        if len(successors) == 1:
            matched = next(iter(successors.values()))[1]

    if len(in_force) > 1 and not kind:
        top_level = min(u.level for u in in_force)
        top = [u for u in in_force if u.level == top_level]
        if len(top) == 1:
            in_force = top

    if not in_force:
        return Resolution(
            Outcome.NOT_FOUND,
            name,
            message_vi=f"Không tìm thấy đơn vị có tên «{name}».",
            message_en=f"No unit is named «{name}».",
        )
    if len(in_force) > 1:
        listed = _describe(in_force)
        return Resolution(
            Outcome.AMBIGUOUS,
            name,
            candidates=in_force,
            message_vi=f"Tên «{name}» ứng với {len(in_force)} đơn vị, cần nêu rõ cấp trên hoặc mã: {listed}.",
            message_en=f"«{name}» matches {len(in_force)} units; give the parent or the code: {listed}.",
        )
    unit = in_force[0]
    if matched is not None:
        date = matched.valid_to.strftime("%d/%m/%Y") if matched.valid_to else ""
        return Resolution(
            Outcome.FOUND,
            name,
            unit=unit,
            matched=matched,
            message_vi=f"{matched.name} không còn tồn tại sau ngày {date}; đã chuyển sang đơn vị kế thừa: {unit.name}.",
            message_en=f"{matched.name} ceased to exist after {date}; resolved to its successor: {unit.name}.",
        )
    return Resolution(Outcome.FOUND, name, unit=unit)


def units_by_code(
    codes: Iterable[str], on: datetime.date, scheme: str = CodeScheme.GSO
) -> dict[str, OrgUnit]:
    """Return, for each code that names a unit on the date, that unit; codes naming none are left out.

    1. A primary code (`OrgUnit.code`) whose unit is in force on the date wins.
    2. Otherwise an alternative code of `scheme` in force on the date (models.UnitCode): `02` on
       2025-05-31 is old Hà Giang (P63-02); `08` on 2025-05-31 old Tuyên Quang (P63-08), and on
       2025-09-30 new Tuyên Quang (08, rule 1). Communes alike: `00004` on 2025-05-31 is old Phường Trúc
       Bạch (X63-00004), from 2025-07-01 the new Phường Ba Đình (00004, rule 1).
    3. Otherwise a primary code names its unit even out of force (`P63-02` on 2025-09-30): the
       caller says "this unit did not exist then", which is truer than "no such code".
       An alternative code out of its span names nothing: `02` is no unit's code on 2025-09-30.
    Two alternative codes in force on the date for different units (never written by sync) name
    nothing: the caller refuses rather than guess.

    Two queries per call whatever the number of codes (fewer when every code is a primary code
    in force), each batched by 500 codes to stay within SQLite's parameter limit.
    """
    wanted = list(dict.fromkeys(codes))
    found: dict[str, OrgUnit] = {}
    out_of_force: dict[str, OrgUnit] = {}
    for chunk in _chunks(wanted):
        for unit in OrgUnit.objects.filter(code__in=chunk):
            (found if unit.valid_on(on) else out_of_force)[unit.code] = unit
    rest = [c for c in wanted if c not in found]
    for chunk in _chunks(rest):
        by_code: dict[str, set[int]] = {}
        units: dict[int, OrgUnit] = {}
        for alt in UnitCode.objects.filter(code__in=chunk, scheme=scheme).select_related("unit"):
            if alt.valid_on(on):
                by_code.setdefault(alt.code, set()).add(alt.unit_id)
                units[alt.unit_id] = alt.unit
        for code, unit_ids in by_code.items():
            if len(unit_ids) == 1:
                found[code] = units[next(iter(unit_ids))]
    for code, unit in out_of_force.items():
        found.setdefault(code, unit)
    return found


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
