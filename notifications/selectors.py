"""Reading messages."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

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
    return Notification.objects.filter(recipient__isnull=False, channel__in=(Channel.STATION, Channel.PUSH))
