"""The task page's forms: progress with evidence files, the product, acceptance, extensions; files are checked."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from govkpi.tasks import actions
from govkpi.tasks.models import Evidence, Stage, Task

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def task(unit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return actions.create_task(code="TD-1", title="Từ điển dữ liệu quốc gia", assigned_on=datetime.date(2025, 2, 6),
                               lead=unit("BCA"), deadline_text="tháng 8/2025")


def test_progress_with_an_evidence_file_is_kept_and_served_to_readers_only(client, make_user, task):
    client.force_login(make_user("task_manager", "BCA"))
    page = client.post("/tasks/TD-1/update", {"kind": "progress", "percent": "60", "narrative": "Đã trình dự thảo",
                                              "files": [SimpleUploadedFile("Dự thảo <b>v2.pdf", PDF)]})
    assert page.status_code == 302
    task.refresh_from_db()
    evidence = Evidence.objects.get()
    assert task.progress == 60 and evidence.name == "Dự thảo <b>v2.pdf" and evidence.size == len(PDF)
    assert evidence.event.narrative == "Đã trình dự thảo" and evidence.file.name.endswith(".pdf")
    assert "Dự thảo" not in evidence.file.name  # stored under a random name
    html = client.get("/tasks/TD-1/").content.decode()
    assert "Dự thảo &lt;b&gt;v2.pdf" in html  # escaped in the page
    download = client.get(f"/tasks/TD-1/evidence/{evidence.pk}")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    client.force_login(make_user("viewer", "79"))
    assert client.get(f"/tasks/TD-1/evidence/{evidence.pk}").status_code == 403


@pytest.mark.parametrize(("name", "content"), [("bao-cao.pdf", b"MZ\x90\x00 not a pdf"), ("script.html", b"<script>"),
                                               ("anh.png", PDF)])
def test_files_that_are_not_what_they_claim_are_refused_and_nothing_changes(client, make_user, task, name, content):
    client.force_login(make_user("task_manager", "BCA"))
    client.post("/tasks/TD-1/update", {"kind": "progress", "percent": "60",
                                       "files": [SimpleUploadedFile(name, content)]})
    task.refresh_from_db()
    assert task.progress == 0 and not Evidence.objects.exists()
    page = client.get("/tasks/TD-1/").content.decode()
    assert ("Chỉ nhận tệp" in page) if name == "script.html" else ("không đúng định dạng" in page)


def test_oversized_evidence_is_refused(client, make_user, task, settings):
    settings.EVIDENCE_MAX_BYTES = 10
    client.force_login(make_user("task_manager", "BCA"))
    client.post("/tasks/TD-1/update", {"kind": "progress", "percent": "10",
                                       "files": [SimpleUploadedFile("a.pdf", PDF)]})
    assert not Evidence.objects.exists() and "lớn hơn" in client.get("/tasks/TD-1/").content.decode()


def test_product_file_then_acceptance_by_the_assigner_makes_it_done(client, make_user, task):
    client.force_login(make_user("task_manager", "BCA"))
    client.post("/tasks/TD-1/update", {"kind": "accept"})  # not the assigner: refused
    assert client.post("/tasks/TD-1/update", {"kind": "accept"}).status_code == 403
    client.post("/tasks/TD-1/update", {"kind": "product", "file": SimpleUploadedFile("tu-dien.pdf", PDF)})
    task.refresh_from_db()
    assert task.product_url.startswith("/tasks/TD-1/evidence/") and task.stage != Stage.DONE
    client.force_login(make_user("task_manager", "CP"))
    client.post("/tasks/TD-1/update", {"kind": "accept"})
    task.refresh_from_db()
    assert task.stage == Stage.DONE and task.accepted_by


def test_extension_requested_and_decided_on_the_page(client, make_user, task):
    client.force_login(make_user("task_manager", "BCA"))
    client.post("/tasks/TD-1/update", {"kind": "extension", "deadline_text": "tháng 12/2025",
                                       "reason": "Chờ ý kiến các bộ"})
    change = task.deadline_changes.get()
    client.force_login(make_user("task_manager", "CP"))
    assert "Chấp thuận" in client.get("/tasks/TD-1/").content.decode()
    client.post("/tasks/TD-1/update", {"kind": "decide", "change": str(change.pk), "approve": "1"})
    task.refresh_from_db()
    assert (task.deadline, task.original_deadline) == (datetime.date(2025, 12, 31), datetime.date(2025, 8, 31))
    assert Task.objects.count() == 1


def test_the_board_offers_the_appendix_and_the_import_page_lists_row_errors(client, make_user, task):
    from openpyxl import Workbook

    from govkpi.tasks.models import Directive, DirectiveKind

    directive = Directive.objects.create(code="TB-1", kind=DirectiveKind.MEETING_CONCLUSION, title="Kết luận",
                                         issued_on=datetime.date(2025, 2, 6))
    Task.objects.filter(pk=task.pk).update(directive=directive)
    board = client.get(f"/tasks/?directive={directive.code}").content.decode()
    assert f"/tasks/appendix.xlsx?directive={directive.code}" in board
    export = client.get(f"/tasks/appendix.xlsx?directive={directive.code}")
    from openpyxl import load_workbook

    cells = [c for row in load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True) for c in row]
    assert export.status_code == 200 and "Từ điển dữ liệu quốc gia" in cells
    workbook = Workbook()
    workbook.active.append(["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn", "Sản phẩm"])
    workbook.active.append([1, "Báo cáo tình hình", "Bộ Không Tồn Tại", "", "sớm", "Báo cáo"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client.force_login(make_user("task_manager", "CP"))
    page = client.post("/tasks/appendix/import", {"directive": directive.code, "mode": "all",
                                                  "file": SimpleUploadedFile("pl.xlsx", buffer.getvalue())})
    html = page.content.decode()
    assert page.status_code == 200 and "Cơ quan chủ trì" in html and "Thời hạn" in html
    assert not Task.objects.filter(title="Báo cáo tình hình").exists()
