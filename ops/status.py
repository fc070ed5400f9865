"""What 系统状态 shows (OPS-05): readiness checks, clocks, queues, rails and platform connections."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from core.clock import now
from core.models import RailCall

from . import readiness

CLOCK_LABELS = {
    "aftersales_entry_close": _("Re-opened after-sales entries closed after 5 days"),
    "idempotency_keys_purge": _("Old idempotency keys purged"),
    "interception_results": _("Interceptions submitted and their results applied"),
    "interception_returns": _("Intercepted parcels' returns checked"),
    "ledger_verify": _("Shop ledger verified"),
    "payout_cards_expire": _("Account cards expired after 72 h"),
    "payout_top_ups_expire": _("Top-ups failed after 1 h"),
    "payouts_auto_submit": _("Pending payouts submitted"),
    "payouts_close": _("Payouts closed after 7 days"),
    "payouts_return": _("Closed payouts' money returned"),
    "payouts_settle": _("Paying payouts settled with the rail"),
    "platform_sync": _("Platform orders synced"),
    "platform_tokens_refresh": _("Platform tokens refreshed"),
    "rail_calls_purge": _("Old rail-call records purged"),
    "reship_auto_approve": _("Reship requests approved after 48 h"),
    "reship_auto_approve_soon": _("Merchants told of reship requests approved soon"),
    "reship_ship_deadline": _("Missed reship shipment deadlines applied"),
    "reship_window_close": _("Unused intervention windows closed"),
}
CHECK_LABELS = {"database": _("database"), "migrations": _("migrations"), "cache": _("cache"), "broker": _("broker")}
OUTCOME_LABELS = {"ok": _("succeeded"), "accepted": _("accepted"), "rejected": _("rejected"),
                  "unknown": _("outcome unknown"), "error": _("error"), "timeout": _("timed out")}
RECENT = dt.timedelta(hours=24)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 120:
        return _("%(n)s s") % {"n": seconds}
    if seconds < 7200:
        return _("%(n)s min") % {"n": seconds // 60}
    if seconds < 2 * 86400:
        return _("%(n)s h") % {"n": seconds // 3600}
    return _("%(n)s days") % {"n": seconds // 86400}


def checks() -> list[dict]:
    return [{"label": CHECK_LABELS.get(name, name), "ok": r["ok"], "ms": r["ms"]}
            for name, r in readiness.run_checks().items()]


def clocks() -> list[dict]:
    rows = []
    for c in readiness.clock_states():
        rows.append({"name": c.name, "label": CLOCK_LABELS.get(c.name, c.name), "interval": _duration(c.interval),
                     "last_run": c.last_run, "age": _duration(c.age_seconds), "duration_ms": c.duration_ms,
                     "rows_moved": c.rows_moved, "ok": c.ok, "late": c.late,
                     "drifts": c.result.get("drifts") if c.name == "ledger_verify" else None})
    rows.sort(key=lambda r: (not r["late"], r["label"]))
    return rows


def queues() -> tuple[list[dict], bool]:
    try:
        return [{"name": q, "depth": n} for q, n in readiness.queue_depths().items()], True
    except Exception:  # noqa: BLE001 — the page still shows the rest when the broker is down
        return [], False


def rails() -> list[dict]:
    """Each rail's calls in the last 24 hours: by outcome, average and slowest latency, the last call."""
    from payouts.rails.models import Rail

    since = now() - RECENT
    recent = RailCall.objects.filter(at__gte=since)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in recent.values("rail", "outcome").annotate(n=Count("id")):
        counts[row["rail"]][row["outcome"]] = row["n"]
    rows = []
    for rail in sorted(counts):
        calls = list(recent.filter(rail=rail).order_by("-at", "-id").values("seconds", "outcome", "at", "op")[:200])
        latencies = sorted(c["seconds"] for c in calls)
        total = sum(counts[rail].values())
        bad = sum(n for outcome, n in counts[rail].items() if outcome in ("error", "timeout", "unknown"))
        rows.append({
            "label": Rail(rail).label if rail in Rail.values else rail,
            "total": total,
            "outcomes": [{"label": OUTCOME_LABELS.get(o, o), "n": n, "bad": o in ("error", "timeout", "unknown"),
                          "warn": o == "rejected"}
                         for o, n in sorted(counts[rail].items(), key=lambda kv: -kv[1])],
            "avg_ms": round(sum(latencies) / len(latencies) * 1000) if latencies else None,
            "p95_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] * 1000) if latencies else None,
            "last_at": calls[0]["at"] if calls else None,
            "last_outcome": OUTCOME_LABELS.get(calls[0]["outcome"], calls[0]["outcome"]) if calls else "",
            "failing": total and bad / total >= 0.5,
        })
    return rows


def connections() -> list[dict]:
    from platforms.models import PlatformConnection

    rows = []
    for conn in PlatformConnection.objects.select_related("shop").order_by("shop__name"):
        rows.append({"shop": conn.shop.name, "platform": conn.get_platform_display(), "state": conn.get_status_display(),
                     "connected": conn.status == PlatformConnection.State.CONNECTED, "last_sync": conn.last_sync_at,
                     "lag": _duration(conn.lag_seconds), "lagging": (conn.lag_seconds or 0) > 1800,
                     "error_code": conn.last_error_code, "error_message": conn.last_error_message,
                     "error_at": conn.last_error_at, "failures": conn.failures})
    return rows


def page_context() -> dict:
    queue_rows, broker_up = queues()
    clock_rows = clocks()
    return {"checks": checks(), "clocks": clock_rows, "late_count": sum(1 for c in clock_rows if c["late"]),
            "queues": queue_rows, "broker_up": broker_up, "rails": rails(), "connections": connections(),
            "generated_at": now()}
