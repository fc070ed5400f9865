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


def test_con04_flagged_orders_listed_under_to_review_in_the_admin(client):
    shop = ShopFactory()
    from tests.factories import UserFactory

    orders_upsert(shop, [douyin_order(douyin_raw("6920000000000000001", status=77)),
                         douyin_order(douyin_raw("6920000000000000002"))])
    client.force_login(UserFactory(shop=shop, role="main"))
    page = client.get("/admin/orders/order/?review=1").content.decode()
    assert "6920000000000000001" in page and "6920000000000000002" not in page
    order = Order.objects.get(order_no="6920000000000000001")
    assert "order_status: 77" in client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_con03_con05_two_writers_of_one_new_order_at_once_store_it_once():
    """A sync window and a push (or an import) bring the same new order at the same moment: the second writer
    waits for the first's commit and finds the order stored — never an IntegrityError."""
    import threading
    import time

    from django.db import transaction

    shop = ShopFactory()
    orders = [douyin_order(douyin_raw(str(6930000000000000000 + i))) for i in range(3)]
    orders_upsert(shop, [douyin_order(douyin_raw("6930000000000000999"))])  # its category exists: no wait on that
    first_wrote, results, errors = threading.Event(), {}, []

    def first():
        try:
            with transaction.atomic():
                results["first"] = orders_upsert(shop, orders)
                first_wrote.set()
                time.sleep(0.5)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    def second():
        try:
            first_wrote.wait(10)
            results["second"] = orders_upsert(shop, orders)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results["first"].created == 3
    assert (results["second"].created, results["second"].unchanged) == (0, 3)
    assert Order.objects.filter(shop=shop).count() == 4
