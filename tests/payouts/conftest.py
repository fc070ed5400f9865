import pytest

from accounts.models import PlatformProfile, User
from orders.models import Order
from payouts.services import PayoutInput


@pytest.fixture
def pay():
    """payout_create's input with sensible defaults."""

    def make(amount="10.00", **kw) -> PayoutInput:
        from decimal import Decimal

        base = {"type": "shipping_fee", "amount": Decimal(amount), "reason": "运费补偿", "buyer_message": "已为您补运费"}
        return PayoutInput(**{**base, **kw})

    return make


@pytest.fixture
def users(demo):
    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def orders(demo):
    return {o.order_no: o for o in Order.objects.select_related("shop__profile", "buyer")}


@pytest.fixture
def no_interval(demo):
    """Profiles without the 60-second interval, for tests that make several payouts on one order."""
    PlatformProfile.objects.update(payout_interval_seconds=0)


@pytest.fixture
def rail_busy(demo, monkeypatch):
    """PAY-S01: every buyer's sandbox wallet is `rail_busy` (the rail refuses each payout's first submission)
    and the submission after commit runs at once, so a new balance payout is pending as soon as it is made.
    Objects returned by the services are as they were before the submission: refresh them."""
    import types

    from django.db import transaction

    import payouts.services as services

    User.objects.filter(role="buyer").update(sandbox_wallet="rail_busy")
    immediate = types.SimpleNamespace(atomic=transaction.atomic, on_commit=lambda fn, *a, **k: fn())
    monkeypatch.setattr(services, "transaction", immediate)
