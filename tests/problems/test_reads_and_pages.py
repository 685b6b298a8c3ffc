"""Counts per agency (public), details for the readers of either unit (the read door), and the pages' forms."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from govkpi.problems import actions
from govkpi.problems.figures import by_agency, standing, totals
from govkpi.problems.models import Problem, ProblemKind, ProblemState
from govkpi.reads.problems import public_counts, reads_problem, visible_problems
from govkpi.reads.visibility import Viewer

from .conftest import RAISED, TZ

pytestmark = pytest.mark.django_db
AFTER = datetime.datetime(2026, 3, 25, 9, tzinfo=TZ)  # B answered on 22/03; A and C past their answer day


@pytest.fixture
def three(people, task, on_day, unit):
    """Hà Nội's two problems to Bộ Công an (one answered), Huế's one to Bộ Tài chính."""
    with on_day(RAISED):
        a = actions.raise_problem(people["hanoi"], kind=ProblemKind.OBSTACLE, task=task, title="A", blocks="a")
        b = actions.raise_problem(people["hanoi"], kind=ProblemKind.PROPOSAL, task=task, title="B", blocks="b")
        c = actions.raise_problem(people["hue"], kind=ProblemKind.BOTTLENECK, raising_unit=unit("46"),
                                  acting_unit=unit("BTC"), title="C", blocks="c")
    with on_day(RAISED + datetime.timedelta(days=20)):
        actions.answer(b, people["bca"], "Đã trả lời B.")
    return a, b, c


def test_counts_per_acting_and_raising_agency_as_of_a_moment(three):
    late = datetime.datetime(2026, 3, 25, 9, tzinfo=TZ)  # after B's answer (22/03), A and C past 17/03
    standings = standing(Problem.objects.prefetch_related("events").select_related("acting_unit", "raising_unit"), late)
    acting = {u.code: (f.total, f.open, f.overdue, f.answered) for u, f in by_agency(standings, "acting")}
    assert acting == {"BCA": (2, 1, 1, 1), "BTC": (1, 1, 1, 0)}
    raising = {u.code: (f.total, f.open, f.overdue, f.answered) for u, f in by_agency(standings, "raising")}
    assert raising == {"01": (2, 1, 1, 1), "46": (1, 1, 1, 0)}
    # Before B was answered, and before any answer day had passed: the same problems, as they stood then.
    early = standing(Problem.objects.prefetch_related("events").select_related("acting_unit", "raising_unit"),
                     datetime.datetime(2026, 3, 10, 9, tzinfo=TZ))
    whole = totals(early)
    assert (whole.total, whole.open, whole.overdue, whole.answered) == (3, 3, 0, 0)
    assert standing(Problem.objects.all(), RAISED - datetime.timedelta(days=1)) == []


def test_a_withdrawn_problem_counts_nowhere(three, people, on_day):
    a, _b, _c = three
    with on_day(RAISED + datetime.timedelta(days=21)):
        actions.withdraw(a, people["hanoi"], "Tự xử lý")
        counts = public_counts()
    assert {u.code: f.total for u, f in counts["acting"]} == {"BCA": 1, "BTC": 1}
    assert counts["totals"].total == 2


def test_details_go_to_readers_of_the_raising_or_the_acting_unit(three, people):
    a, _b, c = three

    def titles(who: str) -> list[str]:
        return sorted(p.title for p in visible_problems(Viewer(people[who])))

    assert titles("hanoi_viewer") == ["A", "B"]
    assert titles("bca") == ["A", "B"]
    assert titles("btc") == ["C"] and titles("hue") == ["C"]
    assert titles("cp_viewer") == ["A", "B", "C"]
    assert list(visible_problems(Viewer.public())) == []
    assert not reads_problem(Viewer(people["btc"]), a) and reads_problem(Viewer(people["btc"]), c)


def test_the_list_page_shows_counts_to_everyone_and_titles_to_readers(three, people, on_day):
    with on_day(AFTER):
        anonymous = Client().get("/problems/")
        body = anonymous.content.decode()
        assert anonymous.status_code == 200 and "3 vướng mắc, kiến nghị" in body and 'data-unit="BCA"' in body
        assert "Đã trả lời B." not in body and ">A</a>" not in body
        client = Client()
        client.force_login(people["btc"])
        body = client.get("/problems/").content.decode()
        assert ">C</a>" in body and ">A</a>" not in body
        client.force_login(people["cp_viewer"])
        body = client.get("/problems/?acting=BCA&state=open").content.decode()
        assert ">A</a>" in body and ">B</a>" not in body and ">C</a>" not in body


def test_a_problem_page_is_not_found_for_others(three, people, on_day):
    a, _b, _c = three
    client = Client()
    with on_day(AFTER):
        client.force_login(people["btc"])
        assert client.get(f"/problems/{a.pk}/").status_code == 404
        client.force_login(people["hanoi_viewer"])
        page = client.get(f"/problems/{a.pk}/").content.decode()
    assert ">A</h1>" in page and 'id="answer-form"' not in page and "Bộ Công an" in page


def test_raise_on_a_task_from_its_page_and_answer_through_the_forms(people, task, on_day):
    raiser, answerer = Client(), Client()
    with on_day(RAISED):  # signed in on the day (a session from another day may have expired)
        raiser.force_login(people["hanoi"])
        answerer.force_login(people["bca"])
        page = raiser.get(f"/tasks/{task.code}/").content.decode()
        assert f'href="/problems/new/?task={task.code}"' in page
        assert 'id="raise-problem"' not in answerer.get(f"/tasks/{task.code}/").content.decode()
        assert raiser.get(f"/problems/new/?task={task.code}").status_code == 200
        assert answerer.get(f"/problems/new/?task={task.code}").status_code == 403
        done = raiser.post("/problems/new/", {"task": task.code, "kind": "diem_nghen", "title": "Chưa có tài khoản",
                                              "blocks": "Chưa được cấp.", "since": "2026-02-01", "acting_name": ""})
        assert done.status_code == 302
        problem = Problem.objects.get()
        assert done["Location"] == f"/problems/{problem.pk}/" and problem.acting_unit.code == "BCA"
        assert problem.since == datetime.date(2026, 2, 1) and problem.kind == "diem_nghen"
        refused = raiser.post("/problems/new/", {"task": task.code, "kind": "vuong_mac", "title": "X",
                                                 "blocks": "Y", "acting_name": "Bộ Không Có"})
        assert refused.status_code == 400 and "Không tìm thấy" in refused.content.decode()
        named = raiser.post("/problems/new/", {"task": task.code, "kind": "kien_nghi", "title": "Kinh phí",
                                               "blocks": "Thiếu", "acting_name": "Bộ Tài chính"})
        assert named.status_code == 302 and Problem.objects.get(title="Kinh phí").acting_unit.code == "BTC"
        picked = raiser.post("/problems/new/", {"task": task.code, "kind": "kien_nghi", "title": "Biên chế",
                                                "blocks": "Thiếu", "acting_name": "Bộ Nội", "acting_code": "BNV"})
        assert picked.status_code == 302 and Problem.objects.get(title="Biên chế").acting_unit.code == "BNV"
        assert 'data-suggest="/tasks/form/units"' in raiser.get(f"/problems/new/?task={task.code}").content.decode()
        assert 'id="answer-form"' in answerer.get(f"/problems/{problem.pk}/").content.decode()
        answerer.post(f"/problems/{problem.pk}/act/", {"step": "answer", "answer": "Đã cấp ngày 05/03."})
        refused = raiser.post(f"/problems/{problem.pk}/act/", {"step": "answer", "answer": "Tự trả lời"})
        assert refused.status_code == 403  # not theirs to answer
        problem.refresh_from_db()
        assert (problem.state, problem.answer) == (ProblemState.ANSWERED, "Đã cấp ngày 05/03.")
        assert "Đã cấp ngày 05/03." in raiser.get(f"/problems/{problem.pk}/").content.decode()
        assert "Chưa có tài khoản" in raiser.get(f"/tasks/{task.code}/").content.decode()


def test_the_task_page_tells_the_public_a_count_and_no_title(three, task):
    page = Client().get(f"/tasks/{task.code}/").content.decode()
    assert "2 vướng mắc, kiến nghị; nội dung chỉ các đơn vị liên quan xem được." in page
    assert ">A</a>" not in page and 'id="raise-problem"' not in page


def test_the_pages_in_english(three, people, on_day):
    a, _b, _c = three
    client = Client(headers={"accept-language": "en"})
    client.cookies["django_language"] = "en"
    with on_day(AFTER):
        client.force_login(people["bca"])
        listing = client.get("/problems/").content.decode()
        page = client.get(f"/problems/{a.pk}/").content.decode()
    assert "3 problems raised: 2 awaiting an answer" in listing and "By agency to act" in listing
    assert "Send the answer" in page and "Turn into a task" in page and "Awaiting an answer" in page
