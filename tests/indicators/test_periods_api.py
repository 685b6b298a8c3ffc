import pytest

pytestmark = pytest.mark.django_db


def test_a_period_with_dates_labels_and_the_periods_containing_it(client):
    body = client.get("/api/v1/periods/202509").json()
    assert body["type"] == "monthly"
    assert (body["start"], body["end"]) == ("2025-09-01", "2025-09-30")
    assert body["label_vi"] == "Tháng 9/2025"
    assert body["contained_in"] == ["2025Q3", "2025S2", "2025"]


def test_quarter_label_is_vietnamese_roman(client):
    assert client.get("/api/v1/periods/2025Q3").json()["label_vi"] == "Quý III/2025"


@pytest.mark.parametrize("bad, code", [("2025Q5", "quarter_out_of_range"), ("202513", "month_out_of_range"),
                                       ("2025W54", "week_out_of_range"), ("20250230", "invalid_date")])
def test_invalid_period_is_400_with_the_reason(client, bad, code):
    response = client.get(f"/api/v1/periods/{bad}")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["message"] and response.json()["message_en"]


def test_periods_of_a_type_in_a_range(client):
    items = client.get("/api/v1/periods", {"type": "quarterly", "start": "2025-02-01", "end": "2025-12-31"}).json()
    assert [p["id"] for p in items] == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert client.get("/api/v1/periods", {"type": "daily", "start": "2000-01-01", "end": "2025-01-01"}).status_code \
        == 400
    assert client.get("/api/v1/periods", {"type": "monthly", "start": "2025-02-01", "end": "2025-01-01"}).status_code \
        == 400
