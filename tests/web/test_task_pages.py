import datetime

import pytest

from govkpi.orgunits.models import OrgUnit
from govkpi.tasks import actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks():
    bca = OrgUnit.objects.get(code="BCA")
    actions.create_task(code="P-1", title="Xây dựng khung quản trị dữ liệu", assigned_on=datetime.date(2025, 7, 20),
                        lead=bca, deadline_text="tháng 8/2025", product="Khung quản trị",
                        accepting_authority="Thủ tướng Chính phủ", responsible_position="Bộ trưởng")
    actions.create_task(code="P-2", title="Đẩy mạnh tuyên truyền chuyển đổi số",
                        assigned_on=datetime.date(2025, 7, 20))


def test_task_board_counts_overdue_by_agency_as_of_a_day(client, tasks):
    html = client.get("/tasks/", {"as_of": "2025-09-10"}).content.decode()
    assert "1 nhiệm vụ chậm tiến độ thuộc trách nhiệm của 1 cơ quan" in html
    assert "Quá hạn" in html and "Bộ Công an" in html
    before = client.get("/tasks/", {"as_of": "2025-08-10"}).content.decode()
    assert "0 nhiệm vụ chậm tiến độ" in before


def test_task_board_filters_unclear_tasks(client, tasks):
    html = client.get("/tasks/", {"unclear": "1"}).content.decode()
    assert "P-2" in html and "P-1" not in html
    assert "rõ thời gian" in html


def test_task_page_shows_the_six_points_and_the_timeline(client, tasks):
    html = client.get("/tasks/P-1/").content.decode()
    assert "Đủ 6 rõ" in html and "31/08/2025" in html and "created" in html
    assert client.get("/tasks/NOPE/").status_code == 404


def test_task_board_pages_the_list_and_keeps_the_filters(client):
    for n in range(205):
        actions.create_task(code=f"PG-{n:03}", title=f"Nhiệm vụ thử {n}", assigned_on=datetime.date(2025, 7, 20))
    html = client.get("/tasks/", {"unclear": "1"}).content.decode()
    assert "205 nhiệm vụ" in html and html.count('class="code">PG-') == 200
    assert 'href="?unclear=1&amp;page=2" rel="next"' in html and "Trang 1/2" in html
    second = client.get("/tasks/", {"unclear": "1", "page": "2"}).content.decode()
    assert second.count('class="code">PG-') == 5 and 'rel="prev"' in second
