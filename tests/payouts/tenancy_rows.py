"""Rows of every payout model in both demo shops, made through the services (tests/core/test_tenancy.py)."""

from decimal import Decimal

from django.utils import timezone

from accounts.models import PlatformProfile, User
from orders.models import Order
from payouts.models import PayoutCard, PayoutStatus, SandboxTransfer
from payouts.provider import ProviderResult
from payouts.services import PayoutInput, payout_apply_result, payout_create, payout_request_create


def add_rows(demo) -> None:
    PlatformProfile.objects.update(payout_interval_seconds=0)
    data = PayoutInput(type="other", amount=Decimal("5.00"), reason="补偿", buyer_message="补偿")
    for order_no, admin, sub in (("DY1028", "dy_admin", "dy_cs1"), ("PDD2005", "pdd_admin", "pdd_cs2")):
        order = Order.objects.get(order_no=order_no)
        payout = payout_create(order=order, data=data, actor=User.objects.get(username=admin))
        if payout.status == PayoutStatus.PENDING:
            from payouts.services import payout_continue

            payout = payout_continue(payout=payout, actor=User.objects.get(username=admin))
        # A failure: a station message, and on Pinduoduo an account card.
        payout_apply_result(payout_id=payout.pk, result=ProviderResult("failed", "ACCOUNT_INVALID"), source="test")
        SandboxTransfer.objects.create(ref=f"PO{payout.pk}-1", payout=payout, amount=payout.amount, status="failed",
                                       created_at=timezone.now())
        payout_request_create(order=order, data=data, actor=User.objects.get(username=sub))
        if not payout.cards.exists():  # Douyin sends no cards; a row all the same, for the scope check
            PayoutCard.objects.create(payout=payout, token=f"t{payout.pk}", sent_at=timezone.now(),
                                      expires_at=timezone.now())
    PlatformProfile.objects.update(payout_interval_seconds=60)
