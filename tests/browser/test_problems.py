"""A province raises a problem on a task a ministry gave it, from the task's page; the ministry's task manager
sees it in the inbox and answers it; the province sees the answer on the problem, in its inbox and on the task."""

import pytest

from tests.browser.conftest import DEMO_PASSWORD, _shell, sign_in

pytestmark = pytest.mark.slow
TASK = "BCA-VM-1-1"
TITLE = "Chưa được cấp tài khoản khai thác CSDL dân cư"
ANSWER = "Bộ Công an đã cấp 30 tài khoản cho các phường ngày 05/12."
# A Hà Nội task manager (the demo has none at a province) and a task Bộ Công an gave Hà Nội by its letter.
SETUP = f"""
import datetime
from django.contrib.auth import get_user_model
from govkpi.accounts.models import Membership
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks import actions
from govkpi.tasks.models import Directive, Task
hanoi, bca = OrgUnit.objects.get(code='01'), OrgUnit.objects.get(code='BCA')
user, _ = get_user_model().objects.get_or_create(username='hanoi.vuongmac', defaults={{'first_name': 'Quản lý nhiệm vụ, TP Hà Nội'}})
user.set_password('{DEMO_PASSWORD}')
user.save()
Membership.objects.get_or_create(user=user, unit=hanoi, role='task_manager')
letter = Directive.objects.filter(code='BCA-VM-1').first() or Directive.objects.create(code='BCA-VM-1', kind='cong_van', number='99/BCA', issued_on=datetime.date(2026, 1, 5), issuing_body=bca, title='Làm sạch dữ liệu dân cư')
task = Task.objects.filter(code='{TASK}').first() or actions.create_task(code='{TASK}', title='Làm sạch dữ liệu dân cư trên địa bàn', lead=hanoi, directive=letter, assigned_on=datetime.date(2026, 1, 5), deadline_text='tháng 12/2026')
print(task.code)
"""


def test_a_province_raises_a_problem_and_the_assigning_ministry_answers(chromium, page, server, demo_database):
    assert _shell(demo_database, SETUP) == TASK
    sign_in(page, server, "hanoi.vuongmac")
    page.goto(f"{server}/tasks/{TASK}/")
    page.click("#raise-problem")
    page.select_option("select[name=kind]", "diem_nghen")
    page.fill("input[name=title]", TITLE)
    page.fill("textarea[name=blocks]", "30 phường chưa có tài khoản, không đối chiếu được dữ liệu.")
    page.fill("input[name=since]", "2026-11-02")
    page.fill("textarea[name=proposal]", "Cấp tài khoản cho 30 phường.")
    page.click("#problem-form button[type=submit]")
    page.locator("#problem-state[data-state=open]").wait_for()
    assert page.locator("#problem-acting").inner_text() == "Bộ Công an"
    problem_url = page.url

    context = chromium.new_context(locale="vi-VN")
    ministry = context.new_page()
    ministry.problems = []
    ministry.on("console", lambda message: message.type == "error" and ministry.problems.append(message.text))
    ministry.on("pageerror", lambda error: ministry.problems.append(str(error)))
    try:
        sign_in(ministry, server, "bca.nhiemvu")
        ministry.goto(f"{server}/inbox/")
        assert TITLE in ministry.locator("main").inner_text()
        ministry.goto(problem_url)
        ministry.fill("#answer-form textarea[name=answer]", ANSWER)
        ministry.click("#answer-form button[type=submit]")
        ministry.locator("#problem-state[data-state=answered]").wait_for()
        assert ministry.locator("#answer-form").count() == 0

        page.goto(f"{server}/inbox/")
        inbox = page.locator("main").inner_text()
        assert "đã trả lời" in inbox and TITLE in inbox, inbox
        page.goto(problem_url)
        assert ANSWER in page.locator("#problem-answer").inner_text()
        page.goto(f"{server}/tasks/{TASK}/")
        assert TITLE in page.locator("#problems").inner_text()
        page.goto(f"{server}/problems/")
        assert TITLE in page.locator("#problem-list").inner_text()
        assert page.problems == [] and ministry.problems == [], (page.problems, ministry.problems)
    finally:
        context.close()
