import pytest

from govkpi.accounts.roles import Role
from govkpi.indicators.catalog import apply_catalog

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(small_catalog):
    assert apply_catalog(small_catalog).ok
    return small_catalog


def test_anonymous_readers_see_only_published_indicators(client, catalog):
    body = client.get("/api/v1/indicators").json()
    assert [i["code"] for i in body["items"]] == ["DVC_TOANTRINH_TYLE"]
    assert client.get("/api/v1/indicators/NOI_BO").status_code == 404


def test_signed_in_readers_see_internal_indicators(client, catalog, make_user):
    client.force_login(make_user(Role.VIEWER, "79"))
    assert {i["code"] for i in client.get("/api/v1/indicators").json()["items"]} == {"DVC_TOANTRINH_TYLE", "NOI_BO"}


def test_indicator_detail_has_target_versions_and_figures(client, catalog):
    body = client.get("/api/v1/indicators/DVC_TOANTRINH_TYLE").json()
    assert body["themes"] == ["CDS", "DA06"] and body["owner"] == "BCA"
    assert [(t["value"], t["superseded"]) for t in body["targets"]] == [(100, True), (80, False)]
    assert {f["value"] for f in body["figures"]} == {39.51, 15.21}


@pytest.mark.parametrize("on, expected", [("2025-01-01", [100]), ("2025-06-01", [80]), ("2024-01-01", [])])
def test_targets_in_force_on_a_date(client, catalog, on, expected):
    items = client.get("/api/v1/targets", {"indicator": "DVC_TOANTRINH_TYLE", "on": on}).json()["items"]
    assert [t["value"] for t in items] == expected


NEW_INDICATOR = {"code": "TIEN_ICH_VNEID", "name_vi": "Số tiện ích trên VNeID", "value_type": "count",
                 "targets": [{"value": 61, "deadline": "2025-12-31", "set_on": "2025-07-19", "scope": "national"}]}


def test_catalog_manager_creates_an_indicator_through_the_api(client, catalog, make_user):
    client.force_login(make_user(Role.CATALOG_MANAGER, "CP"))
    response = client.post("/api/v1/indicators", NEW_INDICATOR, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["created"] == {"indicators": 1, "targets": 1}
    assert client.get("/api/v1/indicators/TIEN_ICH_VNEID").json()["targets"][0]["value"] == 61


def test_bad_indicator_is_400_with_its_problems(client, catalog, make_user):
    client.force_login(make_user(Role.CATALOG_MANAGER, "CP"))
    response = client.post("/api/v1/indicators", {**NEW_INDICATOR, "formula": "1 +* 2"},
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json()["problems"][0]["where"] == "indicators[0].formula"


@pytest.mark.parametrize("role, unit", [(Role.DATA_ENTRY, "CP"), (Role.UNIT_ADMIN, "01"), (Role.VIEWER, "CP")])
def test_other_roles_may_not_write_the_catalog(client, catalog, make_user, role, unit):
    client.force_login(make_user(role, unit))
    for path, body in (("/api/v1/indicators", NEW_INDICATOR), ("/api/v1/dataelements", {"code": "X"}),
                       ("/api/v1/targets", {"indicator": "DVC_TOANTRINH_TYLE"})):
        assert client.post(path, body, content_type="application/json").status_code == 403


def test_anonymous_may_not_write_the_catalog(client, catalog):
    assert client.post("/api/v1/indicators", NEW_INDICATOR, content_type="application/json").status_code == 401


def test_catalog_manager_adds_a_target_version(client, catalog, make_user):
    client.force_login(make_user(Role.CATALOG_MANAGER, "CP"))
    response = client.post("/api/v1/targets", {"indicator": "DVC_TOANTRINH_TYLE", "value": 85, "deadline": "2026-12-31",
                                               "set_on": "2025-11-15", "supersedes": True},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    items = client.get("/api/v1/targets", {"indicator": "DVC_TOANTRINH_TYLE", "on": "2025-12-01"}).json()["items"]
    assert [t["value"] for t in items] == [85]
