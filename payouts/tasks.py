from celery import shared_task

from .services import SETTLE_TASK, payout_settle


@shared_task(name=SETTLE_TASK)
def settle_payout_task(payout_id: int) -> None:
    payout_settle(payout_id=payout_id)
