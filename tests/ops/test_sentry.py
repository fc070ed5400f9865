"""OPS-04: errors go to Sentry when SENTRY_DSN is set, with personal data scrubbed (a fake transport)."""

import json

import pytest
import sentry_sdk
from django.test import Client, override_settings
from sentry_sdk.transport import Transport

from accounts.models import User
from core.observability import sentry_before_send, sentry_init

CARD = "6222021234567890128"
PASSWORD = "Hunter2-very-secret!"
REAL_NAME = "欧阳明月"
SESSION = "sessionid-value-5e6f7a8b9c"
API_TOKEN = "tok-dy_admin"
QUERY_TOKEN = "access-token-in-query-1234"


class FakeTransport(Transport):
    """Keeps what would be sent to Sentry."""

    def __init__(self, options=None):
        super().__init__(options)
        self.events: list[dict] = []

    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "event":
                self.events.append(item.payload.json)


@pytest.fixture
def sentry():
    transport = FakeTransport()
    sentry_init("https://public@sentry.example.com/1", environment="test", transport=transport)
    try:
        yield transport
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.ops.urls_boom")
def test_ops_04_errors_reach_sentry_with_personal_data_scrubbed(demo, sentry):
    """OPS-04: an error in a request is reported — exception type, stack — but no card number, password,
    real name, session, API token or query string; the user only as an id."""
    client = Client(raise_request_exception=False)
    user = User.objects.get(username="dy_admin")
    client.force_login(user)
    response = client.post(f"/boom/?access_token={QUERY_TOKEN}", {"card": CARD, "password": PASSWORD, "name": REAL_NAME},
                           HTTP_AUTHORIZATION=f"Token {API_TOKEN}", HTTP_COOKIE=f"sessionid={SESSION}",
                           HTTP_X_REQUEST_ID="sentry-req-1")
    assert response.status_code == 500
    sentry_sdk.flush()
    [event] = sentry.events
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert any(frame.get("function") == "boom" for frame in event["exception"]["values"][-1]["stacktrace"]["frames"])
    text = json.dumps(event, ensure_ascii=False)
    for secret in (CARD, PASSWORD, REAL_NAME, SESSION, API_TOKEN, QUERY_TOKEN, user.username):
        assert secret not in text, secret
    assert event.get("user", {}) in ({}, {"id": str(user.pk)}, {"id": user.pk})
    assert "data" not in event["request"] and "cookies" not in event["request"]


def test_ops_04_before_send_scrubs_extras_breadcrumbs_and_frames():
    """OPS-04: what code attaches (extras, breadcrumbs, frame variables, messages) is scrubbed by key and value."""
    event = {
        "user": {"id": 7, "username": "dy_admin", "email": "a@b.cn", "ip_address": "1.2.3.4"},
        "extra": {"payload": {"password": PASSWORD, "account_no": CARD, "amount": "12.50"}},
        "breadcrumbs": {"values": [{"message": f"GET /x?token={QUERY_TOKEN}"}, {"message": f"card {CARD}"}]},
        "exception": {"values": [{"value": f"refused {CARD}", "stacktrace": {"frames": [
            {"vars": {"real_name": REAL_NAME, "secret": "s3cr3t-value", "n": 3}}]}}]},
        "request": {"url": f"https://x/y?access_token={QUERY_TOKEN}", "query_string": f"access_token={QUERY_TOKEN}",
                    "headers": {"Authorization": f"Token {API_TOKEN}", "User-Agent": "ua"}},
    }
    cleaned = sentry_before_send(event, {})
    text = json.dumps(cleaned, ensure_ascii=False)
    for secret in (PASSWORD, CARD, QUERY_TOKEN, REAL_NAME, "s3cr3t-value", API_TOKEN, "dy_admin", "a@b.cn", "1.2.3.4"):
        assert secret not in text, secret
    assert cleaned["user"] == {"id": 7}
    assert cleaned["extra"]["payload"]["amount"] == "12.50"
    assert cleaned["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["n"] == 3


def test_ops_04_no_sentry_without_a_dsn():
    """OPS-04: SENTRY_DSN unset (the default): nothing is sent anywhere."""
    from django.conf import settings

    assert settings.SENTRY_DSN == ""
    assert not sentry_sdk.get_client().is_active()
