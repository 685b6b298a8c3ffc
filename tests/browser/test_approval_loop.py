"""The approval loop in a real browser: a commune's clerk submits; Hà Nội's approver returns it from the inbox
with a reason; the clerk sees the reason on the form and in the notification inbox, corrects, resubmits; the
approver approves from the inbox, which is then empty."""

import pytest

from tests.browser.conftest import _shell, sign_in

pytestmark = pytest.mark.slow
UNIT, ELEMENT = "00008", "HOSO_TTHC_TIEPNHAN"  # Phường Ngọc Hà; another browser test writes Ba Đình's values
REASON = "Số hồ sơ tiếp nhận chưa khớp sổ theo dõi"
FOLLOW = "from django.utils import timezone; from govkpi.reminders import follow; print(follow(timezone.now()))"


def _context_page(chromium):
    context = chromium.new_context(locale="vi-VN")
    page = context.new_page()
    page.problems = []
    page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    return context, page


def _enter(page, value: str) -> None:
    field = page.locator(f"#v-{ELEMENT}")
    field.fill(value)
    field.press("Tab")
    page.locator(f"#s-{ELEMENT}.saved, #s-{ELEMENT}.warning").wait_for(timeout=5000)


def test_returned_with_a_reason_corrected_resubmitted_and_approved(chromium, page, server, demo_database, entry_month):
    _shell(demo_database, FOLLOW)  # the alerts' cursor starts at the events already there
    form = f"{server}/data/{UNIT}/{entry_month}/"
    row = f"#waiting-{UNIT}-{entry_month}"
    sign_in(page, server, "ngocha.nhaplieu")
    page.goto(form)
    before = page.locator(f"#v-{ELEMENT}").input_value()
    first = str(int(before) + 7) if before.isdigit() else "1207"
    _enter(page, first)
    page.click("button:has-text('Gửi phê duyệt')")
    page.locator("#approval-state:text-is('submitted')").wait_for()
    approver_context, approver = _context_page(chromium)
    try:
        sign_in(approver, server, "hanoi.pheduyet")
        approver.goto(f"{server}/data/approvals/")
        assert "Phường Ngọc Hà" in approver.locator(row).inner_text()
        assert approver.locator(f"{row} tr[data-element='{ELEMENT}'] td").first.inner_text().replace(".", "") == first
        approver.locator(f"{row} input[name=reason]").fill(REASON)
        approver.locator(f"{row} button:has-text('Trả lại')").click()
        approver.locator("#waiting-none").wait_for()
        print(_shell(demo_database, FOLLOW))  # the reminders' follower turns the return into a notification

        page.goto(form)
        banner = page.locator("#returned-reason").inner_text()
        assert banner.startswith(f"Số liệu bị trả lại: {REASON} — Phê duyệt, TP Hà Nội,"), banner
        page.goto(f"{server}/inbox/")
        inbox = page.locator("main").inner_text()
        assert "bị trả lại" in inbox and REASON in inbox, inbox

        page.goto(form)
        _enter(page, str(int(first) - 7))  # corrected
        page.fill("#comments textarea[name=body]", "Đã sửa theo sổ theo dõi.")
        page.click("#comments button[type=submit]")
        page.locator("#comments .comment-body:text-is('Đã sửa theo sổ theo dõi.')").wait_for()
        page.click("button:has-text('Gửi phê duyệt')")
        page.locator("#approval-state:text-is('submitted')").wait_for()
        assert page.locator("#returned-reason").count() == 0  # a new submission clears the reason

        approver.goto(f"{server}/data/approvals/")
        approver.locator(f"{row} button:has-text('Phê duyệt và khóa')").click()
        approver.locator("#waiting-none").wait_for()
        assert "Không có báo cáo nào đang chờ bạn phê duyệt." in approver.locator("main").inner_text()
        approver.goto(form)
        assert approver.locator("#approval-state").inner_text() == "approved"
        assert "Đã sửa theo sổ theo dõi." in approver.locator("#comments").inner_text()
        assert page.problems == [] and approver.problems == [], (page.problems, approver.problems)
    finally:
        approver_context.close()
