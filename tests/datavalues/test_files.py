"""Data files end to end: the Excel template, uploads by the command line and the web page, every bad input."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from govkpi.audit.models import AuditEntry
from govkpi.cli import main
from govkpi.datavalues.files import period_id, template_xlsx
from govkpi.datavalues.models import DataValue
from govkpi.datavalues.writer import Item, write_values
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db
HEADER = ["Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Mã đơn vị", "Tên đơn vị", "Kỳ báo cáo", "Giá trị", "Ghi chú"]


def xlsx(rows, header=HEADER, before=(), extra_sheets=(), merge=None, hidden=(), formulas=()):
    workbook = Workbook()
    for title in extra_sheets:
        workbook.create_sheet(title, 0).append(["Hướng dẫn nhập số liệu"])
    sheet = workbook["Sheet"]
    for line in before:
        sheet.append(line)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    for number in hidden:
        sheet.row_dimensions[number].hidden = True
    for cell, formula in formulas:
        sheet[cell] = formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run_import(tmp_path, name, content, *args):
    path = tmp_path / name
    path.write_bytes(content)
    return main(["import", str(path), *args])


def test_the_template_lists_expected_values_prefilled_with_cell_checks(elements, month, unit):
    write_values([Item(0, "DVC_TONG", month, "01", 400)], actor=None, channel="api")
    sheet = load_workbook(io.BytesIO(template_xlsx(unit("01"), month)))["Số liệu"]
    assert "Hà Nội" in sheet["A1"].value
    rows = {row[0]: row for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert set(rows) == {"DVC_TONG", "DVC_TOANTRINH", "NGAY_KET_NOI"}  # not the communes' element
    assert rows["DVC_TONG"][6] == 400 and rows["DVC_TOANTRINH"][6] is None
    assert [r.type for r in sheet.data_validations.dataValidation][:1] == ["whole"]


def test_the_filled_template_imports_from_the_command_line(elements, month, unit, tmp_path, capsys):
    workbook = load_workbook(io.BytesIO(template_xlsx(unit("01"), month)))
    sheet = workbook["Số liệu"]
    for row in sheet.iter_rows(min_row=5):
        if row[0].value == "DVC_TONG":
            row[6].value = 420
        if row[0].value == "DVC_TOANTRINH":
            row[6].value, row[7].value = "1.084", "=SUM(A1)"  # thousands, and text that looks like a formula
            row[7].data_type = "s"  # typed as text (Excel stores it so, with a quote prefix)
    buffer = io.BytesIO()
    workbook.save(buffer)
    # DVC_TOANTRINH 1084 > DVC_TONG 420 breaks the rule: all or nothing refuses the file.
    assert run_import(tmp_path, "bieu.xlsx", buffer.getvalue()) == 1
    assert not DataValue.objects.exists()
    assert "không được lớn hơn tổng số TTHC" in capsys.readouterr().err  # the rule's own message, per row
    sheet_rows = list(sheet.iter_rows(min_row=5))
    for row in sheet_rows:
        if row[0].value == "DVC_TONG":
            row[6].value = 2000
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert run_import(tmp_path, "bieu.xlsx", buffer.getvalue()) == 0
    value = DataValue.objects.get(data_element__code="DVC_TOANTRINH")
    assert (value.value, value.comment, value.channel) == ("1084", "=SUM(A1)", "excel")  # stored as given


def test_row_errors_name_row_field_and_reason_in_both_languages(elements, month, tmp_path, capsys):
    content = xlsx([["DVC_TONG", "", "", "01", "", month, "400", ""],
                    ["DVC_TONG", "", "", "77", "", month, "5", ""],
                    ["DVC_TONG", "", "", "79", "", month, "nhiều", ""]])
    assert run_import(tmp_path, "loi.xlsx", content) == 1
    err = capsys.readouterr().err
    assert "dòng/row 3 [orgUnit]" in err and "dòng/row 4 [value]" in err and "is not a number" in err
    assert not DataValue.objects.exists()
    assert run_import(tmp_path, "loi.xlsx", content, "--per-value") == 0
    assert list(DataValue.objects.values_list("unit__code", flat=True)) == ["01"]


def test_dry_run_writes_nothing(elements, month, tmp_path, capsys):
    content = xlsx([["DVC_TONG", "", "", "01", "", month, "400", ""]])
    audits = AuditEntry.objects.count()
    assert run_import(tmp_path, "thu.xlsx", content, "--dry-run") == 0
    assert "dry run: 1" in capsys.readouterr().out
    assert not DataValue.objects.exists() and AuditEntry.objects.count() == audits


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1258"])
def test_csv_in_any_vietnamese_encoding_with_names_and_decimal_commas(elements, month, tmp_path, encoding):
    import unicodedata

    text = f"Mã chỉ tiêu;Đơn vị;Kỳ;Giá trị;Ghi chú\nTYLE_XA;00004;{month};39,51;Phường Ba Đình báo cáo\n"
    if encoding == "cp1258":
        from tests.core.test_tabular import cp1258

        data = cp1258(text)
    else:
        data = text.encode(encoding)
    assert run_import(tmp_path, "xa.csv", data) == 0
    value = DataValue.objects.get()
    assert (value.value, value.comment) == ("39.51", "Phường Ba Đình báo cáo")
    assert unicodedata.is_normalized("NFC", value.comment)


def test_nfd_text_and_old_province_names_resolve(elements, month, tmp_path):
    import unicodedata

    text = unicodedata.normalize("NFD", f"Mã chỉ tiêu,Đơn vị,Kỳ,Giá trị\nDVC_TONG,Tỉnh Hà Giang,{month},12\n")
    assert run_import(tmp_path, "cu.csv", text.encode()) == 0
    assert DataValue.objects.get().unit.name.endswith("Tuyên Quang")


def test_excel_quirks_title_rows_merged_cells_hidden_rows_extra_sheets(elements, month, tmp_path):
    content = xlsx([["DVC_TONG", "", "", "01", "", month, 400, ""],
                    ["DVC_TOANTRINH", "", "", None, "", month, 120, ""]],
                   before=[["BIỂU SỐ LIỆU THÁNG"], []], extra_sheets=["Hướng dẫn"], merge="D4:D5", hidden=[5])
    assert run_import(tmp_path, "merge.xlsx", content) == 0
    assert sorted(DataValue.objects.values_list("data_element__code", "unit__code")) == [
        ("DVC_TOANTRINH", "01"), ("DVC_TONG", "01")]


def test_a_formula_never_calculated_is_refused_with_its_row(elements, month, tmp_path, capsys):
    content = xlsx([["DVC_TONG", "", "", "01", "", month, None, ""]], formulas=[("G2", "=1+1")])
    assert run_import(tmp_path, "f.xlsx", content) == 1
    assert "dòng/row 2 [value]" in capsys.readouterr().err
    assert not DataValue.objects.exists()


def test_duplicate_rows_in_one_file_name_both_rows(elements, month, tmp_path, capsys):
    content = xlsx([["DVC_TONG", "", "", "01", "", month, 1, ""], ["DVC_TONG", "", "", "01", "", month, 2, ""]])
    assert run_import(tmp_path, "dup.xlsx", content) == 1
    assert "2, 3" in capsys.readouterr().err


def test_unreadable_files_are_refused_whole(elements, tmp_path, capsys):
    assert run_import(tmp_path, "cu.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100) == 1
    assert ".xlsx" in capsys.readouterr().err
    assert run_import(tmp_path, "thieu.csv", "Mã chỉ tiêu,Giá trị\nX,1\n".encode()) == 1
    assert "missing" in capsys.readouterr().err.lower()


@pytest.mark.parametrize(("typed", "expected"), [
    ("9/2025", "202509"), ("tháng 09/2025", "202509"), ("Quý III/2025", "2025Q3"), ("quý 4/2025", "2025Q4"),
    ("năm 2025", "2025"), ("2025-09-01", "202509"), ("202509", "202509"), ("2025-09-15", "2025-09-15")])
def test_periods_as_people_type_them(typed, expected):
    assert period_id(typed) == expected


def test_upload_page_shows_row_errors_and_offers_them_as_a_file(client, elements, month, make_user):
    client.force_login(make_user("data_entry", "01"))
    content = xlsx([["DVC_TONG", "", "", "01", "", month, 400, ""], ["DVC_TONG", "", "", "79", "", month, 5, ""]])
    page = client.post("/data/upload/", {"file": SimpleUploadedFile("bieu.xlsx", content), "mode": "all"})
    html = page.content.decode()
    assert page.status_code == 200 and "Không có quyền nhập" in html and "Not allowed to enter" in html
    assert not DataValue.objects.exists()
    link = html.split('href="/data/upload/errors/')[1].split('"')[0]
    report = client.get(f"/data/upload/errors/{link}")
    sheet = load_workbook(io.BytesIO(report.content)).active
    assert [c.value for c in sheet[2]][:3] == [3, "orgUnit", "forbidden"]
    kept = client.post("/data/upload/", {"file": SimpleUploadedFile("bieu.xlsx", content), "mode": "per_row"})
    assert kept.status_code == 200 and DataValue.objects.count() == 1


def test_upload_refuses_other_file_types(client, make_user):
    client.force_login(make_user("data_entry", "01"))
    page = client.post("/data/upload/", {"file": SimpleUploadedFile("x.exe", b"MZ"), "mode": "all"})
    assert "Chỉ nhận tệp" in page.content.decode()


# ------------------------------------------------------------------------------- hostile uploads, formula names


def test_a_zip_bomb_data_file_is_refused_quickly_and_nothing_is_written(elements, tmp_path, capsys):
    import time

    from tests.core.workbook_bombs import cell_bomb

    before = (DataValue.objects.count(), AuditEntry.objects.count())
    started = time.monotonic()
    assert run_import(tmp_path, "bieu.xlsx", cell_bomb(HEADER)) == 1
    assert time.monotonic() - started < 5
    err = capsys.readouterr().err
    assert "tỷ lệ nén" in err and "zip bomb" in err
    assert (DataValue.objects.count(), AuditEntry.objects.count()) == before


def test_formula_like_names_reach_the_template_as_text(elements, month, unit):
    hyperlink = '=HYPERLINK("http://x","y")'
    DataElement.objects.filter(code="DVC_TONG").update(name_vi=hyperlink, unit_of_measure="@" + hyperlink)
    OrgUnit.objects.filter(code="01").update(name=hyperlink)
    sheet = load_workbook(io.BytesIO(template_xlsx(unit("01"), month)))["Số liệu"]
    row = next(r for r in sheet.iter_rows(min_row=5) if r[0].value == "DVC_TONG")
    for cell in (row[1], row[2], row[4]):  # name, unit of measure, unit name
        assert cell.data_type == "s" and cell.value.startswith("'"), cell.coordinate
    assert row[1].value == "'" + hyperlink and row[4].value == "'" + hyperlink
