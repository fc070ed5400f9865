"""Platform connections' writes (CON-01..06): connect, refresh, disconnect, sync a shop's orders, apply a push.

Orders are written set-based through `orders.services.orders_bulk_upsert`. Calls to the platforms are never
made inside a transaction holding a lock: tokens are read, the call is made, then the result is stored under
the connection's row lock.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from accounts.models import Role, Shop
from core.clock import now
from core.errors import ApplicationError
from core.transitions import event_add, transition
from notifications.services import inbox_send
from orders.services import OrderSyncRow, UpsertResult, orders_bulk_upsert

from . import crypto
from .adapters import Failure, PlatformError, Tokens, adapter_for, backoff, windows
from .errors import PlatformsError
from .mapping import MappingError, PlatformOrder
from .models import ConnectionEventType, PlatformConnection
from .texts import PLATFORM_REAUTH_NEEDED

logger = logging.getLogger("platforms")
State = PlatformConnection.State
LEASE = dt.timedelta(minutes=10)


# --- orders in ----------------------------------------------------------------------------------------------

def order_row(order: PlatformOrder) -> OrderSyncRow:
    """The product's order for one platform order (CON-04)."""
    return OrderSyncRow(
        order_no=order.order_id,
        buyer_username=order.buyer_username,
        category_code=order.category_code,
        values={
            "source_app": order.source_app,
            "payment": order.payment,
            "status": order.status,
            "deposit_presale": order.deposit_presale,
            "goods_kind": order.goods_kind,
            "created_at": order.created_at,
            "paid_at": order.paid_at,
            "paid_amount": order.paid_amount,
            "confirmed_receipt_at": order.confirmed_receipt_at,
            "group_formed_at": order.group_formed_at,
            "refund_state": order.refund_state,
            "platform_updated_at": order.updated_at,
            "review_flags": dict(order.unknown),
        },
        items=[{"product_id": i.product_id, "name": i.name, "price": i.price, "quantity": i.quantity,
                "promo": i.promo} for i in order.items],
        parcels=[{"tracking_no": p.tracking_no, "courier": p.courier} for p in order.parcels if p.courier],
    )


def orders_upsert(shop: Shop, orders: list[PlatformOrder]) -> UpsertResult:
    """Create or update `orders` of `shop` by platform order id, set-based, in one transaction: idempotent (the
    same orders twice change nothing) and a later platform update wins over an older one (CON-03/04)."""
    if not orders:
        return UpsertResult()
    return orders_bulk_upsert(shop_id=shop.pk, rows=[order_row(o) for o in orders], source=orders[0].platform)


# --- connecting (CON-01) --------------------------------------------------------------------------------------

def _store_tokens(conn: PlatformConnection, tokens: Tokens) -> list[str]:
    conn.sealed = crypto.seal({"access_token": tokens.access_token, "refresh_token": tokens.refresh_token})
    conn.access_expires_at = tokens.access_expires_at
    conn.refresh_expires_at = tokens.refresh_expires_at
    fields = ["sealed", "access_expires_at", "refresh_expires_at"]
    if tokens.shop_id:
        conn.platform_shop_id = tokens.shop_id[:64]
        fields.append("platform_shop_id")
    if tokens.shop_name:
        conn.platform_shop_name = tokens.shop_name[:128]
        fields.append("platform_shop_name")
    return fields


def connection_connect(*, shop: Shop, code: str, platform: str | None = None, actor=None) -> PlatformConnection:
    """Exchange an authorization code for tokens and store the connection (CON-01). A refused code raises
    `platform_auth_refused` with the platform's message and stores nothing."""
    shop_platform = shop.profile.platform
    if platform is not None and platform != shop_platform:
        raise ApplicationError(PlatformsError.PLATFORM_MISMATCH)
    try:
        tokens = adapter_for(shop_platform).token_create(code)
    except PlatformError as exc:
        if exc.kind == Failure.AUTH_REFUSED:
            raise ApplicationError(PlatformsError.AUTH_REFUSED, params={"message": f"{exc.code} {exc.message}"}) from exc
        raise ApplicationError(PlatformsError.PLATFORM_FAILED, params={"message": f"{exc.code} {exc.message}"}) from exc
    with transaction.atomic():
        conn = PlatformConnection.objects.select_for_update().filter(shop=shop).first()
        at = now()
        if conn is None:
            conn = PlatformConnection(shop=shop, platform=shop_platform, status=State.CONNECTED, connected_at=at)
            _store_tokens(conn, tokens)
            conn.save()
            event_add(conn, type=ConnectionEventType.CONNECTED, actor=actor)
            return conn
        fields = _store_tokens(conn, tokens)
        conn.platform = shop_platform
        conn.connected_at = at
        conn.failures = 0
        conn.retry_after = None
        conn.last_error_code = conn.last_error_message = ""
        fields += ["platform", "connected_at", "failures", "retry_after", "last_error_code", "last_error_message"]
        transition(conn, State.CONNECTED, actor=actor, event=ConnectionEventType.RECONNECTED, fields=tuple(fields))
    return conn


def connection_disconnect(*, connection_id: int, actor=None) -> PlatformConnection:
    """Forget the tokens and stop syncing (CON-01); the orders stay."""
    with transaction.atomic():
        conn = PlatformConnection.objects.select_for_update().get(pk=connection_id)
        conn.sealed = ""
        conn.access_expires_at = conn.refresh_expires_at = None
        transition(conn, State.DISCONNECTED, actor=actor, event=ConnectionEventType.DISCONNECTED,
                   fields=("sealed", "access_expires_at", "refresh_expires_at"))
    return conn


# --- tokens (CON-02) ----------------------------------------------------------------------------------------

def connection_refresh(*, connection_id: int) -> PlatformConnection:
    """Refresh the access token now. A refusal marks the connection `needs_reauth` and sends the main account a
    station message (`platform_reauth_needed`); a throttled or unanswered call leaves it as it is and raises."""
    conn = PlatformConnection.objects.get(pk=connection_id)
    if conn.status != State.CONNECTED:
        raise ApplicationError(PlatformsError.NOT_CONNECTED)
    refresh_token = conn.tokens().get("refresh_token", "")
    try:
        tokens = adapter_for(conn.platform).token_refresh(refresh_token)
    except PlatformError as exc:
        if exc.kind == Failure.AUTH_REFUSED:
            connection_reauth_needed(connection_id=conn.pk, code=exc.code, message=exc.message)
        else:
            connection_failed(connection_id=conn.pk, error=exc)
        exc.recorded = True
        raise
    with transaction.atomic():
        conn = PlatformConnection.objects.select_for_update().get(pk=connection_id)
        if conn.tokens().get("refresh_token") != refresh_token:
            return conn  # refreshed meanwhile by another run: keep its tokens
        fields = _store_tokens(conn, tokens)
        conn.save(update_fields=fields)
        event_add(conn, type=ConnectionEventType.TOKENS_REFRESHED)
    return conn


def connection_reauth_needed(*, connection_id: int, code: str, message: str) -> PlatformConnection:
    with transaction.atomic():
        conn = PlatformConnection.objects.select_for_update().select_related("shop").get(pk=connection_id)
        if conn.status != State.CONNECTED:
            return conn
        conn.last_error_code, conn.last_error_message, conn.last_error_at = code[:64], message[:500], now()
        transition(conn, State.NEEDS_REAUTH, actor=None, event=ConnectionEventType.REAUTH_NEEDED, code=code,
                   fields=("last_error_code", "last_error_message", "last_error_at"))
        inbox_send(PLATFORM_REAUTH_NEEDED, shop_id=conn.shop_id, to=[Role.MAIN], about=conn, shop=conn.shop.name,
                   code=code, message=message)
    return conn


def connection_failed(*, connection_id: int, error: PlatformError) -> None:
    """Record a failed call in the platform's own words (CON-06) and hold the shop's next attempt back by an
    exponential backoff with jitter; other shops are not touched."""
    with transaction.atomic():
        conn = PlatformConnection.objects.select_for_update().get(pk=connection_id)
        conn.failures = min(conn.failures + 1, 30)
        at = now()
        conn.last_error_code, conn.last_error_message, conn.last_error_at = error.code, error.message, at
        conn.retry_after = at + dt.timedelta(seconds=backoff(conn.failures, 60.0, cap=3600.0))
        conn.save(update_fields=["failures", "last_error_code", "last_error_message", "last_error_at",
                                 "retry_after"])


def tokens_due(ahead: int | None = None):
    ahead = settings.PLATFORM_REFRESH_AHEAD if ahead is None else ahead
    return PlatformConnection.objects.filter(
        status=State.CONNECTED, access_expires_at__lt=now() + dt.timedelta(seconds=ahead))


def _access_token(conn: PlatformConnection) -> str:
    """A good access token: refreshed first when it expires within PLATFORM_REFRESH_AHEAD (CON-02)."""
    if conn.access_expires_at is None or conn.access_expires_at < now() + dt.timedelta(
            seconds=settings.PLATFORM_REFRESH_AHEAD):
        conn = connection_refresh(connection_id=conn.pk)
    return conn.tokens()["access_token"]


def _with_token(conn: PlatformConnection, func, *args):
    """`func(access_token, *args)`; an access token the platform calls expired is refreshed once and the call
    made again."""
    try:
        return func(_access_token(conn), *args)
    except PlatformError as exc:
        if exc.kind != Failure.TOKEN_EXPIRED:
            raise
    conn = connection_refresh(connection_id=conn.pk)
    return func(conn.tokens()["access_token"], *args)


# --- sync (CON-03, CON-06) --------------------------------------------------------------------------------------

@dataclass
class SyncResult:
    windows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unmappable: int = 0
    flagged: int = 0
    busy: bool = False  # another run holds the shop's lease

    def __str__(self) -> str:
        return (f"windows {self.windows}, created {self.created}, updated {self.updated}, "
                f"unchanged {self.unchanged}, flagged for review {self.flagged}, unmappable {self.unmappable}")


def _lease(conn_id: int) -> bool:
    at = now()
    return bool(PlatformConnection.objects.filter(pk=conn_id, status=State.CONNECTED).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=at)).update(lease_until=at + LEASE))


def _release(conn_id: int) -> None:
    PlatformConnection.objects.filter(pk=conn_id).update(lease_until=None)


def _map(adapter, raws: list[dict], result: SyncResult) -> list[PlatformOrder]:
    orders = []
    for raw in raws:
        try:
            orders.append(adapter.to_order(raw))
        except (MappingError, TypeError, ValueError, KeyError) as exc:
            # Not an order we can store (no id, amount or time): counted, logged by id only (CON-07), skipped.
            result.unmappable += 1
            logger.warning("unmappable %s order %s: %s", adapter.platform,
                           str(raw.get("order_id") or raw.get("order_sn") or "?")[:32], type(exc).__name__)
    result.flagged += sum(1 for o in orders if o.needs_review)
    return orders


def _window(access_token: str, adapter, lower: dt.datetime, upper: dt.datetime) -> list[dict]:
    """Every order of one window, all pages read (a window is stored whole or not at all)."""
    return [raw for page in adapter.orders_updated(access_token, lower, upper) for raw in page]


def connection_sync(*, connection_id: int, since: dt.datetime | None = None, until: dt.datetime | None = None,
                    on_window=None) -> SyncResult:
    """One incremental sync of a shop (CON-03): from `since` (default: the checkpoint, or PLATFORM_FIRST_SYNC_DAYS
    back for a first sync) to `until` (default: now, less the platform's settle time), window by window. Each
    window is read whole, then its orders and the advanced checkpoint are stored in one transaction — a run
    killed halfway resumes at the first window not stored, losing and doubling nothing. A failure is recorded
    on the connection (CON-06) and raised; the shop is held back by backoff, other shops go on."""
    conn = PlatformConnection.objects.select_related("shop").get(pk=connection_id)
    if conn.status != State.CONNECTED:
        raise ApplicationError(PlatformsError.NOT_CONNECTED)
    result = SyncResult()
    if not _lease(conn.pk):
        result.busy = True
        return result
    adapter = adapter_for(conn.platform)
    try:
        end = until or now() - adapter.settle
        start = since or conn.checkpoint or now() - dt.timedelta(days=settings.PLATFORM_FIRST_SYNC_DAYS)
        start = start.replace(microsecond=0)
        end = end.replace(microsecond=0)
        for lower, upper in windows(start, end, adapter.max_window):
            raws = _with_token(conn, _window, adapter, lower, upper)
            orders = _map(adapter, raws, result)
            with transaction.atomic():
                stored = orders_upsert(conn.shop, orders)
                at = now()
                fields = {"last_sync_at": at, "lag_seconds": max(0, int((at - upper).total_seconds())),
                          "failures": 0, "retry_after": None, "last_error_code": "", "last_error_message": "",
                          "lease_until": at + LEASE, "orders_synced": F("orders_synced") + stored.created}
                # The checkpoint moves only over ground stored whole: from itself (or nothing) to this window's end.
                if conn.checkpoint is None or lower <= conn.checkpoint < upper:
                    fields["checkpoint"] = conn.checkpoint = upper
                PlatformConnection.objects.filter(pk=conn.pk).update(**fields)
            result.windows += 1
            result.created += stored.created
            result.updated += stored.updated
            result.unchanged += stored.unchanged
            if on_window is not None:
                on_window(lower, upper, stored)
    except PlatformError as exc:
        if getattr(exc, "recorded", False):
            raise
        if exc.kind == Failure.AUTH_REFUSED:
            connection_reauth_needed(connection_id=conn.pk, code=exc.code, message=exc.message)
        else:
            connection_failed(connection_id=conn.pk, error=exc)
        raise
    finally:
        _release(conn.pk)
    return result


def connections_due():
    """Connected shops whose backoff (if any) has run out: the ones the clock syncs now."""
    at = now()
    return PlatformConnection.objects.filter(status=State.CONNECTED).filter(
        Q(retry_after__isnull=True) | Q(retry_after__lte=at))


# --- one order, re-read (CON-05) --------------------------------------------------------------------------------

def order_refetch(*, connection_id: int, order_id: str) -> UpsertResult:
    """Re-read one order from the platform and store it: a push is a hint, never the truth."""
    conn = PlatformConnection.objects.select_related("shop").get(pk=connection_id)
    if conn.status != State.CONNECTED:
        raise ApplicationError(PlatformsError.NOT_CONNECTED)
    adapter = adapter_for(conn.platform)
    try:
        raw = _with_token(conn, adapter.order_read, order_id)
    except PlatformError as exc:
        if not getattr(exc, "recorded", False):
            connection_failed(connection_id=conn.pk, error=exc)
        raise
    if not raw:
        return UpsertResult()
    result = SyncResult()
    return orders_upsert(conn.shop, _map(adapter, [raw], result))
