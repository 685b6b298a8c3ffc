"""ADX 1.0 (IHE QRPH ADX profile, namespace urn:ihe:qrph:adx:2015), in and out, as DHIS2 reads and writes it.

In: `<adx><group dataSet= orgUnit= period="2026-09-01/P1M" [attribute dimensions]><dataValue dataElement=
value= [category dimensions]/></group></adx>`. Identifiers are codes (DHIS2's ADX default, idScheme=code).
As in dhis2-core (2.43 DataEntryInput.fromAdxXml; AdxPeriod):
- the period is a start date and an ISO 8601 duration; govkpi has P1D (daily), P7D (weeks from a Monday),
  P1M, P3M, P6M (from 1 January or 1 July) and P1Y (from 1 January). DHIS2 reads other starts as its other
  types (a P7D from a Wednesday is WeeklyWednesday, a P1Y from April is FinancialApril) or rounds to the
  period containing the date; govkpi has none of those, so any other start or duration refuses the payload;
- an `<annotation>` inside a dataValue is its value (DHIS2 writes text values as value="0" plus annotation);
- `categoryOptionCombo` on a dataValue, or `attributeOptionCombo` on a group, is taken as sent; without it,
  every other attribute is a dimension (category code = option code).
Dimensions are kept in the item's category_option_combo / attribute_option_combo as one canonical text:
`name=option` pairs sorted by name and joined by ";", with "%", ";" and "=" in an option written %25, %3B,
%3D (`dimensions_text`; "" when there is none). A category code is an XML name, so it never holds those.
The writer resolves them against the catalog's option combos (datavalues.combos), category and option codes.
Out: what dhis2-core writes, one group per run of rows with the same data set, unit, period and attribute
combination; numbers in `value`, anything else as value="0" and an annotation.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from govkpi.core.periods import Period, PeriodError, PeriodType, parse_period, period_of
from govkpi.datavalues import xmlio
from govkpi.datavalues.combos import DEFAULT_COMBOS
from govkpi.datavalues.dhis2 import PayloadError
from govkpi.datavalues.writer import Item

ADX_NAMESPACE = "urn:ihe:qrph:adx:2015"
_OWN = (ADX_NAMESPACE, "")
_DURATIONS = {"P1D": PeriodType.DAILY, "P7D": PeriodType.WEEKLY, "P1M": PeriodType.MONTHLY,
              "P3M": PeriodType.QUARTERLY, "P6M": PeriodType.SIXMONTHLY, "P1Y": PeriodType.YEARLY}
_DURATION_OF = {ptype: duration for duration, ptype in _DURATIONS.items()}
_STARTS = {PeriodType.WEEKLY: ("thứ Hai", "a Monday"), PeriodType.MONTHLY: ("ngày 1", "the 1st of a month"),
           PeriodType.QUARTERLY: ("ngày 1/1, 1/4, 1/7 hoặc 1/10", "1 January, April, July or October"),
           PeriodType.SIXMONTHLY: ("ngày 1/1 hoặc 1/7", "1 January or 1 July"),
           PeriodType.YEARLY: ("ngày 1/1", "1 January")}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Attributes that are never dimensions (DHIS2's own, and those its test files carry).
_GROUP_FIELDS = frozenset({"dataSet", "orgUnit", "period", "completeDate", "dataSetComplete",
                           "attributeOptionCombo", "comment"})
_VALUE_FIELDS = frozenset({"dataElement", "value", "comment", "followup", "followUp", "deleted", "storedBy",
                           "created", "lastUpdated", "timestamp", "period", "orgUnit", "categoryOptionCombo",
                           "attributeOptionCombo"})
_OPTION_ESCAPES = {"%": "%25", ";": "%3B", "=": "%3D"}
_NAME = re.compile(r"[^\W\d][\w.\-]*")  # an XML name without a colon: what an attribute can be called
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")  # xs:decimal, ADX's type for value


def period_from_adx(text: str) -> str:
    """The DHIS2 period id of an ADX period such as 2026-09-01/P1M (202609); PeriodError if govkpi has none."""
    start, _, duration = text.strip().partition("/")
    if not _DATE.fullmatch(start) or not duration or "/" in duration:
        raise PeriodError("adx_period", f"Kỳ ADX '{text}' phải có dạng ngày-bắt-đầu/thời-lượng, ví dụ "
                                        "2026-09-01/P1M.",
                          f"The ADX period '{text}' must be a start date and a duration, such as 2026-09-01/P1M.",
                          text)
    ptype = _DURATIONS.get(duration)
    if ptype is None:
        raise PeriodError("adx_period", f"Kỳ ADX '{text}': thời lượng {duration} không được hỗ trợ (chỉ có "
                                        f"{', '.join(_DURATIONS)}).",
                          f"The ADX period '{text}': the duration {duration} is not supported (only "
                          f"{', '.join(_DURATIONS)}).", text)
    try:
        day = datetime.date.fromisoformat(start)
        period = period_of(ptype, day)
    except ValueError as error:
        vi, en = (error.message_vi, error.message_en) if isinstance(error, PeriodError) else (
            "ngày không có thật", "no such day")
        raise PeriodError("adx_period", f"Kỳ ADX '{text}': {vi}.", f"The ADX period '{text}': {en}.", text) from None
    if period.start != day:
        starts_vi, starts_en = _STARTS[ptype]
        raise PeriodError("adx_period", f"Kỳ ADX '{text}': kỳ {duration} phải bắt đầu vào {starts_vi} (kỳ chứa "
                                        f"ngày {day:%d/%m/%Y} là {period.id}, bắt đầu {period.start:%d/%m/%Y}).",
                          f"The ADX period '{text}': a {duration} period must start on {starts_en} (the one "
                          f"containing {day} is {period.id}, starting {period.start}).", text)
    return period.id


def adx_period(period_id: str) -> str:
    """The ADX form of a DHIS2 period id, such as 2026-09-01/P1M for 202609."""
    period: Period = parse_period(period_id)
    return f"{period.start.isoformat()}/{_DURATION_OF[period.type]}"


def dimensions_text(dimensions: Mapping[str, str]) -> str:
    """The canonical text of category=option dimensions: sorted `name=option` pairs joined by ";"."""
    return ";".join(f"{name}={_escape(option)}" for name, option in sorted(dimensions.items()))


def dimensions_of(text: str) -> dict[str, str] | None:
    """The dimensions a canonical text names; None when the text is a combination's identifier instead."""
    if "=" not in text:
        return None
    pairs = [pair.partition("=") for pair in text.split(";")]
    if any(not _NAME.fullmatch(name) or not sep for name, sep, _ in pairs):
        return None
    return {name: _unescape(option) for name, _, option in pairs}


def _escape(option: str) -> str:
    return "".join(_OPTION_ESCAPES.get(char, char) for char in option)


def _unescape(option: str) -> str:
    return re.sub("%25|%3B|%3D", lambda match: {"%25": "%", "%3B": ";", "%3D": "="}[match.group()], option)


def items_from_adx(source: bytes | Iterable[bytes], *, max_bytes: int) -> list[Item]:
    """The items of an ADX message, every group's values in order."""
    return list(iter_items_from_adx(source, max_bytes=max_bytes))


def iter_items_from_adx(source: bytes | Iterable[bytes], *, max_bytes: int) -> Iterator[Item]:
    """The items of an ADX message, one by one as the bytes arrive."""
    return xmlio.read_items(source, _Adx(), max_bytes=max_bytes)


class _Adx:
    def __init__(self) -> None:
        self.ready: list[Item] = []
        self.depth = self.group_depth = self.value_depth = self.annotation_depth = 0
        self.groups = self.index = 0
        self.group: dict[str, str] = {}
        self.value: Item | None = None
        self.annotation: list[str] = []

    def start(self, namespace: str, name: str, attributes: dict[str, str], line: int) -> None:
        self.depth += 1
        own = namespace in _OWN
        if self.depth == 1 and (name != "adx" or not own):
            raise PayloadError("not_adx", f"Không phải ADX: phần tử gốc là <{name}> (dòng {line}), cần "
                                          f"<adx xmlns=\"{ADX_NAMESPACE}\">.",
                               f"Not ADX: the root element is <{name}> (line {line}); "
                               f"<adx xmlns=\"{ADX_NAMESPACE}\"> is expected.")
        if name == "group" and own and not self.group_depth:
            self.groups += 1
            self.group_depth = self.depth
            self.group = self._group(attributes, line)
        elif name == "dataValue" and own and not self.value_depth:
            if not self.group_depth:
                raise PayloadError("value_outside_group", f"Giá trị <dataValue> ở dòng {line} nằm ngoài mọi "
                                                          "<group>.",
                                   f"The <dataValue> at line {line} is outside any <group>.")
            self.value_depth = self.depth
            self.value = self._item(attributes, line)
        elif name == "annotation" and own and self.value_depth and self.depth == self.value_depth + 1:
            self.annotation_depth, self.annotation = self.depth, []

    def end(self, namespace: str, name: str) -> None:
        if self.depth == self.annotation_depth:
            self.annotation_depth = 0
            if self.value is not None:
                self.value.value = "".join(self.annotation)  # DHIS2: the annotation is the value
        elif self.depth == self.value_depth:
            self.value_depth = 0
            if self.value is not None:
                self.ready.append(self.value)
                self.value = None
        elif self.depth == self.group_depth:
            self.group_depth = 0
        self.depth -= 1

    def text(self, text: str) -> None:
        if self.annotation_depth:
            self.annotation.append(text)

    def _period(self, text: str, line: int) -> str:
        try:
            return period_from_adx(text)
        except PeriodError as error:
            raise PayloadError("adx_period", f"Nhóm thứ {self.groups} (dòng {line}): {error.message_vi}",
                               f"Group {self.groups} (line {line}): {error.message_en}") from None

    def _group(self, attributes: dict[str, str], line: int) -> dict[str, str]:
        combo = attributes.get("attributeOptionCombo")
        if combo is None:
            combo = dimensions_text(_dimensions(attributes, _GROUP_FIELDS))
        return {"period": self._period(attributes.get("period", ""), line), "orgUnit": attributes.get("orgUnit", ""),
                "attributeOptionCombo": combo}

    def _item(self, attributes: dict[str, str], line: int) -> Item:
        get, group = attributes.get, self.group
        combo = get("categoryOptionCombo")
        if combo is None:
            combo = dimensions_text(_dimensions(attributes, _VALUE_FIELDS))
        item = Item(index=self.index, row=line, data_element=get("dataElement") or "",
                    period=self._period(get("period", ""), line) if get("period") else group["period"],
                    unit=get("orgUnit") or group["orgUnit"], value=get("value"), comment=get("comment"),
                    follow_up=xmlio.flag(get("followup", get("followUp"))), deleted=bool(xmlio.flag(get("deleted"))),
                    category_option_combo=combo,
                    attribute_option_combo=get("attributeOptionCombo") or group["attributeOptionCombo"])
        self.index += 1
        return item


def _dimensions(attributes: dict[str, str], fields: frozenset[str]) -> dict[str, str]:
    return {name: option for name, option in attributes.items() if name not in fields}


def adx_chunks(rows: Iterable[dict[str, Any]], data_set_of: Callable[[str], str | None] | None = None, *,
               exported: datetime.datetime | None = None) -> Iterator[str]:
    """An ADX message of the export rows (`dhis2.export_row`'s shape), in chunks for a streamed answer.

    `data_set_of` gives the data set code of a data element code (None: the group names no data set);
    `exported`, if given, is written as the message's `exported` time.
    """
    return xmlio.batched(_parts(rows, data_set_of or (lambda element: None), exported))


def _parts(rows: Iterable[dict[str, Any]], data_set_of: Callable[[str], str | None],
           exported: datetime.datetime | None) -> Iterator[str]:
    stamp = f' exported="{xmlio.attribute(exported.isoformat())}"' if exported else ""
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<adx xmlns="{ADX_NAMESPACE}"{stamp}>\n'
    current: tuple[Any, ...] | None = None
    for row in rows:
        data_set = data_set_of(row["dataElement"])
        key = (data_set, row["orgUnit"], row["period"], row.get("attributeOptionCombo"))
        if key != current:
            if current is not None:
                yield "  </group>\n"
            named = f' dataSet="{xmlio.attribute(data_set)}"' if data_set else ""
            yield (f'  <group{named} orgUnit="{xmlio.attribute(row["orgUnit"])}" '
                   f'period="{adx_period(row["period"])}"'
                   f'{_combo(row.get("attributeOptionCombo"), "attributeOptionCombo", _GROUP_FIELDS)}>\n')
            current = key
        yield _value(row)
    if current is not None:
        yield "  </group>\n"
    yield "</adx>\n"


def _value(row: dict[str, Any]) -> str:
    cells = f' dataElement="{xmlio.attribute(row["dataElement"])}"'
    cells += _combo(row.get("categoryOptionCombo"), "categoryOptionCombo", _VALUE_FIELDS)
    value = row.get("value")
    text = "" if value is None else str(value)
    if row.get("comment"):
        cells += f' comment="{xmlio.attribute(row["comment"])}"'
    if row.get("followup", row.get("followUp")):
        cells += ' followup="true"'
    if row.get("deleted"):
        cells += ' deleted="true"'
    if _DECIMAL.fullmatch(text):
        return f'    <dataValue{cells} value="{text}"/>\n'
    return f'    <dataValue{cells} value="0"><annotation>{xmlio.text(text)}</annotation></dataValue>\n'


def _combo(combo: str | None, field: str, fields: frozenset[str]) -> str:
    """The attributes that say a combination: none for the default one, its dimensions, or its identifier."""
    if combo is None or combo in DEFAULT_COMBOS:
        return ""
    dimensions = dimensions_of(combo)
    if dimensions is not None and not fields & dimensions.keys():
        return "".join(f' {name}="{xmlio.attribute(option)}"' for name, option in dimensions.items())
    return f' {field}="{xmlio.attribute(combo)}"'
