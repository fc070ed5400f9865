"""Platform connections' writes: orders in (set-based through orders' services), tokens, sync state."""

from __future__ import annotations

from accounts.models import Shop
from orders.services import OrderSyncRow, UpsertResult, orders_bulk_upsert

from .mapping import PlatformOrder


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
            "review_flags": {k: v for k, v in order.unknown.items()},
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
    source = orders[0].platform
    return orders_bulk_upsert(shop_id=shop.pk, rows=[order_row(o) for o in orders], source=source)
