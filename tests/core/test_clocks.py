"""Clocks (SPEC §8): run_clocks runs every registered sweep; beat schedules each one; a real worker on
Redis runs the sweep task."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.management import call_command

from core import clocks


def test_every_registered_sweep_is_in_the_beat_schedule_and_nothing_else():
    scheduled = {entry["args"][0] for entry in settings.CELERY_BEAT_SCHEDULE.values()
                 if entry["task"] == "core.tasks.run_sweep_task"}
    assert scheduled == set(clocks.SWEEPS)


@pytest.mark.django_db
def test_run_clocks_runs_each_sweep_once(monkeypatch, capsys):
    calls: list[str] = []
    monkeypatch.setitem(clocks.SWEEPS, "probe", lambda: calls.append("probe") or 3)
    call_command("run_clocks")
    assert calls == ["probe"]
    out = capsys.readouterr().out
    assert "probe: 3" in out and "ledger_verify: 0" in out


def test_a_sweep_name_cannot_be_registered_twice():
    with pytest.raises(ValueError):
        clocks.sweep("ledger_verify")(lambda: 0)


@pytest.mark.django_db
def test_ledger_verify_sweep_logs_drift(caplog):
    from accounts.models import ShopAccount
    from tests.factories import ShopFactory

    shop = ShopFactory(funds=("100.00", "0.00", "2000.00"))
    ShopAccount.objects.filter(shop=shop).update(deposit=0)
    clocks.run_sweep("ledger_verify")
    assert any("ledger drift" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_on_redis_runs_the_sweep_task(tmp_path):
    """Starts a real worker process on the Redis broker and waits for it to run a sweep task."""
    from config.celery import app

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "DATABASE_URL": _test_database_url()}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "INFO",
         "--hostname", f"test-{os.getpid()}@%h", "--queues", f"q{os.getpid()}"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        app.send_task("core.tasks.run_sweep_task", args=("ledger_verify",), queue=f"q{os.getpid()}")
        deadline, log = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            line = worker.stdout.readline()
            log.append(line)
            if "succeeded" in line and "run_sweep_task" in line:
                break
        assert any("succeeded" in line for line in log), "".join(log[-40:])
    finally:
        worker.terminate()
        worker.wait(timeout=20)


def _test_database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
