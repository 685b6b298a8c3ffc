"""No HTML error page under /api/: every error is a JSON problem (a WebMessage on DHIS2's paths), a busy or
gone database a retryable 503 with Retry-After, a lost race a retryable 409; pages keep HTML."""

import logging

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def anonymous():
    return Client(raise_request_exception=False)


def test_unknown_addresses_and_methods_answer_json_problems():
    client = anonymous()
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing["Content-Type"].startswith("application/json")
    assert missing.json()["code"] == "not_found" and missing.json()["message_en"] == "No such address."
    wrong_method = client.delete("/api/v1/orgunits")
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == "method_not_allowed"
    assert "GET" in wrong_method["Allow"]  # what the client may do instead is kept
    dhis2 = client.get("/api/no-such-thing")
    assert dhis2.status_code == 404
    assert dhis2.json()["httpStatusCode"] == 404 and dhis2.json()["status"] == "ERROR"  # DHIS2's WebMessage
    assert "Không có" in dhis2.json()["message"].split(" / ")[0]  # Vietnamese first


def test_pages_keep_their_html_404():
    response = anonymous().get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("kind", "status", "code"), [
    ("locked", 503, "database_unavailable"), ("lock_timeout", 503, "database_unavailable"),
    ("readonly", 503, "database_read_only"), ("disk_full", 503, "database_disk_full"),
    ("pg_disk_full", 503, "database_disk_full"), ("duplicate", 409, "conflict")])
def test_database_failures_are_retryable_problems_on_the_api(settings, kind, status, code):
    settings.ROOT_URLCONF = "tests.web.problem_urls"
    response = anonymous().post(f"/api/v1/fail/{kind}")
    assert response.status_code == status and response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == code and response.json()["retryable"] is True
    assert int(response["Retry-After"]) > 0
    dhis2 = anonymous().post(f"/api/fail/{kind}").json()
    assert (dhis2["httpStatusCode"], dhis2["status"], dhis2["retryable"]) == (status, "ERROR", True)


def test_an_unexpected_error_is_a_logged_500_problem_on_the_api(settings, caplog):
    settings.ROOT_URLCONF = "tests.web.problem_urls"
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = anonymous().get("/api/v1/fail/bug")
    assert response.status_code == 500 and response.json() == {
        "code": "server_error", "message": "Lỗi máy chủ; lỗi đã được ghi lại.",
        "message_en": "Server error; it has been logged.", "retryable": False}
    assert "Retry-After" not in response
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)  # the traceback


def test_pages_answer_a_503_page_when_the_database_is_busy_and_django_s_500_otherwise(settings, caplog):
    settings.ROOT_URLCONF = "tests.web.problem_urls"
    with caplog.at_level(logging.ERROR, logger="django.request"):
        busy = anonymous().get("/fail/locked")
        bug = anonymous().get("/fail/bug")
    assert busy.status_code == 503 and busy["Content-Type"].startswith("text/html") and busy["Retry-After"]
    assert "thử lại" in busy.content.decode()
    assert bug.status_code == 500 and bug["Content-Type"].startswith("text/html")
    assert any(r.exc_info and r.exc_info[0].__name__ == "OperationalError" for r in caplog.records)


def test_a_plain_text_refusal_under_the_api_becomes_a_problem_in_its_own_words(settings):
    settings.STREAM_RATE = "1/m"
    client = anonymous()
    client.get("/api/v1/events?once=1", REMOTE_ADDR="10.7.7.7")
    refused = client.get("/api/v1/events?once=1", REMOTE_ADDR="10.7.7.7")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert refused.json()["message"].startswith("Quá nhiều yêu cầu") and "Too many" in refused.json()["message_en"]
    assert 1 <= int(refused["Retry-After"]) <= 60  # the limiter's own wait, not the problem's default


def test_a_404_raised_inside_an_api_route_is_the_same_problem(rf):
    from django.http import Http404

    from govkpi.api.main import api

    response = api.on_exception(rf.get("/api/v1/orgunits/NOPE"), Http404("no such unit"))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json") and b'"code": "not_found"' in response.content
