"""OPS-01, OPS-05: /healthz and /readyz as API.md "Operations" says; clocks recorded and marked late."""

import datetime as dt

import pytest
import time_machine
from django.db import connections
from django.test import Client, override_settings

from core import clocks
from core.clock import now
from core.models import ClockRun
from ops import readiness

pytestmark = pytest.mark.django_db

CLOSED_PORT = 1  # nothing listens there: a stopped Redis, as a client sees it


@pytest.fixture
def client():
    return Client()


def _run_every_clock():
    for name in clocks.SWEEPS:
        ClockRun.objects.update_or_create(clock=name, defaults={"last_run_at": now(), "last_ok_at": now()})


def test_ops_01_healthz_answers_without_sign_in(client):
    """OPS-01: 200 {"status": "ok"}; no session needed; the request id comes back."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["X-Request-ID"]


def test_ops_01_probes_answer_any_host_header(client):
    """OPS-01: a load balancer probes a node by its address: no 400 for an unknown Host."""
    assert client.get("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.1.2.3:8000").status_code in (200, 503)


def test_ops_01_readyz_lists_each_check_and_passes(client):
    """OPS-01: database, migrations, cache and broker answer → 200, each check named with its time."""
    _run_every_clock()
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "cache", "broker"}
    assert all(c["ok"] and isinstance(c["ms"], float | int) for c in body["checks"].values())
    assert set(body["clocks"]) == set(clocks.SWEEPS)
    assert all(c["late"] is False and c["last_run"] for c in body["clocks"].values())


def test_ops_01_readyz_fails_when_redis_cache_is_stopped(client):
    """OPS-01: the cache does not answer (Redis stopped) → 503 naming `cache`."""
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": f"redis://127.0.0.1:{CLOSED_PORT}/1"}}
    with override_settings(CACHES=caches):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail" and body["failed"] == ["cache"]
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]


def test_ops_01_readyz_fails_when_the_broker_is_stopped(client):
    """OPS-01: the Celery broker does not answer (Redis stopped) → 503 naming `broker`."""
    with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{CLOSED_PORT}/2"):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]


def test_ops_01_readyz_fails_when_the_database_is_elsewhere(client, monkeypatch):
    """OPS-01: the database does not answer (pointed at a closed port) → 503 naming `database` (and the
    migrations, which cannot be checked); the answer still comes, fast, and shows no secret."""
    default = connections["default"]
    elsewhere = default.__class__({**default.settings_dict, "HOST": "127.0.0.1", "PORT": str(CLOSED_PORT)},
                                  alias="elsewhere")
    monkeypatch.setattr(readiness, "connection", elsewhere)
    monkeypatch.setattr(readiness, "_migrations_ok", False)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["database", "migrations"]
    assert body["checks"]["database"]["error"] == "OperationalError"
    text = response.content.decode()
    assert default.settings_dict["NAME"] not in text and "postgres" not in text.lower()


def test_ops_01_readyz_fails_when_migrations_are_missing(client, monkeypatch):
    """OPS-01: a database without the code's migrations applied → 503 naming `migrations`."""

    class Executor:
        def __init__(self, connection):
            self.loader = type("L", (), {"graph": type("G", (), {"leaf_nodes": lambda self: []})()})()

        def migration_plan(self, targets):
            return [("core", "0002_observability")]

    monkeypatch.setattr("django.db.migrations.executor.MigrationExecutor", Executor)
    monkeypatch.setattr(readiness, "_migrations_ok", False)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["migrations"]


def test_ops_05_every_clock_run_is_recorded():
    """OPS-05: run_sweep records the clock's last run, duration, rows moved and what it reported."""
    clocks.run_sweep("ledger_verify")
    clocks.run_sweep("ledger_verify")
    run = ClockRun.objects.get(clock="ledger_verify")
    assert run.ok and run.runs == 2 and run.rows_moved == 0
    assert run.last_ok_at == run.last_run_at
    assert run.result == {"drifts": 0}
    assert run.duration_ms >= 0


def test_ops_05_a_failing_clock_is_recorded_as_failed(monkeypatch):
    """OPS-05: a sweep that raises is recorded (failed, error class) and its last success is kept."""
    clocks.run_sweep("idempotency_keys_purge")
    good = ClockRun.objects.get(clock="idempotency_keys_purge").last_ok_at

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(clocks.SWEEPS, "idempotency_keys_purge", broken)
    with time_machine.travel(now() + dt.timedelta(minutes=1)), pytest.raises(RuntimeError):
        clocks.run_sweep("idempotency_keys_purge")
    run = ClockRun.objects.get(clock="idempotency_keys_purge")
    assert not run.ok and run.error == "RuntimeError" and run.last_ok_at == good and run.last_run_at > good


def test_ops_05_readyz_marks_a_clock_late_after_twice_its_interval(client):
    """OPS-05: beat stopped: a clock whose last run is older than 2× its interval is late; /readyz says
    `degraded` (the node still serves: 200) and names it; a clock within 2× is not late."""
    _run_every_clock()
    interval = clocks.intervals()["payouts_settle"]  # 60 s
    with time_machine.travel(now() + dt.timedelta(seconds=2 * interval - 5)):
        body = client.get("/readyz").json()
        assert body["clocks"]["payouts_settle"]["late"] is False
    with time_machine.travel(now() + dt.timedelta(seconds=2 * interval + 5)):
        response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["clocks"]["payouts_settle"]["late"] is True
    assert "payouts_settle" in body["late"]
    assert body["clocks"]["ledger_verify"]["late"] is False  # hourly: 2 minutes is nothing


def test_ops_05_a_clock_that_never_ran_is_late(client):
    """OPS-05: no recorded run at all (beat never started) is late too."""
    body = client.get("/readyz").json()
    assert body["clocks"]["payouts_settle"] == {"last_run": None, "late": True}
