"""The clocks of small payouts (SPEC §8). Each walks its due rows oldest first and hands each to its
service, which locks the row and checks state and deadline again: two runs at once, or a rerun after a
crash, change nothing twice.

Payout volume is bounded by the shops' daily caps, so a row at a time through the one service that
holds the rule is fast enough and keeps every event, ledger entry and notification in one place.
"""

import logging
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from core.clock import now
from core.clocks import report, sweep

from .models import (
    OPEN_SUBMISSION_STATES,
    CardStatus,
    Payout,
    PayoutCard,
    PayoutStatus,
    PayoutSubmission,
    PendingReason,
)
from .services import (
    payout_auto_submit,
    payout_card_expire,
    payout_close_at_rail,
    payout_return,
    payout_settle,
    payout_top_up_expire,
)

logger = logging.getLogger(__name__)

BATCH = 500
# Rows a sweep could not move because their service raised, per sweep name, for the last run (issue 22.7):
# logged, counted, and the rest of the rows went on.
FAILURES: dict[str, int] = {}


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


def _drain(candidates: Callable[[], QuerySet], act: Callable[[int], bool], name: str = "") -> int:
    """Walk the due rows oldest first by keyset (id), a batch of ids at a time, so every due row is reached
    in one run however many stay due; claim each (skipping rows another run holds), check it is still due,
    act on it. A row whose service raises is logged and counted (`FAILURES`) and the walk goes on: one bad
    row never stops the sweep (issue 22.7)."""
    moved, last, failed = 0, 0, 0
    name = name or candidates().model._meta.db_table
    while True:
        ids = list(candidates().filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            FAILURES[name] = failed
            report(failed_rows=failed)  # kept on the clock's ClockRun row (系统状态)
            if failed:
                logger.error("sweep %s: %s rows failed (logged above), %s moved", name, failed, moved)
            return moved
        table = candidates().model._meta.db_table
        for pk in ids:
            try:
                with _claim(table, pk) as held:
                    if held and candidates().filter(pk=pk).exists():
                        moved += bool(act(pk))
            except Exception:
                failed += 1
                logger.exception("sweep %s: row %s failed; going on with the rest", name, pk)
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

    moved = _drain(lambda: Payout.objects.filter(status=PayoutStatus.PENDING, auto_submit_at__lte=now()), act,
                   "payouts_auto_submit")
    for pk in submitted:
        try:
            payout_settle(payout_id=pk)
        except Exception:
            logger.exception("sweep payouts_auto_submit: settling payout %s failed; the settle sweep retries", pk)
    return moved


@sweep("payouts_settle")
def payouts_settle_sweep() -> int:
    """PAY-S03/S09: every processing payout and every key still open is cleared up with its rail — queued keys
    are sent (the outbox's recovery path when the broker is down), unknown and accepted ones asked about by
    the same key, with a growing delay after a query the rail did not answer."""
    def act(pk: int) -> bool:
        payout = payout_settle(payout_id=pk)
        return payout is not None and payout.status != PayoutStatus.PROCESSING

    open_keys = PayoutSubmission.objects.filter(payout=OuterRef("pk"), state__in=OPEN_SUBMISSION_STATES)
    return _drain(lambda: Payout.objects.filter(Q(status=PayoutStatus.PROCESSING) | Q(Exists(open_keys))), act,
                  "payouts_settle")


@sweep("payout_cards_expire")
def payout_cards_expire_sweep() -> int:
    """PAY-C03: cards expire 72 hours after they were sent."""
    return _drain(lambda: PayoutCard.objects.filter(status=CardStatus.SENT, expires_at__lte=now()),
                  lambda pk: payout_card_expire(card_id=pk), "payout_cards_expire")


@sweep("payouts_close")
def payouts_close_sweep() -> int:
    """PAY-S06/S10: payouts still not succeeded 7 days after creation close — after the rail has cancelled (or
    finally failed) every key they were sent under; a payout the rail paid meanwhile succeeds instead."""
    return _drain(lambda: Payout.objects.filter(
        Q(status__in=[PayoutStatus.PROCESSING, PayoutStatus.FAILED])
        | Q(status=PayoutStatus.PENDING, pending_reason=PendingReason.BUYER_IDENTITY_NEEDED), close_at__lte=now()),
        lambda pk: payout_close_at_rail(payout_id=pk), "payouts_close")


@sweep("payouts_return")
def payouts_return_sweep() -> int:
    """PAY-S06: a closed payout's held money returns to the balance once, on the 3rd working day."""
    return _drain(lambda: Payout.objects.filter(status=PayoutStatus.CLOSED, returned_at__isnull=True, held__gt=0,
                                                return_due_at__lte=now()),
                  lambda pk: payout_return(payout_id=pk), "payouts_return")


@sweep("payout_top_ups_expire")
def payout_top_ups_expire_sweep() -> int:
    """PAY-Q02: awaiting top-up payouts fail 1 hour after the request."""
    return _drain(lambda: Payout.objects.filter(status=PayoutStatus.AWAITING_TOP_UP, top_up_deadline__lte=now()),
                  lambda pk: payout_top_up_expire(payout_id=pk), "payout_top_ups_expire")
