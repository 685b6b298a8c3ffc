"""The approver's inbox (/data/approvals/): exactly the submissions waiting in the approver's scope, each with
what changed since the month before and its review flags; approve or return from it, a return needing a reason,
the reason then shown on the official's form."""

import pytest

from govkpi.accounts.roles import Role
from govkpi.datavalues import approval
from govkpi.datavalues.models import ApprovalState, DataApproval, DataValue
from govkpi.discussion import threads
from govkpi.orgunits.models import OrgUnit
from govkpi.reads.approvals import waiting_for
from tests.discussion.loop import BEFORE, DAY, MONTH, make_elements, write

pytestmark = pytest.mark.django_db


@pytest.fixture
def loop(make_user, time_machine):
    """Ba Đình (00004) and Ngọc Hà (00008) of Hà Nội submitted June; one commune of Hồ Chí Minh City too;
    Ba Đình's May is there to compare with."""
    time_machine.move_to(DAY)
    make_elements()
    hcm_commune = OrgUnit.objects.filter(parent__code="79").current().order_by("code").first()
    clerks = {code: make_user(Role.DATA_ENTRY, code) for code in ("00004", "00008", hcm_commune.code)}
    write(clerks["00004"], "00004", BEFORE, HS_TIEPNHAN="200", HS_TRUCTUYEN="100", HS_DIENTU="30")
    write(clerks["00004"], "00004", MONTH, HS_TIEPNHAN="250", HS_TRUCTUYEN="90")
    write(clerks["00008"], "00008", MONTH, follow_up=True, HS_TIEPNHAN="40")
    write(clerks[hcm_commune.code], hcm_commune.code, MONTH, HS_TIEPNHAN="7")
    for code, clerk in clerks.items():
        approval.submit(OrgUnit.objects.get(code=code), MONTH, clerk)
    return {"clerks": clerks, "hcm": hcm_commune, "hanoi": make_user(Role.APPROVER, "01", "hanoi.approver")}


def test_the_inbox_lists_exactly_the_submissions_waiting_in_the_approvers_scope(client, loop, make_user):
    client.force_login(loop["hanoi"])
    html = client.get("/data/approvals/").content.decode()
    assert "Phường Ba Đình, Thành phố Hà Nội" in html and "Phường Ngọc Hà, Thành phố Hà Nội" in html
    assert loop["hcm"].name not in html  # another province's commune: not Hà Nội's approver's to decide
    assert "Tháng 6/2026" in html and "2 báo cáo đang chờ quyết định của bạn" in html
    assert [row.unit.code for row in waiting_for(loop["hanoi"]).rows] == ["00004", "00008"]  # oldest first
    # Nobody else's: a commune's clerk approves nothing, and Hà Nội's province data (not submitted) is not listed.
    assert waiting_for(loop["clerks"]["00004"]).total == 0
    assert waiting_for(make_user(Role.APPROVER, "79")).total == 1
    # A returned or approved submission no longer waits.
    approval.return_to_unit(OrgUnit.objects.get(code="00008"), MONTH, loop["hanoi"], "Thiếu số hồ sơ trực tuyến")
    assert [row.unit.code for row in waiting_for(loop["hanoi"]).rows] == ["00004"]


def test_each_row_says_what_changed_since_last_month_and_its_review_flags(client, loop):
    rows = {row.unit.code: row for row in waiting_for(loop["hanoi"]).rows}
    changes = {c.code: c for c in rows["00004"].changes}
    assert (changes["HS_TIEPNHAN"].value, changes["HS_TIEPNHAN"].previous) == (250, 200)
    assert changes["HS_TIEPNHAN"].change_pct == pytest.approx(25.0)
    assert changes["HS_TRUCTUYEN"].change_pct == pytest.approx(-10.0)
    assert (changes["HS_DIENTU"].value, changes["HS_DIENTU"].previous) == (None, 30)  # reported in May only
    assert rows["00004"].flags == ["Kỳ trước có, kỳ này chưa có số liệu: Số hồ sơ số hóa"]  # +25%, -10%: no flag
    assert rows["00008"].changes[0].previous is None and rows["00008"].changes[0].change_pct is None
    assert rows["00008"].flags == ["Cần xem lại: Số hồ sơ tiếp nhận"]  # flagged for follow-up by its clerk
    client.force_login(loop["hanoi"])
    html = client.get("/data/approvals/").content.decode()
    assert "+25,0%" in html and "-10,0%" in html and "Cần xem lại: Số hồ sơ tiếp nhận" in html
    assert "Thay đổi so với Tháng 5/2026" in html
    assert html.count(">0 ý kiến</a>") == 2
    threads.post(loop["clerks"]["00004"], threads.submission(OrgUnit.objects.get(code="00004"), MONTH),
                 "Tháng 6 có thêm điểm tiếp nhận.")
    html = client.get("/data/approvals/").content.decode()
    assert f'href="/data/00004/{MONTH}/#comments">1 ý kiến</a>' in html and html.count(">0 ý kiến</a>") == 1


def test_with_too_little_history_for_outliers_a_change_by_half_since_last_month_is_flagged(loop, make_user):
    commune = (OrgUnit.objects.filter(parent__code="01").current().exclude(code__in=["00004", "00008"])
               .order_by("code").first())
    clerk = make_user(Role.DATA_ENTRY, commune.code)
    write(clerk, commune.code, BEFORE, HS_TIEPNHAN="1300", HS_TRUCTUYEN="600")  # one month of history
    write(clerk, commune.code, MONTH, HS_TIEPNHAN="99000", HS_TRUCTUYEN="650")
    approval.submit(commune, MONTH, clerk)
    row = next(r for r in waiting_for(loop["hanoi"]).rows if r.unit == commune)
    assert [c.code for c in row.changes if c.outlier] == []  # the z-score needs four earlier months
    assert row.flags == ["Thay đổi lớn so với kỳ trước: Số hồ sơ tiếp nhận"]  # +7.515%; +8% is not flagged


def test_a_rule_broken_in_the_store_and_an_outlier_are_flagged(loop, make_user):
    commune = (OrgUnit.objects.filter(parent__code="01").current().exclude(code__in=["00004", "00008"])
               .order_by("code").first())
    clerk = make_user(Role.DATA_ENTRY, commune.code)
    for month in ("202602", "202603", "202604", "202605"):
        write(clerk, commune.code, month, HS_TIEPNHAN="100", HS_TRUCTUYEN="50")
    write(clerk, commune.code, MONTH, HS_TIEPNHAN="100", HS_TRUCTUYEN="90")
    # A value that got past the writer (a script writing to the table): 120 online of 100 received.
    DataValue.objects.filter(unit=commune, period=MONTH, data_element__code="HS_TRUCTUYEN").update(
        value="120", number=120.0)
    approval.submit(commune, MONTH, clerk)
    row = next(r for r in waiting_for(loop["hanoi"]).rows if r.unit == commune)
    outlier = [c.code for c in row.changes if c.outlier]
    assert outlier == ["HS_TRUCTUYEN"]  # 120 against four months of 50
    assert "Khác xa các kỳ trước: Số hồ sơ trực tuyến" in row.flags
    assert any(f.startswith("Vi phạm quy tắc: Hồ sơ trực tuyến không được lớn hơn hồ sơ tiếp nhận.")
               and "= 120" in f for f in row.flags)


def test_return_without_a_reason_is_refused_and_with_one_is_shown_on_the_form(client, loop):
    client.force_login(loop["hanoi"])
    answer = client.post(f"/data/00004/{MONTH}/approval", {"action": "return", "reason": "  ", "next": "approvals"})
    assert answer.status_code == 302 and answer["Location"] == "/data/approvals/"
    assert DataApproval.objects.get(unit__code="00004", period=MONTH).state == ApprovalState.SUBMITTED
    assert "Trả lại số liệu đã gửi cần nêu lý do." in client.get("/data/approvals/").content.decode()
    client.post(f"/data/00004/{MONTH}/approval",
                {"action": "return", "reason": "Số hồ sơ trực tuyến giảm <b>bất thường</b>", "next": "approvals"})
    assert DataApproval.objects.get(unit__code="00004", period=MONTH).state == ApprovalState.RETURNED
    assert "Không có báo cáo nào" not in client.get("/data/approvals/").content.decode()  # Ngọc Hà still waits
    client.force_login(loop["clerks"]["00004"])
    html = client.get(f"/data/00004/{MONTH}/").content.decode()
    assert ("Số liệu bị trả lại: Số hồ sơ trực tuyến giảm &lt;b&gt;bất thường&lt;/b&gt; — hanoi.approver, "
            "10/07/2026") in html  # escaped, with who and when


def test_approving_from_the_inbox_empties_it(client, loop):
    client.force_login(loop["hanoi"])
    for code in ("00004", "00008"):
        client.post(f"/data/{code}/{MONTH}/approval", {"action": "approve", "next": "approvals"})
    html = client.get("/data/approvals/").content.decode()
    assert "Không có báo cáo nào đang chờ bạn phê duyệt." in html
    assert set(DataApproval.objects.filter(state=ApprovalState.APPROVED).values_list("unit__code", flat=True)) == {
        "00004", "00008"}


def test_the_inbox_needs_sign_in(client):
    answer = client.get("/data/approvals/")
    assert answer.status_code == 302 and "/account/login/" in answer["Location"]


def test_in_english_the_periods_elements_and_broken_rules_are_english(client, loop):
    """An English reader's inbox: the periods, the elements' English names and the rules' English messages (the
    units keep their official Vietnamese names)."""
    from govkpi.indicators.models import DataElement

    DataElement.objects.filter(code="HS_TIEPNHAN").update(name_en="Dossiers received")
    DataElement.objects.filter(code="HS_TRUCTUYEN").update(name_en="Online dossiers")
    DataValue.objects.filter(unit__code="00004", period=MONTH, data_element__code="HS_TRUCTUYEN").update(
        value="300", number=300.0)  # 300 online of 250 received: the rule is broken
    client.force_login(loop["hanoi"])
    client.cookies["django_language"] = "en"
    html = client.get("/data/approvals/").content.decode()
    assert "June 2026" in html and "Change since May 2026" in html and "Tháng 6/2026" not in html
    assert "Dossiers received" in html and "Số hồ sơ tiếp nhận" not in html
    assert "Flagged for follow-up: Dossiers received" in html
    assert "Online dossiers cannot exceed dossiers received." in html
    assert "Số hồ sơ số hóa" in html  # no English name: the Vietnamese one
    client.cookies["django_language"] = "vi"
    html = client.get("/data/approvals/").content.decode()
    assert "Tháng 6/2026" in html and "Số hồ sơ tiếp nhận" in html
    assert "Hồ sơ trực tuyến không được lớn hơn hồ sơ tiếp nhận." in html
