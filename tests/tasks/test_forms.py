"""Giving tasks by form and by the API: who may (checked inside the actions), deadline words read back,
"khẩn trương" kept and flagged, codes by directive and sequence, units by name, the appendix import's refusals."""

import datetime
import io
import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from openpyxl import Workbook

from govkpi.accounts.roles import Role
from govkpi.audit.models import AuditEntry
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks import actions
from govkpi.tasks.models import Assignees, Directive, DirectiveKind, Task, TaskEvent
from tests.conftest import json_body

pytestmark = pytest.mark.django_db
D = datetime.date
ISSUED = D(2025, 8, 1)  # after the 2025 reorganisations: the units in force are today's


def unit(code):
    return OrgUnit.objects.get(code=code)


def directive(code="KH-BCA-1", issuer="BCA", issued_on=ISSUED):
    return Directive.objects.create(code=code, kind=DirectiveKind.PLAN, issued_on=issued_on, number="12/KH-BCA",
                                    issuing_body=unit(issuer), title="Kế hoạch chuyển đổi số của Bộ Công an")


@pytest.fixture
def bca(make_user):
    return make_user(Role.TASK_MANAGER, "BCA", "bca.nhiemvu")


@pytest.fixture
def government(make_user):
    return make_user(Role.TASK_MANAGER, "CP")


def give(source, actor=None, code="", **fields):
    return actions.create_task(code=code, title="Hoàn thiện cơ sở dữ liệu dân cư", directive=source,
                               assigned_on=source.issued_on if source else ISSUED, lead=fields.pop("lead", unit("BCA")),
                               actor=actor, **fields)


# ------------------------------------------------------------------ authorised inside the actions


def test_a_ministry_gives_tasks_under_its_own_directives_but_not_the_governments(bca):
    own = give(directive(), bca, deadline_text="tháng 8/2025")
    assert own.deadline == D(2025, 8, 31)
    government_directive = directive("KL-1", issuer="CP")
    with pytest.raises(PermissionDenied) as refused:
        give(government_directive, bca)
    assert "Chính phủ" in str(refused.value)
    with pytest.raises(PermissionDenied):
        give(None, bca)  # no directive: the Government gives it
    assert list(Task.objects.values_list("code", flat=True)) == [own.code]


def test_edit_and_reassign_are_refused_to_the_lead_unit_at_the_action_level(bca, government):
    task = give(directive("KL-1", issuer="CP"), government, deadline_text="quý IV/2025")
    with pytest.raises(PermissionDenied):
        actions.edit_task(task, bca, title="Một nhiệm vụ khác hẳn")
    with pytest.raises(PermissionDenied):
        actions.reassign_lead(task, bca, unit("BTC"), "Bộ Tài chính quản lý")
    task.refresh_from_db()
    assert task.title == "Hoàn thiện cơ sở dữ liệu dân cư" and task.lead_unit.code == "BCA"


def test_the_assigner_edits_and_reassigns_with_a_timeline_event_and_an_audit_row(government):
    task = give(directive("KL-1", issuer="CP"), government, deadline_text="quý IV/2025",
                coordinating=[unit("BTC")])
    actions.edit_task(task, government, title="Hoàn thiện và làm sạch cơ sở dữ liệu dân cư",
                      deadline_text="tháng 11/2025", coordinating=[unit("BTP")])
    task.refresh_from_db()
    assert (task.title, task.deadline, task.original_deadline) == (
        "Hoàn thiện và làm sạch cơ sở dữ liệu dân cư", D(2025, 11, 30), D(2025, 11, 30))
    assert list(task.coordinating_units.values_list("code", flat=True)) == ["BTP"]
    actions.reassign_lead(task, government, unit("BTC"), "Bộ Tài chính quản lý dữ liệu này")
    task.refresh_from_db()
    assert task.lead_unit.code == task.assigned_unit.code == "BTC"
    event = TaskEvent.objects.filter(task=task, kind="reassigned").get()
    assert event.data == {"from": "BCA", "to": "BTC"} and event.narrative.startswith("Bộ Tài chính")
    assert AuditEntry.objects.filter(action="task.reassign", object_key=task.code).exists()
    assert AuditEntry.objects.filter(action="task.edit", object_key=task.code).exists()
    with pytest.raises(actions.TaskRuleError):
        actions.reassign_lead(task, government, unit("BTP"), "  ")  # a reason is required


# ------------------------------------------------------------------ deadlines without a date


def test_khan_truong_is_kept_as_written_with_no_date_and_misses_the_time_point(bca):
    task = give(directive(), bca, deadline_text="Khẩn trương")
    assert (task.deadline_text, task.deadline, task.recurrence) == ("Khẩn trương", None, "")
    from govkpi.reads.task_rows import clarity

    assert "time" in clarity(task) and "responsibility" not in clarity(task)


def test_other_unreadable_words_are_still_refused(bca):
    with pytest.raises(actions.TaskRuleError) as refused:
        give(directive(), bca, deadline_text="sau khi Luật có hiệu lực")
    assert refused.value.code == "deadline_unreadable" and "sau khi Luật có hiệu lực" in refused.value.message_vi


def test_an_extension_must_still_name_a_date(bca):
    task = give(directive(), bca, deadline_text="tháng 8/2025")
    with pytest.raises(actions.TaskRuleError):
        actions.request_deadline_change(task, bca, "khẩn trương", "Chờ ý kiến")


# ------------------------------------------------------------------ codes


def test_codes_are_given_by_directive_and_sequence(bca, government):
    plan = directive()
    first, second = give(plan, bca), give(plan, bca)
    assert (first.code, second.code) == ("KH-BCA-1-1", "KH-BCA-1-2")
    give(plan, bca, code="KH-BCA-1-PL7")  # an appendix row's code takes no number
    assert give(plan, bca).code == "KH-BCA-1-3"
    assert give(None, government).code == "NV-1"
    with pytest.raises(actions.TaskRuleError) as taken:
        give(plan, bca, code="KH-BCA-1-1")
    assert taken.value.code == "task_exists"


def test_a_fan_out_gets_a_generated_code_and_its_parts_follow_it(government):
    task = give(directive("KL-1", issuer="CP"), government, lead=None, assignees=Assignees.ALL_MINISTRIES,
                deadline_text="quý IV/2025")
    parts = list(Task.objects.filter(parent=task).values_list("code", flat=True))
    assert task.code == "KL-1-1" and len(parts) == 17 and "KL-1-1/BCA" in parts


def test_the_api_gives_a_code_when_none_is_given_and_keeps_khan_truong(client, bca):
    plan = directive()
    client.force_login(bca)
    answer = client.post("/api/v1/tasks", {"title": "Rà soát dữ liệu dân cư trên địa bàn", "directive": plan.code,
                                           "lead_unit": "BCA", "deadline_text": "khẩn trương"},
                         content_type="application/json")
    assert answer.status_code == 201, answer.content
    body = json_body(answer)
    assert body["code"] == "KH-BCA-1-1" and body["deadline"] is None and body["deadline_text"] == "khẩn trương"
    assert "time" in body["six_clear_missing"]
    again = client.post("/api/v1/tasks", {"title": "Một nhiệm vụ nữa cho bộ", "directive": plan.code,
                                          "lead_unit": "BCA", "deadline_text": "tháng 8/2025"},
                        content_type="application/json")
    assert json_body(again)["code"] == "KH-BCA-1-2" and json_body(again)["deadline"] == "2025-08-31"
    refused = client.post("/api/v1/tasks", {"title": "Không rõ hạn", "directive": plan.code, "lead_unit": "BCA",
                                            "deadline_text": "sau khi có ý kiến"}, content_type="application/json")
    assert refused.status_code == 400 and "sau khi có ý kiến" in json_body(refused)["message"]


@pytest.mark.django_db(transaction=True)
def test_two_tasks_given_at_once_do_not_collide_on_postgresql(make_user):
    if connection.vendor != "postgresql":
        pytest.skip("the race needs two connections to one server: DATABASE_URL=postgresql://…")
    plan = directive()
    first_inserted, codes, errors = threading.Event(), [], []

    def slow_first():
        try:
            with transaction.atomic():
                codes.append(give(plan).code)  # inserted, not committed: the other picks the same number
                first_inserted.set()
                threading.Event().wait(0.5)  # give the second insert time to meet the uncommitted row
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            first_inserted.set()
            connection.close()

    def second():
        try:
            first_inserted.wait(10)
            codes.append(give(plan).code)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=slow_first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and sorted(codes) == ["KH-BCA-1-1", "KH-BCA-1-2"]


# ------------------------------------------------------------------ the forms


def test_without_a_directive_of_its_own_a_ministry_is_told_what_to_do(client, bca):
    client.force_login(bca)
    page = client.get("/tasks/new/")
    assert page.status_code == 403
    assert "chưa có văn bản chỉ đạo" in page.content.decode() and "/directives/new/" in page.content.decode()


def test_a_ministry_records_its_directive_then_gives_a_task_read_back_before_saving(client, bca):
    client.force_login(bca)
    made = client.post("/directives/new/", {"kind": "ke_hoach", "number": "12/KH-BCA", "issued_on": "2025-08-01",
                                            "issuing_body_name": "Bộ Công an", "title": "Kế hoạch chuyển đổi số"})
    assert made.status_code == 302, made.content.decode()[:2000]
    plan = Directive.objects.get()
    assert plan.code == "BCA-2025-1" and plan.issuing_body.code == "BCA" and made["Location"].endswith(plan.code)
    form = {"directive": plan.code, "title": "Làm sạch dữ liệu dân cư trên địa bàn", "lead_name": "TP.HCM",
            "coordinating_names": "BCA; Bộ Tài chính", "deadline_text": "tháng 8/2025",
            "responsible_position": "Chủ tịch UBND", "product": "Báo cáo kết quả", "priority": "normal",
            "accepting_authority": "Bộ trưởng Bộ Công an"}
    first = client.post("/tasks/new/", form)
    text = first.content.decode()
    assert first.status_code == 200 and "Thời hạn: tháng 8/2025 → 31/08/2025" in text and not Task.objects.exists()
    saved = client.post("/tasks/new/", {**form, "deadline_seen": "tháng 8/2025"})
    task = Task.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/tasks/{task.code}/"
    assert task.code == "BCA-2025-1-1" and task.lead_unit.code == "79" and task.deadline == D(2025, 8, 31)
    assert sorted(task.coordinating_units.values_list("code", flat=True)) == ["BCA", "BTC"]
    shown = client.get(saved["Location"]).content.decode()
    assert "Thành phố Hồ Chí Minh" in shown and "31/08/2025" in shown


def test_the_form_keeps_khan_truong_and_names_a_unit_it_cannot_tell(client, bca):
    plan = directive()
    client.force_login(bca)
    form = {"directive": plan.code, "title": "Triển khai căn cước điện tử", "lead_name": "Hà", "priority": "high",
            "deadline_text": "khẩn trương", "deadline_seen": "khẩn trương"}
    unclear = client.post("/tasks/new/", form)
    assert unclear.status_code == 200 and "Hà" in unclear.content.decode() and not Task.objects.exists()
    client.post("/tasks/new/", {**form, "lead": "BCA", "lead_name": "Bộ Công an"})
    task = Task.objects.get()
    assert (task.deadline_text, task.deadline) == ("khẩn trương", None)


def test_a_fan_out_by_form(client, government):
    plan = directive("KL-1", issuer="CP")
    client.force_login(government)
    client.post("/tasks/new/", {"directive": plan.code, "title": "Báo cáo kết quả chuyển đổi số năm 2025",
                                "assignees": Assignees.ALL_MINISTRIES_AND_PROVINCES, "priority": "normal",
                                "deadline_text": "quý IV/2025", "deadline_seen": "quý IV/2025"})
    task = Task.objects.get(parent__isnull=True)
    assert task.assignees == Assignees.ALL_MINISTRIES_AND_PROVINCES and task.children.count() == 17 + 34


def test_edit_and_reassign_by_form_and_the_lead_unit_is_refused_in_vietnamese(client, bca, government):
    task = give(directive("KL-1", issuer="CP"), government, deadline_text="quý IV/2025")
    client.force_login(bca)
    refused = client.get(f"/tasks/{task.code}/edit/")
    assert refused.status_code == 403 and "Chỉ cán bộ quản lý nhiệm vụ của Chính phủ" in refused.content.decode()
    client.force_login(government)
    edited = client.post(f"/tasks/{task.code}/edit/", {"step": "edit", "title": task.title, "priority": "high",
                                                       "deadline_text": "tháng 10/2025"})
    assert edited.status_code == 302
    task.refresh_from_db()
    assert (task.deadline, task.priority) == (D(2025, 10, 31), "high")
    client.post(f"/tasks/{task.code}/edit/", {"step": "reassign", "lead_name": "Bộ Tài chính", "reason": "Theo phân công"})
    task.refresh_from_db()
    assert task.lead_unit.code == "BTC" and task.events.filter(kind="reassigned").exists()


def test_the_live_check_reads_the_deadline_back_and_lists_the_missing_points(client, bca):
    plan = directive()
    client.force_login(bca)
    body = json_body(client.get("/tasks/form/check", {"directive": plan.code, "deadline_text": "quý IV năm nay",
                                                      "title": "Làm sạch dữ liệu dân cư", "lead": "BCA"}))
    assert body["deadline"]["date"] == "2025-12-31"
    assert body["deadline"]["shown"] == "Thời hạn: quý IV năm nay → 31/12/2025"
    assert body["six_clear"]["missing"] == ["person", "product", "authority"]
    urgent = json_body(client.get("/tasks/form/check", {"deadline_text": "khẩn trương"}))
    assert urgent["deadline"]["ok"] and urgent["deadline"]["undated"] and "time" in urgent["six_clear"]["missing"]
    wrong = json_body(client.get("/tasks/form/check", {"deadline_text": "sau Tết"}))
    assert not wrong["deadline"]["ok"] and "sau Tết" in wrong["deadline"]["shown"]


@pytest.mark.parametrize(("typed", "code"), [("Bộ Công", "BCA"), ("BCA", "BCA"), ("TP.HCM", "79"),
                                              ("ho chi minh", "79"), ("Bộ Tài chính", "BTC")])
def test_units_are_suggested_by_every_way_people_write_them(client, bca, typed, code):
    client.force_login(bca)
    units = json_body(client.get("/tasks/form/units", {"q": typed}))["units"]
    assert code in [u["code"] for u in units[:3]], units


# ------------------------------------------------------------------ the appendix import


def _appendix(deadline="khẩn trương"):
    book = Workbook()
    sheet = book.active
    for row in (["PHỤ LỤC"], ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn", "Sản phẩm"],
                [1, "Rà soát dữ liệu dân cư toàn quốc", "Bộ Công an", None, deadline, "Báo cáo"]):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "phu-luc.xlsx"
    return buffer


def test_a_ministry_dry_runs_any_appendix_imports_its_own_and_is_told_why_not_the_governments(client, bca):
    government_directive, plan = directive("KL-1", issuer="CP"), directive()
    client.force_login(bca)
    dry = client.post("/tasks/appendix/import", {"directive": government_directive.code, "file": _appendix(),
                                                 "dry_run": "1", "mode": "all"})
    assert dry.status_code == 200 and dry.context["report"].valid == 1 and not Task.objects.exists()
    real = client.post("/tasks/appendix/import", {"directive": government_directive.code, "file": _appendix(),
                                                  "mode": "all"})
    assert real.status_code == 403 and "do Chính phủ ban hành" in real.content.decode()
    assert not Task.objects.exists()
    own = client.post("/tasks/appendix/import", {"directive": plan.code, "file": _appendix(), "mode": "all"})
    assert own.status_code == 200 and own.context["report"].created == 1
    task = Task.objects.get()
    assert (task.deadline_text, task.deadline) == ("khẩn trương", None)


def test_a_directive_with_its_appendix_is_all_or_nothing(client, bca):
    client.force_login(bca)
    form = {"kind": "ke_hoach", "issued_on": "2025-08-01", "issuing_body_name": "Bộ Công an",
            "title": "Kế hoạch triển khai Đề án 06"}
    bad = client.post("/directives/new/", {**form, "appendix": _appendix("sau khi có ý kiến")})
    assert bad.status_code == 200 and "sau khi có ý kiến" in bad.content.decode()
    assert not Directive.objects.exists() and not Task.objects.exists()
    good = client.post("/directives/new/", {**form, "appendix": _appendix("tháng 9/2025")})
    assert good.status_code == 302 and Task.objects.get().directive == Directive.objects.get()
