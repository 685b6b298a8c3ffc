"""A second third-party DHIS2 client, dhis2-client 0.3.2 from PyPI (HISP Centre's httpx client), unchanged but
for its credentials, pushes and pulls values against a real govkpi server on loopback.

Only `token` is configured: the client sends `Authorization: ApiToken …` (DHIS2's personal access tokens) on
every request, `Accept: application/json`, and calls `/api/system/info`, `/api/me`, `/api/dataValueSets` and
`/api/dataValues` (GET, POST with DataValueDto's JSON body, DELETE with `co`).
Periods are fixed (2025) and opened by a reporting window, so the day the suite runs does not matter.
"""

import datetime

import pytest

from govkpi.accounts.tokens import create_token
from govkpi.datavalues.models import DataValue, ReportingWindow, WindowState

dhis2_client = pytest.importorskip("dhis2_client")
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]  # a live server on loopback

SEPTEMBER, MAY = "202509", "202505"
DEFAULT_COMBO = "HllvX50cXC0"  # the default category option combo's UID in every DHIS2


@pytest.fixture
def open_periods(db):
    for period in (MAY, SEPTEMBER):
        ReportingWindow.objects.create(period=period, unit=None, state=WindowState.OPEN, reason="kiểm thử",
                                       set_by="test", set_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))


def stored(unit, period):
    found = DataValue.objects.filter(unit__code=unit, period=period, data_element__code="DVC_TONG").first()
    return found.value if found else None


def test_dhis2_client_pushes_pulls_and_is_told_of_conflicts(live_server, elements, open_periods, make_user):
    user = make_user("data_entry", "CP")
    client = dhis2_client.DHIS2Client(live_server.url, token=create_token(user)[1], retries=0)
    try:
        assert client.get_system_info()["version"].startswith("2.40")
        assert client.get_current_user()["username"] == user.username

        answer = client.post_data_value_set({"dataValues": [
            {"dataElement": "DVC_TONG", "period": SEPTEMBER, "orgUnit": "01", "value": "400"},
            {"dataElement": "DVC_TONG", "period": SEPTEMBER, "orgUnit": "79", "value": "nhiều"},
            {"dataElement": "DVC_TONG", "period": MAY, "orgUnit": "02", "value": "7"},  # Hà Giang's GSO code then
        ]})
        summary = answer["response"]
        assert (answer["status"], summary["importCount"]["imported"]) == ("WARNING", 2)
        assert [(c["errorCode"], c["indexes"]) for c in summary["conflicts"]] == [("E7619", [1])]
        assert (stored("01", SEPTEMBER), stored("79", SEPTEMBER), stored("P63-02", MAY)) == ("400", None, "7")

        rows = client.get_data_value_set({"dataElement": "DVC_TONG", "orgUnit": "CP", "children": "true",
                                          "period": SEPTEMBER})
        assert [(r["orgUnit"], r["value"]) for r in rows["dataValues"]] == [("01", "400")]

        client.set_data_value("DVC_TONG", SEPTEMBER, "79", 12, co=DEFAULT_COMBO)
        assert stored("79", SEPTEMBER) == "12"
        client.delete_data_value("DVC_TONG", SEPTEMBER, "79", co=DEFAULT_COMBO)
        assert stored("79", SEPTEMBER) is None
        with pytest.raises(dhis2_client.DHIS2HTTPError) as refused:
            client.set_data_value("DVC_TONG", SEPTEMBER, "79", "abc", co=DEFAULT_COMBO)
        assert refused.value.status_code == 409 and refused.value.payload["errorCode"] == "E7619"
    finally:
        client.close()

    wrong = dhis2_client.DHIS2Client(live_server.url, token="not-a-token", retries=0)
    try:
        with pytest.raises(dhis2_client.DHIS2HTTPError) as unauthorized:
            wrong.get_current_user()
        assert unauthorized.value.status_code == 401
    finally:
        wrong.close()
