"""Viet Nam's real units as govkpi's reference hierarchy: where each part comes from.

- The Government, 14 ministries and 3 ministry-level agencies, and the 7 dissolved on
  2025-03-01 with their successors: `data/central-agencies-2025.yaml` (the project's facts).
- The 34 provinces and 3,321 communes (official statistics-office codes), and the 63 provinces
  before 2025-07-01 with the new province each became part of: the `vietnamadminunits`
  package (MIT), read from the SQLite dataset and the conversion table it ships.
- The 63 old provinces' official statistics-office (GSO) codes, `02` Tỉnh Hà Giang: the same
  package's legacy table. They are stored as dated alternative codes (models.UnitCode) valid
  until 2025-06-30, the primary code staying `P63-` + that code: each of the 34 new provinces
  took one of these codes on 2025-07-01.
- The 10,035 communes before 2025-07-01 (xã, phường, thị trấn), under their old province, each
  linked to the new commune(s) it became part of: the same legacy table and the conversion table's
  ward part. Their primary code is `X63-` + the old 5-digit GSO code, which they carry as a dated
  alternative code valid until 2025-06-30: 3,316 of those codes were taken by the new communes.

Functions here return plain records; `sync.py` writes them.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
GOVERNMENT_CODE = "CP"
HISTORICAL_PROVINCE_PREFIX = "P63-"
# "X" for xã and "63" for the 63-province era, as `P63-`; no official code has a letter or a hyphen in it.
HISTORICAL_COMMUNE_PREFIX = "X63-"
MINISTRIES_REORGANISED = datetime.date(2025, 3, 1)
PROVINCES_REORGANISED = datetime.date(2025, 7, 1)
ADMINUNITS_SOURCE = "vietnamadminunits 1.0.4 (MIT)"
AGENCIES_SOURCE = "central-agencies-2025.yaml"


@dataclass(frozen=True)
class UnitRecord:
    code: str
    name: str
    short_name: str
    kind: str
    legal_type: str
    parent_code: str | None
    name_en: str = ""
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    source: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class SuccessionRecord:
    predecessor: str
    successor: str
    kind: str
    effective: datetime.date
    is_main: bool
    note: str = ""


@dataclass(frozen=True)
class UnitCodeRecord:
    """A code another system gives a unit, over the dates it held (see models.UnitCode)."""

    unit_code: str
    code: str
    scheme: str = "gso"
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    source: str = ""


@dataclass
class ReferenceHierarchy:
    units: list[UnitRecord] = field(default_factory=list)
    successions: list[SuccessionRecord] = field(default_factory=list)
    abbreviations: dict[str, list[str]] = field(default_factory=dict)
    codes: list[UnitCodeRecord] = field(default_factory=list)


def _adminunits_dir() -> Path:
    # Locate the package without importing it: its __init__ loads parsers we do not need.
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The vietnamadminunits package is not installed.")
    return Path(list(spec.submodule_search_locations)[0])


def _query(sql: str) -> list[sqlite3.Row]:
    path = _adminunits_dir() / "data" / "dataset.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql).fetchall()


def central_agencies() -> tuple[list[UnitRecord], list[SuccessionRecord]]:
    """Return the Government, the current and dissolved central agencies, and their successions."""
    data = yaml.safe_load((DATA_DIR / "central-agencies-2025.yaml").read_text(encoding="utf-8"))
    units = [
        UnitRecord(
            code=GOVERNMENT_CODE,
            name="Chính phủ",
            short_name="Chính phủ",
            name_en="Government of Viet Nam",
            kind="government",
            legal_type="government",
            parent_code=None,
            source=AGENCIES_SOURCE,
        )
    ]
    for group, legal_type in (("ministries", "ministry"), ("ministry_level_agencies", "ministry_level_agency")):
        for item in data["current"][group]:
            units.append(
                UnitRecord(
                    code=item["code"],
                    name=item["name"],
                    short_name=item["name"],
                    name_en=item.get("en", ""),
                    kind="ministry",
                    legal_type=legal_type,
                    parent_code=GOVERNMENT_CODE,
                    valid_from=item.get("since"),
                    source=AGENCIES_SOURCE,
                )
            )
    effective = data["effective"]
    successions: list[SuccessionRecord] = []
    for item in data["dissolved"]:
        units.append(
            UnitRecord(
                code=item["code"],
                name=item["name"],
                short_name=item["name"],
                name_en=item.get("en", ""),
                kind="ministry",
                legal_type="ministry_level_agency" if item["code"] == "UBDT" else "ministry",
                parent_code=GOVERNMENT_CODE,
                valid_to=effective - datetime.timedelta(days=1),
                source=AGENCIES_SOURCE,
            )
        )
        targets = item["to"]
        for position, successor in enumerate(targets):
            successions.append(
                SuccessionRecord(
                    predecessor=item["code"],
                    successor=successor,
                    kind="merge" if len(targets) == 1 else "transfer",
                    effective=effective,
                    is_main=position == 0,
                    note=item.get("note", ""),
                )
            )
    return units, successions


def _province_legal_type(name: str) -> str:
    return "central_city" if name.startswith("Thành phố") else "province"


_WARD_LEGAL_TYPES = {"Xã": "commune", "Phường": "ward", "Đặc khu": "special_zone", "Thị trấn": "township"}


def provinces_and_communes() -> list[UnitRecord]:
    """Return the 34 provinces and their 3,321 communes in force since 2025-07-01."""
    rows = _query(
        "SELECT province, provinceShort, provinceCode, provinceLat, provinceLon, "
        "ward, wardShort, wardType, wardCode, wardLat, wardLon FROM admin_units ORDER BY provinceCode, wardCode"
    )
    units: list[UnitRecord] = []
    seen_provinces: set[str] = set()
    for r in rows:
        if r["provinceCode"] not in seen_provinces:
            seen_provinces.add(r["provinceCode"])
            units.append(
                UnitRecord(
                    code=r["provinceCode"],
                    name=r["province"],
                    short_name=r["provinceShort"],
                    kind="province",
                    legal_type=_province_legal_type(r["province"]),
                    parent_code=GOVERNMENT_CODE,
                    valid_from=PROVINCES_REORGANISED,
                    source=ADMINUNITS_SOURCE,
                    latitude=r["provinceLat"],
                    longitude=r["provinceLon"],
                )
            )
        units.append(
            UnitRecord(
                code=r["wardCode"],
                name=r["ward"],
                short_name=r["wardShort"],
                kind="commune",
                legal_type=_WARD_LEGAL_TYPES[r["wardType"]],
                parent_code=r["provinceCode"],
                valid_from=PROVINCES_REORGANISED,
                source=ADMINUNITS_SOURCE,
                latitude=r["wardLat"],
                longitude=r["wardLon"],
            )
        )
    return units


def historical_provinces() -> tuple[list[UnitRecord], list[SuccessionRecord]]:
    """Return the 63 provinces before 2025-07-01, each linked to the one province it became part of."""
    old = {
        r["provinceKey"]: r
        for r in _query("SELECT DISTINCT provinceKey, province, provinceShort, provinceCode FROM admin_units_legacy")
    }
    new_code_by_key = {
        r["provinceKey"]: r["provinceCode"] for r in _query("SELECT DISTINCT provinceKey, provinceCode FROM admin_units")
    }
    table = json.loads((_adminunits_dir() / "data" / "converter_2025.json").read_text(encoding="utf-8"))
    units: list[UnitRecord] = []
    successions: list[SuccessionRecord] = []
    for new_key, old_keys in sorted(table["DICT_PROVINCE"].items()):
        new_code = new_code_by_key[new_key]
        for old_key in old_keys:
            r = old[old_key]
            code = HISTORICAL_PROVINCE_PREFIX + r["provinceCode"]
            units.append(
                UnitRecord(
                    code=code,
                    name=r["province"],
                    short_name=r["provinceShort"],
                    kind="province",
                    legal_type=_province_legal_type(r["province"]),
                    parent_code=GOVERNMENT_CODE,
                    valid_to=PROVINCES_REORGANISED - datetime.timedelta(days=1),
                    source=ADMINUNITS_SOURCE,
                )
            )
            successions.append(
                SuccessionRecord(
                    predecessor=code,
                    successor=new_code,
                    kind="merge" if len(old_keys) > 1 else "continue",
                    effective=PROVINCES_REORGANISED,
                    is_main=True,
                )
            )
    units.sort(key=lambda u: u.code)
    return units, successions


def historical_province_codes() -> list[UnitCodeRecord]:
    """Return the 63 old provinces' official statistics-office codes, valid until 2025-06-30.

    The package's legacy table gives each old province the GSO code it held (`02` Tỉnh Hà Giang);
    its start is left open: the code held from before anything govkpi records.
    """
    rows = _query("SELECT DISTINCT provinceCode FROM admin_units_legacy ORDER BY provinceCode")
    return [
        UnitCodeRecord(
            unit_code=HISTORICAL_PROVINCE_PREFIX + r["provinceCode"],
            code=r["provinceCode"],
            scheme="gso",
            valid_to=PROVINCES_REORGANISED - datetime.timedelta(days=1),
            source=ADMINUNITS_SOURCE,
        )
        for r in rows
    ]


def _new_commune_codes() -> dict[tuple[str, str], str]:
    """(new province key, new ward key) → the new commune's code, the keys the conversion table speaks in."""
    return {(r["provinceKey"], r["wardKey"]): r["wardCode"]
            for r in _query("SELECT provinceKey, wardKey, wardCode FROM admin_units")}


def _commune_successors(table: dict) -> dict[str, list[tuple[str, bool]]]:
    """Old ward key (`province_district_ward`) → [(new commune code, is main)], read from the conversion table.

    The table lists the old wards that went whole into a new commune (`..._NO_DIVIDED`: new → old), and the
    old wards divided between several new ones (`..._DIVIDED`: old → new, one marked as the default).
    """
    new_codes = _new_commune_codes()
    successors: dict[str, list[tuple[str, bool]]] = {}
    for province_key, wards in table["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_key, old_keys in wards.items():
            for old_key in old_keys:
                successors.setdefault(old_key, []).append((new_codes[(province_key, new_key)], True))
    for province_key, wards in table["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in wards.items():
            successors.setdefault(old_key, []).extend(
                (new_codes[(province_key, p["newWardKey"])], bool(p["isDefaultNewWard"])) for p in parts)
    return successors


def historical_communes() -> tuple[list[UnitRecord], list[SuccessionRecord]]:
    """Return the 10,035 communes before 2025-07-01 under their old provinces, with the new commune(s) each became.

    An old commune that went whole into a new one is a `merge` into it (`continue` when it is the new commune's
    only part); one divided between several is a `split`, the conversion table's default part main.
    The districts the old communes sat in are not units (see docs/orgunits.md); the five island districts
    without communes (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo: rows without a ward code) are left out.
    """
    rows = _query(
        "SELECT provinceKey, districtKey, wardKey, provinceCode, ward, wardShort, wardType, wardCode, wardLat, "
        "wardLon FROM admin_units_legacy WHERE wardCode IS NOT NULL AND wardCode <> '' ORDER BY wardCode"
    )
    table = json.loads((_adminunits_dir() / "data" / "converter_2025.json").read_text(encoding="utf-8"))
    successors = _commune_successors(table)
    parts_of: dict[str, int] = {}
    for parts in successors.values():
        for new_code, _main in parts:
            parts_of[new_code] = parts_of.get(new_code, 0) + 1
    units: list[UnitRecord] = []
    links: list[SuccessionRecord] = []
    for r in rows:
        code = HISTORICAL_COMMUNE_PREFIX + r["wardCode"]
        units.append(
            UnitRecord(
                code=code,
                name=r["ward"],
                short_name=r["wardShort"],
                kind="commune",
                legal_type=_WARD_LEGAL_TYPES[r["wardType"]],
                parent_code=HISTORICAL_PROVINCE_PREFIX + r["provinceCode"],
                valid_to=PROVINCES_REORGANISED - datetime.timedelta(days=1),
                source=ADMINUNITS_SOURCE,
                latitude=r["wardLat"],
                longitude=r["wardLon"],
            )
        )
        became = successors[f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}"]
        for new_code, is_main in became:
            kind = "split" if len(became) > 1 else "continue" if parts_of[new_code] == 1 else "merge"
            links.append(SuccessionRecord(predecessor=code, successor=new_code, kind=kind,
                                          effective=PROVINCES_REORGANISED, is_main=is_main))
    return units, links


def historical_commune_codes() -> list[UnitCodeRecord]:
    """Return the old communes' official 5-digit GSO codes, valid until 2025-06-30 (start left open)."""
    rows = _query("SELECT wardCode FROM admin_units_legacy WHERE wardCode IS NOT NULL AND wardCode <> '' "
                  "ORDER BY wardCode")
    return [
        UnitCodeRecord(
            unit_code=HISTORICAL_COMMUNE_PREFIX + r["wardCode"],
            code=r["wardCode"],
            scheme="gso",
            valid_to=PROVINCES_REORGANISED - datetime.timedelta(days=1),
            source=ADMINUNITS_SOURCE,
        )
        for r in rows
    ]


def abbreviations() -> dict[str, list[str]]:
    """Return the abbreviations list kept in the repo, by unit code."""
    data = yaml.safe_load((DATA_DIR / "abbreviations.yaml").read_text(encoding="utf-8"))
    return {str(code): list(names) for code, names in data.items()}


def reference_hierarchy() -> ReferenceHierarchy:
    """Return every reference unit, succession and abbreviation, parents before children."""
    agencies, agency_successions = central_agencies()
    old_provinces, province_successions = historical_provinces()
    old_communes, commune_successions = historical_communes()
    return ReferenceHierarchy(
        units=agencies + old_provinces + provinces_and_communes() + old_communes,
        successions=agency_successions + province_successions + commune_successions,
        abbreviations=abbreviations(),
        codes=historical_province_codes() + historical_commune_codes(),
    )
