"""A small catalog of data elements and periods that are open today, for the data-collection tests."""

import datetime

import pytest
from django.utils import timezone

from govkpi.core.periods import PeriodType, period_of
from govkpi.datavalues.models import ValidationRule
from govkpi.indicators.models import DataElement


@pytest.fixture
def elements(db):  # noqa: ANN001
    """Monthly counts for ministries and provinces, a yearly percentage for communes, and one rule."""
    made = {
        "DVC_TOANTRINH": DataElement.objects.create(code="DVC_TOANTRINH", name_vi="Số DVC toàn trình",
                                                    value_type="count", frequency="monthly",
                                                    unit_kinds=["ministry", "province"]),
        "DVC_TONG": DataElement.objects.create(code="DVC_TONG", name_vi="Tổng số TTHC", value_type="count",
                                               frequency="monthly", unit_kinds=["ministry", "province"]),
        "TYLE_XA": DataElement.objects.create(code="TYLE_XA", name_vi="Tỷ lệ hồ sơ trực tuyến của xã",
                                              value_type="percentage", frequency="monthly", unit_kinds=["commune"]),
        "NGAY_KET_NOI": DataElement.objects.create(code="NGAY_KET_NOI", name_vi="Ngày kết nối", value_type="date",
                                                   frequency="monthly"),
    }
    ValidationRule.objects.create(code="DVC_TOANTRINH_LE_TONG", left="#{DVC_TOANTRINH}", operator="<=",
                                  right="#{DVC_TONG}",
                                  message_vi="Số DVC toàn trình không được lớn hơn tổng số TTHC.",
                                  message_en="End-to-end services cannot exceed the total of procedures.")
    return made


@pytest.fixture
def month():
    """Last month: open for reporting today."""
    return period_of(PeriodType.MONTHLY, timezone.localdate()).previous().id


@pytest.fixture
def today():
    return timezone.localdate()


D = datetime.date
