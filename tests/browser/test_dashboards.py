"""The visual management pages in a real browser: map and rankings drawn, drill-down, the language switch, and
a public portal without internal data (live updates between two browser contexts: test_official_figures.py).
The test run also writes the screenshots in docs/screenshots/."""

from pathlib import Path

import pytest

from tests.browser.conftest import INTERNAL_INDICATOR, sign_in

pytestmark = pytest.mark.slow
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def test_the_national_dashboard_draws_the_map_and_the_rankings(page, server):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server}/")
    page.locator("#panel-map canvas, #panel-map svg").first.wait_for(timeout=10_000)
    assert page.locator("h1").inner_text() == "Tổng quan cả nước"
    provinces = page.locator("#panel-map [data-map-table] tr")
    assert provinces.count() == 34
    assert page.locator("#panel-headline tbody tr").count() >= 2  # the published indicators with national results
    assert "Số liệu minh họa" in page.locator("body").inner_text()  # the synthetic data says what it is
    rankings = page.locator("section[data-live~='scores'] table tbody tr")
    assert rankings.count() >= 10
    assert page.problems == [], page.problems
    shot(page, "dashboard")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator("#panel-map canvas, #panel-map svg").first.wait_for(timeout=10_000)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways scroll
    # …and no table squeezed to a letter a line: a wide table scrolls inside itself, every header keeps 4rem.
    narrowest = page.evaluate("Math.min(...[...document.querySelectorAll('main table th')]"
                              ".filter(e => e.offsetParent).map(e => e.getBoundingClientRect().width))")
    assert narrowest >= 60, narrowest
    shot(page, "dashboard-phone")


def test_a_province_drills_down_to_its_communes_and_explains_its_score(page, server):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server}/units/01/")
    communes = page.locator("#panel-communes tbody tr")
    assert communes.count() > 100  # Hà Nội's 126 communes and wards
    shot(page, "province")
    first = communes.first.locator("td[data-value] > a[href^='/units/']:not([href*='/score/'])").first
    name = first.inner_text()
    first.click()
    page.wait_for_load_state()
    assert name in page.locator("h1").inner_text()
    page.goto(f"{server}/units/01/score/")
    assert "Hà Nội" in page.locator("h1").inner_text()
    shot(page, "explain")
    page.goto(f"{server}/rankings/?group=provinces")
    shot(page, "rankings")
    page.goto(f"{server}/indicators/DVC_TOANTRINH_TYLE/")
    assert "80" in page.locator("body").inner_text()  # the target history: 100% lowered to 80%
    shot(page, "indicator")
    assert page.problems == [], page.problems


def test_the_language_switch_turns_the_interface_to_english_and_back(page, server):
    page.goto(f"{server}/")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.click("form.lang-switch button[value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Overview" in page.locator("nav.topnav").inner_text()
    page.click("form.lang-switch button[value=vi]")
    page.wait_for_load_state()
    assert "Tổng quan" in page.locator("nav.topnav").inner_text()


def test_the_public_portal_shows_no_internal_indicator(page, server):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{server}/public/")
    text = page.locator("body").inner_text()
    assert "Tỷ lệ dịch vụ công trực tuyến toàn trình" in text  # a published one is there
    assert INTERNAL_INDICATOR not in page.content() and "hài lòng trong giải quyết TTHC" not in text
    shot(page, "portal")
    for path in ("/public/rankings/", "/public/data/results.json", "/public/data/indicators.csv",
                 "/public/data/scores.json"):
        body = page.request.get(f"{server}{path}").text()
        assert INTERNAL_INDICATOR not in body, path
    sign_in(page, server, "admin")  # even signed in, the portal is what the public sees
    page.goto(f"{server}/public/")
    assert INTERNAL_INDICATOR not in page.content()
