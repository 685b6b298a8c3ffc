"""Data files: the Excel template per unit and period, reading uploaded CSV/XLSX/JSON into items for the
writer, and the downloadable report of refused rows.

Every file goes through `core.tabular` (encodings, header aliases, merged cells, hidden rows, formulas) and
then through the same writer as the API, so a file is checked exactly like any other channel.
"""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from govkpi.core.periods import parse_period
from govkpi.core.strict_json import read_json
from govkpi.core.tabular import FORMULA_WITHOUT_VALUE, TabularError, read_table
from govkpi.core.workbooks import spreadsheet_text
from govkpi.datavalues import dhis2, entry
from govkpi.datavalues.models import DataValue
from govkpi.datavalues.writer import Conflict, Item
from govkpi.indicators.models import DataElement
from govkpi.orgunits.models import OrgUnit

# Canonical column → the headers people (and DHIS2) write for it.
COLUMNS = {
    "dataelement": ["mã chỉ tiêu", "mã phần tử dữ liệu", "dataelement", "data element", "chỉ tiêu"],
    "orgunit": ["mã đơn vị", "orgunit", "org unit", "đơn vị", "cơ quan"],
    "period": ["kỳ báo cáo", "kỳ", "period"],
    "value": ["giá trị", "số liệu", "value"],
    "comment": ["ghi chú", "comment"],
    "followup": ["cần xem lại", "followup", "follow up"],
    "deleted": ["xóa", "deleted"],
    # Disaggregation (optional): the option combo's code, or DHIS2's header names.
    "categoryoptioncombo": ["mã phân tổ", "phân tổ", "categoryoptioncombo", "category option combo"],
    "attributeoptioncombo": ["mã thuộc tính", "attributeoptioncombo", "attribute option combo"],
}
REQUIRED = {"dataelement", "orgunit", "period", "value"}
TEMPLATE_HEADER = ["Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Mã đơn vị", "Tên đơn vị", "Kỳ báo cáo", "Giá trị",
                   "Ghi chú", "Mã phân tổ"]
_TRUE = {"true", "1", "có", "x", "yes"}
_MONTH_WORDS = re.compile(r"^(?:tháng\s*)?(\d{1,2})\s*[/.-]\s*(\d{4})$", re.IGNORECASE)
_QUARTER_WORDS = re.compile(r"^quý\s*(i{1,3}|iv|[1-4])\s*[/.-]\s*(\d{4})$", re.IGNORECASE)
_YEAR_WORDS = re.compile(r"^(?:năm\s*)?(\d{4})$", re.IGNORECASE)
_FIRST_OF_MONTH = re.compile(r"^(\d{4})-(\d{2})-01$")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def period_id(text: str) -> str:
    """A period as people type it in a sheet ("9/2025", "tháng 9/2025", "quý III/2025", "năm 2025", or the date
    Excel makes of "9/2025") as its identifier; anything else is passed on unchanged for the period reader."""
    text = " ".join(text.split())
    if match := _MONTH_WORDS.match(text):
        return f"{match[2]}{int(match[1]):02d}"
    if match := _QUARTER_WORDS.match(text):
        quarter = match[1].lower()
        return f"{match[2]}Q{_ROMAN.get(quarter) or int(quarter)}"
    if match := _YEAR_WORDS.match(text):
        return match[1]
    if match := _FIRST_OF_MONTH.match(text):
        return f"{match[1]}{match[2]}"  # Excel turns a typed "9/2025" into the date 01/09/2025
    return text


def read_upload(data: bytes, filename: str, max_bytes: int) -> tuple[list[Item], list[Conflict],
                                                                      list[tuple[str, str]]]:
    """Items of an uploaded file, the rows refused before any check (formulas never calculated), and notes.

    Raises TabularError (or dhis2.PayloadError for JSON) when the file as a whole cannot be read."""
    if filename.lower().endswith(".json"):
        if len(data) > max_bytes:
            raise TabularError("too_large", f"Tệp lớn hơn {max_bytes // 2**20} MB.",
                               f"The file is larger than {max_bytes // 2**20} MB.")
        items, refused = dhis2.read_data_value_set(read_json(data))  # the one strict JSON reader
        return items, refused, []
    table = read_table(data, filename, COLUMNS, REQUIRED, max_bytes=max_bytes)
    items: list[Item] = []
    refused: list[Conflict] = []
    blank = 0
    for index, row in enumerate(table.rows):
        values = row.values
        formula = next((key for key, text in values.items() if text == FORMULA_WITHOUT_VALUE), None)
        if formula:
            refused.append(Conflict(index, formula, "formula_without_value",
                                    f"Dòng {row.number}: ô «{formula}» là công thức chưa được tính; hãy mở tệp trong "
                                    "Excel, lưu lại rồi tải lên.",
                                    f"Row {row.number}: the {formula} cell is a formula that was never calculated; "
                                    "open the file in Excel, save it and upload again.", row=row.number))
            continue
        deleted = values.get("deleted", "").lower() in _TRUE
        if not values.get("value", "").strip() and not deleted:
            blank += 1  # a template row left empty: not reported, not an error
            continue
        items.append(Item(index=index, row=row.number, data_element=values.get("dataelement", ""),
                          unit=values.get("orgunit", ""), period=period_id(values.get("period", "")),
                          value=values.get("value", ""), comment=values.get("comment") or None,
                          follow_up=(values["followup"].lower() in _TRUE) if values.get("followup") else None,
                          deleted=deleted, category_option_combo=values.get("categoryoptioncombo", "").strip(),
                          attribute_option_combo=values.get("attributeoptioncombo", "").strip()))
    notes = list(table.notes)
    if blank:
        notes.append((f"{blank} dòng chưa có giá trị: bỏ qua.", f"{blank} rows without a value: skipped."))
    return items, refused, notes


def expected_rows(unit: OrgUnit, period: str) -> list[tuple[DataElement, DataValue | None]]:
    """The data elements the unit reports for the period, each with its stored value (or None)."""
    from govkpi.datavalues.completeness import expected_elements

    elements = expected_elements(unit, period)
    stored = {v.data_element_id: v for v in DataValue.objects.filter(unit=unit, period=period,
                                                                     data_element__in=elements,
                                                                     category_option_combo="",
                                                                     attribute_option_combo="")}
    return [(element, stored.get(element.id)) for element in elements]


def _validation(element: DataElement) -> DataValidation | None:
    """Excel's own check for the value cell, so mistakes show while typing (the server checks again)."""
    prompt = {"count": ("whole", "greaterThanOrEqual", 0, None, "Số nguyên không âm"),
              "rank": ("whole", "greaterThanOrEqual", 1, None, "Thứ hạng (số nguyên từ 1)"),
              "percentage": ("decimal", "between", 0, 100, "Tỷ lệ từ 0 đến 100"),
              "date": ("date", "greaterThan", "DATE(1900,1,1)", None, "Ngày (ngày/tháng/năm)")}.get(element.value_type)
    if element.value_type == "boolean":
        rule = DataValidation(type="list", formula1='"có,không"', allow_blank=True)
        rule.prompt = "có hoặc không"
    elif prompt:
        kind, operator, low, high, text = prompt
        rule = DataValidation(type=kind, operator=operator, formula1=str(low),
                              formula2=None if high is None else str(high), allow_blank=True)
        rule.prompt = text
    else:
        rule = DataValidation(type="decimal", operator="between", formula1="-1E+15", formula2="1E+15",
                              allow_blank=True)
        rule.prompt = "Số"
    rule.error = rule.prompt
    rule.showErrorMessage = rule.showInputMessage = True
    return rule


def template_xlsx(unit: OrgUnit, period: str) -> bytes:
    """The reporting template of a unit for a period, pre-filled with what is already there."""
    label = parse_period(period).label_vi
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Số liệu"
    sheet["A1"] = spreadsheet_text(f"BIỂU NHẬP SỐ LIỆU — {unit.name} ({unit.code}) — {label}")
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A2"] = ("Nhập cột «Giá trị» (và «Ghi chú» nếu cần); không sửa các cột mã. Số thập phân dùng dấu phẩy "
                   "hoặc dấu chấm. Tải lên tại trang nhập số liệu hoặc: govkpi import TỆP.")
    sheet.append([])
    sheet.append(TEMPLATE_HEADER)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F0")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    rows = expected_rows(unit, period)
    grids = entry.grids(unit, period, [element for element, _value in rows])
    for element, value in rows:
        # A disaggregated element: one row per category option combo, its code in the last column.
        lines = [(f"{element.name_vi} — {cell.name_vi}", cell.value, cell.code) for cell in grids[element.id].cells] \
            if element.id in grids else [(element.name_vi, value, "")]
        for name, stored, combo in lines:
            # names and units come from the catalog and the unit register: text, never a formula Excel would run
            sheet.append([spreadsheet_text(cell) for cell in (
                element.code, name, element.unit_of_measure, unit.code, unit.name, period,
                _typed(element, stored.value) if stored else None, stored.comment if stored else None, combo or None)])
            rule = _validation(element)
            if rule is not None:
                sheet.add_data_validation(rule)
                rule.add(f"G{sheet.max_row}")
    for column, width in zip("ABCDEFGHI", (26, 60, 12, 11, 30, 12, 14, 40, 18), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A5"
    guide = workbook.create_sheet("Hướng dẫn")
    guide.append(["Cột", "Ý nghĩa"])
    for name, meaning in zip(TEMPLATE_HEADER, (
            "Mã chỉ tiêu trong danh mục (không sửa)", "Tên chỉ tiêu", "Đơn vị tính", "Mã đơn vị báo cáo (không sửa)",
            "Tên đơn vị", "Kỳ báo cáo: 202509 (tháng), 2025Q3 (quý), 2025 (năm)", "Số liệu", "Giải thích khi cần",
            "Phân tổ của số liệu (chỉ tiêu phân tổ, ví dụ theo giới tính): không sửa; để trống nếu không phân tổ"),
            strict=True):
        guide.append([name, meaning])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _typed(element: DataElement, value: str) -> Any:
    """A stored value as the cell type Excel expects (numbers as numbers, so the cell checks apply)."""
    if element.value_type in ("count", "rank"):
        return int(float(value))
    if element.value_type in ("amount", "percentage", "ratio"):
        return float(value)
    if element.value_type == "boolean":
        return "có" if value == "true" else "không"
    return value


def error_report_xlsx(conflicts: list[dict[str, Any]]) -> bytes:
    """The refused rows with their reasons, as a workbook people can fix from."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Lỗi"
    sheet.append(["Dòng / Row", "Cột / Field", "Mã lỗi / Code", "Giá trị / Value", "Lý do", "Reason"])
    for conflict in conflicts:
        sheet.append([spreadsheet_text(cell) for cell in (
            conflict.get("row") if conflict.get("row") is not None else conflict.get("index"),
            conflict.get("field"), conflict.get("code"), str(conflict.get("object") or ""),
            conflict.get("message") or "", conflict.get("message_en") or "")])
    for column in range(1, 7):
        sheet.column_dimensions[get_column_letter(column)].width = (10, 14, 24, 18, 70, 70)[column - 1]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_file(data: bytes, filename: str, *, actor: Any, channel: str, max_bytes: int, **options: Any):
    """Read a data file and write it through the writer; returns (WriteResult, notes). Raises TabularError."""
    from govkpi.datavalues.writer import write_values

    items, refused, notes = read_upload(data, filename, max_bytes)
    result = write_values(items, actor=actor, channel=channel, filename=filename, refused=refused, **options)
    return result, notes
