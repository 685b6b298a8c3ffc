"""A third-party DHIS2 client (dhis2.py 2.3.0 from PyPI), unchanged but for its credentials, pushes and pulls
values against a real govkpi server on loopback.

dhis2.py signs in with HTTP Basic; govkpi takes a token as the password (never a password), so the client's
default configuration works with `Api(server, username, token)`. It calls `/api/system/info` for the version,
`/api/me`, and `/api/{version}/dataValueSets` when a version is set.
"""

import pytest

from govkpi.accounts.tokens import create_token
from govkpi.datavalues.models import DataValue

dhis2 = pytest.importorskip("dhis2")
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]  # a live server on loopback


def test_dhis2_py_pushes_reads_and_is_told_of_conflicts(live_server, elements, month, make_user):
    user = make_user("data_entry", "CP")
    token = create_token(user)[1]
    api = dhis2.Api(live_server.url, user.username, token)
    assert api.version.startswith("2.40") and api.version_int == 40  # read from /api/system/info
    assert api.get("me").json()["username"] == user.username

    body = {"dataValues": [{"dataElement": "DVC_TONG", "period": month, "orgUnit": "01", "value": "400"},
                           {"dataElement": "DVC_TONG", "period": month, "orgUnit": "79", "value": "nhiều"}]}
    answer = api.post("dataValueSets", json=body).json()
    assert answer["status"] == "WARNING" and answer["response"]["importCount"]["imported"] == 1
    assert answer["response"]["conflicts"][0]["errorCode"] == "E7619"
    assert DataValue.objects.get(unit__code="01").value == "400"

    api.api_version = 40
    rows = api.get("dataValueSets", params={"dataElement": "DVC_TONG", "orgUnit": "CP", "children": "true",
                                              "period": month}).json()
    assert [(r["orgUnit"], r["value"]) for r in rows["dataValues"]] == [("01", "400")]

    wrong = dhis2.Api(live_server.url, user.username, "not-a-token")
    with pytest.raises(dhis2.exceptions.RequestException) as refused:
        wrong.get("me")
    assert refused.value.code == 401
