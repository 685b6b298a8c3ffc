import pytest

pytestmark = pytest.mark.django_db


def test_unit_list_is_vietnamese_and_shows_the_real_counts(client):
    response = client.get("/units/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert 'id="count-provinces">34<' in html
    assert 'id="count-communes">3321<' in html
    assert 'id="count-ministries">17<' in html
    assert "Thành phố Hồ Chí Minh" in html and "Bộ Công an" in html


def test_province_page_lists_its_communes(client):
    html = client.get("/units/01/").content.decode()
    assert "126 đơn vị trực thuộc" in html
    assert "Phường Ba Đình" in html
    assert "Thành phố Hà Nội" in html


def test_dissolved_unit_page_shows_its_successor(client):
    html = client.get("/units/P63-02/").content.decode()
    assert "Tỉnh Hà Giang" in html and "Tỉnh Tuyên Quang" in html
    assert "đã giải thể" in html


def test_unknown_unit_page_is_404(client):
    assert client.get("/units/NOPE/").status_code == 404


def test_static_css_is_served_by_the_app_itself(client):
    response = client.get("/static/govkpi/govkpi.css")
    try:
        body = b"".join(response.streaming_content)
    finally:
        response.close()
    assert response.status_code == 200
    assert b".topbar" in body
