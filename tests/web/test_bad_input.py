"""Bad input reachable without sign-in answers 4xx with a Vietnamese-then-English reason, never 500; a 500 is
logged with its traceback; pages behind sign-in are not stored by caches; the API docs need no CDN."""

import logging
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

BAD_INPUTS = [
    ("/rankings/", {"period": "2025M13"}),
    ("/public/rankings/", {"period": "9999"}),
    ("/api/v1/rankings", {"period": "x"}),
    ("/tasks/", {"due": "²"}),
    ("/tasks/", {"due": "99999999999999999999"}),
    ("/api/v1/events", {"after": "²", "once": "1"}),
    ("/api/v1/orgunits", {"offset": "99999999999999999999"}),
    ("/api/v1/dataValueSets", {"orgUnit": "01", "period": "2025\x00"}),
    ("/units/01/", {"period": "\x00"}),
]


@pytest.mark.parametrize(("path", "query"), BAD_INPUTS)
def test_bad_anonymous_input_is_a_4xx_not_a_500(path, query):
    response = Client(raise_request_exception=False).get(path, query)
    assert response.status_code < 500, (path, query, response.status_code)


@pytest.mark.parametrize(("path", "query", "vietnamese"), [
    ("/rankings/", {"period": "2025M13"}, "không phải là mã kỳ hợp lệ"),
    ("/public/rankings/", {"period": "9999"}, "Năm phải từ 1900"),
    ("/api/v1/rankings", {"period": "x"}, "không phải là mã kỳ hợp lệ"),
    ("/api/v1/dataValueSets", {"period": "\x00"}, "ký tự NUL"),
])
def test_a_refused_parameter_is_explained_in_vietnamese_then_english(path, query, vietnamese):
    response = Client(raise_request_exception=False).get(path, query)
    assert response.status_code == 400
    text = response.content.decode()
    assert vietnamese in text
    if path.startswith("/api/"):
        body = response.json()
        assert body["code"] and body["message"] and body["message_en"]
    else:
        assert " / " in text


def test_a_500_is_logged_with_its_traceback(caplog, settings):
    settings.ROOT_URLCONF = "tests.web.failing_urls"
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    errors = [r for r in caplog.records if r.name == "django.request" and r.levelno == logging.ERROR]
    assert errors and errors[0].exc_info is not None
    assert "ZeroDivisionError" in caplog.text and "Traceback" in caplog.text


def test_django_errors_reach_the_root_handler_and_are_not_mailed():
    from django.conf import settings

    django_logger = settings.LOGGING["loggers"]["django"]
    assert django_logger["handlers"] == [] and django_logger.get("propagate", True)
    assert logging.getLogger("django").handlers == []  # Django's mail_admins / DEBUG-only console replaced


def test_pages_behind_sign_in_are_not_stored(client, make_user):
    user = make_user("viewer", "01")
    client.force_login(user)
    for path in ("/", "/account/", "/units/01/", "/api/v1/orgunits"):
        assert client.get(path)["Cache-Control"] == "no-store", path


def test_public_pages_may_still_be_cached(client):
    assert client.get("/public/").get("Cache-Control", "") != "no-store"


def test_api_docs_load_swagger_ui_from_this_server_without_inline_script(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href)=["']https?://""", html), "no CDN"
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts
    for attributes in scripts:  # an executable script has a src; the settings block is JSON data
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
    bundle = re.search(r'src="([^"]*swagger-ui-bundle\.js)"', html).group(1)
    served = client.get(bundle)
    assert served.status_code == 200
    served.close()  # a file response: closed, or the warning is an error


def test_a_huge_or_negative_due_window_on_the_task_api_is_a_4xx():
    for window in ("-61474652", "99999999"):  # found by schemathesis; timedelta overflowed
        response = Client(raise_request_exception=False).get("/api/v1/tasks", {"due_within": window})
        assert 400 <= response.status_code < 500, (window, response.status_code)
