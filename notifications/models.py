"""Every message the product sends, in one table: the buyer's app, WeChat, chat, station (站内信) and push
messages, the shop's own record of a station message (recipient empty) and the station messages of a shop
person's inbox (站内信, SPEC §10: `recipient` is that person; only they read or mark it).

What a message is about (a payout, a ticket) is a generic reference (`about`), so this app knows none of the
apps that send; the order is a plain foreign key, as every message so far concerns one and the lists show
its number without a join per row. Tenancy: the shop sees its shop's messages, a buyer their own.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Shop
from orders.models import Order


class Channel(models.TextChoices):
    APP = "app", _("app message")
    WECHAT = "wechat", _("WeChat message")
    STATION = "station", _("station message")
    CHAT = "chat", _("chat message")
    PUSH = "push", _("push")


class Notification(models.Model):
    """A message the product sent (PAY-S04, PAY-C01/C02, ASE-R05, RS-05); `read_at` once the recipient read it."""

    Channel = Channel

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="notifications", verbose_name=_("shop"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("recipient"), help_text=_("The buyer or the shop person; empty for the shop's own record."),
    )
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications",
                              verbose_name=_("order"))
    about_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("about (type)"))
    about_id = models.PositiveBigIntegerField(_("about (number)"), null=True, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    channel = models.CharField(_("message channel"), max_length=8, choices=Channel.choices)
    kind = models.CharField(_("message kind"), max_length=32)
    title = models.CharField(_("title"), max_length=128)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("sent at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    tenant_shop_path = "shop"
    tenant_buyer_path = "recipient"

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_newest"),
            models.Index(fields=["shop", "-created_at"], name="notification_shop_newest"),
            models.Index(fields=["about_type", "about_id"], name="notification_about"),
        ]
        constraints = [
            # NTF-04: once per ticket and person, however many sweeps run at once.
            models.UniqueConstraint(fields=["kind", "about_type", "about_id", "recipient"],
                                    condition=models.Q(kind="reship_auto_approve_soon"),
                                    name="notification_reship_soon_once"),
        ]

    def __str__(self) -> str:
        return self.title


class InboxMessage(Notification):
    """A shop person's own station messages (站内信): the inbox page (NTF-06)."""

    class Meta:
        proxy = True
        verbose_name = _("station message")
        verbose_name_plural = _("my station messages")
