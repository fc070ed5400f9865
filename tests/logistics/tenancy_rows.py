"""Rows of every logistics model in both demo shops, for the tenancy tests (tests/core/test_tenancy.py)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from aftersales.models import Ticket, TicketType
from logistics.models import (
    AutoInterceptRule,
    Claim,
    ClaimEvent,
    ContractEvent,
    ContractStatus,
    Interception,
    InterceptionContract,
    InterceptionEvent,
    InterceptionStatus,
    Outlet,
)
from orders.models import Order


def add_rows(demo) -> None:
    now = timezone.now()
    outlet = Outlet.objects.get(code="yto-hz-01")
    for shop_key, order_no in (("dy", "DY1024"), ("pdd", "PDD2006")):
        order = Order.objects.get(order_no=order_no)
        admin = User.objects.get(shop=order.shop, role="main")
        contract = InterceptionContract.objects.create(shop=order.shop, outlet=outlet, courier="yto",
                                                       agreed_price=Decimal("2.00"), status=ContractStatus.ACTIVE,
                                                       requested_by=admin, created_at=now)
        ContractEvent.objects.create(contract=contract, type="created", actor=admin, at=now)
        ticket = Ticket.objects.create(order=order, shop=order.shop, buyer=order.buyer, type=TicketType.REFUND_ONLY,
                                       reason="不想要了", created_at=now, updated_at=now)
        parcel = order.parcels.get()
        interception = Interception.objects.create(
            shop=order.shop, ticket=ticket, parcel=parcel, tracking_no=parcel.tracking_no, courier=parcel.courier,
            outlet=parcel.outlet, settlement="online", platform_fee=Decimal("3.00"),
            status=InterceptionStatus.RETURN_FAILED, return_outcome="lost", requested_by=admin,
            created_at=now - dt.timedelta(days=8), succeeded_at=now - dt.timedelta(days=8), finished_at=now,
        )
        InterceptionEvent.objects.create(interception=interception, type="created", actor=admin, at=now)
        claim = Claim.objects.create(shop=order.shop, interception=interception, kind="lost", amount=Decimal("10.00"),
                                     filed_by=admin, created_at=now)
        ClaimEvent.objects.create(claim=claim, type="created", actor=admin, at=now)
        AutoInterceptRule.objects.create(shop=order.shop, enabled=shop_key == "dy", updated_by=admin, updated_at=now)
