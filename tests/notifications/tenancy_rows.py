"""Rows of the notifications model in both demo shops, sent through the service (tests/core/test_tenancy.py)."""

from accounts.models import SHOP_ROLES
from notifications import texts
from notifications.models import Channel
from notifications.services import inbox_send, notification_send
from orders.models import Order


def add_rows(demo) -> None:
    for order_no in ("DY1021", "PDD2013"):
        order = Order.objects.get(order_no=order_no)
        notification_send(text=texts.ENTRY_OPENED, channels=(Channel.STATION, Channel.PUSH), shop_id=order.shop_id,
                          recipient_id=order.buyer_id, order_id=order.pk, order_no=order.order_no, days=5)
        notification_send(text=texts.PAYOUT_FAILED_SHOP, channels=(Channel.STATION,), shop_id=order.shop_id,
                          order_id=order.pk, order_no=order.order_no, amount="5.00", reason="provider_error")
        # A station message in every shop person's inbox (SPEC §10): each opens their own only.
        inbox_send(texts.ENTRY_REQUEST_CREATED, shop_id=order.shop_id, to=sorted(SHOP_ROLES), order_id=order.pk,
                   order_no=order.order_no)
