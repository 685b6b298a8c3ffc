"""A ministry's task manager gives a task by form, under the CSP: a directive of its own, the deadline written in
words and read back as a date as it is typed, the lead unit picked by typing its name, then the task's page."""

import re

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.slow


def test_a_ministry_task_manager_gives_a_task_by_form_with_a_deadline_in_words_and_a_lead_by_name(page, server):
    sign_in(page, server, "bca.nhiemvu")
    # The demo's directives are the Government's: the ministry records its own plan first.
    page.goto(f"{server}/directives/new/")
    assert page.locator("#id_issuing_body_name").input_value() == "Bộ Công an"  # its own unit, by default
    page.select_option("#id_kind", "ke_hoach")
    page.fill("#id_number", "15/KH-BCA")
    page.fill("#id_issued_on", "2026-03-15")  # an explicit date: the words are read as of the directive's day
    page.fill("#id_title", "Kế hoạch làm sạch dữ liệu dân cư năm 2026")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/tasks/new/\?directive=BCA-2026-\d+$"))

    page.fill("#id_title", "Làm sạch dữ liệu dân cư trên địa bàn thành phố")
    page.locator("#id_deadline_text").press_sequentially("quý IV/2030")
    readback = page.locator("#deadline-readback")
    readback.filter(has_text="31/12/2030").wait_for(timeout=5000)
    assert readback.inner_text() == "Thời hạn: quý IV/2030 → 31/12/2030"
    assert "rõ người" in page.locator("#six-clear-check").inner_text()  # no responsible person yet

    page.locator("#id_lead_name").press_sequentially("Hồ Chí")
    option = page.locator("#id_lead_name-list button", has_text="Thành phố Hồ Chí Minh")
    option.wait_for(timeout=5000)
    option.click()
    assert page.locator("#id_lead_name").input_value() == "Thành phố Hồ Chí Minh"
    assert page.locator("input[name=lead]").input_value() == "79"
    page.fill("#id_responsible_position", "Chủ tịch UBND Thành phố")
    page.locator("#six-clear-check").filter(has_not_text="rõ người").wait_for(timeout=5000)

    page.click("form[data-task-form] button[type=submit]")
    page.wait_for_url(re.compile(r"/tasks/BCA-2026-\d+-1/$"))
    text = page.locator("main").inner_text()
    assert "Làm sạch dữ liệu dân cư trên địa bàn thành phố" in text
    assert "Thành phố Hồ Chí Minh" in text and "31/12/2030" in text and "quý IV/2030" in text
    assert page.problems == [], page.problems  # no CSP violation, no script error
