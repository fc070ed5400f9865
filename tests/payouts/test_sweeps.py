"""The settle sweep (PAY-S03, PAY-S06): every processing payout is asked, oldest first, however many stay
processing at the rail; two sweeps at once never ask the rail twice about one payout (real threads on
PostgreSQL)."""

import datetime as dt
import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connections

from accounts.models import Role
from accounts.services import profiles_ensure_defaults, shop_account_sync
from core.clock import now, shanghai_date
from payouts import sweeps
from payouts.models import Payout, PayoutStatus
from payouts.provider import ProviderResult
from tests.factories import OrderFactory, ShopFactory, UserFactory


class CountingRail:
    """A rail that records every query; answers `CountingRail.answer` ("processing" or "succeeded")."""

    asked: list[str] = []
    answer = "processing"
    delay = 0.0
    lock = threading.Lock()

    def submit(self, transfer) -> None:
        pass

    def query(self, ref: str) -> ProviderResult:
        with CountingRail.lock:
            CountingRail.asked.append(ref)
        if CountingRail.delay:
            time.sleep(CountingRail.delay)
        return ProviderResult(CountingRail.answer)

    def top_up_qr_content(self, *, payout_id, channel, amount) -> str:
        return ""


@pytest.fixture
def rail(settings):
    settings.PAYOUT_PROVIDER = "tests.payouts.test_sweeps.CountingRail"
    CountingRail.asked, CountingRail.answer, CountingRail.delay = [], "processing", 0.0
    return CountingRail


def processing_payouts(count: int) -> list[int]:
    """`count` processing payouts on one Douyin shop (each on its own order), oldest first; ids ascending."""
    profiles_ensure_defaults()
    shop = ShopFactory()
    shop_account_sync(shop=shop, balance=Decimal("0.00"), frozen=Decimal("0.00"), deposit=Decimal("0.00"))
    main = UserFactory(shop=shop, role=Role.MAIN)
    order = OrderFactory(shop=shop)
    at = now()
    rows = [
        Payout(shop=shop, order=order, type="other", amount=Decimal("1.00"), status=PayoutStatus.PROCESSING,
               reason="补偿", buyer_message="补偿", applicant=main, day=shanghai_date(at), held=0, attempt=1,
               created_at=at - dt.timedelta(minutes=count - i), submitted_at=at,
               close_at=at + dt.timedelta(days=6))
        for i in range(count)
    ]
    return [p.pk for p in Payout.objects.bulk_create(rows)]


@pytest.mark.django_db
def test_pay_s03_every_processing_payout_is_asked_oldest_first_beyond_one_batch(rail):
    """PAY-S03/S06: with more payouts processing at the rail than one batch, one run asks every one of them,
    oldest first (none is left to close on day 7 unchecked)."""
    ids = processing_payouts(sweeps.BATCH + 100)
    assert sweeps.payouts_settle_sweep() == 0  # the rail has no answer yet: nothing moved
    assert rail.asked == [f"PO{pk}-1" for pk in ids]


@pytest.mark.django_db(transaction=True)
def test_pay_s03_two_settle_sweeps_at_once_never_ask_the_rail_twice_about_one_payout(rail):
    """PAY-S03: two sweeps in real threads at once (the second a moment later, when the first is already at
    work): each processing payout is asked once and settled once."""
    ids = processing_payouts(40)
    rail.answer, rail.delay = "succeeded", 0.01
    barrier = threading.Barrier(2)
    moved, errors = [], []

    def run(lag: float):
        try:
            barrier.wait()
            time.sleep(lag)
            moved.append(sweeps.payouts_settle_sweep())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(lag,)) for lag in (0.0, 0.05)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert Counter(rail.asked) == Counter({f"PO{pk}-1": 1 for pk in ids})
    assert sum(moved) == len(ids)
    assert set(Payout.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"succeeded"}
