"""Rows of small-payout models in both demo shops, for the tenancy tests (tests/core/test_tenancy.py).

Written straight to the tables (a succeeded payout that holds nothing, so the ledger is untouched): the
tenancy tests look at who sees which rows, not at how the rows came about.
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.models import Role, User
from core.clock import shanghai_date
from orders.models import Order
from payouts.models import Notification, Payout, PayoutCard, PayoutEvent, PayoutRequest, SandboxTransfer


def add_rows(demo) -> None:
    now = timezone.now()
    # The requesters are the sub-accounts the tenancy tests sign in as: a sub-account sees only its own
    # requests (PAY-A03).
    for order_no, requester in (("DY1021", "dy_cs1"), ("PDD2013", "pdd_cs2")):
        order = Order.objects.select_related("shop").get(order_no=order_no)
        main = User.objects.get(shop=order.shop, role=Role.MAIN)
        sub = User.objects.get(username=requester)
        payout = Payout.objects.create(
            shop=order.shop, order=order, type="other", amount=Decimal("3.00"), status="succeeded", reason="补偿",
            buyer_message="已补偿", applicant=main, counted=True, day=shanghai_date(now), held=0, created_at=now,
            succeeded_at=now, close_at=now + dt.timedelta(days=7),
        )
        PayoutEvent.objects.create(payout=payout, type="created", actor=main, at=now, params={"amount": "3.00"})
        PayoutCard.objects.create(payout=payout, token=f"tenancy-{order_no}", status="expired", sent_at=now,
                                  expires_at=now + dt.timedelta(hours=72), account_masked="138****0000")
        Notification.objects.create(shop=order.shop, recipient=order.buyer, payout=payout, channel="app",
                                    kind="payout_succeeded", title="商家补偿转账通知", body="已到账", created_at=now)
        SandboxTransfer.objects.create(ref=f"PO{payout.pk}-1", payout=payout, amount=payout.amount, status="succeeded",
                                       created_at=now)
        PayoutRequest.objects.create(shop=order.shop, order=order, type="other", amount=Decimal("2.00"),
                                     reason="补偿", buyer_message="已补偿", requester=sub, created_at=now)
