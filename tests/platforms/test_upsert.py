"""CON-03/04: orders written set-based by platform order id — idempotent, a later platform update wins."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, OrderEvent
from platforms.mapping import douyin_order, pdd_order
from platforms.services import orders_upsert
from tests.factories import PinduoduoShopFactory, ShopFactory
from tests.platforms.payloads import douyin_raw, pdd_raw

pytestmark = pytest.mark.django_db


def test_con03_upsert_creates_then_twice_changes_nothing():
    shop = ShopFactory()
    orders = [douyin_order(douyin_raw(str(6920000000000000000 + i))) for i in range(20)]
    r = orders_upsert(shop, orders)
    assert (r.created, r.updated, r.unchanged) == (20, 0, 0)
    events = OrderEvent.objects.count()
    r = orders_upsert(shop, orders)
    assert (r.created, r.updated, r.unchanged) == (0, 0, 20)
    assert OrderEvent.objects.count() == events
    o = Order.objects.get(order_no="6920000000000000005")
    assert o.paid_amount == Decimal("25.90") and o.items.count() == 1 and o.buyer.role == "buyer"


def test_con03_later_platform_update_wins():
    shop = ShopFactory()
    old = douyin_order(douyin_raw(status=2, update_time=1733360000))
    new = douyin_order(douyin_raw(status=3, update_time=1733360600, logistics_info=[
        {"tracking_no": "YT1234567890123", "company": "yuantong"}]))
    orders_upsert(shop, [old])
    r = orders_upsert(shop, [new])
    assert r.updated == 1
    r = orders_upsert(shop, [old])  # a stale version arrives late
    assert (r.updated, r.unchanged) == (0, 1)
    o = Order.objects.get(order_no=new.order_id)
    assert o.status == "shipped" and list(o.parcels.values_list("tracking_no", flat=True)) == ["YT1234567890123"]


def test_con04_unknown_value_flags_the_order():
    shop = ShopFactory()
    orders_upsert(shop, [douyin_order(douyin_raw(status=77))])
    o = Order.objects.get()
    assert o.review_flags == {"order_status": 77}


def test_con03_statements_per_batch_are_constant():
    shop = PinduoduoShopFactory()
    small = [pdd_order(pdd_raw(f"241205-{i:09d}")) for i in range(5)]
    big = [pdd_order(pdd_raw(f"241206-{i:09d}")) for i in range(100)]
    with CaptureQueriesContext(connection) as q_small:
        orders_upsert(shop, small)
    with CaptureQueriesContext(connection) as q_big:
        orders_upsert(shop, big)
    assert len(q_big) == len(q_small)


def test_con03_order_of_another_shop_is_skipped():
    a, b = ShopFactory(), ShopFactory()
    orders_upsert(a, [douyin_order(douyin_raw())])
    r = orders_upsert(b, [douyin_order(douyin_raw(status=3, update_time=1733369999))])
    assert r.skipped and Order.objects.get().shop == a and Order.objects.get().status == "stocking"
