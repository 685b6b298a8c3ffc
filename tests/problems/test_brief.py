"""The meeting brief's section 7 lists the problems of its scope still waiting at its moment, in every format."""

from __future__ import annotations

import datetime

import pytest

from govkpi.accounts.roles import Role
from govkpi.brief.assemble import assemble
from govkpi.brief.produce import viewer_for
from govkpi.brief.renderers import render
from govkpi.problems import actions
from govkpi.problems.models import ProblemKind
from tests.brief.readback import document_text, pdf_text, workbook

from .conftest import RAISED, TZ

pytestmark = pytest.mark.django_db
AS_OF = datetime.datetime(2026, 3, 25, 9, tzinfo=TZ)


@pytest.fixture
def raised(people, task, on_day, unit):
    with on_day(RAISED):
        late = actions.raise_problem(people["hanoi"], kind=ProblemKind.OBSTACLE, task=task,
                                     title="Chưa có tài khoản khai thác", blocks="a")
        answered = actions.raise_problem(people["hanoi"], kind=ProblemKind.PROPOSAL, task=task,
                                         title="Đề nghị bổ sung kinh phí", blocks="b")
        cleared = actions.raise_problem(people["hanoi"], kind=ProblemKind.OBSTACLE, task=task, title="Đã gỡ",
                                        blocks="c")
        actions.raise_problem(people["hue"], kind=ProblemKind.BOTTLENECK, raising_unit=unit("46"),
                              acting_unit=unit("BTC"), title="Chưa có hướng dẫn thu phí", blocks="d")
    with on_day(RAISED + datetime.timedelta(days=3)):
        actions.answer(answered, people["bca"], "Đang tổng hợp.")
        actions.resolve(cleared, people["bca"], "Xong")
    with on_day(AS_OF + datetime.timedelta(days=1)):  # after the brief's moment: not in it
        actions.answer(late, people["bca"], "Muộn.")
    return late


def test_the_brief_lists_the_pending_problems_of_its_scope_as_they_stood(raised, people, make_user):
    hanoi = assemble("01", "2026-03", AS_OF, viewer_for(make_user(Role.VIEWER, "01")))
    assert [(p.title, p.state, p.days_overdue, p.acting_code) for p in hanoi.problems] == [
        ("Chưa có tài khoản khai thác", "open", 8, "BCA"), ("Đề nghị bổ sung kinh phí", "answered", 0, "BCA")]
    national = assemble("national", "2026-03", AS_OF, viewer_for(people["cp_viewer"]))
    assert [p.acting_code for p in national.problems] == ["BCA", "BCA", "BTC"]
    before = assemble("national", "2026-03", RAISED - datetime.timedelta(hours=1), viewer_for(people["cp_viewer"]))
    assert before.problems == []


def test_section_7_in_each_format(raised, people):
    brief = assemble("national", "2026-03", AS_OF, viewer_for(people["cp_viewer"]))
    sheet = workbook(render(brief, "xlsx"))["7_VuongMac"]
    assert sheet[0][0] == "7. Vướng mắc, kiến nghị"
    assert sheet[2][:4] == ("Bộ Công an", "Thành phố Hà Nội", "Vướng mắc", "Chưa có tài khoản khai thác")
    assert sheet[2][6].date() == datetime.date(2026, 3, 17) and sheet[2][7:] == ("Chờ trả lời", "quá hạn 8 ngày")
    lines = document_text(render(brief, "docx"))
    assert "7. Vướng mắc, kiến nghị" in lines
    assert any(line.startswith("3 vướng mắc, kiến nghị chưa xử lý xong: 2 chờ trả lời (2 quá hạn trả lời)")
               for line in lines)
    whole = " ".join(" ".join(pdf_text(render(brief, "pdf", "en"))).split())
    assert "7. Problems raised from below" in whole and "Chưa có hướng dẫn thu phí" in whole
