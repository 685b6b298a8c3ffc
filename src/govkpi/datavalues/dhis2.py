"""DHIS2's dataValueSet formats, in and out, over the one writer.

In: the JSON dataValueSet (period, orgUnit and attributeOptionCombo in the header or on each value) and the
CSV with DHIS2's header (`dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,
lastupdated,comment,followup,deleted`, matched by name case-insensitively; without a header, in that order).
Identifiers are codes (idScheme=code, the default here); an organisation unit that is not a code is read as a
written name. Out: the same shapes. Answers: DHIS2's ImportSummary, with counts that mean what they say
(new values are "imported", changed ones "updated", unchanged ones "ignored" and left untouched).
"""

from __future__ import annotations

import codecs
import csv
import datetime
from collections.abc import Iterable, Iterator
from operator import itemgetter
from typing import Any

from govkpi.core.strict_json import PayloadError
from govkpi.core.tabular import neutralise
from govkpi.datavalues.writer import Conflict, Item

CSV_COLUMNS = ("dataelement", "period", "orgunit", "categoryoptioncombo", "attributeoptioncombo", "value",
               "storedby", "lastupdated", "comment", "followup", "deleted")
_TRUE = {"true", "1", "yes", "t", "y"}
__all__ = ["PayloadError"]  # the one error of a body read as a whole (core.strict_json), named here for callers


def _flag(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE


def items_from_json(payload: Any) -> list[Item]:
    """The items of a JSON dataValueSet whose every value is well typed; PayloadError naming the first that is
    not (the faces use read_data_value_set, which refuses such a value alone)."""
    items, refused = read_data_value_set(payload)
    if refused:
        raise PayloadError(refused[0].code, refused[0].message_vi, refused[0].message_en)
    return items


# A dataValue's fields by what they may hold (DHIS2's DataValue is read by Jackson, which turns a JSON number
# into a String field's text; an object or an array in any of them is refused, as Jackson does).
_CODES = ("dataElement", "period", "orgUnit", "categoryOptionCombo", "attributeOptionCombo")
_TEXTS = ("comment", "storedBy", "created", "lastUpdated")
_FLAGS = ("followup", "followUp", "deleted")
_KINDS_VI = {dict: "đối tượng", list: "mảng", bool: "true/false", int: "số", float: "số", str: "chuỗi"}
_KINDS_EN = {dict: "an object", list: "an array", bool: "true/false", int: "a number", float: "a number",
             str: "a string"}


def _wrong_type(index: int, name: str, found: Any, wanted_vi: str, wanted_en: str) -> Conflict:
    kind = type(found)
    return Conflict(index, name, "bad_type",
                    f"Giá trị thứ {index}: «{name}» phải là {wanted_vi}, không phải "
                    f"{_KINDS_VI.get(kind, 'null')}.",
                    f"Value {index}: «{name}» must be {wanted_en}, not {_KINDS_EN.get(kind, 'null')}.")


def type_problem(index: int, value: dict[str, Any]) -> Conflict | None:
    """The first field of a dataValue that holds the wrong kind of JSON, or None."""
    for name in _CODES:
        found = value.get(name)
        if found is not None and (isinstance(found, bool) or not isinstance(found, str | int)):
            return _wrong_type(index, name, found, "chuỗi (mã)", "a string (a code)")
    found = value.get("value")
    if isinstance(found, dict | list):
        return _wrong_type(index, "value", found, "chuỗi, số hoặc true/false", "a string, a number or true/false")
    for name in _TEXTS:
        found = value.get(name)
        if found is not None and not isinstance(found, str):
            return _wrong_type(index, name, found, "chuỗi", "a string")
    for name in _FLAGS:
        found = value.get(name)
        if found is not None and not isinstance(found, bool | str):
            return _wrong_type(index, name, found, "true/false", "true/false")
    return None


def _header(payload: Any) -> tuple[str, str, str]:
    """The dataValueSet's own period, orgUnit and attributeOptionCombo; PayloadError when it is no dataValueSet,
    has no dataValues (nothing at all would be read) or one of its own fields has the wrong type."""
    if not isinstance(payload, dict) or not isinstance(payload.get("dataValues", []), list):
        raise PayloadError("not_a_data_value_set", "Không phải dataValueSet (cần đối tượng có mảng dataValues).",
                           "Not a dataValueSet (an object with a dataValues array is expected).")
    if "dataValues" not in payload:  # a misspelt key is not an empty batch
        named = ", ".join(f"«{key}»" for key in list(payload)[:5]) or "—"
        raise PayloadError("no_data_values", f"dataValueSet không có mảng dataValues (có: {named}); không đọc được "
                           "giá trị nào.",
                           f"The dataValueSet has no dataValues array (found: {named}); no value was read.")
    header = []
    for name in ("period", "orgUnit", "attributeOptionCombo"):
        found = payload.get(name)
        if found is not None and (isinstance(found, bool) or not isinstance(found, str | int)):
            raise PayloadError("bad_type", f"«{name}» của dataValueSet phải là chuỗi (mã).",
                               f"The dataValueSet's «{name}» must be a string (a code).")
        header.append(str(found or ""))
    for name, kinds in (("dryRun", bool | str), ("strategy", str)):
        found = payload.get(name)
        if found is not None and not isinstance(found, kinds):
            raise PayloadError("bad_type", f"«{name}» của dataValueSet có kiểu không hợp lệ.",
                               f"The dataValueSet's «{name}» has the wrong type.")
    return header[0], header[1], header[2]


def read_data_value_set(payload: Any) -> tuple[list[Item], list[Conflict]]:
    """The items of a JSON dataValueSet, and its values refused for their shape, each with its index (a value
    that is no object, a field holding the wrong kind of JSON: for the writer's `refused`). PayloadError when
    the document as a whole is no dataValueSet (see _header)."""
    period, unit, combo = _header(payload)
    items: list[Item] = []
    refused: list[Conflict] = []
    for index, value in enumerate(payload["dataValues"]):
        if not isinstance(value, dict):
            refused.append(_wrong_type(index, "dataValue", value, "đối tượng", "an object"))
            continue
        if problem := type_problem(index, value):
            refused.append(problem)
            continue
        items.append(Item(index=index, data_element=str(value.get("dataElement") or ""),
                          period=str(value.get("period") or period), unit=str(value.get("orgUnit") or unit),
                          value=value.get("value"), comment=value.get("comment"),
                          follow_up=_flag(value.get("followup", value.get("followUp"))),
                          deleted=bool(_flag(value.get("deleted"))),
                          category_option_combo=str(value.get("categoryOptionCombo") or ""),
                          attribute_option_combo=str(value.get("attributeOptionCombo") or combo)))
    return items, refused


def payload_flag(payload: Any, name: str) -> bool | None:
    """A flag DHIS2 also reads from the dataValueSet itself (`dryRun`, `async`): None when absent."""
    return _flag(payload.get(name)) if isinstance(payload, dict) else None


def as_dhis2_would(items: list[Item]) -> list[Item]:
    """DHIS2's reading of a batch, before govkpi's checks: a value sent empty (with no comment) deletes the
    stored one, and the same key twice keeps the last (dhis2-core 2.40 DataValueSetImportValidator /
    DataValueSetService: each value is imported in turn, so a later one overwrites an earlier one). The key is
    the text as sent; a unit named once by code and once by name is still two items, and the writer's own
    duplicate check then names both."""
    last: dict[tuple[str, str, str, str, str], Item] = {}
    for item in items:
        if not item.deleted and (item.value is None or str(item.value).strip() == "") and not item.comment:
            item.deleted = True
        last[(item.data_element, item.period, item.unit, item.category_option_combo,
              item.attribute_option_combo)] = item
    return sorted(last.values(), key=lambda item: item.index)


def decoded_lines(chunks: Iterable[bytes], max_bytes: int) -> Iterator[str]:
    """Decode a stream of bytes (UTF-8, with or without BOM) into lines, refusing more than `max_bytes`."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    size, pending, lines_before = 0, "", 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise PayloadError("too_large", f"Dữ liệu vượt quá {max_bytes // (1024 * 1024)} MB.",
                               f"The payload is larger than {max_bytes // (1024 * 1024)} MB.")
        try:
            pending += decoder.decode(chunk)
        except UnicodeDecodeError:
            raise PayloadError("bad_encoding", "CSV phải được mã hóa UTF-8.", "The CSV must be UTF-8 encoded.") from None
        if "\x00" in pending:  # PostgreSQL cannot store it, and no text format means it
            line = lines_before + pending.count("\n", 0, pending.index("\x00")) + 1
            raise PayloadError("nul_character", f"Ký tự NUL ở dòng {line}: không được phép.",
                               f"A NUL character on line {line} is not allowed.")
        *lines, pending = pending.split("\n")
        lines_before += len(lines)
        yield from (line + "\n" for line in lines)
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def items_from_csv(lines: Iterable[str]) -> Iterator[Item]:
    """The items of a DHIS2 CSV, one per non-empty row; `row` is the line number (the header is line 1)."""
    ended = _LastLine()
    reader = csv.reader(ended.follow(lines), strict=True)  # strict: a body cut inside a quoted cell is an error
    positions = {name: i for i, name in enumerate(CSV_COLUMNS)}
    fields = _FIELDS
    read = itemgetter(*(positions[name] for name in fields))
    # A row may end after its last required cell (DHIS2's own files stop after `value` or `comment`), but not
    # the body's last row shorter than the header when the body stops without a line break (cut off).
    width = required = _HEADERLESS_WIDTH
    whole = len(CSV_COLUMNS)  # a row this wide is read by position at once
    header_names: list[str] | None = None
    index = 0
    for number, cells, last in _with_last(_records(reader)):
        if not "".join(cells).strip():  # only blank cells: the same as every cell being blank
            continue
        if number == 1 and "dataelement" in [c.strip().lower() for c in cells]:
            names = [c.strip().lower() for c in cells]
            positions = {name: names.index(name) for name in CSV_COLUMNS if name in names}
            width = len(names) - next(i for i, name in enumerate(reversed(names)) if name)  # up to its last name
            required = max((positions[n] for n in _REQUIRED if n in positions), default=-1) + 1
            whole = max(positions.values(), default=-1) + 1
            header_names = names
            # A header naming every column is read by position at once; otherwise cell by cell.
            read = itemgetter(*(positions[name] for name in fields)) if all(n in positions for n in fields) else None
            continue
        if len(cells) < (width if last and not ended.with_break else required):
            raise short_row(number, len(cells), width, header_names)
        if read is not None and len(cells) >= whole:
            element, period, unit, value, comment, followup, deleted = read(cells)
            element, period, unit, value, comment, followup, deleted = (
                element.strip(), period.strip(), unit.strip(), value.strip(), comment.strip(), followup.strip(),
                deleted.strip())
        else:
            element, period, unit, value, comment, followup, deleted = (
                _cell(cells, positions.get(name)) for name in fields)
        if len(comment) > 1 and comment[0] == "'" and comment[1] in "=+-@":
            comment = comment[1:]  # our own export's neutralising apostrophe, as a spreadsheet would drop it
        yield Item(index=index, row=number, data_element=element, period=period, unit=unit, value=value,
                   comment=comment or None, follow_up=_flag(followup) if followup else None,
                   deleted=bool(_flag(deleted)) if deleted else False,
                   category_option_combo=_cell(cells, positions.get("categoryoptioncombo")),
                   attribute_option_combo=_cell(cells, positions.get("attributeoptioncombo")))
        index += 1


_FIELDS = ("dataelement", "period", "orgunit", "value", "comment", "followup", "deleted")
_REQUIRED = ("dataelement", "period", "orgunit", "value")


class _LastLine:
    """Whether the last line read ended with a line break (a body cut mid-row does not)."""

    def __init__(self) -> None:
        self.with_break = True

    def follow(self, lines: Iterable[str]) -> Iterator[str]:
        for line in lines:
            self.with_break = line.endswith(("\n", "\r"))
            yield line


def _with_last(records: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str], bool]]:
    """Each record with whether it is the last one (read one ahead)."""
    previous = next(records, None)
    for record in records:
        yield (*previous, False)
        previous = record
    if previous is not None:
        yield (*previous, True)
# Without a header, a row names at least the value (DHIS2's own files stop there or after `comment`).
_HEADERLESS_WIDTH = CSV_COLUMNS.index("value") + 1


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(record number, cells); a quoted cell never closed (the body cut inside it) or a stray quote is refused."""
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):  # the number is read after the loop
            yield number, cells
    except csv.Error as error:
        raise PayloadError("bad_csv", f"CSV không hợp lệ ở dòng {number + 1}: {error} (tệp bị cắt giữa một ô "
                           "trong ngoặc kép?); không ghi gì.",
                           f"Invalid CSV at row {number + 1}: {error} (was the file cut inside a quoted cell?); "
                           "nothing was written.") from None


def short_row(number: int, cells: int, width: int, names: list[str] | None) -> PayloadError:
    """A row with fewer cells than its header (`names`; None: no header, DHIS2's order up to `value`): cut off,
    most likely by a transfer that stopped mid-row; read as it is it would store the part of a value that arrived
    (or, with the value missing, delete the stored one)."""
    shown = names or list(CSV_COLUMNS)
    missing = shown[cells] if cells < len(shown) and shown[cells] else f"#{cells + 1}"
    wanted_vi, wanted_en = (f"tiêu đề có {width}", f"the header {width}") if names else (
        f"cần ít nhất {width} (dataelement…value)", f"at least {width} are needed (dataelement…value)")
    return PayloadError("short_row", f"Dòng {number} có {cells} ô, {wanted_vi}: thiếu cột «{missing}» trở đi (tệp bị "
                        "cắt giữa dòng?); không ghi gì.",
                        f"Row {number} has {cells} cells, {wanted_en}: the «{missing}» column onwards is missing "
                        "(was the file cut mid-row?); nothing was written.")


def _cell(cells: list[str], at: int | None) -> str:
    return cells[at].strip() if at is not None and at < len(cells) else ""


def dhis2_timestamp(moment: datetime.datetime) -> str:
    """A time as DHIS2 writes it in exports: UTC, milliseconds, `+0000` (dhis2-core DateUtils
    getLongGmtDateString, pattern yyyy-MM-dd'T'HH:mm:ss.SSSZ)."""
    utc = moment.astimezone(datetime.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def stored_combo(code: str | None) -> str:
    """An option combo as exported: its code, "default" for DHIS2's default (stored as "")."""
    return code or "default"


def export_row(value: dict[str, Any]) -> dict[str, Any]:
    """One stored value (reads.data_values' row) in DHIS2's JSON dataValue shape; `deleted` only when true."""
    row = {"dataElement": value["data_element__code"], "period": value["period"], "orgUnit": value["unit__code"],
           "categoryOptionCombo": stored_combo(value.get("category_option_combo")),
           "attributeOptionCombo": stored_combo(value.get("attribute_option_combo")), "value": value["value"],
           "storedBy": value["stored_by"], "created": dhis2_timestamp(value["created_at"]),
           "lastUpdated": dhis2_timestamp(value["updated_at"]), "comment": value["comment"],
           "followup": value["follow_up"]}
    if value.get("deleted"):
        row["deleted"] = True
    return row


def csv_cells(value: dict[str, Any]) -> list[str]:
    """One stored value as a DHIS2 CSV row, text neutralised so a spreadsheet never runs it as a formula."""
    return [value["data_element__code"], value["period"], value["unit__code"],
            stored_combo(value.get("category_option_combo")), stored_combo(value.get("attribute_option_combo")),
            value["value"],
            neutralise(value["stored_by"]), dhis2_timestamp(value["updated_at"]), neutralise(value["comment"]),
            "true" if value["follow_up"] else "false", "true" if value.get("deleted") else "false"]
