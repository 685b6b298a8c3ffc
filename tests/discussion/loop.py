"""Data for the approval-loop tests: two monthly elements communes report, one rule between them, and a day
(10 July 2026) on which May and June 2026 are both open for reporting."""

from __future__ import annotations

import datetime

from govkpi.datavalues.models import Channel, ValidationRule
from govkpi.datavalues.writer import Item, write_values
from govkpi.indicators.models import DataElement

DAY = datetime.datetime(2026, 7, 10, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))
MONTH, BEFORE = "202606", "202605"


def make_elements() -> dict[str, DataElement]:
    made = {
        "HS_TIEPNHAN": DataElement.objects.create(code="HS_TIEPNHAN", name_vi="Số hồ sơ tiếp nhận",
                                                  value_type="count", frequency="monthly",
                                                  unit_kinds=["commune", "province"]),
        "HS_TRUCTUYEN": DataElement.objects.create(code="HS_TRUCTUYEN", name_vi="Số hồ sơ trực tuyến",
                                                   value_type="count", frequency="monthly",
                                                   unit_kinds=["commune", "province"]),
        "HS_DIENTU": DataElement.objects.create(code="HS_DIENTU", name_vi="Số hồ sơ số hóa", value_type="count",
                                                frequency="monthly", unit_kinds=["commune", "province"]),
    }
    ValidationRule.objects.create(code="HS_TRUCTUYEN_LE_TIEPNHAN", left="#{HS_TRUCTUYEN}", operator="<=",
                                  right="#{HS_TIEPNHAN}", message_vi="Hồ sơ trực tuyến không được lớn hơn hồ sơ tiếp nhận.",
                                  message_en="Online dossiers cannot exceed dossiers received.")
    return made


def write(user, unit_code: str, period: str, follow_up: bool | None = None, **values: str) -> None:
    """Write values through the one writer, as the form does (windows unchecked, so that a test may write a
    history); fails the test if anything is refused."""
    items = [Item(i, code, period, unit_code, value, follow_up=follow_up) for i, (code, value) in enumerate(values.items())]
    result = write_values(items, actor=user, channel=Channel.WEB, check_windows=False)
    assert not result.conflicts, result.conflicts
