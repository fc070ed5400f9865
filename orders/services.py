"""Writes shared by the apps that act on orders."""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from accounts.models import Role, User
from core.clock import now

from .models import Category, Order, OrderEvent, OrderEventType, OrderItem, Parcel

ORDERS_UPSERT_LOCK = 0x4F524453  # "ORDS": the advisory-lock class of one shop's order upserts


def order_lock(*, order_id: int) -> Order:
    """Lock the order row — the first lock of every service that acts on an order (lock order: order →
    ticket → shop account → quota → payout) — and load what the rules read. OF self: a FOR UPDATE over the
    join would also lock the shop, its platform profile (shared by every shop of the platform) and the buyer.
    """
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("shop__profile", "buyer", "category")
        .get(pk=order_id)
    )


# --- platform sync: set-based upsert (CON-03/04) ---------------------------------------------------------------

ORDER_SYNC_FIELDS = (
    "source_app", "payment", "status", "deposit_presale", "goods_kind", "created_at", "paid_at", "paid_amount",
    "confirmed_receipt_at", "group_formed_at", "refund_state", "platform_updated_at", "review_flags",
)


@dataclass
class OrderSyncRow:
    """One order as a platform delivers it, in this app's terms (the platforms app maps into it).

    `values` holds ORDER_SYNC_FIELDS; `buyer_username` names the buyer identity (created when new); items are
    dicts of product_id, name, price, quantity, promo; parcels dicts of tracking_no, courier."""

    order_no: str
    buyer_username: str
    category_code: str
    values: dict[str, Any]
    items: list[dict[str, Any]] = field(default_factory=list)
    parcels: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # order_no -> why it was not written (an order number or tracking number held by another shop's order)
    skipped: dict[str, str] = field(default_factory=dict)

    def add(self, other: "UpsertResult") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped.update(other.skipped)


def _categories(codes: set[str]) -> dict[str, int]:
    Category.objects.bulk_create([Category(code=c, name=c) for c in sorted(codes)], ignore_conflicts=True)
    return dict(Category.objects.filter(code__in=codes).values_list("code", "pk"))


def _buyers(usernames: set[str]) -> dict[str, int]:
    """Buyer identities by username, created (no usable password, API-less) where missing."""
    unusable = make_password(None)
    User.objects.bulk_create(
        [User(username=u, role=Role.BUYER, password=unusable) for u in sorted(usernames)], ignore_conflicts=True
    )
    return dict(User.objects.filter(username__in=usernames, role=Role.BUYER).values_list("username", "pk"))


def orders_bulk_upsert(*, shop_id: int, rows: list[OrderSyncRow], source: str) -> UpsertResult:
    """Create or update a batch of one shop's orders by order number, set-based: a constant number of statements
    per batch whatever its size. Idempotent: a row equal to what is stored changes nothing (no row, no log
    line); a row older than the stored version (`platform_updated_at`) is ignored, so a later platform update
    wins whatever order versions arrive in. Items are matched by product ID, parcels by tracking number.
    Locks the batch's existing orders (in order-number order, so two runs cannot deadlock) and runs in the
    caller's transaction (or one of its own)."""
    result = UpsertResult()
    if not rows:
        return result
    by_no: dict[str, OrderSyncRow] = {}
    for row in rows:  # one version per order: the newest wins inside a batch too
        held = by_no.get(row.order_no)
        if held is None or _newer_or_same(row.values.get("platform_updated_at"), held.values.get("platform_updated_at")):
            by_no[row.order_no] = row
    with transaction.atomic():
        _shop_upsert_lock(shop_id)
        categories = _categories({r.category_code for r in by_no.values()})
        existing = {
            o.order_no: o
            for o in Order.objects.select_for_update(of=("self",))
            .filter(order_no__in=sorted(by_no))
            .order_by("order_no")
            .only("pk", "order_no", "shop_id", "category_id", *ORDER_SYNC_FIELDS)
        }
        new_rows = [r for no, r in by_no.items() if no not in existing]
        buyers = _buyers({r.buyer_username for r in new_rows}) if new_rows else {}
        to_create: list[Order] = []
        to_update: list[Order] = []
        changed_fields: dict[str, list[str]] = {}
        for no, row in by_no.items():
            order = existing.get(no)
            if order is None:
                if row.buyer_username not in buyers:
                    result.skipped[no] = "buyer identity is taken by a non-buyer account"
                    continue
                to_create.append(Order(
                    order_no=no, shop_id=shop_id, buyer_id=buyers[row.buyer_username],
                    category_id=categories[row.category_code], **row.values,
                ))
                continue
            if order.shop_id != shop_id:
                result.skipped[no] = "order number belongs to another shop"
                continue
            if not _newer_or_same(row.values.get("platform_updated_at"), order.platform_updated_at):
                continue  # an older version: the stored one wins
            changed = [k for k, v in row.values.items() if getattr(order, k) != v]
            for k in changed:
                setattr(order, k, row.values[k])
            if changed:
                to_update.append(order)
                changed_fields[no] = changed
        Order.objects.bulk_create(to_create)
        if to_update:
            Order.objects.bulk_update(to_update, sorted({f for fs in changed_fields.values() for f in fs}))
        ids = {o.order_no: o.pk for o in [*to_create, *existing.values()]}
        written = {no for no in by_no if no in ids and no not in result.skipped}
        _sync_items(by_no, ids, written, changed_fields)
        _sync_parcels(by_no, ids, written, changed_fields, result)
        created_nos = {o.order_no for o in to_create}
        at = now()
        OrderEvent.objects.bulk_create(
            [OrderEvent(order_id=ids[no], type=OrderEventType.SYNCED, at=at, params={"source": source})
             for no in sorted(created_nos)]
            + [OrderEvent(order_id=ids[no], type=OrderEventType.SYNC_UPDATED, at=at,
                          params={"source": source, "fields": sorted(fs)})
               for no, fs in sorted(changed_fields.items()) if no not in created_nos]
        )
        result.created = len(created_nos)
        result.updated = len([no for no in changed_fields if no not in created_nos])
        result.unchanged = len(by_no) - result.created - result.updated - len(result.skipped)
    return result


def _shop_upsert_lock(shop_id: int) -> None:
    """Two writers of one shop's orders (the sync, a push, an import) take turns: without it both could find
    an order missing and both INSERT it (an IntegrityError for the second). A transaction-scoped advisory
    lock on PostgreSQL; SQLite writes one transaction at a time anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ORDERS_UPSERT_LOCK, shop_id])


def _newer_or_same(incoming, stored) -> bool:
    return incoming is None or stored is None or incoming >= stored


def _sync_items(by_no, ids, written, changed_fields) -> None:
    held = {(i.order_id, i.product_id): i for i in OrderItem.objects.filter(order_id__in=[ids[n] for n in written])}
    to_create, to_update, fields = [], [], set()
    for no in sorted(written):
        for item in by_no[no].items:
            current = held.get((ids[no], item["product_id"]))
            values = {k: item[k] for k in ("name", "price", "quantity", "promo") if k in item}
            if current is None:
                to_create.append(OrderItem(order_id=ids[no], product_id=item["product_id"], **values))
                if "items" not in changed_fields.get(no, []):
                    changed_fields.setdefault(no, []).append("items")
                continue
            diff = [k for k, v in values.items() if getattr(current, k) != v]
            if diff:
                for k in diff:
                    setattr(current, k, values[k])
                fields.update(diff)
                to_update.append(current)
                if "items" not in changed_fields.get(no, []):
                    changed_fields.setdefault(no, []).append("items")
    OrderItem.objects.bulk_create(to_create)
    if to_update:
        OrderItem.objects.bulk_update(to_update, sorted(fields))


def _sync_parcels(by_no, ids, written, changed_fields, result) -> None:
    wanted = {p["tracking_no"]: no for no in written for p in by_no[no].parcels}
    held = {
        p.tracking_no: p
        for p in Parcel.objects.filter(tracking_no__in=list(wanted)).only("pk", "tracking_no", "order_id", "courier")
    }
    to_create, to_update = [], []
    for no in sorted(written):
        for p in by_no[no].parcels:
            current = held.get(p["tracking_no"])
            if current is None:
                to_create.append(Parcel(order_id=ids[no], tracking_no=p["tracking_no"], courier=p["courier"]))
            elif current.order_id != ids[no]:
                continue  # the tracking number is another order's: left as it is
            elif current.courier != p["courier"]:
                current.courier = p["courier"]
                to_update.append(current)
            else:
                continue
            if "parcels" not in changed_fields.get(no, []):
                changed_fields.setdefault(no, []).append("parcels")
    Parcel.objects.bulk_create(to_create)
    if to_update:
        Parcel.objects.bulk_update(to_update, ["courier"])
