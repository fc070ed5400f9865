"""After-sales tickets (售后单) and their timeline (SPEC §5, §6; API.md "After-sales tickets").

The ticket model is shared with parcel interception (logistics), which acts on refund-only tickets.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import MONEY, Shop
from core.clock import now
from core.models import DomainEvent
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


# The status table of every ticket (docs/STYLE.md "State"): services move a ticket only along these edges,
# through core.transitions.transition() (Ticket.TRANSITIONS); the set-based RS-03 sweep follows the same edges.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.PENDING_MERCHANT: frozenset({
        TicketStatus.APPROVED, TicketStatus.AWAITING_SHIPMENT, TicketStatus.REJECTED, TicketStatus.IN_ARBITRATION,
        TicketStatus.REFUNDED, TicketStatus.WITHDRAWN, TicketStatus.PENDING_MERCHANT,
    }),
    # return_refund: approved = the buyer sends the goods back; the merchant's second approval refunds.
    # → in_arbitration from approved / awaiting_shipment / in_intervention: a refund failed on the buyer's account
    # and waits for the platform's advance payment (ASE-R03).
    TicketStatus.APPROVED: frozenset({
        TicketStatus.REFUNDED, TicketStatus.WITHDRAWN, TicketStatus.REJECTED, TicketStatus.IN_ARBITRATION,
    }),
    # awaiting_shipment → awaiting_shipment: the shipment deadline passed and the intervention window opened.
    TicketStatus.AWAITING_SHIPMENT: frozenset({
        TicketStatus.AWAITING_SHIPMENT, TicketStatus.SHIPPED, TicketStatus.REFUNDED, TicketStatus.IN_INTERVENTION,
        TicketStatus.PENDING_MERCHANT, TicketStatus.WITHDRAWN, TicketStatus.CLOSED, TicketStatus.IN_ARBITRATION,
    }),
    TicketStatus.SHIPPED: frozenset({TicketStatus.COMPLETED}),
    TicketStatus.REJECTED: frozenset({
        TicketStatus.PENDING_MERCHANT, TicketStatus.IN_INTERVENTION, TicketStatus.WITHDRAWN, TicketStatus.CLOSED,
    }),
    TicketStatus.IN_ARBITRATION: frozenset({TicketStatus.REFUNDED, TicketStatus.CLOSED}),
    TicketStatus.IN_INTERVENTION: frozenset({
        TicketStatus.AWAITING_SHIPMENT, TicketStatus.REFUNDED, TicketStatus.CLOSED, TicketStatus.IN_ARBITRATION,
    }),
    TicketStatus.REFUNDED: frozenset(),
    TicketStatus.COMPLETED: frozenset(),
    TicketStatus.WITHDRAWN: frozenset(),
    TicketStatus.CLOSED: frozenset(),
}


class Ticket(models.Model):
    """One after-sales application of a buyer on an order.

    `version` changes with every state change (optimistic check of merchant decisions, API.md);
    `deadline`/`deadline_action` say when the next clock acts on the ticket and what it will do.
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("order"))
    # Denormalised from the order: the workbench lists a shop's tickets off one index.
    # No single-column index: (shop, -created_at, -id) serves "WHERE shop_id = …"; every index of this table is
    # rewritten when a sweep moves a ticket, so none is redundant (bench/reship_sweep.py).
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="tickets", db_index=False,
                             verbose_name=_("shop"))
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
    # ASE-R01: the re-opened entry the ticket was filed through (via_reopened_entry is then true).
    entry = models.ForeignKey("AftersalesEntry", null=True, blank=True, on_delete=models.PROTECT, db_index=False,
                              related_name="tickets", verbose_name=_("re-opened entry"))
    # RS-07: until when the buyer may modify the request or ask for platform intervention.
    intervention_until = models.DateTimeField(_("intervention window ends"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    tenant_shop_path = "shop"
    tenant_buyer_path = "buyer"

    class Meta:
        verbose_name = _("after-sales ticket")
        verbose_name_plural = _("after-sales workbench")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["shop", "-created_at", "-id"], name="ticket_shop_newest"),
            # Platform staff's list and the status filters, read off an index at any size (issue 14).
            models.Index(fields=["-created_at", "-id"], name="ticket_newest"),
            models.Index(fields=["shop", "status", "-created_at", "-id"], name="ticket_shop_status_newest"),
            models.Index(fields=["status", "-created_at", "-id"], name="ticket_status_newest"),
            models.Index(fields=["shop", "status", "type"], name="ticket_shop_status_type"),
            # Clock sweeps select by state and deadline.
            models.Index(fields=["deadline_action", "deadline"], name="ticket_due",
                         condition=Q(deadline__isnull=False)),
            # Most tickets have no entry: a partial index stays small and untouched by their updates.
            models.Index(fields=["entry"], name="ticket_entry", condition=Q(entry__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gt=0), name="ticket_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.order_id}"

    TRANSITIONS = ALLOWED_TRANSITIONS

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    def clock_next(self, deadline=None, action: str = "") -> None:
        """The clock the ticket's next transition starts (call just before `transition()`); without it, a
        transition stops the clock."""
        self._clock_next = (deadline, action)

    def on_transition(self, old: str, new: str) -> tuple[str, ...]:
        """Every move bumps `version` (API.md's optimistic check), stamps `updated_at` and stops the clock or
        starts the one `clock_next()` named."""
        self.version += 1
        self.updated_at = now()
        self.deadline, self.deadline_action = getattr(self, "_clock_next", (None, ""))
        self._clock_next = (None, "")
        return ("version", "updated_at", "deadline", "deadline_action")

    @property
    def labels(self) -> list[str]:
        return ["overdue_aftersales"] if self.via_reopened_entry else []


class TicketEventType(models.TextChoices):
    """The ticket timeline's types (logistics adds the interception ones under the same subject, "ticket")."""

    CREATED = "created", _("buyer applied")
    APPROVED = "approved", _("merchant approved")
    AUTO_APPROVED = "auto_approved", _("approved automatically (no answer in time)")
    REJECTED = "rejected", _("merchant rejected")
    SHIPPED = "shipped", _("merchant shipped")
    SHIPMENT_OVERDUE = "shipment_overdue", _("shipment overdue: penalty and cash coupon")
    INTERVENTION_WINDOW_OPENED = "intervention_window_opened", _("buyer may ask for platform intervention")
    INTERVENTION_REQUESTED = "intervention_requested", _("buyer asked for platform intervention")
    MODIFIED = "modified", _("buyer modified the request")
    WITHDRAWN = "withdrawn", _("buyer withdrew the request")
    ARBITRATED = "arbitrated", _("platform decided")
    REFUND_FAILED = "refund_failed", _("refund failed")
    REFUNDED = "refunded", _("refunded")
    CLOSED = "closed", _("closed")


class AftersalesOrderEventType(models.TextChoices):
    """The order operation log's types after-sales writes (subject "order", ASE-R01, ASE-R04)."""

    ENTRY_OPENED = "aftersales_entry_opened", _("after-sales entry opened")
    ENTRY_CLOSED = "aftersales_entry_closed", _("after-sales entry closed")
    ENTRY_REQUESTED = "aftersales_entry_requested", _("buyer asked to re-open the after-sales entry")
    OVERDUE_TICKET_CREATED = "overdue_ticket_created", _("overdue after-sales ticket filed")


class TicketEvent(DomainEvent):
    """The ticket's timeline: every service that changes a ticket writes one row (snake_case past tense)."""

    # (ticket, at) below serves "WHERE ticket_id = …": no second index to write per event.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", db_index=False,
                               verbose_name=_("ticket"))

    tenant_shop_path = "ticket__shop"
    tenant_buyer_path = "ticket__buyer"

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket timeline")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"])]


class ReshipReason(models.TextChoices):
    """RS-02: the reason decides the flow after a rejection or a missed shipment deadline."""

    NOT_RECEIVED = "not_received", _("never received the goods")
    MISSING_ITEMS = "missing_items", _("items missing or not sent")
    OTHER = "other", _("other")


class DeadlineAction(models.TextChoices):
    """What the clock does when a ticket's `deadline` is reached (SPEC §8)."""

    AUTO_APPROVE = "auto_approve", _("approve automatically")  # RS-03
    SHIP_DEADLINE = "ship_deadline", _("shipment deadline")  # RS-04, RS-05, RS-06
    CLOSE_WINDOW = "close_window", _("close the ticket")  # RS-07


class AftersalesEntry(models.Model):
    """One opening of an order's after-sales entry past its after-sales period (超售后期打开售后入口, ASE-R01).

    Open for `entry_open_days` (5) from `opened_at`; the `aftersales_entry_close` clock closes it at
    `closes_at` whether or not the buyer applied. At most one open entry per order (constraint).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="aftersales_entries",
                              verbose_name=_("order"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("opened by"))
    opened_at = models.DateTimeField(_("opened at"))
    closes_at = models.DateTimeField(_("closes at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # The entry's events are the order's operation log (ASE-R04); the set-based close sweep follows this table.
    TRANSITIONS = {Status.OPEN: frozenset({Status.CLOSED}), Status.CLOSED: frozenset()}

    tenant_shop_path = "order__shop"
    tenant_buyer_path = "order__buyer"

    class Meta:
        verbose_name = _("re-opened after-sales entry")
        verbose_name_plural = _("re-opened after-sales entries")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=Q(status="open"), name="one_open_entry_per_order"),
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opened_at")), name="entry_closes_after_opening"),
        ]
        indexes = [models.Index(fields=["closes_at"], condition=Q(status="open"), name="entry_open_due")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.opened_at:%Y-%m-%d}"

    @property
    def events(self):
        """The entry's events are the order's operation log (ASE-R04)."""
        return self.order.events


class EntryRequest(models.Model):
    """A buyer's request to open the entry again after it closed (ASE-R01); shown on the order."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        FULFILLED = "fulfilled", _("entry opened")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="entry_requests",
                              verbose_name=_("order"))
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("buyer"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("requested at"))
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)

    TRANSITIONS = {Status.PENDING: frozenset({Status.FULFILLED}), Status.FULFILLED: frozenset()}

    tenant_shop_path = "order__shop"
    tenant_buyer_path = "buyer"

    class Meta:
        verbose_name = _("request to re-open the entry")
        verbose_name_plural = _("requests to re-open the entry")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=Q(status="pending"), name="one_pending_entry_request"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.created_at:%Y-%m-%d}"

    @property
    def events(self):
        """The request's events are the order's operation log (ASE-R01, ASE-R04)."""
        return self.order.events


class ReshipPenalty(models.Model):
    """A late reship shipment (RS-05): the forward flow's late-shipment penalty, and the buyer's cash coupon
    taken from the shop through the ledger. One per ticket and missed shipment deadline (constraint), so a
    clock that runs twice never charges twice."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="penalties", verbose_name=_("ticket"))
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="+", verbose_name=_("shop"))
    ship_deadline = models.DateTimeField(_("missed shipment deadline"))
    coupon_amount = models.DecimalField(_("cash coupon"), **MONEY)
    charged_from = models.CharField(_("charged from"), max_length=20)
    created_at = models.DateTimeField(_("recorded at"))

    tenant_shop_path = "shop"
    tenant_buyer_path = "ticket__buyer"

    class Meta:
        verbose_name = _("late reship penalty")
        verbose_name_plural = _("late reship penalties")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "ship_deadline"], name="one_penalty_per_missed_deadline"),
            models.CheckConstraint(condition=Q(coupon_amount__gt=0), name="penalty_coupon_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.coupon_amount}"


class ShippedTrackingNumber(models.Model):
    """Every tracking number a merchant uploaded for a reship or exchange: unique, so one number can never
    serve two orders even when two shipments are recorded at the same moment (RS-04)."""

    tracking_no = models.CharField(_("tracking number"), max_length=32, unique=True)
    courier = models.CharField(_("courier"), max_length=16)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+", verbose_name=_("order"))
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="+", verbose_name=_("ticket"))
    created_at = models.DateTimeField(_("uploaded at"))

    tenant_shop_path = "order__shop"
    tenant_buyer_path = "order__buyer"

    class Meta:
        verbose_name = _("uploaded tracking number")
        verbose_name_plural = _("uploaded tracking numbers")

    def __str__(self) -> str:
        return self.tracking_no


class ArbitrationCase(Ticket):
    """The platform staff's queue (平台仲裁队列): tickets in arbitration or intervention (RS-09). A proxy of
    Ticket, so the queue has its own admin page and permissions."""

    class Meta:
        proxy = True
        verbose_name = _("arbitration case")
        verbose_name_plural = _("platform arbitration queue")
