"""The clocks of small payouts (SPEC §8). Each selects due rows by state and deadline in batches, skipping
rows another run holds (FOR UPDATE SKIP LOCKED), and hands each to its service, which locks the row and
checks state and deadline again: two runs at once, or a rerun after a crash, change nothing twice.

Payout volume is bounded by the shops' daily caps, so a row at a time through the one service that
holds the rule is fast enough and keeps every event, ledger entry and notification in one place.
"""

from collections.abc import Callable

from django.db import transaction
from django.db.models import QuerySet

from core.clock import now
from core.clocks import sweep

from .models import CardStatus, Payout, PayoutCard, PayoutStatus
from .services import (
    payout_auto_submit,
    payout_card_expire,
    payout_close,
    payout_return,
    payout_settle,
    payout_top_up_expire,
)

BATCH = 500


def _drain(candidates: Callable[[], QuerySet], act: Callable[[int], bool]) -> int:
    """Take due ids a batch at a time (skipping rows locked by another run) and act on each."""
    moved, seen = 0, set()
    while True:
        with transaction.atomic():
            ids = [i for i in candidates().select_for_update(skip_locked=True).values_list("pk", flat=True)[:BATCH]
                   if i not in seen]
        if not ids:
            return moved
        for pk in ids:
            seen.add(pk)
            moved += bool(act(pk))


@sweep("payouts_auto_submit")
def payouts_auto_submit_sweep() -> int:
    """PAY-S02: pending payouts reach the profile's auto-submit age (Douyin 30 min) → submitted and settled
    in the same sweep, so their final status shows by then."""
    submitted = []

    def act(pk: int) -> bool:
        done = payout_auto_submit(payout_id=pk)
        if done:
            submitted.append(pk)
        return done

    moved = _drain(lambda: Payout.objects.filter(status=PayoutStatus.PENDING, auto_submit_at__lte=now()), act)
    for pk in submitted:
        payout_settle(payout_id=pk)
    return moved


@sweep("payouts_settle")
def payouts_settle_sweep() -> int:
    """PAY-S03: ask the rail about every processing payout (the recovery path when a callback or task is lost)."""
    def act(pk: int) -> bool:
        payout = payout_settle(payout_id=pk)
        return payout is not None and payout.status != PayoutStatus.PROCESSING

    return _drain(lambda: Payout.objects.filter(status=PayoutStatus.PROCESSING), act)


@sweep("payout_cards_expire")
def payout_cards_expire_sweep() -> int:
    """PAY-C03: cards expire 72 hours after they were sent."""
    return _drain(lambda: PayoutCard.objects.filter(status=CardStatus.SENT, expires_at__lte=now()),
                  lambda pk: payout_card_expire(card_id=pk))


@sweep("payouts_close")
def payouts_close_sweep() -> int:
    """PAY-S06: payouts still not succeeded 7 days after creation close."""
    return _drain(lambda: Payout.objects.filter(status__in=[PayoutStatus.PROCESSING, PayoutStatus.FAILED],
                                                close_at__lte=now()),
                  lambda pk: payout_close(payout_id=pk))


@sweep("payouts_return")
def payouts_return_sweep() -> int:
    """PAY-S06: a closed payout's held money returns to the balance once, on the 3rd working day."""
    return _drain(lambda: Payout.objects.filter(status=PayoutStatus.CLOSED, returned_at__isnull=True, held__gt=0,
                                                return_due_at__lte=now()),
                  lambda pk: payout_return(payout_id=pk))


@sweep("payout_top_ups_expire")
def payout_top_ups_expire_sweep() -> int:
    """PAY-Q02: awaiting top-up payouts fail 1 hour after the request."""
    return _drain(lambda: Payout.objects.filter(status=PayoutStatus.AWAITING_TOP_UP, top_up_deadline__lte=now()),
                  lambda pk: payout_top_up_expire(payout_id=pk))
