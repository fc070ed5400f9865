"""Race-proof limits (SPEC §4.2, last paragraph): 16 real threads on PostgreSQL at once, per rule.

Each test releases all threads at one barrier and asserts that exactly the allowed number of payouts
succeed, every other thread got the rule's code, and the ledger still adds up.
"""

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connections

from accounts.models import LedgerEntry, PayoutQuota, PlatformProfile, Role
from accounts.selectors import ledger_drifts
from accounts.services import profiles_ensure_defaults, shop_account_sync
from core.errors import ApplicationError
from payouts.models import Payout, PayoutEvent, PayoutRequest
from payouts.provider import ProviderResult
from payouts.services import (
    PayoutInput,
    payout_apply_result,
    payout_continue,
    payout_create,
    payout_request_approve,
    payout_request_create,
)
from tests.factories import OrderFactory, ShopFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 16


def race(fn, args_list) -> Counter:
    """Run fn(*args) in one thread per args, all released at once; count outcomes by result or error code."""
    barrier = threading.Barrier(len(args_list))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(args):
        try:
            barrier.wait()
            fn(*args)
            result = "ok"
        except ApplicationError as exc:
            result = exc.code
        except Exception as exc:  # a deadlock or a constraint error would be a defect: count it
            result = f"crash:{type(exc).__name__}:{exc}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(a,)) for a in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return Counter(outcomes)


def data(amount: str) -> PayoutInput:
    return PayoutInput(type="shipping_fee", amount=Decimal(amount), reason="补偿", buyer_message="补偿")


@pytest.fixture
def shop():
    """A Douyin shop with 16 payable orders (paid 300.00 each), a main account and a sub-account."""
    profiles_ensure_defaults()  # a flushed database (transaction=True) has none yet
    PlatformProfile.objects.filter(code="douyin").update(payout_interval_seconds=0)
    shop = ShopFactory()
    shop_account_sync(shop=shop, balance=Decimal("100000.00"), frozen=Decimal("0.00"), deposit=Decimal("0.00"))
    main = UserFactory(shop=shop, role=Role.MAIN)
    sub = UserFactory(shop=shop, role=Role.SUB)
    orders = [OrderFactory(shop=shop) for _ in range(THREADS)]
    return {"shop": shop, "main": main, "sub": sub, "orders": orders}


def create(order, actor, amount):
    payout_create(order=order, data=data(amount), actor=actor)


def assert_books(shop, expected_payouts: int) -> None:
    assert Payout.objects.filter(shop=shop).count() == expected_payouts
    assert LedgerEntry.objects.filter(shop=shop, kind="payout_hold").count() == expected_payouts
    assert ledger_drifts() == []


def test_pay_l01_order_count_under_16_threads(shop):
    order = shop["orders"][0]
    outcomes = race(create, [(order, shop["main"], "1.00")] * THREADS)
    assert outcomes == Counter({"ok": 5, "order_payout_count_reached": 11})
    assert_books(shop["shop"], 5)


def test_pay_l02_order_cap_under_16_threads(shop):
    order = shop["orders"][0]
    order.paid_amount = Decimal("999.00")
    order.save()
    outcomes = race(create, [(order, shop["main"], "120.00")] * THREADS)
    assert outcomes == Counter({"ok": 4, "order_payout_cap_exceeded": 12})
    assert_books(shop["shop"], 4)


def test_pay_l03_sixty_seconds_under_16_threads(shop):
    PlatformProfile.objects.filter(code="douyin").update(payout_interval_seconds=60)
    outcomes = race(create, [(shop["orders"][0], shop["main"], "1.00")] * THREADS)
    assert outcomes == Counter({"ok": 1, "order_payout_too_frequent": 15})
    assert_books(shop["shop"], 1)


def test_pay_l04_paid_amount_under_16_threads(shop):
    order = shop["orders"][0]
    order.paid_amount = Decimal("9.90")
    order.save()
    outcomes = race(create, [(order, shop["main"], "3.00")] * THREADS)
    assert outcomes == Counter({"ok": 3, "order_paid_amount_exceeded": 13})
    assert_books(shop["shop"], 3)


def test_pay_l05_shop_daily_cap_under_16_threads(shop):
    PlatformProfile.objects.filter(code="douyin").update(shop_daily_cap=Decimal("100.00"))
    outcomes = race(create, [(o, shop["main"], "30.00") for o in shop["orders"]])
    assert outcomes == Counter({"ok": 3, "shop_daily_cap_exceeded": 13})
    assert_books(shop["shop"], 3)


def test_pay_l06_quota_per_payout_under_16_threads(shop):
    PayoutQuota.objects.create(shop=shop["shop"], user=shop["sub"], per_payout=Decimal("50.00"), daily=None)
    amounts = ["50.00", "50.01"] * (THREADS // 2)
    outcomes = race(create, [(o, shop["sub"], a) for o, a in zip(shop["orders"], amounts, strict=True)])
    assert outcomes == Counter({"ok": 8, "quota_per_payout_exceeded": 8})
    assert_books(shop["shop"], 8)


def test_pay_l07_quota_daily_under_16_threads(shop):
    PayoutQuota.objects.create(shop=shop["shop"], user=shop["sub"], per_payout=None, daily=Decimal("200.00"))
    outcomes = race(create, [(o, shop["sub"], "50.00") for o in shop["orders"]])
    assert outcomes == Counter({"ok": 4, "quota_daily_exceeded": 12})
    assert_books(shop["shop"], 4)


def test_pay_l09_balance_under_16_threads(shop):
    shop_account_sync(shop=shop["shop"], balance=Decimal("100.00"), frozen=Decimal("10.00"), deposit=None)
    outcomes = race(create, [(o, shop["main"], "30.00") for o in shop["orders"]])
    assert outcomes == Counter({"ok": 3, "insufficient_balance": 13})
    assert_books(shop["shop"], 3)
    assert shop["shop"].account.__class__.objects.get(shop=shop["shop"]).balance == Decimal("10.00")


def test_pay_s02_continue_storm_submits_once_and_never_debits_again(shop, rail_busy):
    payout = payout_create(order=shop["orders"][0], data=data("10.00"), actor=shop["main"])
    outcomes = race(lambda: payout_continue(payout=payout, actor=shop["main"]), [()] * THREADS)
    assert outcomes == Counter({"ok": 1, "payout_not_pending": 15})
    assert PayoutEvent.objects.filter(payout=payout, type="continued").count() == 1
    assert_books(shop["shop"], 1)


def test_pay_a02_approval_storm_makes_one_payout(shop):
    request = payout_request_create(order=shop["orders"][0], data=data("10.00"), actor=shop["sub"])
    outcomes = race(lambda: payout_request_approve(request=request, actor=shop["main"]), [()] * THREADS)
    assert outcomes == Counter({"ok": 1, "request_not_pending": 15})
    assert PayoutRequest.objects.get(pk=request.pk).payout is not None
    assert_books(shop["shop"], 1)


def test_pay_s07_callback_storm_releases_a_douyin_hold_once(shop, rail_busy):
    payout = payout_create(order=shop["orders"][0], data=data("10.00"), actor=shop["main"])
    payout_continue(payout=payout, actor=shop["main"])
    result = ProviderResult("failed", "ACCOUNT_INVALID")
    outcomes = race(lambda: payout_apply_result(payout_id=payout.pk, result=result, source="callback"), [()] * THREADS)
    assert outcomes == Counter({"ok": THREADS})
    assert LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk), kind="hold_release").count() == 1
    assert PayoutEvent.objects.filter(payout=payout, type="failed").count() == 1
    assert ledger_drifts() == []


def test_two_operators_paying_one_shop_from_both_ends_never_deadlock(shop):
    """Lock order (order → account → quota) holds across orders: 16 threads on 4 orders, no crash."""
    PayoutQuota.objects.create(shop=shop["shop"], user=shop["sub"], per_payout=None, daily=None)
    args = [(shop["orders"][i % 4], shop["main"] if i % 2 else shop["sub"], "1.00") for i in range(THREADS)]
    outcomes = race(create, args)
    assert set(outcomes) <= {"ok", "order_payout_count_reached"}
    assert outcomes["ok"] == THREADS  # 4 orders × 4 payouts each, under the 5 per order
    assert ledger_drifts() == []
