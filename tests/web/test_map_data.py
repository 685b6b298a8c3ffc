"""The province map served to the dashboard: one feature per current province, keyed by its database code."""

import json
import math
from pathlib import Path

import pytest

from govkpi.orgunits.models import OrgUnit

MAP_FILE = (
    Path(__file__).resolve().parents[2] / "src" / "govkpi" / "web" / "static" / "geo" / "vn-provinces-34.json"
)
# Viet Nam with Hoàng Sa and Trường Sa: lon 102-118, lat 6-24.
LON_MIN, LON_MAX, LAT_MIN, LAT_MAX = 102.0, 118.0, 6.0, 24.0


@pytest.fixture(scope="module")
def geo():
    return json.loads(MAP_FILE.read_text(encoding="utf-8"))


def _polygons(geometry):
    return [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]


def test_map_file_is_small_enough_to_serve():
    assert MAP_FILE.stat().st_size < 400 * 1024


def test_map_is_a_feature_collection_of_34_provinces(geo):
    assert geo["type"] == "FeatureCollection"
    assert len(geo["features"]) == 34
    codes = [f["properties"]["code"] for f in geo["features"]]
    assert len(set(codes)) == 34


@pytest.mark.django_db
def test_feature_codes_and_names_are_the_current_provinces_in_the_database(geo):
    provinces = dict(OrgUnit.objects.current().filter(kind="province").values_list("code", "name"))
    assert len(provinces) == 34
    features = {f["properties"]["code"]: f for f in geo["features"]}
    assert set(features) == set(provinces)
    for code, feature in features.items():
        assert feature["properties"]["name"] == provinces[code]
        assert feature["id"] == code


def test_every_geometry_is_a_polygon_with_valid_coordinates_in_viet_nam(geo):
    for feature in geo["features"]:
        geometry = feature["geometry"]
        code = feature["properties"]["code"]
        assert geometry["type"] in {"Polygon", "MultiPolygon"}, code
        polygons = _polygons(geometry)
        assert polygons, code
        for polygon in polygons:
            assert polygon, code
            for ring in polygon:
                assert len(ring) >= 4, code
                assert ring[0] == ring[-1], f"{code}: ring not closed"
                for point in ring:
                    assert len(point) == 2, code
                    lon, lat = point
                    assert all(isinstance(v, (int, float)) and math.isfinite(v) for v in point), code
                    assert LON_MIN <= lon <= LON_MAX and LAT_MIN <= lat <= LAT_MAX, f"{code}: {point}"


def _in_bbox(geometry, lon_min, lon_max, lat_min, lat_max):
    return any(
        lon_min <= lon <= lon_max and lat_min <= lat <= lat_max
        for polygon in _polygons(geometry)
        for ring in polygon
        for lon, lat in ring
    )


def test_hoang_sa_is_in_da_nang_and_truong_sa_in_khanh_hoa(geo):
    features = {f["properties"]["code"]: f["geometry"] for f in geo["features"]}
    hoang_sa = (111.0, 113.0, 15.6, 17.2)
    truong_sa = (111.5, 117.5, 6.0, 12.0)
    assert _in_bbox(features["48"], *hoang_sa)
    assert _in_bbox(features["56"], *truong_sa)
    others = [code for code, g in features.items() if code != "48" and _in_bbox(g, *hoang_sa)]
    others += [code for code, g in features.items() if code != "56" and _in_bbox(g, *truong_sa)]
    assert others == []
