"""Sending a message: one service for every app and channel."""

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models

from accounts.models import User
from core.clock import now
from core.errors import ApplicationError, CommonError

from .models import Channel, Notification
from .selectors import inbox_of
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


def inbox_send(text: Text, *, shop_id: int, to: Iterable[int | str | None], order_id: int | None = None,
               about: models.Model | None = None, once: bool = False, **params) -> list[Notification]:
    """A station message (站内信) into the inbox of each shop person of `to` (SPEC §10, NTF-01..05), in the
    caller's transaction: a user id, or a role (`Role.MAIN`, `Role.CS_ADMIN`) for every active person of the
    shop with it. Each person gets one row of their own (`recipient`), which only they read and mark (NTF-06).
    `once`: a row a unique constraint already holds (NTF-04's once per ticket) is skipped, not an error."""
    roles = [x for x in to if isinstance(x, str)]
    ids = {x for x in to if isinstance(x, int) and not isinstance(x, bool)}
    if roles:
        ids.update(User.objects.filter(shop_id=shop_id, role__in=roles, is_active=True).values_list("pk", flat=True))
    if not ids:
        return []
    title, body = text.render(**params)
    at = now()
    about_type = ContentType.objects.get_for_model(about) if about is not None else None
    return Notification.objects.bulk_create([
        Notification(shop_id=shop_id, recipient_id=pk, order_id=order_id, about_type=about_type,
                     about_id=about.pk if about is not None else None, channel=Channel.STATION, kind=text.kind,
                     title=title, body=body, created_at=at)
        for pk in sorted(ids)
    ], ignore_conflicts=once)


def inbox_mark_read(*, user, message_id: int | None = None) -> int:
    """NTF-06: the recipient marks one of their messages read (`message_id`), or all of them; another person's
    message is not found. Returns how many were unread."""
    mine = inbox_of(user)
    if message_id is not None:
        if not mine.filter(pk=message_id).exists():
            raise ApplicationError(CommonError.NOT_FOUND)
        mine = mine.filter(pk=message_id)
    return mine.filter(read_at__isnull=True).update(read_at=now())
