"""The links go out with the buyer's messages (SPEC §14): buyerpages listens to payouts' own hooks
(`payouts.hooks`, fired after the commit of the change they announce) and sends the buyer a message with a
signed link (PAY-B01) through notifications. Nothing imports buyerpages; payouts fires the hooks without
knowing who listens."""

from django.db import transaction

from core.clock import SHANGHAI
from notifications.models import Channel
from notifications.services import notification_send
from payouts import hooks
from payouts.models import CardStatus, Payout

from . import links, texts

CHANNELS = (Channel.APP,)  # the buyer's message in the platform app


@transaction.atomic
def _send(payout: Payout, text, *, link: str, deadline=None) -> None:
    payout = Payout.objects.select_related("shop", "order").get(pk=payout.pk)
    notification_send(text=text, channels=CHANNELS, shop_id=payout.shop_id, recipient_id=payout.order.buyer_id,
                      order_id=payout.order_id, about=payout, link=link, amount=payout.amount,
                      shop=payout.shop.name, order_no=payout.order.order_no,
                      deadline=deadline.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if deadline else "")


@hooks.on(hooks.CARD_SENT)
def card_link(payout: Payout) -> None:
    """PAY-B02: the account card's page, valid as long as the card (72 h)."""
    card = payout.cards.filter(status=CardStatus.SENT).order_by("-sent_at", "-id").first()
    if card is None:  # submitted or expired meanwhile
        return
    _send(payout, texts.CARD_LINK, deadline=card.expires_at,
          link=links.url(links.CARD, payout_id=payout.pk, expires_at=card.expires_at, card=card.token))


@hooks.on(hooks.BUYER_IDENTITY_NEEDED)
def identity_link(payout: Payout) -> None:
    """PAY-B03: WeChat identity, valid until the payout closes."""
    _send(payout, texts.IDENTITY_LINK, link=links.url(links.IDENTITY, payout_id=payout.pk, expires_at=payout.close_at))


@hooks.on(hooks.WAITING_FOR_BUYER)
def confirm_link(payout: Payout) -> None:
    """PAY-B04: WeChat's confirm-receipt step, valid until the rail's deadline."""
    deadline = payout.confirm_deadline or payout.close_at
    _send(payout, texts.CONFIRM_LINK, deadline=deadline,
          link=links.url(links.CONFIRM, payout_id=payout.pk, expires_at=deadline))
