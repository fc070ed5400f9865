from decimal import Decimal

import pytest

from accounts.models import ShopAccount
from accounts.selectors import ledger_drifts
from core.clocks import run_all
from payouts.models import Payout
from payouts.services import payout_continue, payout_create


@pytest.mark.django_db
def test_pay_s01_s02_douyin_payout_holds_once_and_continue_settles(users, orders, pay,
                                                                   django_capture_on_commit_callbacks, rail_busy):
    order = orders["DY1001"]
    before = ShopAccount.objects.get(shop=order.shop).balance
    with django_capture_on_commit_callbacks(execute=True):
        payout = payout_create(order=order, data=pay("12.50"), actor=users["dy_admin"])
    payout.refresh_from_db()
    assert payout.status == "pending"
    assert ShopAccount.objects.get(shop=order.shop).balance == before - Decimal("12.50")
    with django_capture_on_commit_callbacks(execute=True):
        payout_continue(payout=payout, actor=users["dy_admin"])
    run_all()
    payout.refresh_from_db()
    assert payout.status == "succeeded"
    assert ShopAccount.objects.get(shop=order.shop).balance == before - Decimal("12.50")
    assert ledger_drifts() == []
    assert Payout.objects.count() == 1
