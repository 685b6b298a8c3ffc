"""One rate limiter for the API, pages, the public portal and the event stream: 429, Retry-After, two languages."""

import pytest

pytestmark = pytest.mark.django_db


def statuses(client, path, n, **extra):
    return [client.get(path, **extra) for _ in range(n)]


@pytest.mark.parametrize(("path", "setting"), [("/", "PAGE_RATE_ANONYMOUS"), ("/public/", "PORTAL_RATE"),
                                               ("/api/v1/events?once=1", "STREAM_RATE")])
def test_pages_portal_and_stream_answer_429_beyond_their_rate(client, settings, path, setting):
    setattr(settings, setting, "2/m")
    answers = statuses(client, path, 3, REMOTE_ADDR="10.9.9.9")
    assert [a.status_code for a in answers[:2]] == [200, 200]
    refused = answers[2]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    text = refused.content.decode()
    assert "Quá nhiều yêu cầu" in text and "Too many requests" in text
    assert client.get(path, REMOTE_ADDR="10.9.9.8").status_code == 200  # another address has its own count


def test_signed_in_pages_count_per_user(client, settings, make_user):
    from govkpi.accounts.roles import Role

    settings.PAGE_RATE_AUTHENTICATED = "2/m"
    client.force_login(make_user(Role.VIEWER, "CP"))
    codes = [client.get("/units/", REMOTE_ADDR=f"10.1.1.{n}").status_code for n in range(3)]
    assert codes == [200, 200, 429]


def test_a_forged_forwarded_for_does_not_reset_the_api_limit(client, settings):
    # Before: ninja's throttle keyed anonymous callers on X-Forwarded-For, so each forged value was a new bucket.
    settings.API_RATE_ANONYMOUS = "2/m"
    codes = [client.get("/api/v1/orgunits", {"limit": 1}, REMOTE_ADDR="10.9.9.9",
                        HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(3)]
    assert codes == [200, 200, 429]
    refused = client.get("/api/v1/orgunits", {"limit": 1}, REMOTE_ADDR="10.9.9.9")
    assert refused.json()["code"] == "rate_limited"
    assert "Quá nhiều yêu cầu" in refused.json()["message"] and "Too many requests" in refused.json()["message"]
    assert int(refused["Retry-After"]) >= 1


def test_behind_a_trusted_proxy_the_api_counts_the_forwarded_client(client, settings):
    settings.API_RATE_ANONYMOUS, settings.TRUSTED_PROXIES = "2/m", "10.0.0.1"
    forwarded = [client.get("/api/v1/orgunits", {"limit": 1}, REMOTE_ADDR="10.0.0.1",
                            HTTP_X_FORWARDED_FOR=f"198.51.100.{n % 2}").status_code for n in range(4)]
    assert forwarded == [200, 200, 200, 200]
