"""The clocks of small payouts (SPEC §8). Each walks its due rows oldest first and hands each to its
service, which locks the row and checks state and deadline again: two runs at once, or a rerun after a
crash, change nothing twice.

Payout volume is bounded by the shops' daily caps, so a row at a time through the one service that
holds the rule is fast enough and keeps every event, ledger entry and notification in one place.
"""

import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection
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


@contextmanager
def _claim(table: str, pk: int) -> Iterator[bool]:
    """Hold one row for this run while its service works on it, or learn that another run holds it.

    A PostgreSQL advisory lock keyed by (table, id), taken without waiting and released right after the
    row: the settle sweep asks the rail outside any transaction, so a row lock could not be held across it,
    and taking the payout's row lock before its service takes the order's would break the lock order
    (order → shop account → payout) and deadlock with a callback or an operator. Nobody ever waits on this
    lock, so it cannot deadlock. Other databases (SQLite, one process) need no claim.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    key = (zlib.crc32(table.encode()) - 2**31, pk & 0x7FFFFFFF)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)


def _drain(candidates: Callable[[], QuerySet], act: Callable[[int], bool]) -> int:
    """Walk the due rows oldest first by keyset (id), a batch of ids at a time, so every due row is reached
    in one run however many stay due; claim each (skipping rows another run holds), check it is still due,
    act on it."""
    moved, last = 0, 0
    while True:
        ids = list(candidates().filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            return moved
        table = candidates().model._meta.db_table
        for pk in ids:
            with _claim(table, pk) as held:
                if held and candidates().filter(pk=pk).exists():
                    moved += bool(act(pk))
        last = ids[-1]


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
