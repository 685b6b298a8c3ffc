"""Official and provisional figures in a real browser: one unapproved value in the month still being reported
changes nothing the public sees (the dashboard, the rankings, the portal, open data) and reaches, live and
labelled provisional with its coverage, the dashboard of a signed-in reader of that scope."""

import json
import re
import time

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.slow
INDICATOR = "HOSO_TTHC_DINHDANH_TYLE"  # communes report its two elements
ROW = f"#panel-headline tr:has(a[href='/indicators/{INDICATOR}/'])"


def share(text: str) -> float:
    """The first percentage in a text, read the Vietnamese way (83,48% → 83.48)."""
    return float(re.search(r"(\d+(?:,\d+)?)%", text).group(1).replace(",", "."))


def public_view(page, server: str) -> dict:
    """What the public reads: the default dashboard's headline and rankings, the portal, open data."""
    page.goto(f"{server}/")
    page.locator(ROW).first.wait_for()
    seen = {"headline": page.locator("#panel-headline").inner_text(),
            "rankings": page.locator("#panel-rankings-provinces").inner_text(),
            "map": page.locator("#panel-map [data-map-table]").inner_text()}
    page.goto(f"{server}/public/")
    seen["portal"] = page.locator("main").inner_text()
    seen["open data"] = json.loads(page.request.get(f"{server}/public/data/results.json").text())["items"]
    return seen


def test_an_unapproved_value_in_the_open_month_changes_nothing_public_and_shows_as_provisional(
        chromium, page, server, entry_month):
    before = public_view(page, server)
    assert "Số liệu tạm tính:" not in before["headline"]  # the public sees official figures only
    leader_context = chromium.new_context(locale="vi-VN")
    entry_context = chromium.new_context(locale="vi-VN")
    try:
        leader = leader_context.new_page()
        leader.problems = []
        leader.on("console", lambda message: message.type == "error" and leader.problems.append(message.text))
        sign_in(leader, server, "lanhdao")  # a national leader: reads every unit
        leader.goto(f"{server}/")
        leader.locator("#live-status[data-state='live']").wait_for(timeout=10_000)
        leader.evaluate("window.notReloaded = true")
        line = leader.locator(f"{ROW} .provisional")
        was = line.first.inner_text() if line.count() else ""
        entry = entry_context.new_page()
        sign_in(entry, server, "badinh.nhaplieu")
        entry.goto(f"{server}/data/00004/{entry_month}/")
        entry.locator("#v-HOSO_TTHC_TIEPNHAN").fill("90000")  # 90,000 dossiers more, none identified yet
        entry.locator("#v-HOSO_TTHC_TIEPNHAN").press("Tab")
        entry.locator("#s-HOSO_TTHC_TIEPNHAN.saved").wait_for(timeout=5000)
        saved = time.monotonic()
        now = was
        while now == was and time.monotonic() - saved < 15:
            leader.wait_for_timeout(100)
            now = line.first.inner_text() if line.count() else ""
        print(f"provisional line updated {time.monotonic() - saved:.2f} s after the save: {was!r} → {now!r}")
        assert "Số liệu tạm tính:" in now and "đơn vị đã báo cáo, hạn" in now, now
        if was:
            assert share(now) < share(was)  # the new dossiers, none identified, lower the provisional share
        assert leader.evaluate("window.notReloaded === true")  # updated in place
        assert leader.problems == [], leader.problems
    finally:
        leader_context.close()
        entry_context.close()
    after = public_view(page, server)  # the engine has judged the write: the leader's line moved
    for what in before:
        assert after[what] == before[what], f"{what} changed for the public"
