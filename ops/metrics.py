"""`/metrics` (OPS-02): the request and database metrics of every web process, and the product's own, read
from the database at scrape time.

Multi-process gunicorn: the request/database counters are prometheus-client metrics (core.observability);
with `PROMETHEUS_MULTIPROC_DIR` set (config/gunicorn.conf.py sets it) each worker writes them to files there
and any worker's scrape adds up all of them (`MultiProcessCollector`). The product's figures (payouts by
status, rail calls, clocks, platform sync lag, queue depth, ledger drift) are not per process at all: the
`ProductCollector` reads them from the database (and the broker) on each scrape, so whichever worker answers,
the figure is the same — including rail calls made by Celery workers on other hosts.

Ledger drift is not re-added on each scrape (a full ledger sum takes seconds at a million entries): the
hourly `ledger_verify` clock counts drifts and records the count on its ClockRun row (core.clocks.report);
the gauge is that count, and `backoffice_ledger_checked_timestamp_seconds` says when it was taken.
"""

from __future__ import annotations

import os
from collections import defaultdict

from django.db.models import Count, Sum
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from core.observability import RAIL_BUCKETS

from . import readiness

SUBMIT_OPS = {"submit"}


def _ts(moment) -> float:
    return moment.timestamp() if moment else float("nan")


class ProductCollector:
    """The product's own metrics, from the database at scrape time (the same answer from every worker)."""

    def collect(self):
        yield from self._payouts()
        yield from self._rails()
        yield from self._clocks()
        yield from self._platforms()
        yield from self._queues()

    def _payouts(self):
        from payouts.models import Payout, PayoutStatus

        family = GaugeMetricFamily("backoffice_payouts", "Payouts by status", labels=["status"])
        counts = dict.fromkeys(PayoutStatus.values, 0)
        counts.update({row["status"]: row["n"] for row in Payout.objects.values("status").annotate(n=Count("id"))})
        for status, n in sorted(counts.items()):
            family.add_metric([status], n)
        yield family

    def _rails(self):
        from core.models import RailCallTotal

        submissions = CounterMetricFamily("backoffice_rail_submissions", "Payout submissions to a rail, by outcome",
                                          labels=["rail", "outcome"])
        calls = CounterMetricFamily("backoffice_rail_calls", "Calls to a payment rail, by operation and outcome",
                                    labels=["rail", "op", "outcome"])
        seconds = HistogramMetricFamily("backoffice_rail_seconds", "Latency of calls to a payment rail",
                                        labels=["rail", "op"])
        by_outcome: dict[tuple, int] = defaultdict(int)
        by_call: dict[tuple, int] = defaultdict(int)
        buckets: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        sums: dict[tuple, float] = defaultdict(float)
        for row in RailCallTotal.objects.values("rail", "op", "outcome", "le").annotate(n=Sum("count"),
                                                                                      s=Sum("seconds_sum")):
            by_call[(row["rail"], row["op"], row["outcome"])] += row["n"]
            if row["op"] in SUBMIT_OPS:
                by_outcome[(row["rail"], row["outcome"])] += row["n"]
            buckets[(row["rail"], row["op"])][row["le"]] += row["n"]
            sums[(row["rail"], row["op"])] += row["s"] or 0.0
        for labels, n in sorted(by_outcome.items()):
            submissions.add_metric(list(labels), n)
        for labels, n in sorted(by_call.items()):
            calls.add_metric(list(labels), n)
        for labels, counts in sorted(buckets.items()):
            running, cumulative = 0, []
            for bound in RAIL_BUCKETS:
                running += counts.get(repr(bound), 0)
                cumulative.append((repr(bound), running))
            running += counts.get("+Inf", 0)
            cumulative.append(("+Inf", running))
            seconds.add_metric(list(labels), cumulative, sums[labels])
        yield submissions
        yield calls
        yield seconds

    def _clocks(self):
        last = GaugeMetricFamily("backoffice_clock_last_run_timestamp_seconds",
                                 "Unix time of each clock's last successful run", labels=["clock"])
        interval = GaugeMetricFamily("backoffice_clock_interval_seconds", "Each clock's beat interval", labels=["clock"])
        late = GaugeMetricFamily("backoffice_clock_late", "1 when a clock's last run is older than twice its interval",
                                 labels=["clock"])
        duration = GaugeMetricFamily("backoffice_clock_duration_seconds", "Duration of each clock's last run",
                                     labels=["clock"])
        moved = GaugeMetricFamily("backoffice_clock_rows_moved", "Rows each clock's last run moved", labels=["clock"])
        failed = GaugeMetricFamily("backoffice_clock_failed", "1 when a clock's last run raised", labels=["clock"])
        drift = GaugeMetricFamily("backoffice_ledger_drift",
                                  "Balances differing from their ledger sum at the last ledger_verify run")
        checked = GaugeMetricFamily("backoffice_ledger_checked_timestamp_seconds",
                                    "Unix time of the last ledger_verify run")
        for state in readiness.clock_states():
            last.add_metric([state.name], _ts(state.last_ok))
            late.add_metric([state.name], 1 if state.late else 0)
            if state.interval is not None:
                interval.add_metric([state.name], state.interval)
            if state.last_run is not None:
                duration.add_metric([state.name], (state.duration_ms or 0) / 1000)
                moved.add_metric([state.name], state.rows_moved or 0)
                failed.add_metric([state.name], 0 if state.ok else 1)
            if state.name == "ledger_verify" and "drifts" in state.result:
                drift.add_metric([], state.result["drifts"])
                checked.add_metric([], _ts(state.last_run))
        yield from (last, interval, late, duration, moved, failed, drift, checked)

    def _platforms(self):
        from platforms.models import PlatformConnection

        lag = GaugeMetricFamily("backoffice_platform_sync_lag_seconds",
                                "How far each connected shop's order sync is behind the platform", labels=["shop"])
        failures = GaugeMetricFamily("backoffice_platform_sync_failures",
                                     "Consecutive failed sync calls of each shop's connection", labels=["shop"])
        connected = GaugeMetricFamily("backoffice_platform_connections", "Platform connections by state",
                                      labels=["state"])
        states: dict[str, int] = dict.fromkeys(PlatformConnection.State.values, 0)
        for conn in PlatformConnection.objects.select_related("shop").only(
                "status", "lag_seconds", "failures", "shop__key"):
            states[conn.status] = states.get(conn.status, 0) + 1
            if conn.status == PlatformConnection.State.CONNECTED:
                lag.add_metric([conn.shop.key], float(conn.lag_seconds) if conn.lag_seconds is not None else float("nan"))
                failures.add_metric([conn.shop.key], conn.failures)
        for state, n in sorted(states.items()):
            connected.add_metric([state], n)
        yield from (lag, failures, connected)

    def _queues(self):
        depth = GaugeMetricFamily("backoffice_celery_queue_depth", "Tasks waiting in each Celery queue", labels=["queue"])
        up = GaugeMetricFamily("backoffice_celery_broker_up", "1 when the broker answered this scrape")
        try:
            depths = readiness.queue_depths()
        except Exception:  # noqa: BLE001 — a broker that is down is a figure, not a failed scrape
            up.add_metric([], 0)
        else:
            up.add_metric([], 1)
            for queue, n in depths.items():
                depth.add_metric([queue], n)
        yield from (depth, up)


_product = CollectorRegistry(auto_describe=False)
_product.register(ProductCollector())


def render() -> bytes:
    """The whole /metrics text: this process's (or all workers') request metrics, then the product's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        own = generate_latest(registry)
    else:
        own = generate_latest(REGISTRY)
    return own + generate_latest(_product)
