"""DHIS2's XML dataValueSet (DXF2, namespace http://dhis2.org/schema/dxf/2.0), in and out.

In: `<dataValueSet dataSet= period= orgUnit= attributeOptionCombo=><dataValue dataElement= period= orgUnit=
categoryOptionCombo= attributeOptionCombo= value= comment= followUp= deleted=/></dataValueSet>`; the header's
period, orgUnit and attributeOptionCombo apply to values without their own, as in the JSON dataValueSet.
Read as dhis2-core reads it (2.43 DataEntryInput.fromDxf2Xml, 2.42 XmlDataValueSetReader): the root must be
`<dataValueSet>` (DHIS2 refuses a `<dataValueSets>` wrapper: "Neither <dataValueSet> nor <adx> root tag
found"), a `<dataValue>` anywhere inside it counts, and the flag is spelled `followUp` (DHIS2's own test files
write `followup`; both are read). A header period in ADX form (2026-09-01/P1M), which dhis2-core 2.43's XML
export writes, is read too. Out: what dhis2-core writes, from the rows `dhis2.export_row` gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from govkpi.core.periods import PeriodError
from govkpi.datavalues import xmlio
from govkpi.datavalues.adx import period_from_adx
from govkpi.datavalues.dhis2 import PayloadError
from govkpi.datavalues.writer import Item

DXF2_NAMESPACE = "http://dhis2.org/schema/dxf/2.0"
_OWN = (DXF2_NAMESPACE, "")  # DHIS2 matches local names, so a payload without the namespace is read too


def items_from_xml(source: bytes | Iterable[bytes], *, max_bytes: int,
                   header: dict[str, str] | None = None) -> list[Item]:
    """The items of a DXF2 XML dataValueSet; `header`, if given, receives the dataValueSet's own attributes."""
    return list(iter_items_from_xml(source, max_bytes=max_bytes, header=header))


def iter_items_from_xml(source: bytes | Iterable[bytes], *, max_bytes: int,
                        header: dict[str, str] | None = None) -> Iterator[Item]:
    """The items of a DXF2 XML dataValueSet, one by one as the bytes arrive (the header is filled first)."""
    return xmlio.read_items(source, _DataValueSet(header if header is not None else {}), max_bytes=max_bytes)


class _DataValueSet:
    def __init__(self, header: dict[str, str]) -> None:
        self.header, self.ready = header, []
        self.depth = self.value_depth = 0
        self.index = 0

    def start(self, namespace: str, name: str, attributes: dict[str, str], line: int) -> None:
        self.depth += 1
        if self.depth == 1:
            self._open(namespace, name, attributes, line)
        elif name == "dataValue" and namespace in _OWN and not self.value_depth:
            self.value_depth = self.depth
            self.ready.append(self._item(attributes, line))

    def end(self, namespace: str, name: str) -> None:
        if self.depth == self.value_depth:
            self.value_depth = 0
        self.depth -= 1

    def text(self, text: str) -> None:
        return None

    def _open(self, namespace: str, name: str, attributes: dict[str, str], line: int) -> None:
        if name == "dataValueSets":
            raise PayloadError("data_value_sets", "DHIS2 không nhận gói <dataValueSets>: hãy gửi từng "
                                                  "<dataValueSet> riêng.",
                               "DHIS2 does not take a <dataValueSets> wrapper: send each <dataValueSet> "
                               "on its own.")
        if name != "dataValueSet" or namespace not in _OWN:
            raise PayloadError("not_a_data_value_set",
                               f"Không phải dataValueSet: phần tử gốc là <{name}> (dòng {line}), cần "
                               f"<dataValueSet xmlns=\"{DXF2_NAMESPACE}\">.",
                               f"Not a dataValueSet: the root element is <{name}> (line {line}); "
                               f"<dataValueSet xmlns=\"{DXF2_NAMESPACE}\"> is expected.")
        self.header.update(attributes)
        period = attributes.get("period") or ""
        if "/" in period:
            try:
                self.header["period"] = period_from_adx(period)
            except PeriodError as error:
                raise PayloadError("bad_period", f"Kỳ của dataValueSet (dòng {line}): {error.message_vi}",
                                   f"The dataValueSet's period (line {line}): {error.message_en}") from None

    def _item(self, attributes: dict[str, str], line: int) -> Item:
        get, header = attributes.get, self.header
        item = Item(index=self.index, row=line, data_element=get("dataElement") or "",
                    period=get("period") or header.get("period") or "",
                    unit=get("orgUnit") or header.get("orgUnit") or "",
                    value=get("value"), comment=get("comment"),
                    follow_up=xmlio.flag(get("followUp", get("followup"))),
                    deleted=bool(xmlio.flag(get("deleted"))),
                    category_option_combo=get("categoryOptionCombo") or "",
                    attribute_option_combo=get("attributeOptionCombo") or header.get("attributeOptionCombo") or "")
        self.index += 1
        return item


# Written in this order, as dhis2-core's DataExportOutput.toXml does; absent (None) ones are left out.
_FIELDS = ("dataElement", "period", "orgUnit", "categoryOptionCombo", "attributeOptionCombo", "value", "storedBy",
           "created", "lastUpdated", "comment")


def xml_chunks(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A DXF2 XML dataValueSet of the export rows (`dhis2.export_row`'s shape), in chunks for a streamed answer."""
    return xmlio.batched(_parts(rows))


def _parts(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<dataValueSet xmlns="{DXF2_NAMESPACE}">\n'
    for row in rows:
        cells = "".join(f' {name}="{xmlio.attribute(row[name])}"' for name in _FIELDS
                        if row.get(name) is not None)
        follow_up = row.get("followup", row.get("followUp"))
        if follow_up is not None:  # "false" too, unlike DHIS2: read back, it clears the flag as it should
            cells += f' followUp="{"true" if follow_up else "false"}"'
        if row.get("deleted"):
            cells += ' deleted="true"'
        yield f"  <dataValue{cells}/>\n"
    yield "</dataValueSet>\n"
