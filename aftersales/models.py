"""After-sales tickets (售后单) and their timeline (SPEC §5, §6; API.md "After-sales tickets").

The ticket model is shared with parcel interception (logistics), which acts on refund-only tickets.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import MONEY, Shop
from orders.models import Order


class TicketType(models.TextChoices):
    REFUND_ONLY = "refund_only", _("refund only")
    RETURN_REFUND = "return_refund", _("return and refund")
    EXCHANGE = "exchange", _("exchange")
    RESHIP = "reship", _("reship")


class TicketStatus(models.TextChoices):
    PENDING_MERCHANT = "pending_merchant", _("awaiting the merchant")
    APPROVED = "approved", _("approved")
    AWAITING_SHIPMENT = "awaiting_shipment", _("awaiting shipment")
    SHIPPED = "shipped", _("shipped")
    REJECTED = "rejected", _("rejected")
    IN_ARBITRATION = "in_arbitration", _("in platform arbitration")
    IN_INTERVENTION = "in_intervention", _("in platform intervention")
    REFUNDED = "refunded", _("refunded")
    COMPLETED = "completed", _("completed")
    WITHDRAWN = "withdrawn", _("withdrawn")
    CLOSED = "closed", _("closed")


# A ticket in one of these is finished: no clock, no merchant action, no interception (INT-01).
FINISHED_STATUSES = frozenset(
    {TicketStatus.REFUNDED, TicketStatus.COMPLETED, TicketStatus.WITHDRAWN, TicketStatus.CLOSED}
)


class Ticket(models.Model):
    """One after-sales application of a buyer on an order.

    `version` changes with every state change (optimistic check of merchant decisions, API.md);
    `deadline`/`deadline_action` say when the next clock acts on the ticket and what it will do.
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("order"))
    # Denormalised from the order: the workbench lists a shop's tickets off one index.
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("shop"))
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("buyer")
    )
    type = models.CharField(_("type"), max_length=16, choices=TicketType.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.PENDING_MERCHANT
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    amount = models.DecimalField(_("refund amount"), null=True, blank=True, **MONEY)
    # ASE-R02/R04: filed through a re-opened after-sales entry (label 超期售后, not counted, merchant-borne).
    via_reopened_entry = models.BooleanField(_("filed through a re-opened entry"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    courier = models.CharField(_("courier"), max_length=16, blank=True)
    tracking_no = models.CharField(_("tracking number"), max_length=32, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    deadline_action = models.CharField(_("at the deadline"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    tenant_shop_path = "shop"
    tenant_buyer_path = "buyer"

    class Meta:
        verbose_name = _("after-sales ticket")
        verbose_name_plural = _("after-sales tickets")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["shop", "-created_at", "-id"], name="ticket_shop_newest"),
            models.Index(fields=["shop", "status", "type"], name="ticket_shop_status_type"),
            # Clock sweeps select by state and deadline.
            models.Index(fields=["deadline_action", "deadline"], name="ticket_due",
                         condition=Q(deadline__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gt=0), name="ticket_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.order_id}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def labels(self) -> list[str]:
        return ["overdue_aftersales"] if self.via_reopened_entry else []


class TicketEvent(models.Model):
    """The ticket's timeline: every service that changes a ticket writes one row (snake_case past tense)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket"))
    type = models.CharField(_("type"), max_length=48)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("actor"),
    )
    at = models.DateTimeField(_("time"))
    params = models.JSONField(_("details"), default=dict, blank=True)

    tenant_shop_path = "ticket__shop"
    tenant_buyer_path = "ticket__buyer"

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket timeline")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"])]

    def __str__(self) -> str:
        return self.type
