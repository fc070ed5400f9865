"""The payout clocks (SPEC §8): each registered with run_clocks and beat, and two runs at once change
nothing twice (real threads on PostgreSQL, time moved with time-machine)."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import connections

from accounts.models import LedgerEntry, User
from accounts.selectors import ledger_drifts
from core.clocks import SWEEPS, run_all
from orders.models import Order
from payouts.models import Payout, PayoutCard, PayoutEvent
from payouts.services import PayoutInput, payout_create

PAYOUT_SWEEPS = {"payouts_auto_submit", "payouts_settle", "payout_cards_expire", "payouts_close", "payouts_return",
                 "payout_top_ups_expire"}


def test_every_payout_clock_is_registered_and_scheduled():
    assert PAYOUT_SWEEPS <= set(SWEEPS)
    scheduled = {entry["args"][0] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert PAYOUT_SWEEPS <= scheduled


def twice_at_once() -> None:
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            run_all()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []


def events(payout: Payout, type: str) -> int:
    return PayoutEvent.objects.filter(payout=payout, type=type).count()


@pytest.mark.django_db(transaction=True)
def test_pay_s02_s03_s06_c03_q02_clocks_run_twice_at_once_change_nothing_twice(demo):
    """Every payout clock, each reached in turn, with two run_clocks at once each time."""
    start = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)  # Wednesday 10:00 in Shanghai
    users = {u.username: u for u in User.objects.all()}
    orders = {o.order_no: o for o in Order.objects.all()}
    data = PayoutInput(type="other", amount=Decimal("20.00"), reason="补偿", buyer_message="补偿")
    User.objects.filter(pk=orders["DY1001"].buyer_id).update(sandbox_wallet="rail_busy")  # pending (PAY-S01)
    with time_machine.travel(start, tick=False):
        pending = payout_create(order=orders["DY1001"], data=data, actor=users["dy_admin"])
        no_answer = payout_create(order=orders["PDD2006"], data=data, actor=users["pdd_admin"])
        invalid = payout_create(order=orders["PDD2005"], data=data, actor=users["pdd_admin"])
        scan = payout_create(order=orders["PDD2011"], data=PayoutInput(**{**data.__dict__, "pay_method": "scan",
                             "scan_channel": "wechat"}), actor=users["pdd_admin"])

    with time_machine.travel(start + dt.timedelta(minutes=30), tick=False):
        twice_at_once()
    assert events(pending, "auto_submitted") == 1 and events(pending, "succeeded") == 1
    assert events(invalid, "failed") == 1 and PayoutCard.objects.filter(payout=invalid).count() == 1
    assert Payout.objects.get(pk=no_answer.pk).status == "processing"
    assert Payout.objects.get(pk=scan.pk).status == "awaiting_top_up"

    with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
        twice_at_once()
    assert events(scan, "top_up_failed") == 1

    with time_machine.travel(start + dt.timedelta(hours=72, minutes=30), tick=False):
        twice_at_once()
    assert PayoutCard.objects.get(payout=invalid).status == "expired"
    assert events(invalid, "card_expired") == 1

    with time_machine.travel(start + dt.timedelta(days=7), tick=False):
        twice_at_once()
    for payout in (no_answer, invalid):
        payout.refresh_from_db()
        assert payout.status == "closed" and events(payout, "closed") == 1
        # closed Wednesday 12-02 → 3rd working day Monday 12-07, 00:00 Shanghai
        assert payout.return_due_at == dt.datetime(2026, 12, 6, 16, 0, tzinfo=dt.UTC)

    with time_machine.travel(dt.datetime(2026, 12, 6, 16, 0, tzinfo=dt.UTC), tick=False):
        twice_at_once()
        twice_at_once()
    for payout in (no_answer, invalid):
        assert LedgerEntry.objects.filter(ref_type="payout", ref_id=str(payout.pk), kind="payout_return").count() == 1
        assert events(payout, "returned") == 1
    assert ledger_drifts() == []
