"""Dashboards: the national view, a unit's dashboard, the score explanation, an indicator, the rankings; what
an anonymous visitor may see; the demo badge; Vietnamese number formats."""

import datetime
import re

import pytest
from django.core.cache import cache

from govkpi.accounts.roles import Role
from govkpi.datavalues.writer import Item, write_values
from govkpi.evaluation import engine
from govkpi.evaluation.models import Result, Score
from govkpi.indicators.catalog import apply_catalog

pytestmark = pytest.mark.django_db
JULY = "202507"
SECRET_NAME = "Chỉ tiêu nội bộ bí mật"
SECRET_CODE = "NOI_BO_TYLE"
LIVE_PAGES = ["/", "/units/01/", "/units/79/", "/units/CP/", "/units/01/score/", "/units/79/score/", "/rankings/",
              "/rankings/?group=ministries", "/rankings/?group=communes&province=01", "/rankings/methodology/",
              "/indicators/DVC_TOANTRINH_TYLE/", "/panels/headline/", "/panels/changes/", "/panels/overdue/",
              "/panels/rankings/?group=provinces", "/units/01/panels/indicators/", "/units/01/panels/communes/",
              "/panels/map-data/?indicator=DVC_TOANTRINH_TYLE", "/panels/series/?indicator=DVC_TOANTRINH_TYLE"]


def write(*values, period=JULY):
    items = [Item(i, element, period, unit, value) for i, (element, unit, value) in enumerate(values)]
    result = write_values(items, actor=None, channel="api", check_windows=False)
    assert not result.conflicts, result.conflicts


@pytest.fixture
def scored(small_catalog, approve):
    """The small catalog with an unpublished ratio beside the published one; Hà Nội, TP. Hồ Chí Minh and two
    communes of Hà Nội report July 2025; results and scores computed."""
    for element in small_catalog["data_elements"]:
        element.update(frequency="monthly")
    published = small_catalog["indicators"][0]
    small_catalog["indicators"].append({**published, "code": SECRET_CODE, "name_vi": SECRET_NAME, "name_en": "",
                                        "published": False, "figures": [], "targets": published["targets"][1:]})
    small_catalog["indicators"][-1]["targets"] = [{**published["targets"][1], "supersedes": False}]
    assert apply_catalog(small_catalog).ok
    engine.process_pending()
    write(("DVC_TOANTRINH", "01", 1500), ("DVC_TONG", "01", 2000), ("DVC_TOANTRINH", "79", 2451),
          ("DVC_TONG", "79", 8000), ("DVC_TONG", "00004", 10), ("DVC_TOANTRINH", "00004", 5))
    approve(JULY, "01", "79", "00004")  # official figures are made of approved data
    engine.process_pending()
    assert Result.objects.filter(indicator__code=SECRET_CODE, valid_to__isnull=True).exists()


def test_the_dashboard_shows_headline_rankings_map_and_changes(client, scored):
    html = client.get("/").content.decode()
    assert 'id="panel-headline"' in html and 'data-live="results"' in html
    assert "Tỷ lệ DVC trực tuyến toàn trình" in html
    assert "39,51%" in html  # the national value, Vietnamese format, and the cited figure
    assert "80,00%" in html and "31/12/2025" in html  # target in force and its deadline
    assert 'id="panel-rankings-provinces"' in html and 'id="panel-rankings-ministries"' in html
    assert 'data-live="scores"' in html and "Thành phố Hà Nội" in html
    assert 'href="/units/01/score/?period=' in html  # a rank links to its explanation
    assert 'id="map"' in html and 'data-map-url="/panels/map-data/?indicator=DVC_TOANTRINH_TYLE"' in html
    assert "vn-provinces-34.json" in html and "Hoàng Sa" in html and "Trường Sa" in html
    assert 'id="panel-changes"' in html and 'id="panel-overdue"' in html
    assert 'href="/units/"' in html  # the unit list moved, still linked
    assert "/static/govkpi/dashboard.js" in html


def test_the_map_data_gives_each_province_its_value(client, scored):
    body = client.get("/panels/map-data/", {"indicator": "DVC_TOANTRINH_TYLE"}).json()
    values = {item["code"]: item for item in body["items"]}
    assert body["period"] == JULY and body["indicator"]["code"] == "DVC_TOANTRINH_TYLE"
    assert values["79"]["value"] == pytest.approx(30.6375)
    assert values["79"]["url"] == "/units/79/" and values["79"]["target"] == 80
    assert len(values) == 34 and {c for c, item in values.items() if item["value"] is not None} == {"01", "79"}
    assert values["48"]["status"] == "no_data"  # every province has its place on the map, with no figure
    series = client.get("/panels/series/", {"indicator": "DVC_TOANTRINH_TYLE", "unit": "CP"}).json()
    assert series["points"][0]["period"] == JULY and series["target"]["value"] == 80


def test_each_panel_answers_at_its_own_url(client, scored):
    for name, live in (("headline", "results"), ("overdue", "tasks"), ("changes", "results")):
        html = client.get(f"/panels/{name}/").content.decode()
        assert f'id="panel-{name}"' in html and f'data-live="{live}"' in html and "<html" not in html
    html = client.get("/panels/rankings/", {"group": "provinces"}).content.decode()
    assert 'id="panel-rankings-provinces"' in html and "Thành phố Hồ Chí Minh" in html
    assert client.get("/panels/nope/").status_code == 404
    assert client.get("/panels/rankings/", {"group": "nope"}).status_code == 404


def test_a_province_page_lists_its_communes_with_scores_and_ranks(client, scored):
    html = client.get("/units/01/").content.decode()
    assert 'id="panel-communes"' in html and "data-sortable" in html
    assert "126 đơn vị trực thuộc" in html and "Phường Ba Đình" in html
    ba_dinh = Score.objects.filter(unit__code="00004", valid_to__isnull=True).latest("period")  # the latest month
    assert ba_dinh.group == "communes:01" and ba_dinh.rank is not None
    assert f'href="/units/00004/score/?period={ba_dinh.period}">{ba_dinh.rank}<' in html
    assert 'id="panel-unit-score"' in html and 'id="panel-unit-indicators"' in html and 'id="panel-unit-tasks"' in html
    assert "Hạng" in html and "/units/01/score/?period=" in html
    commune = client.get("/units/00004/").content.decode()
    assert 'id="panel-unit-score"' in commune and 'id="panel-communes"' not in commune
    ministry = client.get("/units/BCA/").content.decode()
    assert 'id="panel-unit-tasks"' in ministry


def test_the_explain_page_shows_components_items_quality_and_peers(client, scored):
    html = client.get("/units/79/score/", {"period": JULY}).content.decode()
    assert "Vì sao Thành phố Hồ Chí Minh xếp hạng 2/34?" in html
    for words in ("Chỉ tiêu", "Nhiệm vụ", "Chất lượng số liệu", "Trọng số hiệu lực", "Đóng góp",
                  "Đủ", "Sống", "Sạch", "Đúng", "phiên bản 1"):
        assert words in html, words
    assert "Tỷ lệ DVC trực tuyến toàn trình" in html and "30,64" in html and "8.000,00" in html  # value, input
    assert 'aria-current="true"' in html and "Thành phố Hà Nội" in html  # the peer table, this unit marked
    assert client.get("/units/79/score/", {"period": "202001"}).status_code == 404


def test_the_indicator_page_shows_target_history_and_sources(client, scored):
    html = client.get("/indicators/DVC_TOANTRINH_TYLE/").content.decode()
    assert 'id="targets"' in html and "100,00%" in html and "80,00%" in html
    assert "11/07/2024" in html and "06/02/2025" in html  # both versions, with the day each was set
    assert "đã được thay thế" in html and "đang áp dụng" in html
    assert "Kết luận 2025" in html or "T2025" in html
    assert 'id="sources"' in html and "39,51%" in html and "15,21%" in html
    assert 'id="data"' in html and "07/2025" in html
    assert 'data-chart="map"' in html and 'data-chart="trend"' in html
    assert client.get("/indicators/NOPE/").status_code == 404


def test_rankings_page_and_published_methodology(client, scored):
    html = client.get("/rankings/", {"group": "provinces"}).content.decode()
    assert "Thành phố Hà Nội" in html and "Chất lượng số liệu" in html and 'aria-current="page"' in html
    communes = client.get("/rankings/", {"group": "communes", "province": "01"}).content.decode()
    assert "Phường Ba Đình" in communes
    assert "Chọn một tỉnh" in client.get("/rankings/", {"group": "communes"}).content.decode()
    methodology = client.get("/rankings/methodology/").content.decode()
    assert "Phiên bản 1" in methodology and "0,50" in methodology and "0,30" in methodology


def test_an_unpublished_indicator_never_reaches_an_anonymous_visitor(client, scored, make_user):
    for path in LIVE_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert SECRET_NAME not in body and SECRET_CODE not in body, path
    assert client.get(f"/indicators/{SECRET_CODE}/").status_code == 404
    assert client.get("/panels/map-data/", {"indicator": SECRET_CODE}).status_code == 404
    assert client.get("/panels/series/", {"indicator": SECRET_CODE}).status_code == 404
    # A signed-in reader sees it on the dashboard, the unit page and its own page.
    client.force_login(make_user(Role.VIEWER, "CP"))
    assert SECRET_NAME in client.get("/").content.decode()
    assert SECRET_NAME in client.get("/units/01/").content.decode()
    assert client.get(f"/indicators/{SECRET_CODE}/").status_code == 200


def test_a_reader_elsewhere_does_not_see_another_units_unpublished_results(client, scored, make_user):
    client.force_login(make_user(Role.VIEWER, "79"))
    assert SECRET_NAME not in client.get("/units/01/").content.decode()
    assert SECRET_NAME in client.get("/units/79/").content.decode()


def test_the_demo_badge_appears_only_when_demo_data_is_shown(client, scored):
    assert "Số liệu minh họa" not in client.get("/").content.decode()
    Result.objects.filter(valid_to__isnull=True).update(demo=True)
    Score.objects.filter(valid_to__isnull=True).update(demo=True)
    # Rows edited in place, which the engine never does (it closes a row and adds one): the public's panels,
    # kept per published change (reads.publication), cannot see it.
    cache.clear()
    for path in ("/", "/units/01/", "/units/01/score/", "/rankings/", "/indicators/DVC_TOANTRINH_TYLE/",
                 "/panels/headline/", "/panels/rankings/?group=provinces"):
        assert "Số liệu minh họa" in client.get(path).content.decode(), path
    assert client.get("/panels/map-data/", {"indicator": "DVC_TOANTRINH_TYLE"}).json()["demo"] is True


def test_the_dashboard_works_with_no_results_at_all(client):
    html = client.get("/").content.decode()
    assert "Chưa có kết quả đánh giá" in html and "Chưa có điểm" in html
    assert client.get("/units/01/").status_code == 200
    assert client.get("/units/01/score/").status_code == 404


def test_dashboard_pages_load_no_inline_script(client, scored):
    for path in ("/", "/indicators/DVC_TOANTRINH_TYLE/", "/units/01/"):
        html = client.get(path).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, (path, tag)
        assert "style=" not in html, path


def test_numbers_and_dates_follow_vietnamese_conventions():
    from govkpi.web.templatetags.govkpi_format import day, month, num, pct

    assert pct(39.51) == "39,51%" and num(1234567) == "1.234.567" and num(8000, 2) == "8.000,00"
    assert day(datetime.date(2025, 9, 24)) == "24/09/2025" and month("202509") == "09/2025"
    assert num(None) == "—"
