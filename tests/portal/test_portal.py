"""The public portal: published indicators, rankings, methodology, databases and open data, and never a trace
of an unpublished indicator, for anonymous visitors and signed-in officials alike."""

import csv
import datetime
import io
import json
import re

import pytest
from openpyxl import load_workbook

from govkpi.evaluation import engine
from govkpi.evaluation.models import Result, Score
from govkpi.indicators.catalog import apply_catalog
from govkpi.indicators.models import Indicator

from ..evaluation.test_engine import JULY, write

pytestmark = pytest.mark.django_db
D = datetime.date
PAGES = ["/public/", "/public/rankings/", f"/public/rankings/?period={JULY}", "/public/methodology/",
         "/public/databases/", "/public/data/"]
DOWNLOADS = [f"/public/data/{name}.{fmt}" for name in ("results", "scores", "indicators")
             for fmt in ("csv", "xlsx", "json")]
# Everything that would betray the unpublished indicator NOI_BO: its code, its name, its values (987654 and
# 876543 for two provinces, 1864197 for the country), its achievements, its target and its cited figure.
SECRETS = ["NOI_BO", "Chỉ tiêu nội bộ", "nội bộ", "Internal indicator", "987654", "987.654", "876543", "876.543",
           "1864197", "1.864.197", "98.7654", "98,7654", "87.6543", "87,6543", "424242", "424.242",
           "1000000", "1.000.000"]


@pytest.fixture
def published_and_internal(small_catalog, approve):
    """The small catalog with values for the published DVC_TOANTRINH_TYLE and the unpublished NOI_BO, which
    gets a data element of its own, a target and a cited figure, so it has results, a place in the scores'
    breakdown and a figure that must all stay out of the portal."""
    small_catalog["data_elements"].append({"code": "NOI_BO", "name_vi": "Chỉ tiêu nội bộ", "value_type": "count",
                                           "published": False})
    for element in small_catalog["data_elements"]:
        element.update(frequency="monthly")
    small_catalog["indicators"][-1].update(
        name_en="Internal indicator", frequency="monthly", unit_kinds=["government", "ministry", "province"],
        targets=[{"value": 1000000, "deadline": D(2025, 12, 31), "scope": "national", "set_by": "T2025",
                  "set_on": D(2025, 2, 6)}],
        figures=[{"value": 424242, "period": JULY, "unit": "CP", "source": "T2025", "quote": "nội bộ 424242"}])
    assert apply_catalog(small_catalog).ok
    engine.process_pending()
    write(("DVC_TOANTRINH", "01", 1500), ("DVC_TONG", "01", 2000), ("DVC_TOANTRINH", "79", 2451),
          ("DVC_TONG", "79", 8000), ("NOI_BO", "01", 987654), ("NOI_BO", "79", 876543))
    approve(JULY, "01", "79")  # official figures are made of approved data
    engine.process_pending()
    # The data really is there, in the scores' breakdown too: what the portal hides, it had to hide.
    assert Result.objects.filter(indicator__code="NOI_BO", unit__code="CP", valid_to__isnull=True).exists()
    hanoi = Score.objects.get(unit__code="01", period=JULY, valid_to__isnull=True)
    assert "NOI_BO" in {item["indicator"] for item in hanoi.components["indicators"]["items"]}


def sign_in_as_admin(client, make_user) -> None:
    """A system administrator who has passed the second factor, as a person would (TOTP device, then OTP)."""
    from django_otp import login as otp_login
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = make_user("system_admin", "CP", username="quantri.hethong")
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    request = type("Request", (), {"session": client.session, "user": user})()
    otp_login(request, device)
    request.session.save()


@pytest.fixture
def admin_client(client, make_user):
    sign_in_as_admin(client, make_user)
    assert "quantri.hethong" in client.get("/tasks/").content.decode()  # signed in: other pages name the user
    return client


def download(client, path: str, **headers) -> bytes:
    """A download's body, read to its end (which closes the file it streams from)."""
    return client.get(path, **headers).getvalue()


def body_text(response) -> str:
    """A page or a download as text: CSV and JSON decoded, every cell of every sheet of an XLSX."""
    content = response.getvalue()  # read to the end: a streamed file is closed
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        workbook = load_workbook(io.BytesIO(content))
        return "\n".join(str(cell) for sheet in workbook.worksheets
                         for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None)
    return content.decode("utf-8")


def assert_no_trace(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} in {where}"


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "admin"])
def test_no_page_and_no_download_shows_the_unpublished_indicator(published_and_internal, client, make_user,
                                                                  signed_in):
    if signed_in:
        sign_in_as_admin(client, make_user)
    for path in PAGES + DOWNLOADS:
        response = client.get(path)
        assert response.status_code == 200, path
        text = body_text(response)
        assert_no_trace(text, path)
        assert "quantri.hethong" not in text, path  # no user name, not even the visitor's own


def test_the_portal_shows_the_published_indicator_its_national_result_and_the_cited_figure(
        published_and_internal, client):
    html = client.get("/public/").content.decode()
    assert "Tỷ lệ DVC trực tuyến toàn trình" in html and "DVC_TOANTRINH_TYLE" in html
    assert "39,51%" in html  # the national result, Vietnamese style
    assert "15,21%" in html and "Kết luận 2025" in html  # the figure cited, with its source
    assert '<html lang="vi">' in html


def test_the_rankings_list_the_provinces_with_their_scores(published_and_internal, client):
    html = client.get(f"/public/rankings/?period={JULY}").content.decode()
    assert "Thành phố Hà Nội" in html and "Thành phố Hồ Chí Minh" in html
    hanoi = html.index("Thành phố Hà Nội")
    assert hanoi < html.index("Thành phố Hồ Chí Minh")  # rank 1 before rank 2


def test_the_methodology_page_states_the_formulas_and_the_weights(published_and_internal, client):
    html = client.get("/public/methodology/").content.decode()
    assert "tối đa 100" in html and "đúng, đủ, sạch, sống" in html
    assert "0,50" in html and "0,30" in html and "0,20" in html  # the first version's component weights


def test_downloads_parse_and_hold_the_published_rows(published_and_internal, client):
    rows = list(csv.DictReader(io.StringIO(body_text(client.get("/public/data/results.csv")).lstrip("\ufeff"))))
    national = [r for r in rows if r["unit"] == "CP"]
    assert [(r["indicator"], float(r["value"]), r["demo"]) for r in national] == [
        ("DVC_TOANTRINH_TYLE", pytest.approx(39.51), "false")]
    assert {r["unit"] for r in rows} == {"CP", "01", "79"}

    workbook = load_workbook(io.BytesIO(download(client, "/public/data/scores.xlsx")))
    sheet = workbook["scores"]
    header, *values = list(sheet.iter_rows(values_only=True))
    assert "demo" in header
    july = [dict(zip(header, v)) for v in values if v[header.index("period")] == JULY
            and v[header.index("group")] == "provinces"]
    assert [(r["rank"], r["unit"]) for r in july[:2]] == [(1, "01"), (2, "79")] and len(july) == 34

    document = json.loads(download(client, "/public/data/indicators.json"))
    assert [i["code"] for i in document["items"]] == ["DVC_TOANTRINH_TYLE"]
    indicator = document["items"][0]
    assert indicator["latest_value"] == pytest.approx(39.51) and indicator["demo"] is False
    assert {f["value"] for f in indicator["figures"]} == {39.51, 15.21}

    scores = json.loads(download(client, "/public/data/scores.json"))["items"]
    hanoi = next(s for s in scores if s["unit"] == "01" and s["period"] == JULY)
    assert [i["indicator"] for i in hanoi["components"]["indicators"]["items"]] == ["DVC_TOANTRINH_TYLE"]
    assert "inputs" not in hanoi["components"]["indicators"]["items"][0]


def test_a_cell_starting_with_equals_is_neutralised_in_csv_and_xlsx(published_and_internal, client):
    formula = '=HYPERLINK("http://example.invalid","x")'
    Indicator.objects.filter(code="DVC_TOANTRINH_TYLE").update(name_vi=formula)
    rows = list(csv.DictReader(io.StringIO(body_text(client.get("/public/data/indicators.csv")).lstrip("\ufeff"))))
    assert rows[0]["name_vi"] == "'" + formula
    results = list(csv.DictReader(io.StringIO(body_text(client.get("/public/data/results.csv")).lstrip("\ufeff"))))
    assert {r["indicator_name"] for r in results} == {"'" + formula}
    workbook = load_workbook(io.BytesIO(download(client, "/public/data/indicators.xlsx")))
    sheet = workbook["indicators"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(2, header.index("name_vi") + 1)
    assert cell.value == "'" + formula and cell.data_type == "s"  # text, not a formula
    # JSON is never run by a spreadsheet: it keeps the text as written.
    assert json.loads(download(client, "/public/data/indicators.json"))["items"][0]["name_vi"] == formula


def test_demo_values_carry_a_visible_badge_and_a_demo_column(published_and_internal, client):
    Result.objects.filter(indicator__code="DVC_TOANTRINH_TYLE", valid_to__isnull=True).update(demo=True)
    Score.objects.filter(valid_to__isnull=True, unit__code="01").update(demo=True)
    assert "Số liệu minh họa / demo data" in client.get("/public/").content.decode()
    assert "Số liệu minh họa / demo data" in client.get(f"/public/rankings/?period={JULY}").content.decode()
    rows = list(csv.DictReader(io.StringIO(body_text(client.get("/public/data/results.csv")).lstrip("\ufeff"))))
    assert {r["demo"] for r in rows} == {"true"}
    scores = json.loads(download(client, "/public/data/scores.json"))["items"]
    assert {s["unit"] for s in scores if s["demo"]} == {"01"}


def test_unpublishing_an_indicator_removes_it_from_the_next_download(published_and_internal, client):
    assert "DVC_TOANTRINH_TYLE" in body_text(client.get("/public/data/results.xlsx"))  # now cached
    Indicator.objects.filter(code="DVC_TOANTRINH_TYLE").update(published=False)
    for path in DOWNLOADS:
        assert "DVC_TOANTRINH_TYLE" not in body_text(client.get(path)), path


def test_a_signed_in_official_sees_exactly_what_the_public_sees(published_and_internal, client, admin_client):
    def stable(html: str) -> str:  # the CSRF token differs between sessions
        return re.sub(r'(name="csrfmiddlewaretoken" value|name="csrf-token" content)="[^"]*"', "", html)

    from django.test import Client

    anonymous = Client()
    for path in PAGES:
        assert stable(admin_client.get(path).content.decode()) == stable(anonymous.get(path).content.decode()), path


def test_the_portal_needs_no_sign_in_and_refuses_what_it_does_not_publish(published_and_internal, client):
    for path in PAGES + DOWNLOADS:
        response = client.get(path)
        response.getvalue()  # read to the end: a streamed file is closed
        assert response.status_code == 200, path
    assert client.get("/public/data/users.csv").status_code == 404
    assert client.get("/public/data/results.pdf").status_code == 404
    assert client.post("/public/data/results.csv").status_code in (403, 405)
    response = client.get("/public/data/results.xlsx")
    response.getvalue()
    assert response["Content-Disposition"].startswith('attachment; filename="govkpi-results-')


def test_portal_pages_carry_the_strict_content_security_policy_and_no_inline_script(published_and_internal,
                                                                                      client):
    for path in PAGES:
        response = client.get(path)
        assert "script-src 'self'" in response["Content-Security-Policy"]
        html = response.content.decode()
        assert all("src=" in tag for tag in re.findall(r"<script\b[^>]*>", html)), path
        assert not re.search(r"\son\w+=", html) and "style=" not in html, path
