"""Appendix tables (Phụ lục) in and out of Excel (issue: "Excel in and out"), with real XLSX files."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook, load_workbook

from govkpi.accounts.roles import Role
from govkpi.audit.models import AuditEntry
from govkpi.events.models import ChangeEvent
from govkpi.orgunits.models import OrgUnit
from govkpi.tasks import actions
from govkpi.tasks.appendix import (
    AppendixError,
    collective_assignees,
    export_appendix,
    import_appendix,
    read_appendix,
)
from govkpi.tasks.models import Assignees, Directive, DirectiveKind, ProductKind, Task, TaskEvent

pytestmark = pytest.mark.django_db
D = datetime.date
HEADER = ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời hạn", "Sản phẩm"]


def unit(code):
    return OrgUnit.objects.get(code=code)


AUGUST_2025 = D(2025, 8, 1)  # after both reorganisations: 14 + 3 ministries, 34 provinces, new communes


def directive(code="KL-100", issued_on=AUGUST_2025):
    return Directive.objects.create(code=code, kind=DirectiveKind.MEETING_CONCLUSION, issued_on=issued_on,
                                    number=f"{code}/TB-VPCP", issuing_body=unit("CP"),
                                    title="Kết luận của Ban Chỉ đạo về chuyển đổi số")


def workbook(rows, merges=()):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def simple(*task_rows):
    """A title row, the header on row 2, the tasks from row 3."""
    return workbook([["PHỤ LỤC DANH MỤC NHIỆM VỤ"], HEADER, *task_rows])


def counts():
    """Rows of every table an import writes to: tasks, their timelines, the audit trail, change events."""
    return (Task.objects.count(), TaskEvent.objects.count(), AuditEntry.objects.count(),
            ChangeEvent.objects.count())


@pytest.fixture
def government(make_user):
    return make_user(Role.TASK_MANAGER, "CP")


def give(code, source, lead="BCA", **fields):
    return actions.create_task(code=code, title=f"Xây dựng nhiệm vụ mẫu {code}", directive=source,
                               assigned_on=source.issued_on, lead=unit(lead) if lead else None, **fields)


# ------------------------------------------------------------------------------------------ round trip


def test_round_trip_keeps_titles_units_deadlines_and_products(government):
    source, target = directive("KL-A"), directive("KL-B")
    give("A1", source, coordinating=[unit("BKHCN"), unit("BVHTTDL")], deadline_text="tháng 8/2025",
         product="Kiến trúc dữ liệu quốc gia", product_kind=ProductKind.LEGAL_DOCUMENT,
         accepting_authority="Thủ tướng Chính phủ", responsible_position="Bộ trưởng Bộ Công an")
    give("A2", source, lead="BNV", coordinating=[unit("BTC")], deadline_text="Quý IV/2025",
         product="Báo cáo tổng kết", coordinating_text="Bộ Tài chính, các bộ, ngành liên quan")
    give("A3", source, lead="VPCP", deadline_text="Hằng tháng", product="Báo cáo tình hình")
    give("A4", source, lead=None, deadline_text="Trước ngày 20/12/2025", product="Kế hoạch triển khai",
         assignees=Assignees.ALL_MINISTRIES_AND_PROVINCES, assignees_text="Các bộ, ngành, địa phương")

    data = export_appendix(Task.objects.filter(directive=source).order_by("code"))  # sub-tasks included
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.max_row == 2 + 4  # title, header, the four parent tasks only
    assert [c.value for c in sheet[2]][:6] == ["STT", "Mã", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp",
                                               "Thời hạn"]
    assert "KL-A" in sheet["A1"].value
    for row in range(3, 7):
        sheet.cell(row, 2).value = None  # reused under another directive: new codes from STT
    reused = io.BytesIO()
    sheet.parent.save(reused)

    report = import_appendix(reused.getvalue(), "phu-luc.xlsx", directive=target, actor=government)
    assert report.errors == [] and report.created == 4 and report.rows_read == 4
    assert report.codes == ["KL-B-PL1", "KL-B-PL2", "KL-B-PL3", "KL-B-PL4"]
    # One sub-task per ministry and province, and the monthly task's occurrences.
    assert report.sub_tasks == Task.objects.filter(parent__directive=target).count() > 17 + 34
    for old, new in zip(Task.objects.filter(directive=source, parent=None).order_by("code"),
                        Task.objects.filter(directive=target, parent=None).order_by("code"), strict=True):
        assert (new.title, new.lead_unit_id, new.deadline_text, new.deadline, new.recurrence, new.product,
                new.product_kind, new.accepting_authority, new.responsible_position, new.assignees) == (
            old.title, old.lead_unit_id, old.deadline_text, old.deadline, old.recurrence, old.product,
            old.product_kind, old.accepting_authority, old.responsible_position, old.assignees)
        assert set(new.coordinating_units.values_list("code", flat=True)) == set(
            old.coordinating_units.values_list("code", flat=True))
        assert new.children.count() == old.children.count()
    assert Task.objects.get(code="KL-B-PL1").deadline == D(2025, 8, 31)
    assert Task.objects.get(code="KL-B-PL3").recurrence == "monthly"
    assert "các bộ, ngành liên quan" in Task.objects.get(code="KL-B-PL2").coordinating_text


def test_importing_the_export_unchanged_refuses_the_codes_that_exist(government):
    source = directive("KL-A")
    give("A1", source, deadline_text="tháng 8/2025")
    give("A2", source, deadline_text="tháng 9/2025")
    before = counts()
    report = import_appendix(export_appendix(Task.objects.all()), "a.xlsx", directive=directive("KL-B"),
                             actor=government)
    assert [(e.row, e.column, e.code, e.cell) for e in report.errors] == [(3, "Mã", "task_exists", "B3"),
                                                                           (4, "Mã", "task_exists", "B4")]
    assert "A1" in report.errors[0].message_vi and "already exists" in report.errors[0].message_en
    assert counts() == before and not report.written


# ------------------------------------------------------------------------- the shape of real appendices


REAL = [
    ["CHÍNH PHỦ", None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", None, None, None],
    ["PHỤ LỤC", None, None, None, None, None, None],
    ["DANH MỤC NHIỆM VỤ TRIỂN KHAI KẾT LUẬN", None, None, None, None, None, None],
    ["(Kèm theo Thông báo số 100/TB-VPCP ngày 01/8/2025)", None, None, None, None, None, None],
    [],
    ["STT", "Nhiệm vụ", "Đơn vị chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành", "Kết quả/sản phẩm",
     "Ghi chú"],
    ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"],
    ["I. NHIỆM VỤ CHUNG", None, None, None, None, None, None],
    [1, "Hoàn thiện thể chế về dữ liệu", "Bộ Công an", "Bộ Tư pháp; Văn phòng Chính phủ", "tháng 8/2025",
     "Nghị định", None],
    [2, "Kết nối cơ sở dữ liệu dân cư", None, "Bộ Tài chính\nBộ Nội vụ", "Quý IV/2025", "Báo cáo", "Ưu tiên"],
    ["II", "NHIỆM VỤ CỤ THỂ", None, None, None, None, None],
    [1, "Số hóa hồ sơ sức khỏe điện tử", "Bộ Y tế", "Bộ Văn hóa, Thể thao và Du lịch", "Trước ngày 20/9/2025",
     "Hệ thống thông tin", None],
]
REAL_MERGES = ["A1:C1", "D1:G1", "A2:G2", "A3:G3", "A4:G4", "A8:G8", "C9:C10"]


def test_title_block_merged_lead_and_section_headings_are_read():
    rows = read_appendix(workbook(REAL, REAL_MERGES), "phu-luc.xlsx")
    assert [(r.row, r.stt, r.title, r.lead) for r in rows] == [
        (9, "1", "Hoàn thiện thể chế về dữ liệu", "Bộ Công an"),
        (10, "2", "Kết nối cơ sở dữ liệu dân cư", "Bộ Công an"),  # the lead merged over both rows
        (12, "1", "Số hóa hồ sơ sức khỏe điện tử", "Bộ Y tế"),
    ]
    assert [(r.section, r.section_no) for r in rows] == [
        ("I. NHIỆM VỤ CHUNG", "I"), ("I. NHIỆM VỤ CHUNG", "I"), ("NHIỆM VỤ CỤ THỂ", "II")]
    assert rows[1].notes == "Ưu tiên" and rows[0].deadline == "tháng 8/2025"


def test_a_real_appendix_imports_with_numbering_restarting_in_each_section(government):
    report = import_appendix(workbook(REAL, REAL_MERGES), "phu-luc.xlsx", directive=directive(),
                             actor=government)
    assert report.errors == [], [str(e) for e in report.errors]
    assert report.codes == ["KL-100-PLI.1", "KL-100-PLI.2", "KL-100-PLII.1"]
    first, second, third = (Task.objects.get(code=c) for c in report.codes)
    assert (first.lead_unit.code, second.lead_unit.code, third.lead_unit.code) == ("BCA", "BCA", "BYT")
    assert set(first.coordinating_units.values_list("code", flat=True)) == {"BTP", "VPCP"}
    assert set(second.coordinating_units.values_list("code", flat=True)) == {"BTC", "BNV"}
    assert list(third.coordinating_units.values_list("code", flat=True)) == ["BVHTTDL"]  # a comma in its name
    assert (second.deadline, third.deadline) == (D(2025, 12, 31), D(2025, 9, 19))
    assert first.directive.code == "KL-100" and first.assigned_on == D(2025, 8, 1)


def test_a_two_row_header_and_the_optional_columns_are_read(government):
    data = workbook([
        ["STT", "Mã", "Nội dung nhiệm vụ", "Cơ quan thực hiện", None, "Thời hạn", "Sản phẩm", "Loại sản phẩm",
         "Cơ quan nghiệm thu", "Người chịu trách nhiệm", "Ghi chú"],
        [None, None, None, "Chủ trì", "Phối hợp", None, None, None, None, None, None],
        [1, "DA06-01", "Xây dựng nền tảng định danh", "Bộ Công an", "Văn phòng Chính phủ", "tháng 10/2025",
         "Nền tảng VNeID", "Nền tảng", "Chính phủ", "Bộ trưởng Bộ Công an", "Theo Đề án 06"],
    ], ["A1:A2", "B1:B2", "C1:C2", "D1:E1", "F1:F2", "G1:G2", "H1:H2", "I1:I2", "J1:J2", "K1:K2"])
    report = import_appendix(data, "da06.xlsx", directive=directive(), actor=government)
    assert report.errors == [] and report.codes == ["DA06-01"]
    task = Task.objects.get(code="DA06-01")
    assert task.lead_unit.code == "BCA"
    assert list(task.coordinating_units.values_list("code", flat=True)) == ["VPCP"]
    assert (task.product_kind, task.accepting_authority, task.accepting_unit.code) == (ProductKind.PLATFORM,
                                                                                       "Chính phủ", "CP")
    assert (task.responsible_position, task.notes) == ("Bộ trưởng Bộ Công an", "Theo Đề án 06")


def test_group_rows_long_texts_and_rows_without_a_task(government):
    long_text = "Nghiên cứu, xây dựng " + "và hoàn thiện cơ sở dữ liệu chuyên ngành " * 10
    data = simple([1, "Nhóm nhiệm vụ về thể chế", None, None, None, None],
                  ["1.1", "Sửa đổi nghị định về định danh", "Bộ Công an", "Bộ Tư pháp và Bộ Tài chính",
                   "tháng 10/2025", "Nghị định"],
                  ["1.2", long_text, "Bộ Nội vụ", None, "Quý IV/2025", "Cơ sở dữ liệu"],
                  [None, None, "Bộ Y tế", None, "tháng 11/2025", None])
    rows = read_appendix(data, "a.xlsx")
    assert [(r.stt, r.section) for r in rows] == [("1.1", "Nhóm nhiệm vụ về thể chế"),
                                                  ("1.2", "Nhóm nhiệm vụ về thể chế"), ("", "")]
    report = import_appendix(data, "a.xlsx", directive=directive(), actor=government, atomic=False)
    assert [(e.row, e.column, e.code) for e in report.errors] == [(6, "STT", "no_code"),
                                                                  (6, "Nhiệm vụ", "no_title")]
    assert report.codes == ["KL-100-PL1.1", "KL-100-PL1.2"]
    first, second = (Task.objects.get(code=c) for c in report.codes)
    assert set(first.coordinating_units.values_list("code", flat=True)) == {"BTP", "BTC"}
    assert len(second.title) <= 300 and second.title.endswith("…") and second.content == long_text.strip()
    assert [(n.row, n.code) for n in report.notices] == [(5, "title_shortened")]
    sheet = load_workbook(io.BytesIO(export_appendix([second]))).active
    assert sheet["C3"].value == long_text.strip()  # the export gives the whole text back


# --------------------------------------------------------------------------------------- unit names


def test_old_ministry_and_province_names_lead_to_their_successors_with_a_notice(government):
    data = simple([1, "Chuyển đổi số báo chí", "Bộ Thông tin và Truyền thông", "UBND tỉnh Lào Cai",
                   "tháng 9/2025"],
                  [2, "Sắp xếp đơn vị hành chính", "Tỉnh Hà Giang", None, "tháng 9/2025"])
    report = import_appendix(data, "a.xlsx", directive=directive(), actor=government)
    assert report.errors == []
    ministry, province = Task.objects.get(code="KL-100-PL1"), Task.objects.get(code="KL-100-PL2")
    # As of the directive's date (after 1/3/2025) the old ministry's name denotes its main successor.
    assert (ministry.assigned_unit.code, ministry.lead_unit.code) == ("BKHCN", "BKHCN")
    assert ministry.lead_text == "Bộ Thông tin và Truyền thông"
    coordinating = ministry.coordinating_units.get()
    assert coordinating.kind == "province" and "Lào Cai" in coordinating.name
    assert (province.lead_unit.code, province.lead_unit.name) == ("08", "Tỉnh Tuyên Quang")
    notices = {(n.row, n.column): n for n in report.notices}
    assert "Bộ Khoa học và Công nghệ" in notices[3, "Cơ quan chủ trì"].message_vi
    assert "successor" in notices[4, "Cơ quan chủ trì"].message_en


def test_a_2024_directive_names_the_ministry_of_its_day_and_the_successor_answers(government):
    data = simple([1, "Phát triển hạ tầng số", "Bộ Thông tin và Truyền thông", None, "trong tháng 7/2024"])
    report = import_appendix(data, "a.xlsx", directive=directive(issued_on=D(2024, 7, 10)), actor=government)
    task = Task.objects.get(code=report.codes[0])
    assert (task.assigned_unit.code, task.lead_unit.code, task.deadline) == ("BTTTT", "BKHCN", D(2024, 7, 31))
    assert report.notices == []


def test_an_unknown_unit_is_a_row_error_naming_row_and_column(government):
    data = simple([1, "Nhiệm vụ có tên đúng", "Bộ Công an", None, "tháng 9/2025"],
                  [2, "Nhiệm vụ có tên sai", "Bộ Không Có Thật", "Bộ Tư pháp, Cục Không Tồn Tại",
                   "tháng 9/2025"])
    report = import_appendix(data, "a.xlsx", directive=directive(), actor=government)
    assert [(e.row, e.column, e.code, e.cell) for e in report.errors] == [
        (4, "Cơ quan chủ trì", "unit_not_found", "C4"), (4, "Cơ quan phối hợp", "unit_not_found", "D4")]
    assert "Bộ Không Có Thật" in report.errors[0].message_vi and "No unit" in report.errors[0].message_en
    assert "Dòng 4, cột «Cơ quan chủ trì»" in str(report.errors[0]) and "Row 4" in str(report.errors[0])
    assert report.created == 0 and not Task.objects.exists()


def test_an_ambiguous_name_is_a_row_error_listing_the_candidates(government):
    data = simple([1, "Xây dựng xã điểm chuyển đổi số", "Bộ Công an", "Xã Tân Thành", "tháng 9/2025"])
    report = import_appendix(data, "a.xlsx", directive=directive(), actor=government)
    (error,) = report.errors
    assert (error.row, error.column, error.code) == (3, "Cơ quan phối hợp", "unit_ambiguous")
    assert "Tân Thành" in error.message_vi and "matches" in error.message_en
    assert not Task.objects.exists()


def test_one_lead_per_task(government):
    data = simple([1, "Hai cơ quan cùng chủ trì", "Bộ Công an; Bộ Tư pháp", None, "tháng 9/2025"])
    (error,) = import_appendix(data, "a.xlsx", directive=directive(), actor=government).errors
    assert (error.column, error.code) == ("Cơ quan chủ trì", "several_leads")
    assert "Bộ Tư pháp" in error.message_vi and "Cơ quan phối hợp" in error.message_en


# ---------------------------------------------------------------------------------- deadlines, codes


def test_an_unreadable_deadline_is_a_row_error(government):
    data = simple([1, "Nhiệm vụ cần làm ngay", "Bộ Công an", None, "tháng 9/2025"],
                  [2, "Nhiệm vụ không rõ hạn", "Bộ Công an", None, "sau khi có ý kiến"])
    report = import_appendix(data, "a.xlsx", directive=directive(), actor=government, atomic=False)
    (error,) = report.errors
    assert (error.row, error.column, error.code, error.cell) == (4, "Thời hạn", "deadline_unreadable", "E4")
    assert "sau khi có ý kiến" in error.message_vi and "Cannot read" in error.message_en
    assert report.codes == ["KL-100-PL1"] and not Task.objects.filter(title="Nhiệm vụ không rõ hạn").exists()


def test_missing_or_repeated_numbers_are_row_errors(government):
    data = simple([1, "Nhiệm vụ thứ nhất", "Bộ Công an", None, "tháng 9/2025"],
                  [1, "Nhiệm vụ trùng số", "Bộ Công an", None, "tháng 9/2025"],
                  [None, "Nhiệm vụ không số", "Bộ Công an", None, "tháng 9/2025"])
    report = import_appendix(data, "a.xlsx", directive=directive(), actor=government, atomic=False)
    assert [(e.row, e.column, e.code) for e in report.errors] == [(4, "STT", "duplicate_code"),
                                                                  (5, "STT", "no_code")]
    assert "dòng 3" in report.errors[0].message_vi and report.created == 1


def test_an_unknown_product_kind_is_a_row_error(government):
    data = workbook([HEADER + ["Loại sản phẩm"],
                     [1, "Nhiệm vụ có loại lạ", "Bộ Công an", None, "tháng 9/2025", "Thứ gì đó",
                      "Bánh chưng"],
                     [2, "Nhiệm vụ ban hành nghị định", "Bộ Công an", None, "tháng 9/2025", "Nghị định",
                      "Văn bản quy phạm pháp luật"]])
    report = import_appendix(data, "a.xlsx", directive=directive(), actor=government, atomic=False)
    assert [(e.row, e.column) for e in report.errors] == [(2, "Loại sản phẩm")]
    assert Task.objects.get(code="KL-100-PL2").product_kind == ProductKind.LEGAL_DOCUMENT


# ------------------------------------------------------------------------------ atomic, dry run, audit


GOOD_AND_BAD = [[1, "Nhiệm vụ tốt thứ nhất", "Bộ Công an", "Bộ Tư pháp", "tháng 9/2025", "Báo cáo"],
                [2, "Nhiệm vụ có lỗi thời hạn", "Bộ Công an", None, "khi nào xong thì thôi", "Báo cáo"],
                [3, "Nhiệm vụ tốt thứ hai", "Bộ Nội vụ", None, "Quý IV/2025", "Đề án"]]


def test_all_or_nothing_leaves_the_database_unchanged(government):
    before = counts()
    report = import_appendix(simple(*GOOD_AND_BAD), "a.xlsx", directive=directive(), actor=government)
    assert counts() == before
    assert (report.created, report.valid, report.written, report.error_rows) == (0, 2, False, 1)
    assert "Không tạo nhiệm vụ nào" in report.summary() and "No task created" in report.summary()


def test_without_all_or_nothing_the_good_rows_are_kept(government):
    tasks, events, audit, _changes = counts()
    report = import_appendix(simple(*GOOD_AND_BAD), "a.xlsx", directive=directive(), actor=government,
                             atomic=False)
    assert (report.created, report.written, [e.row for e in report.errors]) == (2, True, [4])
    assert sorted(Task.objects.values_list("code", flat=True)) == ["KL-100-PL1", "KL-100-PL3"]
    assert counts()[:3] == (tasks + 2, events + 2, audit + 3)  # two task.create rows and the import's own
    entry = AuditEntry.objects.get(action="task.appendix_import")
    assert (entry.object_key, entry.actor, entry.after["created"], entry.after["error_rows"]) == (
        "KL-100", government.username, 2, 1)
    assert report.summary().startswith("Đã tạo 2 nhiệm vụ")
    assert "1 rows with errors skipped" in report.summary()


def test_a_dry_run_checks_everything_and_writes_nothing(government):
    source = directive()
    give("KL-100-PL3", source, deadline_text="tháng 9/2025")  # the third row's code is taken
    before = counts()
    report = import_appendix(simple(*GOOD_AND_BAD), "a.xlsx", directive=source, actor=government,
                             atomic=False, dry_run=True)
    assert counts() == before
    assert [(e.row, e.code) for e in report.errors] == [(4, "deadline_unreadable"), (5, "task_exists")]
    assert (report.created, report.valid, report.written) == (0, 1, False)
    assert "Chưa ghi gì" in report.summary() and "would create 1 tasks" in report.summary()


def test_a_clean_dry_run_then_the_real_import_create_the_same_tasks(government):
    data = simple(GOOD_AND_BAD[0], GOOD_AND_BAD[2])
    dry = import_appendix(data, "a.xlsx", directive=directive(), actor=government, dry_run=True)
    assert dry.ok and dry.codes == ["KL-100-PL1", "KL-100-PL3"] and not Task.objects.exists()
    real = import_appendix(io.BytesIO(data), "a.xlsx", directive=Directive.objects.get(), actor=government)
    assert real.codes == dry.codes and Task.objects.count() == 2


# ---------------------------------------------------------------------------------------- fan-out


def test_a_task_for_all_ministries_and_localities_fans_out(government):
    data = simple([1, "Rà soát thủ tục hành chính nội bộ", "Các bộ, ngành, địa phương", None, "Quý IV/2025",
                   "Báo cáo rà soát"],
                  [2, "Phối hợp cung cấp dữ liệu", "Bộ Công an", "Các bộ, ngành liên quan", "tháng 12/2025"])
    report = import_appendix(data, "a.xlsx", directive=directive(), actor=government)
    assert report.errors == [] and report.created == 2 and report.sub_tasks == 17 + 34
    parent = Task.objects.get(code="KL-100-PL1")
    assert (parent.assignees, parent.assignees_text, parent.lead_unit) == (
        Assignees.ALL_MINISTRIES_AND_PROVINCES, "Các bộ, ngành, địa phương", None)
    assert parent.children.count() == 51 and parent.children.filter(lead_unit__code="79").exists()
    second = Task.objects.get(code="KL-100-PL2")  # group words among coordinating units name nobody
    assert not second.coordinating_units.exists() and second.coordinating_text == "Các bộ, ngành liên quan"

    sheet = load_workbook(io.BytesIO(export_appendix(Task.objects.order_by("code")))).active
    assert sheet.max_row == 4 and sheet["D3"].value == "Các bộ, ngành, địa phương"
    assert sheet["E4"].value == "Các bộ, ngành liên quan"


@pytest.mark.parametrize(("written", "expected"), [
    ("Các bộ, ngành, địa phương", Assignees.ALL_MINISTRIES_AND_PROVINCES),
    ("Bộ, ngành, địa phương", Assignees.ALL_MINISTRIES_AND_PROVINCES),
    ("Các Bộ, ngành, Ủy ban nhân dân các tỉnh, thành phố", Assignees.ALL_MINISTRIES_AND_PROVINCES),
    ("Các bộ, cơ quan ngang bộ", Assignees.ALL_MINISTRIES),
    ("UBND các tỉnh, thành phố trực thuộc Trung ương", Assignees.ALL_PROVINCES),
    ("UBND các xã, phường, đặc khu", Assignees.ALL_COMMUNES),
    ("Các bộ, ngành, địa phương liên quan", Assignees.SOME),  # "concerned" names nobody in particular
    ("Bộ Công an", None), ("Bộ trưởng Bộ Công an", None), ("Bộ Văn hóa, Thể thao và Du lịch", None),
])
def test_group_words_are_told_from_unit_names(written, expected):
    assert collective_assignees(written) == expected


# ------------------------------------------------------------------------------------ export safety


def test_formula_like_text_is_neutralised_in_the_export_and_restored_on_import(government):
    source = directive()
    give("F1", source, deadline_text="tháng 9/2025", product="+cmd|' /C calc'!A0", notes="@SUM(1+1)",
         responsible_position="-2+3")
    Task.objects.filter(code="F1").update(title='=HYPERLINK("http://example.invalid","Bấm vào")')
    sheet = load_workbook(io.BytesIO(export_appendix(Task.objects.all()))).active
    cells = {sheet.cell(2, c).value: sheet.cell(3, c) for c in range(1, sheet.max_column + 1)}
    for header, text in [("Nhiệm vụ", '=HYPERLINK("http://example.invalid","Bấm vào")'),
                         ("Sản phẩm", "+cmd|' /C calc'!A0"), ("Ghi chú", "@SUM(1+1)"),
                         ("Người chịu trách nhiệm", "-2+3")]:
        assert cells[header].value == "'" + text and cells[header].data_type == "s", header
    assert cells["Thời hạn"].value == "tháng 9/2025"  # ordinary text is left alone

    sheet.cell(3, 2).value = None
    again = io.BytesIO()
    sheet.parent.save(again)
    report = import_appendix(again.getvalue(), "a.xlsx", directive=directive("KL-200"), actor=government)
    task = Task.objects.get(code=report.codes[0])
    assert task.title.startswith("=HYPERLINK") and task.product.startswith("+cmd")
    assert task.notes == "@SUM(1+1)"


def test_the_export_writes_current_unit_names_and_the_6_clear_status():
    source = directive(issued_on=D(2024, 7, 10))
    give("OLD", source, lead="BTTTT", coordinating=[unit("BKHDT")], deadline_text="trong tháng 7/2024")
    sheet = load_workbook(io.BytesIO(export_appendix(Task.objects.all()))).active
    row = {sheet.cell(2, c).value: sheet.cell(3, c).value for c in range(1, sheet.max_column + 1)}
    assert (row["Cơ quan chủ trì"], row["Cơ quan phối hợp"]) == ("Bộ Khoa học và Công nghệ", "Bộ Tài chính")
    assert row["Tình trạng 6 rõ"] == "Thiếu: rõ người; rõ sản phẩm; rõ thẩm quyền"
    assert row["Thời hạn"] == "trong tháng 7/2024" and row["STT"] == 1 and row["Mã"] == "OLD"


# ------------------------------------------------------------------------------ permission, formats


def test_a_user_who_may_not_manage_the_issuers_tasks_is_refused(make_user):
    users = (make_user(Role.TASK_MANAGER, "BCA"), make_user(Role.VIEWER, "CP"))
    before = counts()
    for user in users:
        with pytest.raises(PermissionDenied):
            import_appendix(simple(GOOD_AND_BAD[0]), "a.xlsx", directive=directive(), actor=user)
        Directive.objects.all().delete()
    assert counts() == before


def test_other_formats_and_files_without_a_header_are_refused_in_two_languages():
    with pytest.raises(AppendixError) as caught:
        read_appendix(b"\xd0\xcf\x11\xe0 old excel", "phu-luc.xls")
    assert caught.value.code == "unsupported_format" and ".xlsx" in caught.value.message_vi
    assert "save it as .xlsx" in caught.value.message_en
    with pytest.raises(AppendixError) as caught:
        read_appendix(b"STT,Nhiem vu\n1,x\n", "phu-luc.xlsx")
    assert caught.value.code == "unsupported_format" and "not an Excel" in caught.value.message_en
    with pytest.raises(AppendixError) as caught:
        read_appendix(workbook([["Danh sách"], ["a", "b"], [1, 2]]), "khac.xlsx")
    assert caught.value.code == "no_header" and "Nhiệm vụ" in caught.value.message_vi
    assert "No header row" in str(caught.value)


def test_the_command_line_exports_and_imports_a_directive_appendix(tmp_path, capsys, unit):
    from govkpi.cli import main
    source = Directive.objects.create(code="CLI-A", kind=DirectiveKind.MEETING_CONCLUSION, number="1/TB-VPCP",
                                      issued_on=datetime.date(2025, 2, 6), issuing_body=unit("CP"), title="Nguồn")
    target = Directive.objects.create(code="CLI-B", kind=DirectiveKind.MEETING_CONCLUSION, number="2/TB-VPCP",
                                      issued_on=datetime.date(2025, 2, 6), issuing_body=unit("CP"), title="Đích")
    actions.create_task(code="CLI-A-1", title="Xây dựng từ điển dữ liệu", directive=source,
                        assigned_on=datetime.date(2025, 2, 6), lead=unit("BCA"), deadline_text="tháng 8/2025",
                        product="Từ điển dữ liệu quốc gia")
    out = tmp_path / "phu-luc.xlsx"
    assert main(["tasks", "export-appendix", str(out), "--directive", "CLI-A"]) == 0
    workbook = load_workbook(out)
    sheet = workbook.active
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == "CLI-A-1":
                cell.value = None  # a new code will be given under the target directive
    workbook.save(out)
    assert main(["tasks", "import-appendix", str(out), "--directive", "CLI-B", "--dry-run"]) == 0
    assert not Task.objects.filter(directive=target).exists()
    assert main(["tasks", "import-appendix", str(out), "--directive", "CLI-B"]) == 0
    created = Task.objects.get(directive=target)
    assert (created.title, created.lead_unit.code, created.deadline) == (
        "Xây dựng từ điển dữ liệu", "BCA", datetime.date(2025, 8, 31))
    assert main(["tasks", "import-appendix", str(out), "--directive", "NOPE"]) == 2


def test_a_zip_bomb_appendix_is_refused_quickly_and_nothing_is_written(government):
    import time

    from tests.core.workbook_bombs import cell_bomb, sparse_sheet

    source = directive()
    before = counts()
    for bomb, code, words in [(cell_bomb(HEADER), "compression_ratio", "tỷ lệ nén"),
                              (sparse_sheet(HEADER), "too_many_cells", "quá nhiều ô")]:
        started = time.monotonic()
        with pytest.raises(AppendixError) as caught:
            import_appendix(bomb, "phu-luc.xlsx", directive=source, actor=government)
        assert time.monotonic() - started < 5
        assert caught.value.code == code and words in caught.value.message_vi and caught.value.message_en
    assert counts() == before


def test_the_appendix_size_limit_is_the_data_file_setting(government, settings):
    blob = simple(["1", "Nhiệm vụ", "Bộ Công an", "", "tháng 9/2025", "Báo cáo"])
    settings.DATA_FILE_MAX_BYTES = len(blob) - 1
    with pytest.raises(AppendixError) as caught:
        import_appendix(blob, "a.xlsx", directive=directive(), actor=government)
    assert caught.value.code == "too_large"
