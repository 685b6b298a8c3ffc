"""The Government's count of tasks as of a day, from the seeds' situation: tasks fanned out to every ministry and
province, recurring tasks with their occurrences, some late, some done; the board's header equal to its list."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from govkpi.accounts.roles import Role
from govkpi.core.task_status import Stage, State, TaskFacts
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks import actions
from govkpi.tasks.counting import (
    CountBasis,
    Holder,
    Original,
    Part,
    Tier,
    count_tasks,
    originals_from_db,
    rolled_up,
)
from govkpi.tasks.models import Directive, Task
from govkpi.web.task_count_views import sentence

D = datetime.date
VN = ZoneInfo("Asia/Ho_Chi_Minh")
AS_OF = D(2025, 10, 15)
MINISTRIES, PROVINCES = 17, 34


# -- the rules, without a database ------------------------------------------------------------------------------

def test_an_original_task_is_late_when_any_part_is_and_done_only_when_every_part_is():
    assert rolled_up([State.DONE_ON_TIME, State.OVERDUE, State.IN_PROGRESS]) is State.OVERDUE
    assert rolled_up([State.DONE_ON_TIME, State.DONE_LATE, State.CANCELLED]) is State.DONE_LATE
    assert rolled_up([State.DONE_ON_TIME, State.NOT_STARTED]) is State.IN_PROGRESS
    assert rolled_up([State.NOT_STARTED, State.NOT_STARTED]) is State.NOT_STARTED
    assert rolled_up([State.CANCELLED, State.CANCELLED]) is State.CANCELLED
    assert rolled_up([State.PAUSED, State.DONE_ON_TIME]) is State.PAUSED
    assert rolled_up([State.NOT_YET_ASSIGNED]) is State.NOT_YET_ASSIGNED


def _part(code, holder, due, done=None):
    return Part(code, holder, TaskFacts(assigned_on=D(2025, 7, 1), deadlines=[(D(2025, 7, 1), due)],
                                        stages=[(done, Stage.DONE)] if done else []))


def test_a_fan_out_counts_once_in_the_total_and_once_for_each_agency_holding_a_late_part():
    bca, btc, hn = Holder("BCA", "Bộ Công an", "ministry"), Holder("BTC", "Bộ Tài chính", "ministry"), \
        Holder("01", "Thành phố Hà Nội", "province")
    fan = Original("F", "Fan-out", [_part("F/BCA", bca, D(2025, 8, 31), done=D(2025, 8, 1)),
                                    _part("F/BTC", btc, D(2025, 8, 31)), _part("F/01", hn, D(2025, 8, 31))])
    single = Original("S", "BTC alone", [_part("S", btc, D(2025, 8, 31))])
    count = count_tasks([fan, single], D(2025, 9, 1))
    assert (count.tasks, count.late, count.late_parts, count.late_agencies) == (2, 2, 3, 2)
    lines = {a.holder.code: (a.tasks, a.late) for a in count.agencies}
    assert lines == {"BTC": (2, 2), "01": (1, 1), "BCA": (1, 0)}
    ministries = count_tasks([fan, single], D(2025, 9, 1), Tier.MINISTRIES)
    assert (ministries.late, ministries.late_agencies) == (2, 1)
    assert (count_tasks([fan, single], D(2025, 8, 31)).late) == 0  # overdue from the day after the deadline


# -- the seeds' situation ----------------------------------------------------------------------------------------

def unit(code):
    return OrgUnit.objects.get(code=code)


def _accept(task, manager, government, day):
    """The lead unit hands in its product and the Government accepts it, on that day."""
    with time_machine.travel(datetime.datetime.combine(day, datetime.time(10), VN), tick=False):
        actions.submit_product(task, manager, "https://vanban.example.vn/san-pham.pdf")
        actions.accept_product(task, government)


@pytest.fixture
def seeds(make_user):
    """Tasks of one meeting as the seed articles describe them, assigned in July 2025."""
    government = make_user(Role.TASK_MANAGER, "CP")
    directive = Directive.objects.create(code="S2025_07", kind="thong_bao_ket_luan", issued_on=D(2025, 7, 20),
                                         title="Kết luận phiên họp Ban Chỉ đạo", issuing_body=unit("CP"))
    on = D(2025, 7, 20)

    def give(code, deadline, **fields):
        return actions.create_task(code=code, title=f"Nhiệm vụ {code}", assigned_on=on, directive=directive,
                                   deadline_text=deadline, **fields)

    f1 = give("F1", "tháng 8/2025", assignees="all_ministries_and_provinces")  # late except at BCA and 01
    give("F2", "quý IV/2025", assignees="all_ministries")  # not due yet
    f3 = give("F3", "tháng 9/2025", assignees="all_provinces")  # late except at 79, done late
    give("S1", "tháng 9/2025", lead=unit("BTC"))  # late
    s2 = give("S2", "tháng 8/2025", lead=unit("BCA"))  # done on time
    give("S3", "tháng 9/2025", assignees="some")  # late, held by no named agency
    r1 = give("R1", "hằng tháng", lead=unit("BCA"))  # monthly: 202507, 202508 (done), 202509 overdue
    r2 = give("R2", "hằng quý", assignees="all_provinces")  # quarterly at every province: 2025Q3 overdue
    for leaf in [r1, *Task.objects.filter(parent=r2, period="")]:
        actions.create_occurrences(leaf, through=AS_OF)  # whatever day the suite runs on
    managers = {code: make_user(Role.TASK_MANAGER, code) for code in ("BCA", "01", "79")}
    _accept(Task.objects.get(code="F1/BCA"), managers["BCA"], government, D(2025, 8, 20))
    _accept(Task.objects.get(code="F1/01"), managers["01"], government, D(2025, 8, 25))
    _accept(Task.objects.get(code="F3/79"), managers["79"], government, D(2025, 10, 5))
    _accept(s2, managers["BCA"], government, D(2025, 8, 30))
    _accept(Task.objects.get(code="R1@202508"), managers["BCA"], government, D(2025, 8, 29))
    return {"f1": f1, "f3": f3, "r1": r1, "r2": r2}


@pytest.mark.django_db
def test_the_seeds_situation_has_every_ministry_and_province_and_monthly_occurrences(seeds):
    assert Task.objects.filter(parent=seeds["f1"]).count() == MINISTRIES + PROVINCES
    assert Task.objects.filter(parent=seeds["f3"]).count() == PROVINCES
    assert sorted(Task.objects.filter(parent=seeds["r1"]).values_list("period", flat=True))[:3] == [
        "202507", "202508", "202509"]


@pytest.mark.django_db
def test_official_count_as_of_a_day_per_original_task_with_recurring_occurrences_apart(seeds):
    count = count_tasks(originals_from_db(), AS_OF)
    assert count.tasks == 6  # F1 F2 F3 S1 S2 S3: the recurring ones are not in it
    assert count.late == 4  # F1, F3, S1, S3
    assert sorted(count.late_codes) == ["F1", "F3", "S1", "S3"]
    # F1 late at 16 ministries and 33 provinces, F3 at 33 provinces (every one but 79), S1 at BTC.
    assert count.late_parts == 16 + 33 + 33 + 1 + 1
    assert count.late_agencies == 16 + PROVINCES
    assert count.late_unheld == 1  # S3 names no lead unit
    assert count.recurring == 2
    assert count.late_occurrences == 1 + 1 + PROVINCES  # R1 202507 and 202509; R2 2025Q3 at every province
    assert count.late_occurrence_agencies == 1 + PROVINCES
    assert count.states[State.NOT_STARTED] == 1 and count.states[State.DONE_ON_TIME] == 1  # F2; S2


@pytest.mark.django_db
def test_official_count_by_tier_and_by_agency(seeds):
    count = count_tasks(originals_from_db(), AS_OF)
    assert {t.value: (c.tasks, c.late, c.agencies) for t, c in count.tiers.items()} == {
        "ministries": (4, 2, 16), "provinces": (2, 2, PROVINCES)}
    lines = {a.holder.code: a for a in count.agencies}
    assert (lines["BTC"].tasks, lines["BTC"].late) == (3, 2)  # F1, F2, S1; late in F1 and S1
    assert (lines["BCA"].tasks, lines["BCA"].late, lines["BCA"].late_occurrences) == (3, 0, 2)
    assert (lines["01"].tasks, lines["01"].late, lines["01"].late_occurrences) == (2, 1, 1)  # F1 done; F3 late
    assert (lines["79"].late, lines["79"].late_occurrences) == (1, 1)  # F1 late; F3 done late, not overdue
    # Most late tasks first: BTC and the 32 provinces late in both F1 and F3.
    assert {a.holder.code for a in count.agencies if a.late == 2} == {"BTC"} | set(
        OrgUnit.objects.filter(kind="province", valid_to__isnull=True).exclude(code__in=["01", "79"])
        .values_list("code", flat=True))
    assert [a.late for a in count.agencies] == sorted((a.late for a in count.agencies), reverse=True)

    ministries = count_tasks(originals_from_db(), AS_OF, Tier.MINISTRIES)
    assert (ministries.tasks, ministries.late, ministries.late_agencies) == (4, 2, 16)
    assert ministries.late_occurrences == 2  # BCA's monthly meetings only
    assert {a.holder.code for a in ministries.agencies} == set(
        OrgUnit.objects.filter(kind="ministry", valid_to__isnull=True).values_list("code", flat=True))
    assert sentence(ministries, CountBasis.ORIGINAL) == (
        "Đến ngày 15/10/2025: 2 nhiệm vụ chậm tiến độ thuộc trách nhiệm của 16 bộ, ngành.")
    assert sentence(ministries, CountBasis.ASSIGNMENT) == (
        "Đến ngày 15/10/2025: 17 lượt nhiệm vụ chậm tiến độ thuộc trách nhiệm của 16 bộ, ngành.")


@pytest.mark.django_db
def test_the_count_of_an_earlier_day_is_the_count_as_it_stood_then(seeds):
    count = count_tasks(originals_from_db(), D(2025, 8, 31))
    assert (count.late, count.late_agencies, count.late_occurrences) == (0, 0, 1)  # R1 202507 only
    september = count_tasks(originals_from_db(), D(2025, 9, 1))
    assert (september.late, september.late_agencies) == (1, 16 + 33)  # F1, everyone but BCA and 01


@pytest.mark.django_db
def test_count_page_says_the_sentence_and_which_count_it_shows_and_exports_it(seeds):
    client = Client()
    page = client.get("/tasks/count/", {"as_of": "2025-10-15", "tier": "ministries"})
    text = page.content.decode()
    assert "Đến ngày 15/10/2025: 2 nhiệm vụ chậm tiến độ thuộc trách nhiệm của 16 bộ, ngành." in text
    assert "theo nhiệm vụ gốc" in text
    assert "2 lượt định kỳ quá hạn" in text
    csv = client.get("/tasks/count/", {"as_of": "2025-10-15", "tier": "ministries", "export": "agencies",
                                       "format": "csv"}).content.decode("utf-8-sig").splitlines()
    assert csv[0].startswith("Mã,Cơ quan,Cấp,Số nhiệm vụ,Chậm tiến độ")
    btc = next(line for line in csv if line.startswith("BTC,"))
    assert btc.split(",")[-4:] == ["2", "2", "0", "0"]  # late tasks, late parts, recurring, late occurrences
    assert not any(line.startswith("01,") for line in csv)  # ministries only
    tiers = client.get("/tasks/count/", {"as_of": "2025-10-15", "export": "tiers", "format": "csv"})
    assert len(tiers.content.decode("utf-8-sig").splitlines()) == 3  # header, ministries, provinces


@pytest.mark.django_db
def test_board_header_counts_the_rows_its_list_shows(seeds):
    client = Client()
    board = client.get("/tasks/", {"as_of": "2025-10-15"})
    header = board.context["header"]
    overdue = client.get("/tasks/", {"as_of": "2025-10-15", "status": "overdue"})
    assert overdue.context["total"] == header.overdue == (16 + 33 + 33 + 1 + 1) + (1 + 1 + PROVINCES)
    assert header.unheld == 1 and header.overdue_occurrences == 1 + 1 + PROVINCES
    assert header.agencies == MINISTRIES + PROVINCES  # BCA too: its monthly occurrences are rows of the list
    assert sum(f.overdue for _u, f in board.context["figures"]) == header.overdue - header.unheld
    text = overdue.content.decode()
    said = re.search(r"Đến ngày 15/10/2025: (\d+) lượt nhiệm vụ quá hạn", text)
    listed = re.search(r'<h2 id="h-list">(\d+) nhiệm vụ \(theo lượt giao\)</h2>', text)
    assert said and listed and said.group(1) == listed.group(1) == str(header.overdue)
    # Narrowed by a filter, both still agree.
    btc = client.get("/tasks/", {"as_of": "2025-10-15", "lead": "BTC"})
    btc_overdue = client.get("/tasks/", {"as_of": "2025-10-15", "lead": "BTC", "status": "overdue"})
    assert btc.context["header"].overdue == btc_overdue.context["total"] == 2
