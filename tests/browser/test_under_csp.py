"""Pages work in a real browser with the Content-Security-Policy on: no inline script, nothing from outside."""

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.slow


def test_pages_carry_the_csp_and_load_nothing_from_outside(page, server):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    response = page.goto(f"{server}/tasks/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.locator("h1").inner_text() == "Theo dõi nhiệm vụ"
    assert requests and all(url.startswith(server) for url in requests)
    assert page.problems == []


def test_a_value_typed_in_the_form_is_saved_by_htmx_under_the_csp(page, server, open_month):
    sign_in(page, server, "bkhcn.nhaplieu")
    page.goto(f"{server}/data/BKHCN/{open_month}/")  # the demo's newest month: open, not yet approved
    field = page.locator("#v-DVC_TONG")
    field.fill("1.084")
    field.press("Tab")  # the change event: htmx posts the field
    page.locator("#s-DVC_TONG.saved").wait_for(timeout=5000)
    assert page.locator("#s-DVC_TONG").inner_text() == "Đã lưu"
    assert page.locator("#v-DVC_TONG").input_value() == "1.084"
    page.reload()
    assert page.locator("#v-DVC_TONG").input_value() == "1084"  # stored, read back as a number
    wrong = page.locator("#v-DVC_TOANTRINH")
    wrong.fill("5000")
    wrong.press("Tab")
    page.locator("#s-DVC_TOANTRINH.refused").wait_for(timeout=5000)
    assert "không được lớn hơn" in page.locator("#s-DVC_TOANTRINH").inner_text()
    assert page.problems == [], page.problems  # no CSP violation, no script error
