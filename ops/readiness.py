"""The readiness checks of `/readyz` (OPS-01, OPS-05) and the figures 系统状态 and `/metrics` share.

A 40-line set of checks rather than django-health-check: API.md fixes the answer's shape (each check by name,
with its time, and the clocks), the checks are four, and each needs an explicit timeout of its own.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from core.clock import now
from core.clocks import SWEEPS, intervals

CHECK_TIMEOUT = 2.0  # seconds, for the cache and the broker
_migrations_ok = False  # once every migration is applied, it stays so for this process


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_migrations() -> None:
    global _migrations_ok
    if _migrations_ok:
        return
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} migration(s) not applied")
    _migrations_ok = True


def check_cache() -> None:
    key, value = f"readyz:{uuid.uuid4().hex}", "1"
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("cache did not keep a value")
    cache.delete(key)


def broker_connection():
    from kombu import Connection

    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {})
    if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        options.setdefault("socket_connect_timeout", CHECK_TIMEOUT)
        options.setdefault("socket_timeout", CHECK_TIMEOUT)
    return Connection(settings.CELERY_BROKER_URL, connect_timeout=CHECK_TIMEOUT, transport_options=options)


def check_broker() -> None:
    with broker_connection() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=CHECK_TIMEOUT)
        queue_depths(conn)  # a broker that accepts a connection but cannot answer is down too


CHECKS = {"database": check_database, "migrations": check_migrations, "cache": check_cache, "broker": check_broker}


def queue_names() -> list[str]:
    """The default queue and every queue named in CELERY_TASK_ROUTES."""
    names = {getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")}
    for route in (getattr(settings, "CELERY_TASK_ROUTES", None) or {}).values():
        if isinstance(route, dict) and route.get("queue"):
            names.add(route["queue"])
    return sorted(names)


def queue_depths(conn=None) -> dict[str, int]:
    """Messages waiting in each queue (a passive declare: the broker counts; nothing is created)."""
    if conn is None:
        with broker_connection() as own:
            return queue_depths(own)
    depths = {}
    channel = conn.default_channel
    for name in queue_names():
        try:
            depths[name] = int(channel.queue_declare(queue=name, passive=True).message_count)
        except conn.channel_errors:  # the queue does not exist yet: nothing waits in it
            depths[name] = 0
    return depths


def run_checks() -> dict[str, dict]:
    results = {}
    for name, check in CHECKS.items():
        if name == "migrations" and not results["database"]["ok"]:
            results[name] = {"ok": False, "ms": 0, "error": "database unavailable"}
            continue
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # noqa: BLE001 — any failure is the answer, named, never a 500
            results[name] = {"ok": False, "ms": round((time.perf_counter() - started) * 1000, 1),
                             "error": type(exc).__name__}
        else:
            results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return results


@dataclass
class ClockState:
    name: str
    interval: float | None
    last_run: dt.datetime | None
    last_ok: dt.datetime | None
    duration_ms: int | None
    rows_moved: int | None
    ok: bool | None
    error: str
    result: dict
    late: bool

    @property
    def age_seconds(self) -> float | None:
        return (now() - self.last_ok).total_seconds() if self.last_ok else None


def clock_states() -> list[ClockState]:
    """Every registered clock with its last run; late when its last successful run is older than twice its
    beat interval (or it never ran). A clock beat does not schedule (interval unknown) is never late."""
    from core.models import ClockRun

    runs = {r.clock: r for r in ClockRun.objects.all()}
    periods = intervals()
    moment = now()
    states = []
    for name in sorted(set(SWEEPS) | set(runs)):
        run, interval = runs.get(name), periods.get(name)
        last_ok = run.last_ok_at if run else None
        late = interval is not None and (last_ok is None or moment - last_ok > dt.timedelta(seconds=2 * interval))
        states.append(ClockState(
            name=name, interval=interval, last_run=run.last_run_at if run else None, last_ok=last_ok,
            duration_ms=run.duration_ms if run else None, rows_moved=run.rows_moved if run else None,
            ok=run.ok if run else None, error=run.error if run else "", result=run.result if run else {},
            late=late,
        ))
    return states


def readiness() -> tuple[int, dict]:
    """`/readyz`'s status code and body (API.md "Operations")."""
    checks = run_checks()
    body: dict = {"status": "ok", "checks": checks, "clocks": {}}
    if checks["database"]["ok"]:
        try:
            body["clocks"] = {c.name: {"last_run": c.last_run.isoformat() if c.last_run else None, "late": c.late}
                              for c in clock_states()}
        except Exception as exc:  # noqa: BLE001 — e.g. the table is missing before migrations
            body["clocks_error"] = type(exc).__name__
    failed = [name for name, result in checks.items() if not result["ok"]]
    if failed:
        body["status"] = "fail"
        body["failed"] = failed
        return 503, body
    late = [name for name, c in body["clocks"].items() if c["late"]]
    if late:
        # A stopped beat does not make this node unable to serve: the load balancer keeps it (200), the
        # answer says which clocks are late and the alert rules of docs/DEPLOY.md page someone.
        body["status"] = "degraded"
        body["late"] = late
    return 200, body
