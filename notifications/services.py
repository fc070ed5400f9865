"""Sending a message: one service for every app and channel."""

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.clock import now

from .models import Notification
from .texts import Text


def notification_send(*, text: Text, channels: Iterable[str], shop_id: int, recipient_id: int | None = None,
                      order_id: int | None = None, about: models.Model | None = None,
                      **params) -> list[Notification]:
    """Record `text` as sent on each of `channels` (the platform's app, WeChat and chat deliver them), in the
    caller's transaction: to the buyer `recipient_id`, or to the shop when empty (a station message, 站内信).

    `about` is the object the message concerns (a payout, a ticket); `params` fill the body's placeholders.
    """
    title, body = text.render(**params)
    at = now()
    about_type = ContentType.objects.get_for_model(about) if about is not None else None
    return Notification.objects.bulk_create([
        Notification(shop_id=shop_id, recipient_id=recipient_id, order_id=order_id, about_type=about_type,
                     about_id=about.pk if about is not None else None, channel=channel, kind=text.kind,
                     title=title, body=body, created_at=at)
        for channel in channels
    ])
