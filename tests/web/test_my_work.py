"""The "my work" page (/my/): per role, the forms owed with their state, what was returned and why, what waits
for my approval, my units' tasks (open and overdue first), my unit's official rank and what moved it, and my
unread notifications."""

import datetime

import pytest

from govkpi.accounts.roles import Role
from govkpi.datavalues import approval
from govkpi.datavalues.writer import Item, write_values
from govkpi.evaluation import engine
from govkpi.indicators.catalog import apply_catalog
from govkpi.notify.kinds import Kind
from govkpi.notify.outbox import Message, notify
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks.actions import create_task, set_stage_by_assigner
from tests.discussion.loop import DAY, MONTH, make_elements, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(time_machine):
    time_machine.move_to(DAY)
    return DAY.date()


def test_a_clerk_sees_the_form_owed_then_its_return_with_the_reason(client, day, make_user):
    make_elements()
    clerk = make_user(Role.DATA_ENTRY, "00004", "badinh.clerk")
    client.force_login(clerk)
    html = client.get("/my/").content.decode()
    assert f'href="/data/00004/{MONTH}/"' in html and "Tháng 6/2026" in html and "Chưa gửi" in html
    assert "0/3" in html  # nothing entered of the three values owed
    assert "Không có số liệu nào bị trả lại." in html and "Bạn không quản lý nhiệm vụ của đơn vị nào." in html
    assert "Không có báo cáo nào chờ bạn phê duyệt." in html
    write(clerk, "00004", MONTH, HS_TIEPNHAN="250", HS_TRUCTUYEN="90")
    badinh = OrgUnit.objects.get(code="00004")
    approval.submit(badinh, MONTH, clerk)
    assert "Đã gửi, chờ phê duyệt" in client.get("/my/").content.decode()
    approval.return_to_unit(badinh, MONTH, make_user(Role.APPROVER, "01", "hanoi.approver"), "Thiếu ghi chú")
    html = client.get("/my/").content.decode()
    assert "Bị trả lại" in html and "Phường Ba Đình, Thành phố Hà Nội — 06/2026</a>: Thiếu ghi chú" in html
    assert "hanoi.approver" in html and "2/3" in html


def test_an_approver_sees_how_many_wait_and_a_link_to_the_inbox(client, day, make_user):
    make_elements()
    approver = make_user(Role.APPROVER, "01")
    for code in ("00004", "00008"):
        clerk = make_user(Role.DATA_ENTRY, code)
        write(clerk, code, MONTH, HS_TIEPNHAN="10")
        approval.submit(OrgUnit.objects.get(code=code), MONTH, clerk)
    client.force_login(approver)
    html = client.get("/my/").content.decode()
    assert '<a href="/data/approvals/">2 báo cáo chờ phê duyệt</a>' in html
    assert "Bạn không nhập số liệu cho đơn vị nào." in html  # an approver enters nothing
    client.force_login(make_user(Role.APPROVER, "79"))
    assert "Không có báo cáo nào chờ bạn phê duyệt." in client.get("/my/").content.decode()


def test_a_task_manager_sees_the_units_tasks_open_and_overdue_first(client, day, make_user):
    hanoi = OrgUnit.objects.get(code="01")
    assigned = datetime.date(2026, 1, 5)
    dropped = create_task(code="T-HUY", title="Nhiệm vụ đã hủy", assigned_on=assigned, lead=hanoi,
                          deadline_text="30/06/2026")
    set_stage_by_assigner(dropped, None, "cancelled", "Không còn cần thiết")
    create_task(code="T-SAPDEN", title="Nhiệm vụ sắp đến hạn", assigned_on=assigned, lead=hanoi,
                deadline_text="31/12/2026")
    create_task(code="T-QUAHAN", title="Nhiệm vụ quá hạn", assigned_on=assigned, lead=hanoi,
                deadline_text="31/05/2026")
    create_task(code="T-HCM", title="Nhiệm vụ của thành phố khác", assigned_on=assigned,
                lead=OrgUnit.objects.get(code="79"), deadline_text="31/05/2026")
    client.force_login(make_user(Role.TASK_MANAGER, "01"))
    html = client.get("/my/").content.decode()
    assert "Nhiệm vụ của thành phố khác" not in html and "3 nhiệm vụ, 1 quá hạn." in html
    order = [html.index(title) for title in ("Nhiệm vụ quá hạn", "Nhiệm vụ sắp đến hạn", "Nhiệm vụ đã hủy")]
    assert order == sorted(order)  # overdue, then open, then closed
    assert '<tr class="overdue">' in html and "⚠ Quá hạn" in html


def test_unread_notifications_are_counted_with_a_link_to_the_inbox(client, day, make_user):
    me, other = make_user(Role.VIEWER, "01"), make_user(Role.VIEWER, "01")
    for n in range(3):
        notify(Message(kind=Kind.COMMENT, key=f"test:{n}", title_vi="Ý kiến", title_en="Comment"), [me])
    notify(Message(kind=Kind.COMMENT, key="test:other", title_vi="Ý kiến", title_en="Comment"), [other])
    me.notifications.filter(key="test:0").update(read_at=DAY)
    client.force_login(me)
    assert '<a href="/inbox/">2 thông báo chưa đọc</a>' in client.get("/my/").content.decode()


def _write(period, *values):
    items = [Item(i, element, period, unit, value) for i, (element, unit, value) in enumerate(values)]
    assert not write_values(items, actor=None, channel="api", check_windows=False).conflicts


def test_my_units_official_rank_and_what_moved_it(client, time_machine, small_catalog, approve, make_user):
    # 10 October 2025: August is the latest official month (September is due on the 15th).
    time_machine.move_to(datetime.datetime(2025, 10, 10, 10, tzinfo=DAY.tzinfo))
    for element in small_catalog["data_elements"]:
        element.update(frequency="monthly")
    assert apply_catalog(small_catalog).ok
    engine.process_pending()
    # July 2025: Hà Nội behind Hồ Chí Minh City; August 2025: ahead.
    _write("202507", ("DVC_TOANTRINH", "01", 500), ("DVC_TONG", "01", 2000),
           ("DVC_TOANTRINH", "79", 4000), ("DVC_TONG", "79", 8000))
    _write("202508", ("DVC_TOANTRINH", "01", 1500), ("DVC_TONG", "01", 2000),
           ("DVC_TOANTRINH", "79", 2451), ("DVC_TONG", "79", 8000))
    approve("202507", "01", "79")
    approve("202508", "01", "79")
    engine.process_pending()
    client.force_login(make_user(Role.VIEWER, "01"))
    answer = client.get("/my/")
    html = answer.content.decode()
    assert answer.status_code == 200, html[-3000:]
    section = html[html.index('id="my-rank"'):html.index("</main>")]
    assert "Thành phố Hà Nội" in section and "(số liệu chính thức)" in section
    assert "Kỳ 08/2025 (số liệu chính thức): điểm 88,39, hạng 1/34." in section
    assert "Kỳ trước: hạng 2" in section and "Lên 1 bậc" in section
    assert '<th scope="row">Chỉ tiêu</th><td class="num">66,96</td><td class="num">+44,64</td>' in section
    assert '<th scope="row">Chất lượng số liệu</th><td class="num">21,43</td><td class="num">0,00</td>' in section
    client.force_login(make_user(Role.DATA_ENTRY, "00004"))  # a commune without a score: said so
    assert "Chưa có xếp hạng chính thức của đơn vị bạn." in client.get("/my/").content.decode()


def test_my_work_needs_sign_in(client):
    answer = client.get("/my/")
    assert answer.status_code == 302 and "/account/login/" in answer["Location"]


def test_the_form_owed_is_named_in_the_readers_language(client, day, make_user):
    make_elements()
    client.force_login(make_user(Role.DATA_ENTRY, "00004"))
    client.cookies["django_language"] = "en"
    html = client.get("/my/").content.decode()
    assert "June 2026" in html and "Tháng 6/2026" not in html
