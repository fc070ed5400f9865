"""OPS-03: one JSON line per request and per task, with the request id, user, shop, duration and outcome;
no token, password, card number, real name or platform/rail secret in any line."""

import io
import json
import logging

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from accounts.models import User
from core import observability
from core.observability import ContextFilter, JsonFormatter, RequestLogMiddleware, scrub_text
from tests.payouts.api_support import PDD_BODY, create, signed_callback

REAL_NAME = "欧阳明月"
PASSWORD = "Hunter2-very-secret!"
CARD = "6222021234567890128"  # Luhn-valid bank card number
CARD_SPACED = "6222 0212 3456 7890 128"
ID_NUMBER = "11010519491231002X"
DOUYIN_SECRET = "dy-app-secret-never-log-4f1c2e"
PDD_SECRET = "pdd-client-secret-never-log-9a8b7c"
RAIL_KEY = "q0lG6e3Yv8X3k2lZfJ2Wmq1m2s8cY0W9kq7sQeFh6xY="
ACCESS_TOKEN = "douyin-access-token-7d3f9a1b"
SESSION = "sessionid-value-5e6f7a8b9c"


@pytest.fixture
def lines():
    """Every log line written while the test runs, formatted as production formats them."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s %(request_id)s %(user)s %(shop)s",
                                       timestamp=True))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    observability._secret_values = None

    def read():
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    read.handler = handler
    try:
        yield read
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        observability._secret_values = None


def request_lines(all_lines):
    return [line for line in all_lines if line["logger"] == "backoffice.request"]


@pytest.mark.django_db
def test_ops_03_one_json_line_per_request_with_id_user_shop_duration_outcome(demo, api, lines):
    """OPS-03: the request id is taken from X-Request-ID (and returned); the line names the user and shop."""
    response = api("tok-dy_admin").get("/api/v1/shop/balance/", HTTP_X_REQUEST_ID="abc-123")
    assert response.status_code == 200 and response["X-Request-ID"] == "abc-123"
    [line] = request_lines(lines())
    user = User.objects.get(username="dy_admin")
    assert line["request_id"] == "abc-123"
    assert line["user"] == user.pk and line["shop"] == user.shop_id
    assert line["status"] == 200 and line["outcome"] == "ok" and line["method"] == "GET"
    assert line["route"] == "api/v1/shop/balance/"
    assert line["duration_ms"] >= 0 and line["db_queries"] >= 1
    assert line["level"] == "INFO" and "timestamp" in line


@pytest.mark.django_db
@pytest.mark.parametrize("given", [None, "", "bad id with spaces", "x" * 65, "a\nb"])
def test_ops_03_request_id_is_made_when_missing_or_unusable(lines, given):
    """OPS-03: no X-Request-ID (or one that is not a plain token) → a new id, returned and logged."""
    extra = {"HTTP_X_REQUEST_ID": given} if given is not None else {}
    response = Client().get("/healthz", **extra)
    made = response["X-Request-ID"]
    assert made and made != given and len(made) == 32
    [line] = request_lines(lines())
    assert line["request_id"] == made and line["user"] is None and line["outcome"] == "ok"


@pytest.mark.django_db
def test_ops_03_failed_requests_are_logged_with_their_outcome(lines):
    Client().get("/api/v1/shop/balance/")
    Client().get("/no-such-page/?token=abc")
    first, second = request_lines(lines())
    assert first["status"] == 401 and first["outcome"] == "client_error"
    assert second["status"] == 404 and second["path"] == "/no-such-page/" and "token" not in json.dumps(second)


@pytest.mark.django_db
def test_ops_03_no_secret_reaches_any_log_line(demo, api, lines):
    """OPS-03: a request full of secrets — API token, password, card number, real name, ID number, platform
    and rail secrets, session cookie — and code that logs carelessly: none of them reaches any log line."""
    secrets = [PASSWORD, CARD, CARD_SPACED, REAL_NAME, ID_NUMBER, DOUYIN_SECRET, PDD_SECRET, RAIL_KEY,
               ACCESS_TOKEN, SESSION, "tok-pdd_admin", "tok-buyer_invalid", settings.PAYOUT_CALLBACK_SECRET]
    with override_settings(DOUYIN_APP_SECRET=DOUYIN_SECRET, PDD_CLIENT_SECRET=PDD_SECRET, PAYMENT_RAIL_KEYS=[RAIL_KEY]):
        observability._secret_values = None
        # a payout fails at the rail (signed callback), then the buyer fills in the card: number and real name
        payout = create(api("tok-pdd_admin"), **{**PDD_BODY, "order_no": "PDD2005"})
        signed_callback(api(), {"ref": f"PO{payout['id']}-1", "status": "failed", "error_code": "ACCOUNT_INVALID"})
        card_id = api("tok-pdd_admin").get(f"/api/v1/payouts/{payout['id']}/").json()["cards"][0]["id"]
        response = api("tok-buyer_invalid").post(
            f"/api/v1/payout-cards/{card_id}/?access_token={ACCESS_TOKEN}",
            {"channel": "bank_card", "account": CARD_SPACED, "name": REAL_NAME, "id_number": ID_NUMBER,
             "password": PASSWORD, "app_secret": DOUYIN_SECRET},
            format="json", HTTP_COOKIE=f"sessionid={SESSION}", HTTP_X_API_KEY=PDD_SECRET,
        )
        assert response.status_code == 200, response.content
        # a failed and a good sign-in through the admin form
        client = Client()
        client.post("/admin/login/", {"username": "dy_admin", "password": PASSWORD})
        client.post(f"/admin/login/?password={PASSWORD}", {"username": "dy_admin", "password": "demo1234"})
        # a platform push with a forged signature, carrying the app secret in its body
        Client().post("/platforms/douyin/push/", data=json.dumps([{"tag": "x", "msg": {"secret": PDD_SECRET}}]),
                      content_type="application/json", HTTP_EVENT_SIGN="forged", HTTP_APP_ID="1")
        # code that logs carelessly
        careless = logging.getLogger("careless")
        careless.info("GET https://openapi-fxg.jinritemai.com/order/searchList?access_token=%s&app_key=1", ACCESS_TOKEN)
        careless.info("refresh with %s and %s", DOUYIN_SECRET, PDD_SECRET)
        careless.warning("transfer to card %s", CARD)
        careless.warning("transfer to card %s", CARD_SPACED)
        careless.info("rail answer", extra={"authorization": f"Bearer {ACCESS_TOKEN}", "payee_real_name": REAL_NAME,
                                            "payload": {"password": PASSWORD, "card_no": CARD, "sealed": RAIL_KEY}})
        careless.info({"event": "callback", "sign": "abcdef", "id_card": ID_NUMBER, "account_no": CARD})
        careless.info("headers: Authorization: Token tok-pdd_admin; X-Callback-Secret=%s", settings.PAYOUT_CALLBACK_SECRET)
        try:
            raise ValueError(f"rail refused card {CARD} password={PASSWORD}")
        except ValueError:
            careless.exception("rail call failed")
    written = lines()
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in written)
    assert len(request_lines(written)) >= 7
    leaked = [s for s in secrets if s in text]
    assert leaked == []
    assert "[redacted]" in text  # the careless lines were kept, with their secrets replaced


def test_ops_03_scrub_keeps_ordinary_numbers():
    """OPS-03: order numbers and amounts stay readable: only Luhn-valid card numbers are replaced."""
    assert scrub_text("order 6921734512345678901 amount 12.50") == "order 6921734512345678901 amount 12.50"
    assert scrub_text(f"card {CARD}") == "card [redacted]"
    assert scrub_text("Bearer abcdef123456") == "Bearer [redacted]"
    assert scrub_text("mobile 13812345678") == "mobile [redacted]"


@pytest.mark.django_db(transaction=True)
def test_ops_03_request_id_travels_into_the_tasks_a_request_enqueues(lines):
    """OPS-03: a task enqueued by a request carries the request id (a message header) and logs one line with
    it — the task's own lines and the task line with its duration and outcome."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    @app.task(name="tests.ops.echo_task", shared=False)
    def echo_task(n):
        logging.getLogger("tests.echo").info("echo %s", n)
        return n

    def view(request):
        echo_task.delay(7)
        return HttpResponse("queued")

    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10):
        logging.getLogger().addHandler(lines.handler)  # the worker's start configured logging anew
        logging.getLogger().setLevel(logging.INFO)
        request = RequestFactory().get("/queue-something/", HTTP_X_REQUEST_ID="req-into-task-42")
        response = RequestLogMiddleware(view)(request)
        assert response["X-Request-ID"] == "req-into-task-42"
        for _ in range(100):
            # the echo task's own task line (messages other tests left in the queue may come first)
            if any(line["logger"] == "backoffice.task" and line.get("task") == "tests.ops.echo_task"
                   for line in lines()):
                break
            import time

            time.sleep(0.1)
    written = lines()
    [echo] = [line for line in written if line["logger"] == "tests.echo"]
    [task] = [line for line in written if line["logger"] == "backoffice.task" and line.get("task") == "tests.ops.echo_task"]
    assert echo["request_id"] == task["request_id"] == "req-into-task-42"
    assert task["task"] == "tests.ops.echo_task" and task["outcome"] == "success" and task["duration_ms"] >= 0
    assert all("[redacted]" not in line["message"] for line in written)  # task ids and timings stay readable
