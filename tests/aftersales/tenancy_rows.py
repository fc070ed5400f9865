"""Rows of after-sales models in both demo shops, for the tenancy tests (tests/core/test_tenancy.py)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from aftersales.models import (
    AftersalesEntry,
    EntryRequest,
    ReshipPenalty,
    ShippedTrackingNumber,
    Ticket,
    TicketEvent,
    TicketType,
)
from orders.models import Order


def add_rows(demo) -> None:
    now = timezone.now()
    for n, order_no in enumerate(("DY1021", "PDD2013")):
        order = Order.objects.get(order_no=order_no)
        ticket = Ticket.objects.create(order=order, shop=order.shop, buyer=order.buyer, type=TicketType.RESHIP,
                                       reason="other", created_at=now, updated_at=now)
        TicketEvent.objects.create(ticket=ticket, type="created", actor=order.buyer, at=now)
        admin = order.shop.members.get(role="main")
        AftersalesEntry.objects.create(order=order, opened_by=admin, opened_at=now - dt.timedelta(days=6),
                                       closes_at=now - dt.timedelta(days=1), status="closed", closed_at=now)
        EntryRequest.objects.create(order=order, buyer=order.buyer, created_at=now)
        ReshipPenalty.objects.create(ticket=ticket, shop=order.shop, ship_deadline=now, coupon_amount=Decimal("3.00"),
                                     charged_from="balance", created_at=now)
        ShippedTrackingNumber.objects.create(tracking_no=f"YT990000000000{n}", courier="yto", order=order,
                                             ticket=ticket, created_at=now)
