import pytest

pytestmark = pytest.mark.django_db


def test_provinces_list_has_34_current_provinces(client):
    response = client.get("/api/v1/orgunits", {"kind": "province", "limit": 100})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 34 and len(body["items"]) == 34
    assert {"code": "01", "name": "Thành phố Hà Nội", "kind": "province", "legal_type": "central_city"}.items() \
        <= body["items"][0].items()


def test_historical_units_listed_on_request(client):
    assert client.get("/api/v1/orgunits", {"kind": "province", "current": "false"}).json()["count"] == 97
    assert client.get("/api/v1/orgunits", {"kind": "province", "valid_on": "2025-06-30"}).json()["count"] == 63


def test_filter_by_parent_and_text(client):
    assert client.get("/api/v1/orgunits", {"parent": "01"}).json()["count"] == 126
    items = client.get("/api/v1/orgunits", {"q": "Ba Đình"}).json()["items"]
    assert "00004" in [i["code"] for i in items]


def test_unit_detail_has_ancestors_children_and_successors(client):
    body = client.get("/api/v1/orgunits/00004").json()
    assert [a["code"] for a in body["ancestors"]] == ["CP", "01"]
    assert body["children_count"] == 0
    hanoi = client.get("/api/v1/orgunits/01").json()
    assert hanoi["children_count"] == 126
    assert [p["unit"]["code"] for p in hanoi["predecessors"]] == ["P63-01"]
    old = client.get("/api/v1/orgunits/BTTTT").json()
    assert old["valid_to"] == "2025-02-28"
    assert [(s["unit"]["code"], s["is_main"]) for s in old["successors"]] == [("BKHCN", True), ("BVHTTDL", False)]


def test_unknown_code_is_404_with_a_message(client):
    response = client.get("/api/v1/orgunits/NOPE")
    assert response.status_code == 404
    assert response.json()["code"] == "unit_not_found"


def test_resolve_found_with_notice_for_dissolved_unit(client):
    body = client.get("/api/v1/orgunits/resolve", {"name": "Tỉnh Hà Giang"}).json()
    assert body["unit"]["code"] == "08"
    assert body["matched"]["code"] == "P63-02"
    assert "Tuyên Quang" in body["notice"]


def test_resolve_unknown_is_404_and_ambiguous_is_409_with_candidates(client):
    assert client.get("/api/v1/orgunits/resolve", {"name": "Xứ Sở Thần Tiên"}).status_code == 404
    response = client.get("/api/v1/orgunits/resolve", {"name": "Xã Tân Thành"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "unit_ambiguous" and len(body["candidates"]) >= 2


def test_resolve_with_parent_given_by_name_or_code(client):
    assert client.get("/api/v1/orgunits/resolve", {"name": "Ba Đình", "parent": "01"}).json()["unit"]["code"] \
        == "00004"
    assert client.get("/api/v1/orgunits/resolve", {"name": "Ba Đình", "parent": "Hà Nội"}).json()["unit"]["code"] \
        == "00004"
    assert client.get("/api/v1/orgunits/resolve", {"name": "Ba Đình", "parent": "Không Có"}).status_code == 400


def test_openapi_document_lists_the_orgunit_routes(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/orgunits", "/api/v1/orgunits/resolve", "/api/v1/orgunits/{code}"} <= set(paths)
