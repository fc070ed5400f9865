"""The buyer pages' fixtures: the demo's people and orders, a failed Pinduoduo payout with its account card,
and the fake WeChat web side (authorization, JS-SDK) on a loopback port."""

from decimal import Decimal

import pytest

from accounts.models import User
from core.clocks import run_all
from orders.models import Order
from payouts.services import PayoutInput, payout_create

WECHAT_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
             "Mobile Safari/537.36 MicroMessenger/8.0.50.2600 NetType/WIFI Language/zh_CN")


@pytest.fixture
def users(demo):
    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def orders(demo):
    return {o.order_no: o for o in Order.objects.select_related("shop__profile", "buyer")}


@pytest.fixture
def pay():
    def make(amount="10.00", **kw) -> PayoutInput:
        base = {"type": "shipping_fee", "amount": Decimal(amount), "reason": "运费补偿", "buyer_message": "已为您补运费"}
        return PayoutInput(**{**base, **kw})

    return make


@pytest.fixture
def failed_payout(orders, users, pay, django_capture_on_commit_callbacks):
    """A Pinduoduo payout to a buyer whose sandbox account is invalid: failed, with an open account card (the
    hooks after commit run: the card page's link is sent)."""
    with django_capture_on_commit_callbacks(execute=True):
        payout = payout_create(order=orders["PDD2005"], data=pay("20.00"), actor=users["pdd_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        run_all()
    payout.refresh_from_db()
    assert payout.status == "failed" and payout.cards.filter(status="sent").exists()
    return payout
