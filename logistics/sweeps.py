"""Clocks of parcel interception (SPEC §8: "interception results and return legs").

Each run takes a batch of due rows with FOR UPDATE SKIP LOCKED and pushes their check time forward by a
short lease in the same short transaction, so a concurrent run neither waits for them nor takes them;
then it asks the courier about each row outside any transaction and applies the answer under the row
locks with a status re-check (services). A crash mid-batch leaves rows whose lease simply expires.
Rows are few (one per intercepted parcel) and each needs a courier call, so the loop is per row.
"""

import logging

from django.db import transaction

from core.clock import now
from core.clocks import sweep

from .models import PENDING_STATUSES, Interception, InterceptionStatus
from .services import LEASE, interception_process, interception_return_poll

BATCH = 200
logger = logging.getLogger(__name__)


def _each(ids: list[int], step) -> int:
    """Run `step` per row; a courier error on one row is logged and leaves the row for the next run
    (its lease expires) without holding up the rest of the batch."""
    moved = 0
    for pk in ids:
        try:
            moved += step(interception_id=pk)
        except Exception:  # noqa: BLE001 - one courier's outage must not stop the others
            logger.exception("interception %s: courier call failed; retried after the lease", pk)
    return moved


def _lease(qs, field: str) -> list[int]:
    at = now()
    with transaction.atomic():
        ids = list(qs.filter(**{f"{field}__lte": at}).order_by(field, "pk")
                   .select_for_update(skip_locked=True).values_list("pk", flat=True)[:BATCH])
        if ids:
            Interception.objects.filter(pk__in=ids).update(**{field: at + LEASE})
    return ids


@sweep("interception_results")
def interception_results_sweep() -> int:
    """Submit requested interceptions to the courier and apply its results (INT-07)."""
    return _each(_lease(Interception.objects.filter(status__in=PENDING_STATUSES), "check_at"), interception_process)


@sweep("interception_returns")
def interception_returns_sweep() -> int:
    """Ask the courier whether intercepted parcels are back (the sandbox: `returned` after 3 days)."""
    return _each(_lease(Interception.objects.filter(status=InterceptionStatus.SUCCEEDED), "return_due_at"),
                 interception_return_poll)
