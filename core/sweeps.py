"""The foundation's own periodic checks."""

import datetime as dt

from core import clock
from core.clocks import sweep

KEPT = dt.timedelta(days=7)
BATCH = 5000


def _purge_older(queryset, field: str) -> int:
    """Delete the rows of `queryset` whose `field` is older than KEPT, in batches of BATCH ids."""
    stale = queryset.filter(**{f"{field}__lt": clock.now() - KEPT})
    deleted = 0
    while ids := list(stale.values_list("pk", flat=True)[:BATCH]):
        deleted += queryset.filter(pk__in=ids).delete()[0]
    return deleted


@sweep("idempotency_keys_purge")
def idempotency_keys_purge_sweep() -> int:
    """Idempotency keys answer replays for 7 days (API.md); older ones are deleted in batches."""
    from .models import IdempotencyKey

    return _purge_older(IdempotencyKey.objects.all(), "created_at")


@sweep("rail_calls_purge")
def rail_calls_purge_sweep() -> int:
    """Rail-call records (系统状态's recent outcomes, OPS-05) are kept 7 days; the metric counters stay."""
    from .models import RailCall

    return _purge_older(RailCall.objects.all(), "at")
