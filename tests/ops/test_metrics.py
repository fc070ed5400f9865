"""OPS-02: /metrics behind the metrics token (or an allowed network), with the product's own metrics."""

import re
import time

import pytest
from django.db.models import F
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import Shop, ShopAccount
from core import clocks
from core.models import RailCall
from core.observability import rail_call
from payouts.models import Payout
from platforms.models import PlatformConnection

pytestmark = pytest.mark.django_db
TOKEN = "metrics-token-for-tests-0123456789"


def scrape(**extra) -> str:
    with override_settings(METRICS_TOKEN=TOKEN):
        response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def samples(text: str) -> dict[tuple, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def value(text: str, name: str, **labels) -> float:
    return samples(text)[(name, tuple(sorted(labels.items())))]


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Token {TOKEN}"])
def test_ops_02_metrics_refuses_without_the_token(header):
    """OPS-02: no token, a wrong one or another scheme → 401, no metric shown."""
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    with override_settings(METRICS_TOKEN=TOKEN):
        response = Client().get("/metrics", **extra)
    assert response.status_code == 401
    assert b"backoffice_" not in response.content
    assert response.json()["code"] == "not_authenticated"


def test_ops_02_metrics_refuses_everyone_when_nothing_is_configured():
    """OPS-02: no METRICS_TOKEN and no allowed network: nobody reads the metrics (an empty token is no token)."""
    with override_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=[]):
        assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


def test_ops_02_metrics_answers_an_allowed_network():
    """OPS-02: a caller from METRICS_ALLOWED_NETWORKS needs no token; others still do."""
    with override_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=["10.0.0.0/8"]):
        assert Client(REMOTE_ADDR="10.2.3.4").get("/metrics").status_code == 200
        assert Client(REMOTE_ADDR="192.168.1.5").get("/metrics").status_code == 401


def test_ops_02_request_and_database_metrics_count_requests():
    """OPS-02: request and database metrics: each request counted by method and status."""
    before = scrape()
    Client().get("/healthz")
    after = scrape()
    key = ("backoffice_http_requests_total", (("method", "GET"), ("status", "200")))
    # the first scrape itself and /healthz were counted between the two scrapes
    assert samples(after)[key] == samples(before).get(key, 0) + 2
    assert samples(after)[("backoffice_db_queries_total", ())] > 0
    assert ("backoffice_http_request_seconds_count", (("method", "GET"),)) in samples(after)


def test_ops_02_payouts_by_status(demo):
    """OPS-02: backoffice_payouts{status} counts the payouts in each status (every status listed)."""
    text = scrape()
    for status in ("pending", "processing", "succeeded", "failed", "closed", "awaiting_top_up", "top_up_failed"):
        assert value(text, "backoffice_payouts", status=status) == Payout.objects.filter(status=status).count()


def test_ops_02_rail_submissions_and_latency_from_every_process():
    """OPS-02: rail calls recorded by rail_call (in any process: the counters are rows) show as
    backoffice_rail_submissions_total{rail,outcome} and the backoffice_rail_seconds histogram."""
    for _ in range(2):
        with rail_call("wechat", "submit") as call:
            call.outcome = "accepted"
    with pytest.raises(TimeoutError), rail_call("wechat", "submit"):
        raise TimeoutError("read timed out")
    with pytest.raises(ValueError), rail_call("alipay", "query"):
        raise ValueError("bad answer")
    with rail_call("alipay", "submit"):
        time.sleep(0.06)
    text = scrape()
    assert value(text, "backoffice_rail_submissions_total", rail="wechat", outcome="accepted") == 2
    assert value(text, "backoffice_rail_submissions_total", rail="wechat", outcome="timeout") == 1
    assert value(text, "backoffice_rail_submissions_total", rail="alipay", outcome="ok") == 1
    assert ("backoffice_rail_submissions_total", (("outcome", "error"), ("rail", "alipay"))) not in samples(text)
    assert value(text, "backoffice_rail_calls_total", rail="alipay", op="query", outcome="error") == 1
    assert value(text, "backoffice_rail_seconds_count", rail="wechat", op="submit") == 3
    assert value(text, "backoffice_rail_seconds_bucket", rail="alipay", op="submit", le="0.05") == 0
    assert value(text, "backoffice_rail_seconds_bucket", rail="alipay", op="submit", le="0.1") == 1
    assert value(text, "backoffice_rail_seconds_bucket", rail="alipay", op="submit", le="+Inf") == 1
    assert value(text, "backoffice_rail_seconds_sum", rail="alipay", op="submit") >= 0.06
    assert RailCall.objects.count() == 5


def test_ops_02_clock_last_run_and_ledger_drift():
    """OPS-02: each clock's last run as a Unix time; ledger drift read from the hourly ledger_verify run
    (0 when the ledger adds up, the number of drifting balances when it does not)."""
    clocks.run_sweep("ledger_verify")
    text = scrape()
    assert abs(value(text, "backoffice_clock_last_run_timestamp_seconds", clock="ledger_verify") - time.time()) < 60
    assert value(text, "backoffice_clock_late", clock="ledger_verify") == 0
    assert value(text, "backoffice_clock_late", clock="payouts_settle") == 1  # never ran
    assert value(text, "backoffice_ledger_drift") == 0


def test_ops_02_ledger_drift_shows_a_broken_balance(demo):
    """OPS-02: a cached balance that no longer equals its ledger sum shows as drift after the next check."""
    ShopAccount.objects.filter(shop__key="dy").update(balance=F("balance") + 1)
    clocks.run_sweep("ledger_verify")
    assert value(scrape(), "backoffice_ledger_drift") == 1


def test_ops_02_platform_sync_lag_per_shop(demo):
    """OPS-02: backoffice_platform_sync_lag_seconds{shop} for each connected shop."""
    PlatformConnection.objects.create(shop=Shop.objects.get(key="dy"), platform="douyin", lag_seconds=7200, failures=3)
    PlatformConnection.objects.create(shop=Shop.objects.get(key="pdd"), platform="pinduoduo", lag_seconds=30,
                                      status=PlatformConnection.State.NEEDS_REAUTH)
    text = scrape()
    assert value(text, "backoffice_platform_sync_lag_seconds", shop="dy") == 7200
    assert ("backoffice_platform_sync_lag_seconds", (("shop", "pdd"),)) not in samples(text)
    assert value(text, "backoffice_platform_sync_failures", shop="dy") == 3
    assert value(text, "backoffice_platform_connections", state="needs_reauth") == 1


def test_ops_02_celery_queue_depth():
    """OPS-02: Celery queue depth from the broker (a task enqueued and not consumed is counted)."""
    from config.celery import app

    before = value(scrape(), "backoffice_celery_queue_depth", queue="celery")
    with app.connection_for_write() as conn:
        app.send_task("core.tasks.run_sweep_task", args=("rail_calls_purge",), connection=conn)
    try:
        text = scrape()
        assert value(text, "backoffice_celery_queue_depth", queue="celery") == before + 1
        assert value(text, "backoffice_celery_broker_up") == 1
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge("celery")


def test_ops_02_metrics_show_no_secret():
    """OPS-02: the metrics carry names, counts and times, never a token or secret."""
    text = scrape()
    assert TOKEN not in text
    assert not re.search(r"secret|password", text, re.I)
