from celery import shared_task

from .services import payout_settle


@shared_task(name="payouts.tasks.settle_payout_task")
def settle_payout_task(payout_id: int) -> None:
    payout_settle(payout_id=payout_id)
