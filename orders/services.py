"""Writes shared by the apps that act on orders."""

from .models import Order


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
