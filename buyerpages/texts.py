"""The buyer's messages that carry a page's link (SPEC §14): English source, Chinese in buyerpages/locale,
rendered in the product's language when sent (notifications.texts.Text)."""

from django.utils.translation import gettext_lazy as _

from notifications.texts import Text

CARD_LINK = Text(  # to the buyer, chat and app: the account card's page (PAY-B02)
    "account_card_link",
    _("Fill in your receiving account"),
    _("Fill in the Alipay account or bank card that should receive the %(amount)s yuan from the shop "
      "“%(shop)s” (order %(order_no)s) on this page, by %(deadline)s: %(link)s"),
)
IDENTITY_LINK = Text(  # to the buyer, chat and app: WeChat identity (PAY-B03)
    "buyer_identity_link",
    _("Confirm your WeChat to receive a transfer"),
    _("The shop “%(shop)s” is sending you %(amount)s yuan through WeChat (order %(order_no)s). Open this link "
      "in WeChat so that WeChat knows where to pay you: %(link)s"),
)
CONFIRM_LINK = Text(  # to the buyer, chat and app: WeChat's confirm-receipt step (PAY-B04)
    "confirm_receipt_link",
    _("Confirm receipt of a WeChat transfer"),
    _("The shop “%(shop)s” transferred you %(amount)s yuan through WeChat (order %(order_no)s). Open this link "
      "in WeChat and confirm receipt by %(deadline)s: %(link)s"),
)
