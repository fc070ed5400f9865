"""Every message the product sends, in one place: kind, title and body, English source with the Chinese in
`notifications/locale`. Bodies take `%(name)s` placeholders.

A message is rendered in the product's language (`settings.LANGUAGE_CODE`) when it is sent, whoever's
request sends it: the buyer reads Chinese even when an operator working in English pressed the button.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Text:
    kind: str
    title: Promise
    body: Promise

    def render(self, **params) -> tuple[str, str]:
        """(title, body) in the product's language, the body's placeholders filled from `params`. A coded value
        (a `TextChoices` member: a failure reason, a status) reads as its label, never as its code (SEC-06)."""
        params = {k: v.label if isinstance(v, models.Choices) else v for k, v in params.items()}
        with translation.override(settings.LANGUAGE_CODE):
            return str(self.title), str(self.body) % params


# Small payouts (PAY-S04, PAY-C01, PAY-C02)

PAYOUT_SUCCEEDED = Text(  # to the buyer, app and WeChat: 「商家补偿转账通知」, with where the money is or when it arrives
    "payout_succeeded",
    _("Compensation transfer from the shop"),
    _("The shop “%(shop)s” transferred you %(amount)s yuan in compensation, order %(order_no)s. %(arrival)s "
      "Message: %(message)s"),
)
# The `arrival` of PAYOUT_SUCCEEDED (payouts.arrival.arrival_note): Douyin says where the money is (抖音钱包),
# Pinduoduo when it arrives (by the shop's balance at once, by a scan within 5 minutes to 1 hour, after an
# account card within 2 hours to Alipay and in 1 to 3 days to a bank card).
ARRIVAL_DOUYIN_WALLET = _("The money is in your Douyin wallet: 【抖音】-【我】-【右上角】-【钱包】-【我的零钱】.")
ARRIVAL_BALANCE = _("It reaches your payment account at once (sometimes a few minutes later).")
ARRIVAL_SCAN = _("It reaches your payment account within 5 minutes to 1 hour.")
ARRIVAL_ALIPAY = _("It reaches your Alipay account within 2 hours.")
ARRIVAL_BANK_CARD = _("It reaches your bank card in 1 to 3 days.")
PAYOUT_FAILED_BUYER = Text(  # to the buyer, app: contact the platform
    "payout_failed",
    _("Compensation payment failed"),
    _("The %(amount)s yuan compensation the shop sent you failed; please contact the platform's customer service."),
)
PAYOUT_FAILED_SHOP = Text(  # to the shop, station message (站内信)
    "payout_failed",
    _("Small payout failed"),
    _("The small payout of %(amount)s yuan for order %(order_no)s failed (reason: %(reason)s); please deal with it."),
)
ACCOUNT_CARD = Text(  # to the buyer, chat: the account card (PAY-C01)
    "account_card",
    _("Receiving account card"),
    _("Your compensation failed because of the receiving account. Please fill in an Alipay account or a bank "
      "card; the payment is retried as soon as you submit it."),
)
CARD_CONFIRMED = Text(  # to the buyer, chat: the card was submitted (PAY-C02)
    "card_confirmed",
    _("Receiving account submitted"),
    _("We received your receiving account and are paying again: Alipay arrives within 2 hours, a bank card "
      "in 1 to 3 days."),
)

# After-sales (ASE-R05, RS-05)

ENTRY_OPENED = Text(  # to the buyer, station message and push
    "entry_opened",
    _("The after-sales entry is open"),
    _("The shop opened the after-sales entry of order %(order_no)s; you can apply for after-sales within "
      "%(days)s days."),
)
RESHIP_COUPON = Text(  # to the buyer, station message and push: the late-reship cash coupon
    "reship_coupon",
    _("Compensation for a late reship"),
    _("The shop did not reship in time; the platform has given you a %(coupon)s yuan cash coupon."),
)

# Station messages to shop people (站内信, SPEC §10): each goes to a person's inbox (`recipient` set).

PAYOUT_REQUEST_CREATED = Text(  # NTF-02: to every approver of the shop
    "payout_request_created",
    _("A payout request waits for approval"),
    _("%(requester)s asks to pay %(amount)s yuan for order %(order_no)s (reason: %(reason)s); please approve or "
      "reject it."),
)
PAYOUT_REQUEST_APPROVED = Text(  # NTF-03: to the requester
    "payout_request_decided",
    _("Payout request approved"),
    _("Your payout request of %(amount)s yuan for order %(order_no)s was approved and the payout has started."),
)
PAYOUT_REQUEST_REJECTED = Text(  # NTF-03: to the requester, with the reason
    "payout_request_decided",
    _("Payout request rejected"),
    _("Your payout request of %(amount)s yuan for order %(order_no)s was rejected. Reason: %(reason)s"),
)
RESHIP_AUTO_APPROVE_SOON = Text(  # NTF-04: to the main account, once per ticket
    "reship_auto_approve_soon",
    _("A reship request will be approved automatically soon"),
    _("The reship request of order %(order_no)s will be approved automatically at %(at)s unless you answer it "
      "first."),
)
ENTRY_REQUEST_CREATED = Text(  # NTF-05: to the main account
    "entry_request_created",
    _("A buyer asks to re-open after-sales"),
    _("The buyer of order %(order_no)s asks you to open the after-sales entry again."),
)
