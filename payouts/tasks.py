from celery import shared_task

from .services import SETTLE_TASK, SUBMIT_TASK, payout_settle, payout_submission_deliver


@shared_task(name=SETTLE_TASK)
def settle_payout_task(payout_id: int) -> None:
    payout_settle(payout_id=payout_id, force=True)


@shared_task(name=SUBMIT_TASK)
def submit_payout_task(submission_id: int) -> None:
    """The outbox's sender (issue 21): one queued submission to its rail, out of any web request."""
    payout_submission_deliver(submission_id=submission_id)
