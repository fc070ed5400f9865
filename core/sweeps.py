"""The foundation's own periodic checks."""

from core.clocks import sweep


@sweep("idempotency_keys_purge")
def idempotency_keys_purge_sweep() -> int:
    """Idempotency keys answer replays for 7 days (API.md); older ones are deleted in batches."""
    import datetime as dt

    from core.clock import now

    from .models import IdempotencyKey

    cutoff = now() - dt.timedelta(days=7)
    deleted = 0
    while True:
        ids = list(IdempotencyKey.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:5000])
        if not ids:
            return deleted
        deleted += IdempotencyKey.objects.filter(pk__in=ids).delete()[0]


@sweep("rail_calls_purge")
def rail_calls_purge_sweep() -> int:
    """Rail-call records (系统状态's recent outcomes, OPS-05) are kept 7 days; the metric counters stay."""
    import datetime as dt

    from core.clock import now

    from .models import RailCall

    cutoff = now() - dt.timedelta(days=7)
    deleted = 0
    while True:
        ids = list(RailCall.objects.filter(at__lt=cutoff).values_list("pk", flat=True)[:5000])
        if not ids:
            return deleted
        deleted += RailCall.objects.filter(pk__in=ids).delete()[0]
