"""Where the buyer finds the money, or when it arrives: the `arrival` line of the buyer's success notice
(「商家补偿转账通知」, PAY-S04; seeds 000 and 001)."""

from django.utils.functional import Promise

from accounts.models import Platform
from notifications import texts

from .models import CardChannel, CardStatus, PayMethod, Payout


def arrival_note(payout: Payout) -> Promise:
    """Douyin pays into the buyer's Douyin wallet (抖音钱包) and says where to look. Pinduoduo says when it
    arrives: at once by the shop's balance, within 5 minutes to 1 hour by a scan, and after an account card
    within 2 hours to Alipay or in 1 to 3 days to a bank card."""
    if payout.shop.profile.platform == Platform.DOUYIN:
        return texts.ARRIVAL_DOUYIN_WALLET
    card = payout.cards.filter(status=CardStatus.SUBMITTED).order_by("-submitted_at", "-id").first()
    if card is not None:
        return texts.ARRIVAL_ALIPAY if card.channel == CardChannel.ALIPAY else texts.ARRIVAL_BANK_CARD
    return texts.ARRIVAL_SCAN if payout.pay_method == PayMethod.SCAN else texts.ARRIVAL_BALANCE
