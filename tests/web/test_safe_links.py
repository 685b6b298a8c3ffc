"""Stored links reach an href only when they are http(s) or a path on this site: rows written before links were
checked on write (a `javascript:` evidence link, a directive's odd url) render as text, not as a live link."""

import datetime

import pytest

from govkpi.indicators.catalog import apply_catalog
from govkpi.tasks import actions
from govkpi.tasks.models import Directive, Task, TaskEvent
from govkpi.web.templatetags.govkpi_links import safe_href

pytestmark = pytest.mark.django_db
OLD_LINK = "javascript:alert(1)"


@pytest.mark.parametrize("url", ["https://chinhphu.vn/van-ban/1", "HTTP://x.example/a", "/tasks/TD-9/evidence/3"])
def test_http_addresses_and_paths_on_this_site_are_kept(url):
    assert safe_href(url) == url


@pytest.mark.parametrize("url", [OLD_LINK, " JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "data:text/html,x",
                                 "vbscript:x", "//evil.example/x", "/\\evil.example", "/\t/evil.example",
                                 "ftp://x.example", "http://", "http://[::1", "tasks/khac", "", None])
def test_other_links_give_no_href(url):
    assert safe_href(url) == ""


def test_an_old_javascript_evidence_or_product_link_is_shown_without_href(client, unit, make_user):
    task = actions.create_task(code="TD-7", title="Nhiệm vụ cũ", assigned_on=datetime.date(2025, 2, 6),
                               lead=unit("BCA"), deadline_text="tháng 8/2025")
    actions.report_progress(task, make_user("task_manager", "BCA"), percent=20, evidence_url="https://x.example/a")
    # Written straight to the rows, as data stored before links were checked on write.
    TaskEvent.objects.filter(task=task, kind="progress").update(evidence_url=OLD_LINK)
    Task.objects.filter(pk=task.pk).update(product_url=OLD_LINK)
    client.force_login(make_user("viewer", "BCA"))  # a reader who may see the links
    html = client.get("/tasks/TD-7/").content.decode()
    assert "javascript:" not in html.lower()
    assert "minh chứng" in html and "sản phẩm đã nộp" in html  # the words stay, without a link


def test_a_directive_with_a_javascript_url_is_shown_without_href_on_the_indicator_page(client, small_catalog):
    assert apply_catalog(small_catalog).ok
    Directive.objects.filter(code="T2025").update(url=OLD_LINK)  # the target's directive and the figures' source
    html = client.get("/indicators/DVC_TOANTRINH_TYLE/").content.decode()
    assert str(Directive.objects.get(code="T2025")) in html  # named, as text
    assert "javascript:" not in html.lower()
    assert "javascript:" not in client.get("/public/").content.decode().lower()


def test_a_directive_with_an_http_url_keeps_its_link_and_rel(client, small_catalog):
    assert apply_catalog(small_catalog).ok
    Directive.objects.filter(code="T2025").update(url="https://chinhphu.vn/t2025")
    html = client.get("/indicators/DVC_TOANTRINH_TYLE/").content.decode()
    assert '<a href="https://chinhphu.vn/t2025" rel="noopener noreferrer">' in html


@pytest.mark.parametrize("url", [OLD_LINK, "data:text/html,x", "//evil.example/x"])
def test_the_catalog_import_refuses_a_source_url_other_than_http(small_catalog, url):
    small_catalog["sources"][0]["url"] = url
    report = apply_catalog(small_catalog)
    assert not report.ok
    problem = next(p for p in report.problems if p.where == "sources[0].url")
    assert problem.code == "link_not_http"
    assert "phải là địa chỉ http://" in problem.message_vi and "must be an http://" in problem.message_en
    assert not Directive.objects.exists()
