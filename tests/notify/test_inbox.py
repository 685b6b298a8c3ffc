"""The inbox at /inbox/: a person's own notifications, newest first, in the interface's language, read and unread."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client

from govkpi.notify.kinds import Kind
from govkpi.notify.models import Notification

from .conftest import T0

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def titles(html: str) -> list[str]:
    """Each notification's title, after "Chưa đọc" when it is marked unread."""
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", t)).strip()
            for t in re.findall(r'<li class="notification[^"]*"[^>]*>(.*?)</strong>', html, re.DOTALL)]


def csrf(client: Client, page: str = "/inbox/") -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(page).content.decode())[1]


def test_the_inbox_shows_only_ones_own_notifications_newest_first(client, person, send):
    me, other = person(), person("79")
    send("A", [me], at=T0)
    send("B", [me, other], at=T0 + HOUR)
    send("C", [other], at=T0 + 2 * HOUR, title_vi="Việc riêng của người khác")
    client.force_login(me)
    html = client.get("/inbox/").content.decode()
    assert titles(html) == ["Chưa đọc Nhiệm vụ B sắp đến hạn", "Chưa đọc Nhiệm vụ A sắp đến hạn"]
    assert "Việc riêng của người khác" not in html
    # The title leads through the inbox (which marks it read) to the notification's own page.
    opened = re.search(r'<a href="(/inbox/\d+/open/)">Nhiệm vụ B sắp đến hạn</a>', html)[1]
    assert client.get(opened)["Location"] == "/tasks/B/"
    assert titles(client.get("/inbox/").content.decode()) == ["Nhiệm vụ B sắp đến hạn", "Chưa đọc Nhiệm vụ A sắp đến hạn"]


def test_the_inbox_speaks_the_interface_language(client, person, send):
    me = person()
    send("A", [me], title_vi="Nhiệm vụ sắp đến hạn", title_en="A task is due soon",
         body_vi="Còn 3 ngày", body_en="3 days left")
    client.force_login(me)
    html = client.get("/inbox/").content.decode()
    assert "Nhiệm vụ sắp đến hạn" in html and "Còn 3 ngày" in html and "A task is due soon" not in html
    client.cookies["django_language"] = "en"
    html = client.get("/inbox/").content.decode()
    assert "A task is due soon" in html and "3 days left" in html and "Còn 3 ngày" not in html


def test_marking_one_read_with_csrf_and_the_header_count(person, send):
    me = person()
    first, = send("A", [me])
    send("B", [me], at=T0 + HOUR)
    client = Client(enforce_csrf_checks=True)
    client.force_login(me)
    html = client.get("/inbox/").content.decode()
    assert re.search(r'class="inbox-link"[^>]*>Hộp thư <span class="badge"[^>]*>2</span>', html)
    assert client.post(f"/inbox/{first.pk}/read/").status_code == 403  # no CSRF token: refused
    response = client.post(f"/inbox/{first.pk}/read/", {"csrfmiddlewaretoken": csrf(client)})
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    html = client.get("/inbox/").content.decode()
    assert titles(html) == ["Chưa đọc Nhiệm vụ B sắp đến hạn", "Nhiệm vụ A sắp đến hạn"]
    assert re.search(r'class="inbox-link"[^>]*>Hộp thư <span class="badge"[^>]*>1</span>', html)


def test_nobody_can_mark_or_see_another_persons_notification(client, person, send):
    me, other = person(), person()
    theirs, = send("A", [other])
    client.force_login(me)
    assert client.post(f"/inbox/{theirs.pk}/read/").status_code == 404
    assert client.post("/inbox/read-all/").status_code == 302
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_filter_by_kind_and_mark_all_of_a_kind_read(client, person, send):
    me = person()
    send("due", [me], kind=Kind.TASK_DUE)
    send("returned", [me], kind=Kind.VALUES_RETURNED, title_vi="Số liệu bị trả lại", at=T0 + HOUR)
    client.force_login(me)
    html = client.get("/inbox/?kind=values_returned").content.decode()
    assert titles(html) == ["Chưa đọc Số liệu bị trả lại"]
    response = client.post("/inbox/read-all/", {"kind": "values_returned"})
    assert response["Location"] == "/inbox/?kind=values_returned"
    unread = Notification.objects.filter(recipient=me, read_at__isnull=True)
    assert list(unread.values_list("key", flat=True)) == ["due"]
    client.post("/inbox/read-all/")
    assert not unread.exists()
    assert 'class="badge"' not in client.get("/inbox/").content.decode().split("</header>")[0]


def test_the_inbox_asks_to_sign_in(client):
    response = client.get("/inbox/")
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")


def test_a_link_out_of_the_site_is_not_rendered(client, person, send):
    me = person()
    send("A", [me], link="//evil.example/phish")
    send("B", [me], link="javascript:alert(1)", at=T0 + HOUR)
    client.force_login(me)
    html = client.get("/inbox/").content.decode()
    assert "evil.example" not in html and "javascript:" not in html
    assert "Nhiệm vụ A sắp đến hạn" in html


def test_the_inbox_and_the_header_in_english(client, person, send):
    me = person()
    send("A", [me])
    client.force_login(me)
    client.cookies["django_language"] = "en"
    html = client.get("/inbox/").content.decode()
    assert "Notifications inbox" in html and "1 unread notification" in html and "Mark read" in html
    assert re.search(r'class="inbox-link"[^>]*>Inbox <span class="badge" aria-label="1 unread">1</span>', html)
    html = client.get("/inbox/preferences/").content.decode()
    assert "Choose how you are notified" in html and "Daily digest" in html and "Task due soon" in html


def test_a_link_that_a_browser_reads_as_another_site_is_not_a_link():
    """Browsers drop tabs and line breaks from an address (WHATWG URL parsing): "/\\t/evil.example" is read as
    "//evil.example", another site."""
    from govkpi.notify.inbox import safe_link

    for link in ("/\t/evil.example/", "/\n/evil.example/", "/\r/evil.example/", "/\\evil.example/"):
        assert safe_link(link) == "", repr(link)
    assert safe_link("/tasks/CP-2025-01/01@2026-03/") == "/tasks/CP-2025-01/01@2026-03/"
