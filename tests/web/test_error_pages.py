"""Issue 17: 403 and 404 pages in Vietnamese (English when chosen) that say why and what to do next; the API
keeps its JSON problems."""

import pytest
from django.test import Client
from django.urls import path

from govkpi.accounts.permissions import require
from govkpi.accounts.roles import Action, Role
from govkpi.orgunits.models import OrgUnit
from govkpi.urls import urlpatterns as project_urls

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def manage_tasks_at_bca(request):
    require(request.user, Action.MANAGE_TASKS, OrgUnit.objects.get(code="BCA"))


def api_refusal(request):
    require(request.user, Action.MANAGE_TASKS, OrgUnit.objects.get(code="BCA"))


def plain_refusal(request):
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied("Chỉ cơ quan giao nhiệm vụ được quyết định. / Only the assigner decides (X1).")


urlpatterns = [
    path("test-errors/bca-tasks/", manage_tasks_at_bca),
    path("test-errors/plain/", plain_refusal),
    path("api/v1/test-errors/bca-tasks", api_refusal),
    *project_urls,
]
handler403 = "govkpi.accounts.error_pages.permission_denied"
handler404 = "govkpi.accounts.error_pages.page_not_found"


@pytest.fixture
def viewer_client(make_user):
    make_user(Role.UNIT_ADMIN, "BCA", "bca.quantri.test")
    client = Client()
    client.force_login(make_user(Role.VIEWER, "BCA", "bca.xem"))
    return client


def english(client):
    client.cookies["django_language"] = "en"
    return client


def test_the_403_page_names_the_role_the_unit_and_whom_to_ask(viewer_client):
    page = viewer_client.get("/test-errors/bca-tasks/")
    text = page.content.decode()
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")
    assert "Bạn cần vai trò «Quản lý nhiệm vụ» tại Bộ Công an" in text
    assert "Liên hệ Quản trị đơn vị" in text and "bca.quantri.test" in text
    assert 'class="topbar"' in text  # the site's own page, with its menu


def test_the_403_page_in_english(viewer_client):
    text = english(viewer_client).get("/test-errors/bca-tasks/").content.decode()
    assert "You need the role «Manage tasks» at Ministry of Public Security" in text and "Ask for this role from: Unit administrator" in text
    assert "Bạn cần vai trò" not in text


def test_a_refusal_in_words_carries_them_to_the_page_in_the_interface_language(viewer_client):
    vi = viewer_client.get("/test-errors/plain/")
    assert vi.status_code == 403 and "Chỉ cơ quan giao nhiệm vụ được quyết định." in vi.content.decode()
    en = english(viewer_client).get("/test-errors/plain/").content.decode()
    assert "Only the assigner decides (X1)." in en and "Chỉ cơ quan giao" not in en


def test_the_api_keeps_its_json_problem(viewer_client):
    answer = viewer_client.get("/api/v1/test-errors/bca-tasks")
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"
    assert "manage_tasks" in answer.json()["message"] and "Not allowed" in answer.json()["message_en"]
    missing = viewer_client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_the_404_page_says_why_and_what_next_in_both_languages(client):
    page = client.get("/khong-co-trang-nay/")
    text = page.content.decode()
    assert page.status_code == 404 and "Không tìm thấy trang" in text and "/khong-co-trang-nay/" in text
    assert 'href="/units/"' in text
    text = english(client).get("/khong-co-trang-nay/").content.decode()
    assert "Page not found" in text and "There is no page at /khong-co-trang-nay/" in text


def test_a_view_raising_404_gets_the_page_too(client):
    page = client.get("/units/KHONGCO/")
    assert page.status_code == 404 and "Không tìm thấy trang" in page.content.decode()


def test_whom_to_ask_is_named_only_to_a_colleague_of_the_unit(make_user):
    make_user(Role.UNIT_ADMIN, "BCA", "bca.quantri.test")
    outsider = Client()
    outsider.force_login(make_user(Role.VIEWER, "79", "hcm.xem"))  # Hồ Chí Minh City's, not the ministry's
    text = outsider.get("/test-errors/bca-tasks/").content.decode()
    assert "Bạn cần vai trò «Quản lý nhiệm vụ» tại Bộ Công an" in text and "Liên hệ Quản trị đơn vị" in text
    assert "bca.quantri.test" not in text
