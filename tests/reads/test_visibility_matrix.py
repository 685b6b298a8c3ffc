"""Who sees which of Hà Nội's figures, through every face: viewers × published and unpublished indicators and
data elements × an official and a provisional month × page, API list, API detail, explain, rankings, portal,
open data (CSV, XLSX, JSON), the values export and the event stream.

The expected answers are written out here by hand, not derived from reads.visibility, so a change to the rule
fails this test. The day is 5 September 2025: July's figures are official (due 15 August), August's still
provisional (due 15 September). Hà Nội's July is approved, its August not yet.
"""

import csv
import datetime
import io
import json

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from openpyxl import load_workbook

from govkpi.accounts.roles import Role
from govkpi.accounts.tokens import create_token
from govkpi.datavalues.writer import Item, write_values
from govkpi.evaluation import engine
from govkpi.events.models import ChangeEvent
from govkpi.events.outbox import emit
from govkpi.events.types import ResultsChanged, ScoresChanged, ValuesWritten
from govkpi.indicators.catalog import apply_catalog
from govkpi.live.stream import prepare

from govkpi.orgunits.models import OrgUnit
from tests.conftest import json_body

from ..portal.test_portal import download

pytestmark = pytest.mark.django_db
DAY = datetime.datetime(2025, 9, 5, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))
JUL, AUG = "202507", "202508"
PUB, SECRET = "DVC_TOANTRINH_TYLE", "NOI_BO"  # published ratio; unpublished indicator of its own element
SECRET_NAME = "Chỉ tiêu nội bộ"

# Hà Nội's cells. P/S: published / unpublished indicator; E/N: published / unpublished data element;
# J/A: July (official, approved) / August (provisional, not approved).
PJ, PA, SJ, SA = (PUB, JUL), (PUB, AUG), (SECRET, JUL), (SECRET, AUG)
EJ, EA, NJ, NA = ("DVC_TONG", JUL), ("DVC_TONG", AUG), ("NOI_BO", JUL), ("NOI_BO", AUG)
ALL_RESULTS, PUBLIC_RESULTS = {PJ, PA, SJ, SA}, {PJ}
ALL_VALUES, PUBLIC_VALUES = {EJ, EA, NJ, NA}, {EJ}
# The event stream: these events, written after the world, and what each viewer is sent of them.
STREAM_EVENTS = [
    (ValuesWritten(elements=("NOI_BO",), batch=None, imported=1, updated=0, deleted=0, ignored=0, channel="api"),
     ["01"], [AUG]),
    (ValuesWritten(elements=("DVC_TONG",), batch=None, imported=2, updated=0, deleted=0, ignored=0, channel="api"),
     ["01", "79"], [JUL]),
    (ResultsChanged(changed=2), ["01", "CP"], [JUL]),
    (ResultsChanged(changed=2), ["01", "CP"], [AUG]),
    (ScoresChanged(changed=2), ["01", "79"], [JUL, AUG]),
]
STREAM_FROM = [0]  # the id after which the stream is read (set by the fixture)
EVERYTHING = [("datavalues", ("01",), (AUG,)), ("datavalues", ("01", "79"), (JUL,)),
              ("results", ("01", "CP"), (JUL,)), ("results", ("01", "CP"), (AUG,)),
              ("scores", ("01", "79"), (JUL, AUG))]
HANOI_EVENTS = [("datavalues", ("01",), (AUG,)), ("datavalues", ("01",), (JUL,)), ("results", ("01",), (JUL,)),
                ("results", ("01",), (AUG,)), ("scores", ("01",), (JUL, AUG))]
SAIGON_EVENTS = [("datavalues", ("79",), (JUL,)), ("results", ("01", "CP"), (JUL,)), ("scores", ("79",), (JUL, AUG))]
PUBLIC_EVENTS = [("results", ("01", "CP"), (JUL,)), ("scores", ("01", "79"), (JUL,))]

FACES = ["page", "api_list", "api_detail", "explain", "rankings", "portal", "opendata_csv", "opendata_xlsx",
         "opendata_json", "values", "stream"]
# viewer -> what each face shows of Hà Nội (in FACES order). The portal and open data show the same to all.
READER = (ALL_RESULTS, ALL_RESULTS, {SECRET}, ALL_RESULTS, {JUL, AUG}, PUBLIC_RESULTS, PUBLIC_RESULTS,
          PUBLIC_RESULTS, PUBLIC_RESULTS, ALL_VALUES, HANOI_EVENTS)
OUTSIDER = (PUBLIC_RESULTS, PUBLIC_RESULTS, {SECRET}, PUBLIC_RESULTS, {JUL}, PUBLIC_RESULTS, PUBLIC_RESULTS,
            PUBLIC_RESULTS, PUBLIC_RESULTS, PUBLIC_VALUES, SAIGON_EVENTS)
PUBLIC = (PUBLIC_RESULTS, PUBLIC_RESULTS, set(), PUBLIC_RESULTS, {JUL}, PUBLIC_RESULTS, PUBLIC_RESULTS,
          PUBLIC_RESULTS, PUBLIC_RESULTS, PUBLIC_VALUES, PUBLIC_EVENTS)


def _with(row: tuple, stream: list) -> tuple:
    return (*row[:-1], stream)


EXPECTED = {
    "anonymous": PUBLIC,
    "viewer in Hà Nội": READER,
    "viewer in TP. Hồ Chí Minh": OUTSIDER,
    "data entry in Hà Nội": READER,
    # Readers of the commune only: it hears of nothing the events name but what the public hears.
    "data entry in Phường Ba Đình (below Hà Nội)": _with(OUTSIDER, PUBLIC_EVENTS),
    "national auditor": _with(READER, EVERYTHING),
    "national viewer, token narrowed to TP. Hồ Chí Minh": OUTSIDER,
    "national viewer, token without read": PUBLIC,
}
MEMBERSHIPS = {
    "viewer in Hà Nội": (Role.VIEWER, "01"), "viewer in TP. Hồ Chí Minh": (Role.VIEWER, "79"),
    "data entry in Hà Nội": (Role.DATA_ENTRY, "01"),
    "data entry in Phường Ba Đình (below Hà Nội)": (Role.DATA_ENTRY, "00004"),
    "national auditor": (Role.AUDITOR, "CP"),
    "national viewer, token narrowed to TP. Hồ Chí Minh": (Role.VIEWER, "CP"),
    "national viewer, token without read": (Role.VIEWER, "CP"),
}


@pytest.fixture
def world(small_catalog, approve):
    """Hà Nội and TP. Hồ Chí Minh report July (approved) and Hà Nội August (not yet approved), with an
    unpublished indicator of an unpublished element beside the published ratio."""
    with time_machine.travel(DAY, tick=True):
        small_catalog["data_elements"].append({"code": "NOI_BO", "name_vi": "Số nội bộ", "value_type": "count",
                                               "published": False})
        for element in small_catalog["data_elements"]:
            element.update(frequency="monthly")
        small_catalog["indicators"][-1].update(
            name_vi=SECRET_NAME, frequency="monthly", unit_kinds=["government", "ministry", "province"],
            targets=[{"value": 1000000, "deadline": datetime.date(2025, 12, 31), "scope": "national",
                      "set_by": "T2025", "set_on": datetime.date(2025, 2, 6)}])
        assert apply_catalog(small_catalog).ok
        engine.process_pending()
        write(JUL, ("DVC_TOANTRINH", "01", 1500), ("DVC_TONG", "01", 2000), ("NOI_BO", "01", 987654),
              ("DVC_TOANTRINH", "79", 2451), ("DVC_TONG", "79", 8000), ("NOI_BO", "79", 876543))
        approve(JUL, "01", "79")
        engine.process_pending()
        write(AUG, ("DVC_TOANTRINH", "01", 1700), ("DVC_TONG", "01", 2000), ("NOI_BO", "01", 987655))
        engine.process_pending()
        STREAM_FROM[0] = ChangeEvent.objects.order_by("-id").values_list("id", flat=True).first()
        for change, units, periods in STREAM_EVENTS:
            emit(change, units=units, periods=periods)
        yield


def write(period, *values):
    items = [Item(i, element, period, unit, value) for i, (element, unit, value) in enumerate(values)]
    assert not write_values(items, actor=None, channel="api", check_windows=False).conflicts


def sign_in(client, make_user, viewer: str) -> dict:
    """The viewer's credentials: a session for members, a bearer token for the token cases."""
    if viewer == "anonymous":
        return {}
    role, unit = MEMBERSHIPS[viewer]
    user = make_user(role, unit)
    if viewer.startswith("national viewer, token"):
        narrowed = "TP. Hồ Chí Minh" in viewer
        _token, text = create_token(user, units=[OrgUnit.objects.get(code="79")] if narrowed else [],
                                    actions=["read"] if narrowed else ["enter"])
        return {"HTTP_AUTHORIZATION": f"Bearer {text}"}
    client.force_login(user)
    return {}


# -- reading each face -----------------------------------------------------------------------------------------

def page(client, headers):
    """Hà Nội's dashboard (a session face: token cases read it as the public)."""
    html = client.get("/units/01/").content.decode()
    marks = {PJ: "75,00%", PA: "85,00%", SJ: "987.654", SA: "987.655"}
    return {cell for cell, mark in marks.items() if mark in html}


def api_list(client, headers):
    rows = client.get("/api/v1/results", {"unit": "01"}, **headers).json()["items"]
    return {(r["indicator"], r["period"]) for r in rows}


def api_detail(client, headers):
    return {code for code in (SECRET,) if client.get(f"/api/v1/indicators/{code}", **headers).status_code == 200}


def explain(client, headers):
    cells = set()
    for period in (JUL, AUG):
        response = client.get("/api/v1/scores/01/explain", {"period": period}, **headers)
        if response.status_code == 200:
            items = response.json()["score"]["components"]["indicators"]["items"]
            cells |= {(i["indicator"], period) for i in items}
    return cells


def rankings(client, headers):
    return {period for period in (JUL, AUG) if "01" in {i["unit"] for i in client.get(
        "/api/v1/rankings", {"group": "provinces", "period": period}, **headers).json()["items"]}}


def portal(client, headers):
    """The national figures on the portal: July's 39,51%, August's 85,00% (Hà Nội alone), the secret's name."""
    html = client.get("/public/").content.decode()
    national = {PJ: "39,51%", PA: "85,00%", SJ: SECRET_NAME}
    return {cell for cell, mark in national.items() if mark in html}


def _hanoi(rows):
    return {(r["indicator"], r["period"]) for r in rows if r["unit"] == "01"}


def opendata_csv(client, headers):
    text = download(client, "/public/data/results.csv", **headers).decode("utf-8-sig")
    return _hanoi(csv.DictReader(io.StringIO(text)))


def opendata_xlsx(client, headers):
    sheet = load_workbook(io.BytesIO(download(client, "/public/data/results.xlsx", **headers)))["results"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    return _hanoi(dict(zip(header, row)) for row in rows)


def opendata_json(client, headers):
    return _hanoi(json.loads(download(client, "/public/data/results.json", **headers))["items"])


def values(client, headers):
    rows = json_body(client.get("/api/v1/dataValueSets", {"orgUnit": "01", "startDate": "2025-07-01",
                                                "endDate": "2025-08-31"}, **headers))["dataValues"]
    return {(v["dataElement"], v["period"]) for v in rows if v["dataElement"] in ("DVC_TONG", "NOI_BO")}


def stream(client, headers):
    """What the event stream sends this viewer of the STREAM_EVENTS, through the stream's own door, as
    (kind, units, periods) in the order sent."""
    request = RequestFactory().get("/api/v1/events", {"after": str(STREAM_FROM[0]), "once": "1"},
                                   **({"HTTP_AUTHORIZATION": headers["HTTP_AUTHORIZATION"]} if headers else {}))
    user_id = client.session.get("_auth_user_id")
    user = get_user_model().objects.get(pk=user_id) if user_id else AnonymousUser()
    _subscriber, backlog = prepare(request, user, None)  # what ?once=1 sends, read in this transaction
    sent = [json.loads(text.split("data: ", 1)[1]) for _id, text in backlog]
    return [(data["kind"], tuple(data["units"]), tuple(data["periods"])) for data in sent]


READERS = {"page": page, "api_list": api_list, "api_detail": api_detail, "explain": explain, "rankings": rankings,
           "portal": portal, "opendata_csv": opendata_csv, "opendata_xlsx": opendata_xlsx,
           "opendata_json": opendata_json, "values": values, "stream": stream}


@pytest.mark.parametrize("viewer", list(EXPECTED))
def test_every_cell_of_the_visibility_matrix(client, make_user, world, viewer):
    with time_machine.travel(DAY, tick=True):
        headers = sign_in(client, make_user, viewer)  # a token is for the API: its pages are read as the public
        got = {face: READERS[face](client, headers) for face in FACES}
    expected = dict(zip(FACES, EXPECTED[viewer]))
    wrong = {face: (sorted(got[face]), sorted(expected[face])) for face in FACES if got[face] != expected[face]}
    assert not wrong, f"{viewer}: " + "; ".join(f"{face} showed {g}, expected {e}" for face, (g, e) in wrong.items())
