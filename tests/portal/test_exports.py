"""The portal's table downloads: the rows its pages show the public, the same whoever is signed in, the month
asked for applied, and never an unpublished indicator or a provisional figure."""

from __future__ import annotations

import csv
import io
import re

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from govkpi.accounts.roles import Role
from govkpi.evaluation import engine
from govkpi.indicators.models import TrackedDatabase
from govkpi.orgunits.models import OrgUnit

from . import test_opendata_files, test_portal
from .test_portal import JULY, SECRETS

pytestmark = pytest.mark.django_db
published_and_internal = test_portal.published_and_internal  # the fixtures: NOI_BO unpublished, July scored;
july_official = test_opendata_files.july_official  # on 5 September 2025, July official and August reported
TABLES = [("/public/", "indicators"), ("/public/", "rankings-provinces"), ("/public/", "rankings-ministries"),
          ("/public/rankings/", "rankings-provinces"), ("/public/rankings/", "rankings-ministries"),
          ("/public/databases/", "databases")]


def csv_rows(client, path: str, name: str, **params) -> tuple[bytes, list[dict[str, str]]]:
    response = client.get(path, {"export": name, "format": "csv", **params})
    assert response.status_code == 200, (path, name)
    return response.content, list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_text(client, path: str, name: str) -> str:
    response = client.get(path, {"export": name, "format": "xlsx"})
    book = load_workbook(io.BytesIO(response.content))
    return "\n".join(str(v) for s in book.worksheets for row in s.iter_rows(values_only=True) for v in row if v)


def test_the_indicators_download_is_the_portals_table(published_and_internal, client):
    page = client.get("/public/").content.decode()
    assert "?export=indicators&amp;format=csv" in page
    content, rows = csv_rows(client, "/public/", "indicators")
    assert content.startswith(b"\xef\xbb\xbf")
    assert [r["Mã chỉ tiêu"] for r in rows] == re.findall(r'<tr id="indicator-([^"]+)">', page) == ["DVC_TOANTRINH_TYLE"]
    assert rows[0]["Chỉ tiêu"] == "Tỷ lệ DVC trực tuyến toàn trình" and rows[0]["Kỳ"] == "07/2025"
    assert float(rows[0]["Giá trị"]) == pytest.approx(39.51) and rows[0]["Tình trạng"] == "Chậm tiến độ"
    book = load_workbook(io.BytesIO(client.get("/public/", {"export": "indicators", "format": "xlsx"}).content))
    sheet = book.active
    value = next(c for row in sheet.iter_rows() for c in row if c.value == pytest.approx(0.3951))
    assert value.data_type == "n" and value.number_format == "0.00%"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_no_portal_download_holds_the_unpublished_indicator(published_and_internal, client, fmt):
    for path, name in TABLES:
        response = client.get(path, {"export": name, "format": fmt})
        assert response.status_code == 200, (path, name)
        text = response.content.decode("utf-8-sig") if fmt == "csv" else xlsx_text(client, path, name)
        for secret in SECRETS:
            assert secret not in text, (secret, path, name)


def test_a_signed_in_official_downloads_what_the_public_downloads(published_and_internal, client, make_user):
    anonymous = Client()
    test_portal.sign_in_as_admin(client, make_user)  # a system administrator past the second factor
    for path, name in TABLES:
        assert csv_rows(client, path, name)[0] == csv_rows(anonymous, path, name)[0], (path, name)


def test_the_rankings_download_lists_the_month_asked_for_as_the_page_does(published_and_internal, client):
    page = client.get("/public/rankings/", {"period": JULY}).content.decode()
    _, rows = csv_rows(client, "/public/rankings/", "rankings-provinces", period=JULY)
    assert len(rows) == 34 and [r["Mã đơn vị"] for r in rows[:2]] == ["01", "79"]
    assert page.index("Thành phố Hà Nội") < page.index("Thành phố Hồ Chí Minh")
    assert set(rows[0]) >= {"Hạng", "Đơn vị", "Điểm", "Chỉ tiêu", "Nhiệm vụ", "Chất lượng dữ liệu", "Thay đổi hạng"}
    _, top = csv_rows(client, "/public/", "rankings-provinces")
    _, latest = csv_rows(client, "/public/rankings/", "rankings-provinces")  # the latest month, as on the first page
    assert [r["Mã đơn vị"] for r in top] == [r["Mã đơn vị"] for r in latest[:5]] and top
    assert "Chỉ tiêu" not in top[0]  # the first page's short table: rank, unit, score, change
    _, none = csv_rows(client, "/public/rankings/", "rankings-provinces", period="199001")
    assert none == []  # a month without scores: an empty table, on the page and in the file


def test_the_databases_download_holds_each_tracked_database(client):
    owner = OrgUnit.objects.get(code="BCA")
    TrackedDatabase.objects.create(code="CSDL_DANCU", name_vi="Cơ sở dữ liệu quốc gia về dân cư", owner=owner,
                                   in_decree_47_2024=True, status="operating", demo=True)
    _, rows = csv_rows(client, "/public/databases/", "databases")
    assert [(r["Mã"], r["Cơ sở dữ liệu"], r["Cơ quan chủ quản"], r["Nghị định 47/2024"], r["Trạng thái"],
             r["Số liệu minh họa"]) for r in rows] == [
        ("CSDL_DANCU", "Cơ sở dữ liệu quốc gia về dân cư", "Bộ Công an", "Có", "Đang vận hành", "Có")]


def test_a_provisional_month_never_reaches_a_portal_download(july_official, client, make_user):
    with time_machine.travel(test_opendata_files.DAY, tick=True):
        test_opendata_files.write(test_opendata_files.AUG, ("DVC_TOANTRINH", "01", 1900), ("DVC_TONG", "01", 2000))
        engine.process_pending()
        client.force_login(make_user(Role.VIEWER, "01"))  # reads Hà Nội's provisional August elsewhere
        content, rows = csv_rows(client, "/public/", "indicators")
        assert rows[0]["Kỳ"] == "07/2025" and float(rows[0]["Giá trị"]) == pytest.approx(75.0)
        assert b"08/2025" not in content and "tạm tính" not in content.decode("utf-8-sig")
