"""Rows of after-sales models in both demo shops, for the tenancy tests (tests/core/test_tenancy.py)."""

from django.utils import timezone

from aftersales.models import Ticket, TicketEvent, TicketType
from orders.models import Order


def add_rows(demo) -> None:
    now = timezone.now()
    for order_no in ("DY1021", "PDD2013"):
        order = Order.objects.get(order_no=order_no)
        ticket = Ticket.objects.create(order=order, shop=order.shop, buyer=order.buyer, type=TicketType.RESHIP,
                                       reason="other", created_at=now, updated_at=now)
        TicketEvent.objects.create(ticket=ticket, type="created", actor=order.buyer, at=now)
