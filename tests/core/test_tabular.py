"""Reading uploaded CSV and XLSX files as offices really produce them, and reading typed values.

Every file here is built for real: CSV bytes in the encodings Windows, Excel and macOS write, and XLSX
workbooks written by openpyxl (patched at the XML level where openpyxl cannot write what Excel writes).
"""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
import zipfile

import openpyxl
import pytest

from govkpi.core.tabular import (
    FORMULA_WITHOUT_VALUE,
    Row,
    TabularError,
    neutralise,
    parse_bool,
    parse_date,
    parse_number,
    read_table,
)
from tests.core.workbook_bombs import sheets_moved

COLUMNS = {
    "dataelement": ["data element", "mã chỉ tiêu"],
    "orgunit": ["org unit", "đơn vị"],
    "period": ["period", "kỳ báo cáo"],
    "value": ["giá trị"],
}
REQUIRED = {"dataelement", "value"}


def read(data: bytes | io.BytesIO, filename: str = "data.csv", **kwargs) -> object:
    return read_table(data, filename, COLUMNS, REQUIRED, **kwargs)


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def cp1258(text: str) -> bytes:
    """Encode as Vietnamese Windows does: precomposed letters where the code page has them, tones apart.

    Python's cp1258 codec maps characters one to one, so "ộ" (no single byte) must first be split into
    "ô" (a byte) and the combining dot below (another byte).
    """
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", char)
            tones = [m for m in marks if m in "\u0300\u0301\u0303\u0309\u0323"]
            shape = unicodedata.normalize("NFC", base + "".join(m for m in marks if m not in tones))
            out += (shape + "".join(tones)).encode("cp1258")
    return bytes(out)


def workbook_bytes(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def simple_workbook(rows: list[list[object]], title: str = "Dữ liệu") -> openpyxl.Workbook:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    return workbook


def with_cached_values(blob: bytes, cached: dict[str, str]) -> bytes:
    """Give formula cells the stored result Excel writes on saving (openpyxl writes only the formula).

    openpyxl writes <c r="C2"><f>A1*2</f><v /></c> (<v></v> when lxml is installed, as python-docx brings it);
    Excel writes <v>84</v> in place of the empty <v />,
    and t="str" on the cell when the result is text.
    """
    source = zipfile.ZipFile(io.BytesIO(blob))
    target_buffer = io.BytesIO()
    with zipfile.ZipFile(target_buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                for ref, value in cached.items():
                    kind = "" if re.fullmatch(r"-?[0-9.]+", value) else ' t="str"'  # Excel marks text results
                    text, count = re.subn(rf'<c r="{ref}"([^>]*)>(<f>[^<]*</f>)(?:<v\s*/>|<v></v>)',
                                          rf'<c r="{ref}"\g<1>{kind}>\g<2><v>{value}</v>', text)
                    assert count == 1, ref
                content = text.encode()
            target.writestr(info, content)
    return target_buffer.getvalue()


def error_of(call, *args, **kwargs) -> TabularError:
    with pytest.raises(TabularError) as caught:
        call(*args, **kwargs)
    return caught.value


# --------------------------------------------------------------------------- CSV: encodings


def test_plain_utf8_csv():
    table = read(csv_bytes("dataelement,orgunit,value\nKPI01,Hà Nội,39.51\nKPI02,Huế,1084\n"))
    assert table.columns == ["dataelement", "orgunit", "value"]
    assert table.rows == [
        Row(2, {"dataelement": "KPI01", "orgunit": "Hà Nội", "value": "39.51"}),
        Row(3, {"dataelement": "KPI02", "orgunit": "Huế", "value": "1084"}),
    ]
    assert table.notes == []


def test_utf8_bom_is_removed_and_noted():
    table = read(csv_bytes("\ufeffMã chỉ tiêu,Giá trị\nKPI01,5\n"))
    assert table.columns == ["dataelement", "value"]  # the BOM did not spoil the first header
    assert table.rows[0].values == {"dataelement": "KPI01", "value": "5"}
    assert ("Đã bỏ dấu BOM ở đầu tệp.", "Byte order mark (BOM) removed.") in table.notes


def test_utf16_with_bom_tab_separated_as_excel_unicode_text():
    table = read(csv_bytes("Mã chỉ tiêu\tĐơn vị\tGiá trị\r\nKPI01\tĐắk Lắk\t7\r\n", "utf-16"), "data.txt")
    assert table.rows[0].values == {"dataelement": "KPI01", "orgunit": "Đắk Lắk", "value": "7"}
    assert ("Đã đọc theo bảng mã UTF-16.", "Decoded as UTF-16.") in table.notes
    assert any("tab" in en for _vi, en in table.notes)


def test_windows_1258_is_decoded_to_nfc():
    blob = cp1258("Mã chỉ tiêu;Đơn vị;Giá trị\r\nKPI01;Hà Nội;39,51\r\nKPI02;Thành phố Hồ Chí Minh;2\r\n")
    with pytest.raises(UnicodeDecodeError):
        blob.decode("utf-8")  # really a Windows file, not UTF-8
    assert b"\xf4\xf2" in blob  # "ộ" written as "ô" + combining dot below, as cp1258 does
    table = read(blob)
    assert [row.values["orgunit"] for row in table.rows] == ["Hà Nội", "Thành phố Hồ Chí Minh"]
    assert all(unicodedata.is_normalized("NFC", row.values["orgunit"]) for row in table.rows)
    assert table.rows[0].values["value"] == "39,51"
    assert ("Đã đọc theo bảng mã Windows-1258.", "Decoded as Windows-1258.") in table.notes


def test_nfd_text_from_macos_becomes_nfc_in_headers_and_values():
    text = unicodedata.normalize("NFD", "Mã chỉ tiêu,Đơn vị,Giá trị\nKPI01,Hà Nội,1\n")
    assert not unicodedata.is_normalized("NFC", text)
    table = read(csv_bytes(text))
    assert table.columns == ["dataelement", "orgunit", "value"]
    assert table.rows[0].values["orgunit"] == "Hà Nội"  # the NFC literal


@pytest.mark.parametrize("blob", [b"a,b\n\x81\x8d\x8e\n", b"\xef\xbb\xbfvalue\n\xff\xfe\n"])
def test_undecodable_bytes_are_a_bad_encoding(blob):
    assert error_of(read, blob).code == "bad_encoding"


def test_nul_bytes_mean_not_a_text_table():
    # UTF-16 without a BOM: valid UTF-8 full of NULs.
    blob = "dataelement,value\nKPI01,1\n".encode("utf-16-le")
    assert error_of(read, blob).code == "not_a_table"


# --------------------------------------------------------------------------- CSV: shape


def test_semicolon_delimiter_from_vietnamese_excel():
    table = read(csv_bytes("dataelement;value;period\nKPI01;39,51;2025\nKPI02;1.084,5;2025\n"))
    assert [row.values["value"] for row in table.rows] == ["39,51", "1.084,5"]
    assert table.columns == ["dataelement", "value", "period"]
    assert ("Các cột phân cách bằng «;».", "Cells are separated by «;».") in table.notes


def test_comma_delimiter_with_quoted_decimal_commas():
    table = read(csv_bytes('dataelement,value\nKPI01,"39,51"\n'))
    assert table.rows[0].values == {"dataelement": "KPI01", "value": "39,51"}
    assert not any("separated" in en for _vi, en in table.notes)


@pytest.mark.parametrize("header", [
    "DataElement,VALUE",
    "  data   element ,  Value ",
    "Mã chỉ tiêu *,Giá trị*",
    "MÃ CHỈ TIÊU (bắt buộc),Giá trị (số) *",
    '"Mã chỉ\ntiêu","Giá trị\n(bắt buộc)"',
    "\u00a0Mã\u00a0chỉ tiêu,giá trị",
])
def test_header_spellings(header):
    table = read(csv_bytes(f"{header}\nKPI01,5\n"))
    assert table.columns == ["dataelement", "value"]
    assert table.rows[0].values == {"dataelement": "KPI01", "value": "5"}


def test_header_under_a_title_and_row_numbers_are_file_lines():
    text = ("BÁO CÁO CHỈ TIÊU NĂM 2025,,\nĐơn vị báo cáo: Sở Y tế,,\n"
            "Mã chỉ tiêu,Đơn vị,Giá trị\nKPI01,Huế,1\n\nKPI02,Huế,2\n")
    table = read(csv_bytes(text))
    assert [row.number for row in table.rows] == [4, 6]
    assert ("Dòng tiêu đề là dòng 3.", "The header is on row 3.") in table.notes


def test_header_beyond_the_first_twenty_rows_is_not_found():
    text = "".join(f"Ghi chú {n}\n" for n in range(20)) + "dataelement,value\nKPI01,1\n"
    assert error_of(read, csv_bytes(text)).code == "no_header"
    shorter = "".join(f"Ghi chú {n}\n" for n in range(19)) + "dataelement,value\nKPI01,1\n"
    assert read(csv_bytes(shorter)).rows[0].number == 21


def test_blank_and_empty_rows_are_skipped_and_crlf_is_handled():
    table = read(csv_bytes("dataelement;value\r\n\r\nKPI01;1\r\n;\r\n  ;  \r\nKPI02;2\r\n\r\n"))
    assert [(row.number, row.values["dataelement"]) for row in table.rows] == [(3, "KPI01"), (6, "KPI02")]


def test_header_only_gives_no_rows():
    table = read(csv_bytes("dataelement,value\n\n"))
    assert table.columns == ["dataelement", "value"] and table.rows == []


def test_old_mac_line_endings():
    table = read(csv_bytes("dataelement,value\rKPI01,1\rKPI02,2\r"))
    assert [(row.number, row.values["value"]) for row in table.rows] == [(2, "1"), (3, "2")]


def test_semicolon_file_with_commas_inside_cells():
    table = read(csv_bytes("Mã chỉ tiêu;Giá trị (số, %);Đơn vị\nKPI01;1,5;Sở Y tế, tỉnh Huế\n"))
    assert table.rows[0].values == {"dataelement": "KPI01", "value": "1,5", "orgunit": "Sở Y tế, tỉnh Huế"}


def test_long_rows_are_read_and_a_short_row_is_refused_naming_it():
    table = read(csv_bytes("dataelement,orgunit,value\nKPI02,Huế,3,extra,cells\n"))
    assert table.rows[0].values == {"dataelement": "KPI02", "orgunit": "Huế", "value": "3"}
    with pytest.raises(TabularError) as refused:  # a file cut mid-row: "15" of "1566" must not be stored
        read(csv_bytes("dataelement,orgunit,value\nKPI01,Huế,1566\nKPI02,Huế"))
    assert refused.value.code == "short_row"
    assert refused.value.message_vi.startswith("Dòng 3 có 2 ô") and "«value»" in refused.value.message_en


def test_rows_may_leave_optional_trailing_cells_out_but_a_file_cut_mid_row_is_refused():
    """A hand-made file leaves the optional comment out of some rows, and may name a column nobody reads: whole
    rows all the same. The last row of a text that stops without a line break, shorter than its header, was cut."""
    complete = read(csv_bytes("dataelement,value,orgunit,period,Người nhập\nKPI01,1566,Huế,202511,An\nKPI02,3\n"
                              "KPI03,4,,,\nKPI04,5,Huế"+"\n"))
    assert [(r.values["dataelement"], r.values["value"], r.values["orgunit"]) for r in complete.rows] == [
        ("KPI01", "1566", "Huế"), ("KPI02", "3", ""), ("KPI03", "4", ""), ("KPI04", "5", "Huế")]
    with pytest.raises(TabularError) as cut:  # "…,15" of "…,1566,Huế,202511,An": the text stops mid-row
        read(csv_bytes("dataelement,value,orgunit,period,Người nhập\nKPI01,1566,Huế,202511,An\nKPI02,15"))
    assert cut.value.code == "short_row" and cut.value.message_en.startswith("Row 3 has 2 cells")
    with pytest.raises(TabularError) as no_value:  # a required cell missing is refused wherever it is
        read(csv_bytes("dataelement,orgunit,value\nKPI01,Huế\nKPI02,Huế,3\n"))
    assert no_value.value.code == "short_row" and no_value.value.message_en.startswith("Row 2")


def test_a_last_line_without_a_newline_is_read():
    table = read(csv_bytes("dataelement,orgunit,value\nKPI01,Huế,1566"))
    assert table.rows[0].values["value"] == "1566"


def test_a_quoted_cell_over_two_lines_numbers_the_row_by_its_first_line():
    table = read(csv_bytes('dataelement,value,orgunit\nKPI01,1,"Sở Y tế\ntỉnh Huế"\nKPI02,2,Huế\n'))
    assert [row.number for row in table.rows] == [2, 4]
    assert table.rows[0].values["orgunit"] == "Sở Y tế\ntỉnh Huế"


def test_cells_are_trimmed():
    table = read(csv_bytes("dataelement,value\n  KPI01 \u00a0, 5\u200b\n"))
    assert table.rows[0].values == {"dataelement": "KPI01", "value": "5"}


def test_unknown_columns_are_ignored_and_noted():
    table = read(csv_bytes("STT,Giá trị,Ghi chú,Mã chỉ tiêu\n1,5,xem lại,KPI01\n"))
    assert table.columns == ["value", "dataelement"]  # file order
    assert table.rows[0].values == {"value": "5", "dataelement": "KPI01"}
    assert ("Bỏ qua các cột không dùng: «STT», «Ghi chú».",
            "Unused columns ignored: «STT», «Ghi chú».") in table.notes


def test_missing_required_columns_are_named():
    error = error_of(read, csv_bytes("Mã chỉ tiêu,Đơn vị\nKPI01,Huế\n"))
    assert error.code == "missing_columns"
    assert "value (giá trị)" in error.message_vi and "value (giá trị)" in error.message_en
    assert "dataelement" not in error.message_en
    assert error.message_vi.startswith("Thiếu cột bắt buộc")
    assert str(error) == f"{error.message_vi} / {error.message_en}"


def test_a_file_without_any_known_header():
    error = error_of(read, csv_bytes("a,b,c\n1,2,3\n"))
    assert error.code == "no_header"
    assert "dataelement" in error.message_en and "value" in error.message_vi


def test_two_columns_meaning_the_same_key_are_refused():
    error = error_of(read, csv_bytes("dataelement,value,Giá trị\nKPI01,1,2\n"))
    assert error.code == "duplicate_columns"
    assert "Giá trị" in error.message_vi


@pytest.mark.parametrize("cell", ["=1+1", "+84 912 345 678", "-5", "@SUM(A1)", "=HYPERLINK(\"http://x\")"])
def test_formula_looking_text_in_csv_is_data(cell):
    table = read(csv_bytes(f'dataelement,value\n"{cell.replace(chr(34), chr(34) * 2)}",1\n'))
    assert table.rows[0].values["dataelement"] == cell


def test_optional_required_set_and_columns_named_by_their_key():
    table = read_table(b"period\n2025\n", "p.csv", {"period": []}, set())
    assert table.rows == [Row(2, {"period": "2025"})]


def test_a_required_key_missing_from_the_column_spec_is_a_programming_error():
    with pytest.raises(ValueError, match="required"):
        read_table(b"a\n1\n", "a.csv", {"a": []}, {"b"})


# --------------------------------------------------------------------------- size and format


def test_too_large_bytes():
    blob = csv_bytes("dataelement,value\n" + "KPI01,1\n" * 100)
    error = error_of(read, blob, max_bytes=len(blob) - 1)
    assert error.code == "too_large"
    assert "MB" in error.message_vi and "MB" in error.message_en
    assert read(blob, max_bytes=len(blob)).rows[-1].number == 101


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.served = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.served += len(chunk)
        return chunk


def test_too_large_stream_is_not_read_to_the_end():
    stream = CountingStream(b"dataelement,value\n" + b"KPI01,1\n" * 1_000_000)
    error = error_of(read, stream, max_bytes=2 * 1024 * 1024)
    assert error.code == "too_large"
    assert "2 MB" in error.message_en
    assert stream.served == 2 * 1024 * 1024 + 1


def test_a_stream_within_the_limit_is_read():
    table = read(CountingStream(b"dataelement,value\nKPI01,1\n"), max_bytes=1024)
    assert table.rows[0].values["value"] == "1"


def test_empty_file():
    assert error_of(read, b"").code == "not_a_table"


@pytest.mark.parametrize(("blob", "filename"), [
    (b"dataelement,value\n", "bao_cao.xls"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "bao_cao.xls"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "co_mat_khau.xlsx"),  # encrypted workbooks are OLE2
])
def test_old_excel_is_refused_with_advice(blob, filename):
    error = error_of(read, blob, filename)
    assert error.code == "unknown_format"
    assert ".xlsx" in error.message_vi and ".xlsx" in error.message_en


@pytest.mark.parametrize("filename", ["bao_cao.pdf", "bao_cao.docx", "bao_cao"])
def test_unknown_extensions_are_refused(filename):
    error = error_of(read, b"dataelement,value\n", filename)
    assert error.code == "unknown_format"
    assert filename in error.message_en


def test_uppercase_extension_is_accepted():
    assert read(b"dataelement,value\nKPI01,1\n", "BAO_CAO.CSV").rows[0].number == 2


def test_a_text_file_named_xlsx_is_not_a_workbook():
    assert error_of(read, b"dataelement,value\n", "bao_cao.xlsx").code == "not_a_table"


def test_a_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert error_of(read, buffer.getvalue(), "bao_cao.xlsx").code == "not_a_table"


def test_a_workbook_larger_than_the_limit_is_too_large():
    workbook = simple_workbook([["dataelement", "value"]] + [["x" * 1000, 1] for _ in range(2000)])
    blob = workbook_bytes(workbook)
    assert error_of(read, blob, "bom.xlsx", max_bytes=len(blob) - 1).code == "too_large"


def test_workbook_bytes_are_read_as_xlsx_whatever_the_name():
    blob = workbook_bytes(simple_workbook([["dataelement", "value"], ["KPI01", 5]]))
    for filename in ("export.csv", "export.xls", "export"):
        table = read(blob, filename)
        assert table.rows == [Row(2, {"dataelement": "KPI01", "value": "5"}, "Dữ liệu")]


# --------------------------------------------------------------------------- XLSX


def test_xlsx_cell_values_become_text():
    workbook = simple_workbook([
        ["Mã chỉ tiêu", "Kỳ báo cáo", "Giá trị", "Đơn vị"],
        ["KPI01", datetime.datetime(2025, 7, 31), 39.51, "  Hà Nội "],
        ["KPI02", datetime.date(2025, 1, 5), 1084.0, unicodedata.normalize("NFD", "Huế")],
        ["KPI03", "31/07/2025", 12, True],
        ["KPI04", datetime.datetime(2025, 7, 31, 8, 30), 0.1 + 0.2, False],
        ["KPI05", None, 1.234, None],
        ["KPI06", None, -0.00001, None],
    ])
    workbook.active["B3"].number_format = "dd/mm/yyyy"
    table = read(workbook_bytes(workbook), "bao_cao.xlsx")
    values = [row.values for row in table.rows]
    assert values[0] == {"dataelement": "KPI01", "period": "2025-07-31", "value": "39.51",
                         "orgunit": "Hà Nội"}
    assert values[1] == {"dataelement": "KPI02", "period": "2025-01-05", "value": "1084", "orgunit": "Huế"}
    assert values[2] == {"dataelement": "KPI03", "period": "31/07/2025", "value": "12", "orgunit": "true"}
    assert values[3] == {"dataelement": "KPI04", "period": "2025-07-31 08:30:00", "value": "0.3",
                         "orgunit": "false"}
    # 1.234 must not come back as the Vietnamese-style thousand "1.234"
    assert values[4]["value"] == "1.2340" and parse_number(values[4]["value"]) == 1.234
    assert values[5]["value"] == "-0.00001"
    assert [row.number for row in table.rows] == [2, 3, 4, 5, 6, 7]
    assert {row.sheet for row in table.rows} == {"Dữ liệu"}
    assert table.notes == []


def test_xlsx_excel_serial_date_with_a_date_format():
    workbook = simple_workbook([["dataelement", "value", "period"], ["KPI01", 1, 45869]])
    workbook.active["C2"].number_format = "dd/mm/yyyy"  # Excel keeps dates as day numbers
    table = read(workbook_bytes(workbook), "a.xlsx")
    assert table.rows[0].values["period"] == "2025-07-31"
    assert parse_date(table.rows[0].values["period"]) == datetime.date(2025, 7, 31)


def test_xlsx_header_under_a_merged_title():
    workbook = simple_workbook([
        ["BÁO CÁO KẾT QUẢ THỰC HIỆN CHỈ TIÊU"],
        [],
        ["STT", "Mã chỉ tiêu *", "Giá trị (bắt buộc)"],
        [1, "KPI01", 5],
    ])
    workbook.active.merge_cells("A1:C1")
    table = read(workbook_bytes(workbook), "a.xlsx")
    assert table.rows == [Row(4, {"dataelement": "KPI01", "value": "5"}, "Dữ liệu")]
    assert ("Dòng tiêu đề là dòng 3.", "The header is on row 3.") in table.notes
    assert any("STT" in en for _vi, en in table.notes)


def test_xlsx_merged_unit_name_applies_to_each_row():
    workbook = simple_workbook([
        ["Đơn vị", "Mã chỉ tiêu", "Giá trị"],
        ["Sở Y tế", "KPI01", 1],
        [None, "KPI02", 2],
        [None, "KPI03", 3],
        ["Sở Tài chính", "KPI01", 4],
    ])
    workbook.active.merge_cells("A2:A4")
    table = read(workbook_bytes(workbook), "a.xlsx")
    assert [row.values["orgunit"] for row in table.rows] == ["Sở Y tế"] * 3 + ["Sở Tài chính"]


def test_xlsx_hidden_rows_are_read_and_flagged():
    workbook = simple_workbook([["dataelement", "value"], ["KPI01", 1], ["KPI02", 2], ["KPI03", 3],
                                ["KPI04", 4]])
    for number in (3, 5):
        workbook.active.row_dimensions[number].hidden = True
    table = read(workbook_bytes(workbook), "a.xlsx")
    assert [(row.number, row.hidden) for row in table.rows] == [(2, False), (3, True), (4, False), (5, True)]
    assert ("Đã đọc 2 dòng bị ẩn.", "2 hidden rows were read.") in table.notes


def test_xlsx_empty_rows_are_skipped():
    workbook = simple_workbook([["dataelement", "value"], ["KPI01", 1], [], [None, None], ["", "  "],
                                ["KPI02", 2]])
    table = read(workbook_bytes(workbook), "a.xlsx")
    assert [row.number for row in table.rows] == [2, 6]


def test_xlsx_row_with_only_an_unknown_column_is_kept_with_empty_values():
    workbook = simple_workbook([["dataelement", "value", "Ghi chú"], ["KPI01", 1, None],
                                [None, None, "Tổng"]])
    table = read(workbook_bytes(workbook), "a.xlsx")
    assert table.rows[-1] == Row(3, {"dataelement": "", "value": ""}, "Dữ liệu")


def test_xlsx_sheet_choice_skips_instructions_and_hidden_sheets():
    workbook = openpyxl.Workbook()
    guide = workbook.active
    guide.title = "Hướng dẫn"
    guide.append(["Điền mã chỉ tiêu và giá trị vào trang «Số liệu»."])
    old = workbook.create_sheet("Mẫu cũ")
    old.append(["dataelement", "value"])
    old.append(["OLD", 0])
    old.sheet_state = "hidden"
    data = workbook.create_sheet("Số liệu")
    data.append(["dataelement", "value"])
    data.append(["KPI01", 7])
    workbook.create_sheet("Danh mục").append(["dataelement", "value"])
    table = read(workbook_bytes(workbook), "a.xlsx")
    assert table.rows == [Row(2, {"dataelement": "KPI01", "value": "7"}, "Số liệu")]
    assert ("Bỏ qua trang tính «Hướng dẫn».", "Sheet «Hướng dẫn» ignored.") in table.notes
    assert ("Bỏ qua trang tính ẩn «Mẫu cũ».", "Hidden sheet «Mẫu cũ» ignored.") in table.notes
    assert ("Bỏ qua trang tính «Danh mục».", "Sheet «Danh mục» ignored.") in table.notes

    chosen = read(workbook_bytes(workbook), "a.xlsx", sheet="Mẫu cũ")
    assert chosen.rows == [Row(2, {"dataelement": "OLD", "value": "0"}, "Mẫu cũ")]
    error = error_of(read, workbook_bytes(workbook), "a.xlsx", sheet="Trang 9")
    assert error.code == "missing_sheet"
    assert "«Số liệu»" in error.message_vi and "Trang 9" in error.message_en


def test_xlsx_named_sheet_without_the_columns():
    workbook = simple_workbook([["dataelement", "value"], ["KPI01", 1]])
    workbook.create_sheet("Khác").append(["dataelement", "orgunit"])
    error = error_of(read, workbook_bytes(workbook), "a.xlsx", sheet="Khác")
    assert error.code == "missing_columns"
    assert "value" in error.message_en


def test_xlsx_without_a_header_on_any_visible_sheet():
    workbook = simple_workbook([["Hướng dẫn"], ["Không có dữ liệu"]])
    hidden = workbook.create_sheet("Ẩn")
    hidden.append(["dataelement", "value"])
    hidden.sheet_state = "hidden"
    assert error_of(read, workbook_bytes(workbook), "a.xlsx").code == "no_header"


def test_xlsx_formula_without_a_cached_value_is_marked():
    workbook = simple_workbook([["dataelement", "value", "orgunit"], ["KPI01", "=2*21", "Huế"],
                                ["KPI02", 5, None]])
    table = read(workbook_bytes(workbook), "a.xlsx")
    assert table.rows[0].values["value"] == FORMULA_WITHOUT_VALUE
    # a truly empty cell stays ""
    assert table.rows[1].values == {"dataelement": "KPI02", "value": "5", "orgunit": ""}
    assert any(en.startswith("1 formula cell(s) without a calculated value") for _vi, en in table.notes)


def test_xlsx_formula_without_a_cached_value_is_marked_in_a_sheet_stored_under_another_name():
    # openpyxl reads the sheet through the workbook's relationships wherever it is stored (xl/data/s1.bin)
    workbook = simple_workbook([["dataelement", "value", "orgunit"], ["KPI01", "=2*21", "Huế"]])
    table = read(sheets_moved(workbook_bytes(workbook)), "a.xlsx")
    assert table.rows[0].values["value"] == FORMULA_WITHOUT_VALUE


def test_xlsx_formula_with_a_cached_value_gives_the_value():
    workbook = simple_workbook([["dataelement", "value", "orgunit"], ["KPI01", "=2*21", '="Hu"&"ế"'],
                                ["KPI02", None, "Huế"]])
    blob = with_cached_values(workbook_bytes(workbook), {"B2": "42", "C2": "Huế"})
    table = read(blob, "a.xlsx")
    assert table.rows[0].values == {"dataelement": "KPI01", "value": "42", "orgunit": "Huế"}
    assert table.rows[1].values["value"] == ""
    assert not any("formula" in en for _vi, en in table.notes)


def test_xlsx_formula_without_value_in_a_merged_cell_marks_every_row():
    workbook = simple_workbook([["orgunit", "dataelement", "value"], ['="Huế"', "KPI01", 1],
                                [None, "KPI02", 2]])
    workbook.active.merge_cells("A2:A3")
    table = read(workbook_bytes(workbook), "a.xlsx")
    assert [row.values["orgunit"] for row in table.rows] == [FORMULA_WITHOUT_VALUE] * 2


@pytest.fixture
def workbook_loads(monkeypatch):
    """Count how often the reader parses a workbook with openpyxl, and in which mode."""
    modes: list[bool] = []
    original = openpyxl.load_workbook

    def counting(*args, **kwargs):
        modes.append(kwargs["data_only"])
        return original(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", counting)
    return modes


def test_xlsx_is_parsed_once_when_no_formula_can_hide_behind_an_empty_cell(workbook_loads):
    no_formulas = simple_workbook([["dataelement", "value", "orgunit"], ["KPI01", 1, None]])
    read(workbook_bytes(no_formulas), "a.xlsx")
    assert workbook_loads == [True]
    calculated_only = simple_workbook([["dataelement", "value", "Ghi chú"], ["KPI01", 1, "=1+1"]])
    read(workbook_bytes(calculated_only), "a.xlsx")  # a formula, but every known cell has a value
    assert workbook_loads == [True, True]
    uncalculated = simple_workbook([["dataelement", "value"], ["KPI01", "=1+1"]])
    read(workbook_bytes(uncalculated), "a.xlsx")
    assert workbook_loads == [True, True, True, False]


def test_xlsx_cells_right_of_the_header_are_outside_the_table():
    workbook = simple_workbook([["dataelement", "value"], ["KPI01", 1, "ghi chú lạc"], [None, None, "Tổng"]])
    table = read(workbook_bytes(workbook), "a.xlsx")
    assert table.rows == [Row(2, {"dataelement": "KPI01", "value": "1"}, "Dữ liệu")]


def test_xlsm_and_stream_input():
    blob = workbook_bytes(simple_workbook([["dataelement", "value"], ["KPI01", 2]]))
    table = read(io.BytesIO(blob), "bao_cao.xlsm")
    assert table.rows[0].values == {"dataelement": "KPI01", "value": "2"}


# --------------------------------------------------------------------------- parse_number


@pytest.mark.parametrize(("text", "expected"), [
    ("39.51", 39.51),
    ("39,51", 39.51),
    ("1.5", 1.5),
    ("1,5", 1.5),
    ("1084", 1084),
    ("1.084", 1084),
    ("1,084", 1084),
    ("0.125", 0.125),  # a leading 0 cannot start a thousands group
    ("1234.567", 1234.567),  # nor can four digits
    ("1.084.000", 1_084_000),
    ("1,084,000", 1_084_000),
    ("1.084,5", 1084.5),
    ("1,084.5", 1084.5),
    ("1.084.000,25", 1_084_000.25),
    ("1 084", 1084),
    ("1\u00a0084\u00a0000", 1_084_000),
    ("1\u2009084,5", 1084.5),
    ("1\u202f084", 1084),
    ("+3.2", 3.2),
    ("-39,51", -39.51),
    ("\u22125", -5),
    ("12%", 12),
    ("12,5 %", 12.5),
    ("  7  ", 7),
    ("0", 0),
    ("1.2340", 1.234),
])
def test_parse_number(text, expected):
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", [
    "", "  ", "abc", "1,2,3,4", "1.2.3", "1,5.3", "1.084,000.5", "--1", "+-1", "NaN", "inf", "-inf", "1e5",
    "%", "12%%", "1.", ".5", "1..5", "1 2", "1 0845", "0.500.000", "1,084.5.3", "١٢", "9" * 400,
])
def test_parse_number_refuses(text):
    with pytest.raises(ValueError, match="không phải là số.*is not a number"):
        parse_number(text)


# --------------------------------------------------------------------------- parse_date


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-07-31", datetime.date(2025, 7, 31)),
    ("31/07/2025", datetime.date(2025, 7, 31)),
    ("31-07-2025", datetime.date(2025, 7, 31)),
    ("31.07.2025", datetime.date(2025, 7, 31)),
    ("1/7/2025", datetime.date(2025, 7, 1)),  # day first: the first of July
    ("12/01/2025", datetime.date(2025, 1, 12)),
    (" 29/02/2024 ", datetime.date(2024, 2, 29)),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["31/02/2025", "29/02/2025", "2025-13-01", "32/01/2025", "0/1/2025"])
def test_parse_date_refuses_impossible_dates(text):
    with pytest.raises(ValueError, match="Không có ngày.*is not a real date"):
        parse_date(text)


@pytest.mark.parametrize("text", [
    "", "hôm nay", "31/07/25", "31/07-2025", "2025-07-31 08:30", "07/2025", "20250731",
])
def test_parse_date_refuses_other_text(text):
    with pytest.raises(ValueError, match="không phải là ngày.*is not a date"):
        parse_date(text)


# --------------------------------------------------------------------------- parse_bool


@pytest.mark.parametrize(("text", "expected"), [
    ("true", True), ("TRUE", True), ("1", True), ("có", True), ("Có", True), ("yes", True), ("x", True),
    ("X", True), (unicodedata.normalize("NFD", "CÓ"), True), (" đúng ", True),
    ("false", False), ("False", False), ("0", False), ("không", False), ("KHÔNG", False), ("no", False),
    ("sai", False), (unicodedata.normalize("NFD", "không"), False),
])
def test_parse_bool(text, expected):
    assert parse_bool(text) is expected


@pytest.mark.parametrize("text", ["", "maybe", "2", "xx", "có không"])
def test_parse_bool_refuses(text):
    with pytest.raises(ValueError, match="không phải là có/không.*is not yes/no"):
        parse_bool(text)


# --------------------------------------------------------------------------- neutralise


@pytest.mark.parametrize(("text", "expected"), [
    ("=1+1", "'=1+1"),
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+84 912 345 678", "'+84 912 345 678"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("\r=1", "'\r=1"),
    ("-", "'-"),
    ("-5", "-5"),
    ("+3.2", "+3.2"),
    ("-1.084,5", "-1.084,5"),
    ("+12%", "+12%"),
    ("Hà Nội", "Hà Nội"),
    ("5", "5"),
    ("", ""),
    ("a=b", "a=b"),
])
def test_neutralise(text, expected):
    assert neutralise(text) == expected
