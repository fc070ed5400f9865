"""The test factories (tests/factories.py) make rows that hang together as the product leaves them."""

from decimal import Decimal

import pytest

from accounts.models import Role, ShopAccount
from accounts.selectors import ledger_drifts
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_people_and_shops():
    shop = f.ShopFactory(funds=("100.00", "10.00", "50.00"))
    main = f.UserFactory(shop=shop, token="tok-test-main")
    sub = f.SubAccountFactory(shop=shop, quota__per_payout=Decimal("30.00"))
    assert ShopAccount.objects.get(shop=shop).available == Decimal("90.00") and ledger_drifts() == []
    from accounts.tokens import token_digest

    assert (main.role, main.api_tokens.get().digest, main.check_password("pw")) == (
        Role.MAIN, token_digest("tok-test-main"), True)
    assert (sub.shop, sub.payout_quota.per_payout, sub.payout_quota.shop) == (shop, Decimal("30.00"), shop)
    assert f.PinduoduoShopFactory().profile.code == "pinduoduo"
    assert f.PlatformStaffFactory().shop is None and f.BuyerFactory().role == Role.BUYER
    outlet_user = f.OutletUserFactory(outlet__courier="jt")
    assert outlet_user.outlet.courier == "jt" and outlet_user.role == Role.OUTLET


def test_orders_payouts_tickets_interceptions_share_their_order():
    order = f.OrderFactory(parcels=2)
    assert order.items.count() == 1 and order.parcels.count() == 2
    payout = f.PayoutFactory(order=order)
    assert (payout.shop, payout.applicant.shop, payout.close_at > payout.created_at) == (order.shop, order.shop, True)
    ticket = f.TicketFactory(order=order)
    assert (ticket.shop, ticket.buyer) == (order.shop, order.buyer)
    interception = f.InterceptionFactory(ticket=ticket, parcel__courier="jt")
    assert interception.parcel.order == order and interception.tracking_no.startswith("JT")
    assert interception.shop == order.shop
