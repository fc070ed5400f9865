"""Reads of the platform connections: the 店铺授权 page and the 系统状态 page's health rows."""

from core.clock import now

from .models import PlatformConnection


def lag_seconds(conn: PlatformConnection) -> int | None:
    """How far behind now the stored orders are: now − checkpoint (None before a first sync)."""
    if conn.checkpoint is None:
        return None
    return max(0, int((now() - conn.checkpoint).total_seconds()))


def connections_health() -> list[dict]:
    """One row per connection: shop, platform, state, last_sync_at, lag_seconds, last_error_code,
    last_error_message (the platform's own words, CON-06)."""
    return [
        {"shop": c.shop.key, "platform": c.platform, "state": c.status, "last_sync_at": c.last_sync_at,
         "lag_seconds": lag_seconds(c) if c.status == PlatformConnection.State.CONNECTED else c.lag_seconds,
         "last_error_code": c.last_error_code, "last_error_message": c.last_error_message}
        for c in PlatformConnection.objects.select_related("shop").order_by("shop__key")
    ]
