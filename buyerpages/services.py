"""What the buyer's pages ask of payouts when the buyer has done their part."""

from payouts.models import Payout, PayoutStatus
from payouts.rails.models import Rail
from payouts.services import payout_buyer_identity_known


def identity_given(*, app_id: str, buyer_id: int) -> list[int]:
    """PAY-B03: the buyer's WeChat payouts that wait for their identity under `app_id` go on now (each through
    payouts' own service, behind its locks). Returns their ids."""
    ids = list(Payout.objects.filter(status=PayoutStatus.PENDING, pending_reason="buyer_identity_needed",
                                     order__buyer_id=buyer_id, shop__payment_rail__enabled=True,
                                     shop__payment_rail__rail=Rail.WECHAT,
                                     shop__payment_rail__wechat_appid=app_id).values_list("pk", flat=True))
    for payout_id in ids:
        payout_buyer_identity_known(payout_id=payout_id)
    return ids
