"""An order with a history (5 payouts, 3 tickets, 2 interceptions), for the chat-tool query-count test and
bench/chat_context.py. Built through the services, as the product would."""

from decimal import Decimal

from accounts.models import PlatformProfile, User
from aftersales.services import ticket_create, ticket_withdraw
from logistics.services import interception_request
from orders.models import Order
from payouts.services import PayoutInput, payout_create


def build_history(order_no: str = "DY1027", *, payouts: int = 5, tickets: int = 3, interceptions: int = 2,
                  leave_open: bool = True) -> Order:
    PlatformProfile.objects.update(payout_interval_seconds=0)
    order = Order.objects.select_related("shop", "buyer").get(order_no=order_no)
    admin = User.objects.get(shop=order.shop, role="main")
    for i in range(payouts):
        payout_create(order=order, actor=admin, data=PayoutInput(
            type="other", amount=Decimal("1.00"), reason=f"补偿{i}", buyer_message="补偿"))
    parcels = list(order.parcels.exclude(interceptions__status__in=["requested", "intercepting", "succeeded"])
                   .order_by("pk").values_list("tracking_no", flat=True))
    for i in range(tickets):
        ticket = ticket_create(order=order, buyer=order.buyer, type="refund_only", reason="不想要了",
                               amount=Decimal("1.00"))
        if i < interceptions:
            interception_request(ticket=ticket, tracking_nos=[parcels[i]], mode="online", actor=admin)
        if i < tickets - 1 or not leave_open:
            ticket_withdraw(ticket=ticket, actor=order.buyer)
    return order
