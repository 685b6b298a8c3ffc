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
import datetime
import csv
from collections.abc import Iterable, Iterator
from operator import itemgetter
from typing import Any

from govkpi.core.tabular import neutralise
from govkpi.datavalues.writer import Item

CSV_COLUMNS = ("dataelement", "period", "orgunit", "categoryoptioncombo", "attributeoptioncombo", "value",
               "storedby", "lastupdated", "comment", "followup", "deleted")
_TRUE = {"true", "1", "yes", "t", "y"}


class PayloadError(ValueError):
    """The payload as a whole cannot be read."""

    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(f"{message_vi} / {message_en}")
        self.code, self.message_vi, self.message_en = code, message_vi, message_en


def _flag(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE


def items_from_json(payload: Any) -> list[Item]:
    """The items of a JSON dataValueSet."""
    if not isinstance(payload, dict) or not isinstance(payload.get("dataValues", []), list):
        raise PayloadError("not_a_data_value_set", "Không phải dataValueSet (cần đối tượng có mảng dataValues).",
                           "Not a dataValueSet (an object with a dataValues array is expected).")
    period, unit = payload.get("period") or "", payload.get("orgUnit") or ""
    combo = str(payload.get("attributeOptionCombo") or "")
    items = []
    for index, value in enumerate(payload.get("dataValues") or []):
        if not isinstance(value, dict):
            value = {}
        items.append(Item(index=index, data_element=str(value.get("dataElement") or ""),
                          period=str(value.get("period") or period), unit=str(value.get("orgUnit") or unit),
                          value=value.get("value"), comment=value.get("comment"),
                          follow_up=_flag(value.get("followup", value.get("followUp"))),
                          deleted=bool(_flag(value.get("deleted"))),
                          category_option_combo=str(value.get("categoryOptionCombo") or ""),
                          attribute_option_combo=str(value.get("attributeOptionCombo") or combo)))
    return items


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
    size, pending = 0, ""
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise PayloadError("too_large", f"Dữ liệu vượt quá {max_bytes // (1024 * 1024)} MB.",
                               f"The payload is larger than {max_bytes // (1024 * 1024)} MB.")
        try:
            pending += decoder.decode(chunk)
        except UnicodeDecodeError:
            raise PayloadError("bad_encoding", "CSV phải được mã hóa UTF-8.", "The CSV must be UTF-8 encoded.") from None
        *lines, pending = pending.split("\n")
        yield from (line + "\n" for line in lines)
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def items_from_csv(lines: Iterable[str]) -> Iterator[Item]:
    """The items of a DHIS2 CSV, one per non-empty row; `row` is the line number (the header is line 1)."""
    reader = csv.reader(lines)
    positions = {name: i for i, name in enumerate(CSV_COLUMNS)}
    fields = _FIELDS
    read = itemgetter(*(positions[name] for name in fields))
    width = len(CSV_COLUMNS)
    index = 0
    for number, cells in enumerate(reader, start=1):
        if not "".join(cells).strip():  # only blank cells: the same as every cell being blank
            continue
        if number == 1 and "dataelement" in [c.strip().lower() for c in cells]:
            names = [c.strip().lower() for c in cells]
            positions = {name: names.index(name) for name in CSV_COLUMNS if name in names}
            width = max(positions.values(), default=-1) + 1
            # A header naming every column is read by position at once; otherwise cell by cell.
            read = itemgetter(*(positions[name] for name in fields)) if all(n in positions for n in fields) else None
            continue
        if read is not None and len(cells) >= width:
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
