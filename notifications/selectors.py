"""Reading messages."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

from accounts.models import Role

from .models import Channel, Notification


def about_type_get(app_label: str, model: str) -> ContentType:
    """The content type of what messages are about, by name (cached), so this app imports no sender."""
    return ContentType.objects.get_by_natural_key(app_label, model)


def notification_list_about(*, about: models.Model) -> models.QuerySet[Notification]:
    """The messages about one object (a payout, a ticket), oldest first."""
    return Notification.objects.filter(about_type=ContentType.objects.get_for_model(about),
                                       about_id=about.pk).order_by("created_at", "id")


def notification_list_to_buyers() -> models.QuerySet[Notification]:
    """Station messages and pushes sent to buyers (ASE-R05, RS-05)."""
    return Notification.objects.filter(recipient__role=Role.BUYER, channel__in=(Channel.STATION, Channel.PUSH))


def inbox_of(user) -> models.QuerySet[Notification]:
    """A shop person's own station messages (站内信): nobody else's (NTF-06)."""
    return Notification.objects.filter(recipient_id=user.pk, channel=Channel.STATION)


def inbox_unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_shop_member", False):
        return 0
    return inbox_of(user).filter(read_at__isnull=True).count()


# What a message is about, as the inbox API names it (API.md "Station messages").
OBJECT_TYPES = {("payouts", "payout"): "payout", ("payouts", "payoutrequest"): "payout_request",
                ("aftersales", "ticket"): "ticket", ("aftersales", "entryrequest"): "entry_request"}
