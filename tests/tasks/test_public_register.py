"""The public task register: title, lead unit, deadline, state and counts for anyone; narratives, extension
reasons, evidence and staff user names for readers of the task's units only, on the page, the API and exports.
Links are http(s) only and open with rel="noopener noreferrer"."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from govkpi.tasks import actions
from govkpi.tasks.models import Directive, DirectiveKind, Task

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SECRETS = ["Đã trình dự thảo tại phòng họp số 3", "hoso-mat-NV7.pdf", "nguoi.bca", "nguoi.cp",
           "Chờ ý kiến Bộ Tài chính về kinh phí", "https://noibo.bca.gov.vn/ho-so"]


@pytest.fixture
def task(unit, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    directive = Directive.objects.create(code="CT-99", kind=DirectiveKind.values[0],
                                         issued_on=datetime.date(2025, 2, 6), title="Chỉ thị thử",
                                         issuing_body=unit("CP"))
    task = actions.create_task(code="TD-9", title="Từ điển dữ liệu quốc gia", assigned_on=datetime.date(2025, 2, 6),
                               lead=unit("BCA"), deadline_text="tháng 8/2025", directive=directive)
    lead = make_user("task_manager", "BCA", username="nguoi.bca")
    actions.report_progress(task, lead, percent=40, narrative=SECRETS[0], evidence_url=SECRETS[5],
                            files=[SimpleUploadedFile(SECRETS[1], PDF)])
    actions.request_deadline_change(task, lead, "tháng 12/2025", SECRETS[4])
    actions.decide_deadline_change(task.deadline_changes.get(), make_user("task_manager", "CP", username="nguoi.cp"),
                                   approve=True)
    return Task.objects.get(pk=task.pk)


def api_text(client, path: str) -> str:
    return json.dumps(client.get(path).json(), ensure_ascii=False)


def assert_public_only(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


def test_an_anonymous_visitor_sees_the_register_entry_but_no_narratives_evidence_or_names(client, task):
    html = client.get("/tasks/TD-9/").content.decode()
    assert "Từ điển dữ liệu quốc gia" in html and "tháng 12/2025" in html and "40%" in html
    assert "1 tệp minh chứng" in html
    assert_public_only(html)
    body = api_text(client, "/api/v1/tasks/TD-9")
    assert "Từ điển dữ liệu quốc gia" in body
    assert_public_only(body)
    detail = client.get("/api/v1/tasks/TD-9").json()
    assert detail["lead_unit"] == "BCA" and detail["progress"] == 40 and detail["evidence_files"] == 1
    assert [e["percent"] for e in detail["events"] if e["kind"] == "progress"] == [40]
    assert detail["deadline_changes"][0]["approved"] is True and detail["deadline_changes"][0]["reason"] == ""
    assert_public_only(api_text(client, "/api/v1/tasks?lead=BCA"))
    for portal_page in ("/public/", "/public/data/"):  # the portal publishes task counts only
        assert_public_only(client.get(portal_page).content.decode())
    export = client.get("/tasks/appendix.xlsx", {"directive": "CT-99"})
    assert export.status_code == 200
    assert_public_only(_xlsx_text(export.content))


def test_a_reader_of_another_province_reads_as_the_public(client, task, make_user):
    client.force_login(make_user("viewer", "79"))
    assert_public_only(client.get("/tasks/TD-9/").content.decode())
    assert_public_only(api_text(client, "/api/v1/tasks/TD-9"))


@pytest.mark.parametrize("unit_code", ["BCA", "CP"])
def test_readers_of_the_lead_or_assigning_unit_see_everything(client, task, make_user, unit_code):
    client.force_login(make_user("viewer", unit_code))
    html = client.get("/tasks/TD-9/").content.decode()
    body = api_text(client, "/api/v1/tasks/TD-9")
    for secret in SECRETS:
        assert secret in html, secret
        assert secret in body or secret == SECRETS[1], secret  # the API gives the files' count, not names
    assert 'rel="noopener noreferrer"' in html


@pytest.mark.parametrize("link", ["javascript:alert(document.cookie)", "JaVaScRiPt:alert(1)", "data:text/html,x",
                                  "/tasks/khac", "//evil.example/x", "ftp://x.example/a", "http://"])
def test_links_other_than_http_are_refused_as_evidence_and_product(task, make_user, link):
    lead = make_user("task_manager", "BCA")
    with pytest.raises(actions.TaskRuleError) as refused:
        actions.report_progress(task, lead, percent=50, evidence_url=link)
    assert refused.value.code == "link_not_http"
    assert "phải là địa chỉ http://" in refused.value.message_vi and "must be an http://" in refused.value.message_en
    with pytest.raises(actions.TaskRuleError):
        actions.submit_product(task, lead, link)
    task.refresh_from_db()
    assert task.progress == 40 and task.product_url == ""


def test_a_javascript_link_is_refused_through_the_api_in_two_languages(client, task, make_user):
    client.force_login(make_user("task_manager", "BCA"))
    answer = client.post("/api/v1/tasks/TD-9/updates", {"kind": "progress", "percent": 50,
                                                        "evidence_url": "javascript:alert(1)"},
                         content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["code"] == "link_not_http" and "http" in answer.json()["message_en"]


def _xlsx_text(content: bytes) -> str:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as book:
        return " ".join(book.read(n).decode("utf-8", "replace") for n in book.namelist() if n.endswith(".xml"))
