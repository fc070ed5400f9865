"""Interception contracts, interceptions, the auto-intercept rule and claims (SPEC §7)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import MONEY
from core.models import DomainEvent
from orders.couriers import COURIER_CHOICES
from orders.models import Outlet


class Versioned:
    """Every status move of a logistics row bumps its `version` (core.transitions calls this)."""

    def on_transition(self, old: str, new: str) -> tuple[str, ...]:
        self.version += 1
        return ("version",)


class ContractEventType(models.TextChoices):
    CREATED = "created", _("created")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    ENDED = "ended", _("ended by the shop")
    PRICE_CHANGED = "price_changed", _("agreed price changed")


class InterceptionEventType(models.TextChoices):
    CREATED = "created", _("created")
    SUBMITTED = "submitted", _("submitted to the courier")
    INTERCEPTED = "intercepted", _("intercepted")
    FAILED = "failed", _("interception failed")
    RETURNED = "returned", _("returned")
    RETURN_FAILED = "return_failed", _("return failed")


class ClaimEventType(models.TextChoices):
    CREATED = "created", _("created")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    PAID = "paid", _("paid by the courier")


class TicketInterceptionEventType(models.TextChoices):
    """What interception writes on the after-sales ticket's timeline (subject "ticket")."""

    INTERCEPTION_REQUESTED = "interception_requested", _("parcel interception requested")
    INTERCEPTED = "intercepted", _("parcel intercepted")
    INTERCEPTION_FAILED = "interception_failed", _("parcel interception failed")
    AUTO_INTERCEPTION_SKIPPED = "auto_interception_skipped", _("auto-interception skipped")
    INTERCEPTED_NOT_REFUNDED = "intercepted_not_refunded", _("parcel intercepted; the ticket can no longer be refunded")


class OrderInterceptionEventType(models.TextChoices):
    """What interception writes on the order's operation log (subject "order")."""

    INTERCEPTION_REQUESTED = "interception_requested", _("parcel interception requested")
    INTERCEPTED = "intercepted", _("parcel intercepted")
    INTERCEPTION_FAILED = "interception_failed", _("parcel interception failed")
    INTERCEPTION_RETURNED = "interception_returned", _("intercepted parcel returned")
    INTERCEPTION_RETURN_FAILED = "interception_return_failed", _("return of intercepted parcel failed")


# --- Contracts (INT-03..05) ------------------------------------------------------------------------


class ContractStatus(models.TextChoices):
    PENDING_REVIEW = "pending_review", _("awaiting outlet review")
    ACTIVE = "active", _("active")
    REJECTED = "rejected", _("rejected")
    ENDED = "ended", _("ended")


# INT-04: shown wherever the service is opened (admin page, API operation description).
CONTRACT_REMINDER = _(
    "Agree the interception terms and price with the outlet before opening the service: J&T outlets review "
    "the request and may reject it; YTO contracts take effect at once without review."
)

OPEN_CONTRACT_STATUSES = (ContractStatus.PENDING_REVIEW, ContractStatus.ACTIVE)

CONTRACT_TRANSITIONS: dict[str, frozenset[str]] = {
    ContractStatus.PENDING_REVIEW: frozenset({ContractStatus.ACTIVE, ContractStatus.REJECTED, ContractStatus.ENDED}),
    # INT-10: the main account ends a contract.
    ContractStatus.ACTIVE: frozenset({ContractStatus.ENDED}),
    ContractStatus.REJECTED: frozenset(),
    ContractStatus.ENDED: frozenset(),
}


class InterceptionContract(Versioned, models.Model):
    """The offline-settlement service a shop opened with one outlet (承诺拦截、线下结算), at an agreed price."""

    shop = models.ForeignKey("accounts.Shop", on_delete=models.PROTECT, related_name="interception_contracts",
                             verbose_name=_("shop"))
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("outlet"))
    courier = models.CharField(_("courier"), max_length=16, choices=COURIER_CHOICES)
    agreed_price = models.DecimalField(_("agreed price per parcel"), **MONEY)
    status = models.CharField(_("status"), max_length=16, choices=ContractStatus.choices)
    reject_reason = models.CharField(_("rejection reason"), max_length=255, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("opened by"))
    created_at = models.DateTimeField(_("opened at"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("ended by"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    TRANSITIONS = CONTRACT_TRANSITIONS

    tenant_shop_path = "shop"
    tenant_outlet_path = "outlet"

    class Meta:
        verbose_name = _("interception contract")
        verbose_name_plural = _("interception service (offline settlement)")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open contract per shop and outlet: a second "open" cannot create a duplicate.
            models.UniqueConstraint(fields=["shop", "outlet"], condition=Q(status__in=OPEN_CONTRACT_STATUSES),
                                    name="one_open_contract_per_shop_outlet"),
            models.CheckConstraint(condition=Q(agreed_price__gte=0), name="contract_agreed_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.shop} · {self.outlet}"


class ContractEvent(DomainEvent):
    contract = models.ForeignKey(InterceptionContract, on_delete=models.CASCADE, related_name="events",
                                 verbose_name=_("contract"))

    tenant_shop_path = "contract__shop"
    tenant_outlet_path = "contract__outlet"

    class Meta:
        verbose_name = _("contract event")
        verbose_name_plural = _("contract timeline")
        ordering = ["at", "id"]


# --- Interceptions (INT-01, 02, 06, 07, 08) --------------------------------------------------------


class Settlement(models.TextChoices):
    ONLINE = "online", _("online (platform-billed)")
    OFFLINE = "offline", _("offline settlement")


class InterceptionStatus(models.TextChoices):
    REQUESTED = "requested", _("requested")
    INTERCEPTING = "intercepting", _("intercepting")
    SUCCEEDED = "succeeded", _("intercepted, returning")
    FAILED = "failed", _("interception failed")
    RETURNED = "returned", _("returned")
    RETURN_FAILED = "return_failed", _("return failed")


class ReturnOutcome(models.TextChoices):
    RETURNED = "returned", _("returned")
    LOST = "lost", _("lost")
    DAMAGED = "damaged", _("damaged")


class FailureReason(models.TextChoices):
    """Why a courier refused an interception (failure_reason codes; API.md names parcel_already_signed)."""

    PARCEL_ALREADY_SIGNED = "parcel_already_signed", _("parcel already signed")
    PARCEL_OUT_FOR_DELIVERY = "parcel_out_for_delivery", _("parcel already out for delivery")
    PARCEL_LOST = "parcel_lost", _("parcel lost")
    PARCEL_ALREADY_RETURNING = "parcel_already_returning", _("parcel already returning")
    COURIER_REFUSED = "courier_refused", _("refused by the courier")


# Statuses waiting for the courier's interception result.
PENDING_STATUSES = (InterceptionStatus.REQUESTED, InterceptionStatus.INTERCEPTING)

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    InterceptionStatus.REQUESTED: frozenset(
        {InterceptionStatus.INTERCEPTING, InterceptionStatus.SUCCEEDED, InterceptionStatus.FAILED}
    ),
    InterceptionStatus.INTERCEPTING: frozenset({InterceptionStatus.SUCCEEDED, InterceptionStatus.FAILED}),
    InterceptionStatus.SUCCEEDED: frozenset({InterceptionStatus.RETURNED, InterceptionStatus.RETURN_FAILED}),
    InterceptionStatus.FAILED: frozenset(),
    InterceptionStatus.RETURNED: frozenset(),
    InterceptionStatus.RETURN_FAILED: frozenset(),
}


class Interception(Versioned, models.Model):
    """One parcel's interception (拦截服务单). At most one that is not failed per parcel (a database
    constraint), so a double click or two operators at once cannot intercept — or charge — twice."""

    shop = models.ForeignKey("accounts.Shop", on_delete=models.PROTECT, related_name="interceptions",
                             verbose_name=_("shop"), db_index=False)
    ticket = models.ForeignKey("aftersales.Ticket", on_delete=models.PROTECT, related_name="interceptions",
                               verbose_name=_("after-sales ticket"))
    parcel = models.ForeignKey("orders.Parcel", on_delete=models.PROTECT, related_name="interceptions",
                               verbose_name=_("parcel"))
    tracking_no = models.CharField(_("tracking number"), max_length=32)
    courier = models.CharField(_("courier"), max_length=16, choices=COURIER_CHOICES)
    outlet = models.ForeignKey(Outlet, null=True, blank=True, on_delete=models.PROTECT, related_name="interceptions",
                               verbose_name=_("outlet"))
    settlement = models.CharField(_("settlement method"), max_length=8, choices=Settlement.choices)
    platform_fee = models.DecimalField(_("platform fee"), **MONEY)
    agreed_price = models.DecimalField(_("agreed price (offline)"), null=True, blank=True, **MONEY)
    contract = models.ForeignKey(InterceptionContract, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="interceptions", verbose_name=_("contract"))
    status = models.CharField(_("status"), max_length=16, choices=InterceptionStatus.choices,
                              default=InterceptionStatus.REQUESTED)
    failure_reason = models.CharField(_("failure reason"), max_length=48, blank=True)
    return_outcome = models.CharField(_("return result"), max_length=16, choices=ReturnOutcome.choices, blank=True)
    auto = models.BooleanField(_("by the auto-intercept rule"), default=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("requested by"))
    created_at = models.DateTimeField(_("requested at"))
    external_ref = models.CharField(_("courier reference"), max_length=64, blank=True)
    # When the courier is next asked for the interception result (requested/intercepting rows).
    check_at = models.DateTimeField(_("next courier check"), null=True, blank=True)
    succeeded_at = models.DateTimeField(_("intercepted at"), null=True, blank=True)
    fee_source = models.CharField(_("fee taken from"), max_length=20, blank=True)
    return_due_at = models.DateTimeField(_("return expected by"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    TRANSITIONS = ALLOWED_TRANSITIONS

    tenant_shop_path = "shop"
    tenant_outlet_path = "outlet"

    class Meta:
        verbose_name = _("interception")
        verbose_name_plural = _("interception records")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["shop", "-created_at", "-id"], name="interception_shop_newest"),
            models.Index(fields=["shop", "settlement", "-created_at"], name="interception_shop_settlement"),
            models.Index(fields=["status", "check_at"], name="interception_pending_due",
                         condition=Q(status__in=["requested", "intercepting"])),
            models.Index(fields=["status", "return_due_at"], name="interception_return_due",
                         condition=Q(status="succeeded")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["parcel"], condition=~Q(status="failed"),
                                    name="one_active_interception_per_parcel"),
            models.CheckConstraint(condition=Q(platform_fee__gte=0), name="interception_fee_not_negative"),
            models.CheckConstraint(
                condition=Q(settlement="online", agreed_price__isnull=True)
                | Q(settlement="offline", platform_fee=0, agreed_price__isnull=False),
                name="interception_settlement_prices",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_no} ({self.get_status_display()})"

    @property
    def fee_charged(self):
        """What the shop paid through the ledger: the online fee once the interception succeeded (INT-02)."""
        from core.money import ZERO

        charged = self.settlement == Settlement.ONLINE and self.succeeded_at is not None
        return self.platform_fee if charged else ZERO

    @property
    def failure_reason_display(self) -> str:
        labels = dict(FailureReason.choices)
        return str(labels.get(self.failure_reason, self.failure_reason))


class InterceptionEvent(DomainEvent):
    interception = models.ForeignKey(Interception, on_delete=models.CASCADE, related_name="events",
                                     verbose_name=_("interception"))

    tenant_shop_path = "interception__shop"
    tenant_outlet_path = "interception__outlet"

    class Meta:
        verbose_name = _("interception event")
        verbose_name_plural = _("interception timeline")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["interception", "at"])]


class AutoInterceptRule(models.Model):
    """After-sales assistant rule 快递拦截自动退 of one shop (INT-06)."""

    shop = models.OneToOneField("accounts.Shop", on_delete=models.CASCADE, related_name="auto_intercept_rule",
                                verbose_name=_("shop"))
    enabled = models.BooleanField(_("enabled"), default=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("changed by"))
    updated_at = models.DateTimeField(_("changed at"), null=True, blank=True)

    tenant_shop_path = "shop"

    class Meta:
        verbose_name = _("auto-intercept rule")
        verbose_name_plural = _("after-sales assistant: auto-intercept refunds")

    def __str__(self) -> str:
        return str(self.shop)


# --- Claims (INT-09) -------------------------------------------------------------------------------


class ClaimKind(models.TextChoices):
    LOST = "lost", _("lost")
    DAMAGED = "damaged", _("damaged")


class ClaimStatus(models.TextChoices):
    FILED = "filed", _("filed")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    PAID = "paid", _("paid by the courier")


CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    ClaimStatus.FILED: frozenset({ClaimStatus.APPROVED, ClaimStatus.REJECTED}),
    ClaimStatus.APPROVED: frozenset({ClaimStatus.PAID}),
    ClaimStatus.REJECTED: frozenset(),
    ClaimStatus.PAID: frozenset(),
}


class Claim(Versioned, models.Model):
    """A complaint (投诉) about a return lost or damaged after a successful interception. The courier pays
    the compensation offline: the product records the decision and the merchant's confirmation only."""

    shop = models.ForeignKey("accounts.Shop", on_delete=models.PROTECT, related_name="interception_claims",
                             verbose_name=_("shop"))
    interception = models.ForeignKey(Interception, on_delete=models.PROTECT, related_name="claims",
                                     verbose_name=_("interception"))
    kind = models.CharField(_("kind"), max_length=8, choices=ClaimKind.choices)
    amount = models.DecimalField(_("amount asked"), **MONEY)
    description = models.CharField(_("description"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=ClaimStatus.choices, default=ClaimStatus.FILED)
    compensation = models.DecimalField(_("compensation"), null=True, blank=True, **MONEY)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("filed by"))
    created_at = models.DateTimeField(_("filed at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    paid_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+", verbose_name=_("payment confirmed by"))
    paid_at = models.DateTimeField(_("payment confirmed at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    TRANSITIONS = CLAIM_TRANSITIONS

    tenant_shop_path = "shop"
    tenant_outlet_path = "interception__outlet"

    class Meta:
        verbose_name = _("interception claim")
        verbose_name_plural = _("interception claims")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["interception"], condition=~Q(status="rejected"),
                                    name="one_open_claim_per_interception"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="claim_amount_positive"),
            models.CheckConstraint(
                condition=Q(compensation__isnull=True) | (Q(compensation__gt=0) & Q(compensation__lte=models.F("amount"))),
                name="claim_compensation_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"


class ClaimEvent(DomainEvent):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events", verbose_name=_("claim"))

    tenant_shop_path = "claim__shop"
    tenant_outlet_path = "claim__interception__outlet"

    class Meta:
        verbose_name = _("claim event")
        verbose_name_plural = _("claim timeline")
        ordering = ["at", "id"]

