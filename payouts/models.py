"""Small payouts (小额打款): payouts, their timeline, account cards, approval requests and notifications
(SPEC §4, API.md "Small payouts").

Money model: a balance payout debits the shop balance when it is created (PAY-S01, "creation = debit
time", PAY-R01) through one `payout_hold` ledger entry; `held` is the amount of it still out of the
balance. A Douyin failure gives it back at once (`hold_release`); a closed payout gives it back on the
3rd working day (`payout_return`). A success leaves it paid. Scan-to-pay payouts never touch the balance.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import MONEY, Shop
from core.models import DomainEvent
from orders.models import Order


class PayoutStatus(models.TextChoices):
    PENDING = "pending", _("pending payout")  # 待打款
    PROCESSING = "processing", _("paying")  # 打款中
    SUCCEEDED = "succeeded", _("paid")  # 打款成功
    FAILED = "failed", _("payout failed")  # 打款失败
    CLOSED = "closed", _("closed")  # 已关闭
    AWAITING_TOP_UP = "awaiting_top_up", _("awaiting top-up")  # 待充值
    TOP_UP_FAILED = "top_up_failed", _("top-up failed")  # 充值失败


# SPEC §4.4 "Allowed transitions" (Payout.TRANSITIONS, moved by core.transitions.transition). Everything else
# a provider or a clock reports is recorded and ignored.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    # pending → succeeded: a success the rail reports for a key the payout was sent under (PAY-S09).
    # pending → closed: a WeChat payout still waiting for the buyer's authorization at 7 days (PAY-B03).
    PayoutStatus.PENDING: frozenset({PayoutStatus.PROCESSING, PayoutStatus.SUCCEEDED, PayoutStatus.CLOSED}),
    # awaiting top-up → pending: topped up, but the WeChat buyer has no openid under the app yet (PAY-B03).
    PayoutStatus.AWAITING_TOP_UP: frozenset({PayoutStatus.PROCESSING, PayoutStatus.TOP_UP_FAILED,
                                             PayoutStatus.PENDING}),
    # processing → pending: the rail did not accept the submission (PAY-S01).
    PayoutStatus.PROCESSING: frozenset({PayoutStatus.SUCCEEDED, PayoutStatus.FAILED, PayoutStatus.CLOSED,
                                        PayoutStatus.PENDING}),
    # failed → succeeded: the rail's last word wins (PAY-S09: a success for any key ever sent).
    PayoutStatus.FAILED: frozenset({PayoutStatus.PROCESSING, PayoutStatus.CLOSED, PayoutStatus.SUCCEEDED}),
    PayoutStatus.SUCCEEDED: frozenset(),
    PayoutStatus.CLOSED: frozenset(),
    PayoutStatus.TOP_UP_FAILED: frozenset(),
}


class PayoutEventType(models.TextChoices):
    """The payout timeline (PayoutEvent.type); account-card events are on their payout's timeline too."""

    CREATED = "created", _("payout created")
    SUBMITTED = "submitted", _("submitted to the payment provider")
    CONTINUED = "continued", _("continued by the operator")
    AUTO_SUBMITTED = "auto_submitted", _("submitted automatically")
    SUBMISSION_REFUSED = "submission_refused", _("not accepted by the payment provider")
    SUCCEEDED = "succeeded", _("payout succeeded")
    FAILED = "failed", _("payout failed")
    HOLD_RELEASED = "hold_released", _("held money released")
    RETRIED = "retried", _("retried")
    CALLBACK_IGNORED = "callback_ignored", _("provider report recorded and ignored")
    LATE_SUCCESS_FLAGGED = "late_success_flagged", _("success after the close flagged to platform staff")
    OUTCOME_UNKNOWN = "outcome_unknown", _("outcome of the submission unknown, asking the payment provider")
    DUPLICATE_PAYMENT_FLAGGED = "duplicate_payment_flagged", _("paid twice at the payment provider, flagged to platform staff")
    CALLBACK_REFUSED = "callback_refused", _("provider report refused and flagged to platform staff")
    CANCEL_REQUESTED = "cancel_requested", _("cancellation asked of the payment provider")
    WAITING_FOR_BUYER = "waiting_for_buyer", _("waiting for the buyer to confirm receipt")
    BUYER_IDENTITY_NEEDED = "buyer_identity_needed", _("waiting for the buyer's WeChat authorization")
    CLOSED = "closed", _("payout closed")
    REFUNDED_TO_CHANNEL = "refunded_to_channel", _("refunded to the paying channel")
    RETURNED = "returned", _("money returned to the balance")
    TOP_UP_CONTINUED = "top_up_continued", _("top-up continued")
    TOPPED_UP = "topped_up", _("top-up paid")
    TOP_UP_FAILED = "top_up_failed", _("top-up failed")
    CARD_SENT = "card_sent", _("account card sent")
    CARD_EXPIRED = "card_expired", _("account card expired")
    CARD_SUBMITTED = "card_submitted", _("account submitted by the buyer")


class PayoutOrderEventType(models.TextChoices):
    """What small payouts write to the order's operation log (orders.OrderEvent, subject "order"); a payout
    request has no timeline of its own: its moves are written here."""

    PAYOUT_CREATED = "payout_created", _("small payout started")
    PAYOUT_SUCCEEDED = "payout_succeeded", _("small payout succeeded")
    PAYOUT_FAILED = "payout_failed", _("small payout failed")
    PAYOUT_CLOSED = "payout_closed", _("small payout closed")
    REQUESTED = "payout_requested", _("small payout request sent")
    REQUEST_APPROVED = "payout_request_approved", _("small payout request approved")
    REQUEST_REJECTED = "payout_request_rejected", _("small payout request rejected")


class PayoutSource(models.TextChoices):
    """Who reported a provider result (the `source` of succeeded/failed/ignored events)."""

    CALLBACK = "callback", _("provider callback")
    QUERY = "query", _("provider query")
    SANDBOX = "sandbox", _("sandbox")


class PayoutType(models.TextChoices):
    SHIPPING_FEE = "shipping_fee", _("shipping fee")  # 补运费
    PRICE_DIFFERENCE = "price_difference", _("price difference")  # 补差价
    OTHER = "other", _("other")  # 其他


class PayMethod(models.TextChoices):
    BALANCE = "balance", _("shop balance")
    SCAN = "scan", _("scan to pay")


class ScanChannel(models.TextChoices):
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")


class FailureReason(models.TextChoices):
    BUYER_ACCOUNT_INVALID = "buyer_account_invalid", _("the buyer's account is invalid")
    PROVIDER_ERROR = "provider_error", _("payment provider error")
    OTHER = "other", _("other")


class PendingReason(models.TextChoices):
    """Why a payout is pending (API.md `pending_reason`)."""

    RAIL_REFUSED = "rail_refused", _("the payment provider refused the submission")
    BUYER_IDENTITY_NEEDED = "buyer_identity_needed", _("the buyer has not authorized WeChat yet")


class FlagReason(models.TextChoices):
    """Why a payout is flagged to platform staff (the staff queue shows the label)."""

    LATE_SUCCESS = "late_success", _("success after the close")
    DUPLICATE_PAYMENT = "duplicate_payment", _("paid twice")  # 重复到账
    CALLBACK_MISMATCH = "callback_mismatch", _("provider report does not match the payout")
    UNRECONCILED = "unreconciled", _("rail bills do not match the payout")


# What a processing payout waiting for the buyer's confirmation (WeChat WAIT_USER_CONFIRM) reads as (PAY-B04).
WAITING_FOR_BUYER_LABEL = _("Waiting for the buyer to confirm receipt")


class Payout(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="payouts", verbose_name=_("shop"))
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payouts", verbose_name=_("order"))
    type = models.CharField(_("payout type"), max_length=20, choices=PayoutType.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(_("status"), max_length=20, choices=PayoutStatus.choices)
    failure_reason = models.CharField(_("failure reason"), max_length=32, choices=FailureReason.choices, blank=True)
    reason = models.CharField(_("reason"), max_length=255)
    buyer_message = models.CharField(_("message to the buyer"), max_length=255)
    product_id = models.CharField(_("related product"), max_length=64, blank=True)
    pay_method = models.CharField(_("pay method"), max_length=8, choices=PayMethod.choices, default=PayMethod.BALANCE)
    scan_channel = models.CharField(_("scan channel"), max_length=8, choices=ScanChannel.choices, blank=True)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("applicant")
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("approved by"),
    )
    # The sub-account whose quota this payout uses (PAY-L06/L07); empty for main accounts, customer-service
    # admins, approved requests (PAY-A02) and scan payouts (PAY-Q01).
    quota_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("quota used"),
    )
    # Counted toward the order and shop limits (SPEC §4.2): kept by every transition, so a limit is one
    # indexed SUM instead of a status list that differs per platform.
    counted = models.BooleanField(_("counted toward limits"), default=True)
    day = models.DateField(_("day (Asia/Shanghai)"))
    held = models.DecimalField(_("held from the balance"), default=0, **MONEY)
    attempt = models.PositiveSmallIntegerField(_("provider attempt"), default=0)
    created_at = models.DateTimeField(_("created at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    auto_submit_at = models.DateTimeField(_("auto-submit at"), null=True, blank=True)
    top_up_deadline = models.DateTimeField(_("top-up deadline"), null=True, blank=True)
    succeeded_at = models.DateTimeField(_("succeeded at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    close_at = models.DateTimeField(_("closes at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    return_due_at = models.DateTimeField(_("money returns at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("money returned at"), null=True, blank=True)
    # A success the provider reported after the close: recorded, not applied, for platform staff (PAY-S06).
    flagged = models.BooleanField(_("flagged to platform staff"), default=False)
    flag_reason = models.CharField(_("flag reason"), max_length=24, choices=FlagReason.choices, blank=True)
    pending_reason = models.CharField(_("pending reason"), max_length=32, choices=PendingReason.choices, blank=True)
    # WeChat WAIT_USER_CONFIRM (PAY-B04): what the buyer's page hands to wx.requestMerchantTransfer, and until when.
    package_info = models.TextField(_("confirmation package"), blank=True)
    confirm_deadline = models.DateTimeField(_("buyer confirms by"), null=True, blank=True)

    tenant_shop_path = "shop"
    tenant_buyer_path = "order__buyer"

    TRANSITIONS = ALLOWED_TRANSITIONS

    class Meta:
        verbose_name = _("small payout")
        verbose_name_plural = _("payout records")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["shop", "-created_at", "-id"], name="payout_shop_newest"),
            # Lists stay flat at any size (issue 14): every list's ordering, with and without the shop and the
            # status filter, is read off an index (platform staff see all shops); a product ID search is an
            # index lookup beside the order number's (most payouts name no product: a partial index).
            models.Index(fields=["shop", "status", "-created_at", "-id"], name="payout_shop_status_newest"),
            models.Index(fields=["-created_at", "-id"], name="payout_newest"),
            models.Index(fields=["status", "-created_at", "-id"], name="payout_status_newest"),
            models.Index(fields=["product_id"], name="payout_product", condition=~Q(product_id="")),
            models.Index(fields=["order", "created_at"], name="payout_order"),
            models.Index(fields=["shop", "day"], name="payout_shop_day", condition=Q(counted=True)),
            models.Index(fields=["quota_user", "day"], name="payout_quota_day", condition=Q(counted=True)),
            models.Index(fields=["status", "auto_submit_at"], name="payout_pending_due",
                         condition=Q(status="pending")),
            models.Index(fields=["status", "close_at"], name="payout_open_due",
                         condition=Q(status__in=["processing", "failed"])),
            models.Index(fields=["top_up_deadline"], name="payout_top_up_due", condition=Q(status="awaiting_top_up")),
            models.Index(fields=["return_due_at"], name="payout_return_due",
                         condition=Q(status="closed", returned_at__isnull=True, held__gt=0)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
            models.CheckConstraint(condition=Q(held__gte=0) & Q(held__lte=models.F("amount")), name="payout_held_range"),
            models.CheckConstraint(condition=Q(status__in=PayoutStatus.values), name="payout_status_valid"),
            models.CheckConstraint(
                condition=Q(pay_method="balance") | Q(held=0), name="payout_scan_holds_nothing"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.order.order_no} {self.amount}"

    @property
    def deadline(self):
        """When the next clock acts on this payout (API.md)."""
        if self.status == PayoutStatus.PENDING:
            return self.auto_submit_at or self.close_at  # buyer_identity_needed: no resubmission, the close
        if self.status == PayoutStatus.AWAITING_TOP_UP:
            return self.top_up_deadline
        if self.status in (PayoutStatus.PROCESSING, PayoutStatus.FAILED):
            return self.confirm_deadline if self.waiting_for_buyer and self.confirm_deadline else self.close_at
        if self.status == PayoutStatus.CLOSED and self.returned_at is None and self.held > 0:
            return self.return_due_at
        return None

    @property
    def waiting_for_buyer(self) -> bool:
        """PAY-B04: the rail waits for the buyer to confirm receipt (WeChat WAIT_USER_CONFIRM)."""
        return self.status == PayoutStatus.PROCESSING and bool(self.package_info)

    @property
    def status_label(self) -> str:
        """The status as every channel shows it: 待买家确认收款 while the rail waits for the buyer (PAY-B04)."""
        if self.waiting_for_buyer:
            return str(WAITING_FOR_BUYER_LABEL)
        return str(self.get_status_display())

    def counts_when(self, status: str) -> bool:
        """SPEC §4.2: pending, processing, succeeded, awaiting top-up count; failed counts only where a failure
        keeps its money (Pinduoduo) until it closes; top-up failed and closed never count."""
        if status == PayoutStatus.FAILED:
            return not self.shop.profile.failure_releases_hold
        return status in (PayoutStatus.PENDING, PayoutStatus.PROCESSING, PayoutStatus.SUCCEEDED,
                          PayoutStatus.AWAITING_TOP_UP)

    def on_transition(self, old: str, new: str) -> tuple[str, ...]:
        """core.transitions: `counted` follows the status, so a limit is one indexed SUM (SPEC §4.2)."""
        self.counted = self.counts_when(new)
        return ("counted",)


class PayoutEvent(DomainEvent):
    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="events", verbose_name=_("payout"))

    tenant_shop_path = "payout__shop"
    tenant_buyer_path = "payout__order__buyer"

    class Meta:
        verbose_name = _("payout event")
        verbose_name_plural = _("payout events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["payout", "at"])]

    def save(self, *args, **kwargs) -> None:
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding and "payout" in self._state.fields_cache:
            # The events written through a payout object, in order: a caller can answer with the payout as it
            # stands without reading it back (payouts.api: the 201 of a new payout).
            self.payout.__dict__.setdefault("written_events", []).append(self)


class CardStatus(models.TextChoices):
    SENT = "sent", _("sent")
    SUBMITTED = "submitted", _("submitted")
    EXPIRED = "expired", _("expired")


class CardChannel(models.TextChoices):
    ALIPAY = "alipay", _("Alipay")
    BANK_CARD = "bank_card", _("bank card")


class PayoutCard(models.Model):
    """The account-information card (账户信息填写卡片) sent to the buyer in chat (PAY-C01..C04).

    Its `token` is the one-time id the buyer submits to. The full account is kept only until the retry
    is settled, then wiped (PAY-C04); only the masked form is ever shown.
    """

    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="cards", verbose_name=_("payout"))
    token = models.CharField(_("card id"), max_length=40, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=CardStatus.choices, default=CardStatus.SENT)
    sent_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("sent by"),
    )
    channel = models.CharField(_("account kind"), max_length=12, choices=CardChannel.choices, blank=True)
    account_masked = models.CharField(_("account"), max_length=64, blank=True)
    account_for_retry = models.CharField(_("account (for the retry only)"), max_length=64, blank=True)
    holder_name = models.CharField(_("account holder"), max_length=64, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    tenant_shop_path = "payout__shop"
    tenant_buyer_path = "payout__order__buyer"

    class Meta:
        verbose_name = _("account card")
        verbose_name_plural = _("account cards")
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["expires_at"], name="card_sent_due", condition=Q(status="sent"))]
        constraints = [
            models.UniqueConstraint(fields=["payout"], condition=Q(status="sent"), name="one_open_card_per_payout"),
        ]

    TRANSITIONS: dict[str, frozenset[str]] = {
        CardStatus.SENT: frozenset({CardStatus.SUBMITTED, CardStatus.EXPIRED}),
        CardStatus.SUBMITTED: frozenset(),
        CardStatus.EXPIRED: frozenset(),
    }

    def __str__(self) -> str:
        return self.token

    @property
    def events(self):
        """A card has no timeline of its own: its events are on its payout's (core.transitions writes here)."""
        return self.payout.events


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class PayoutRequest(models.Model):
    """A payout sent to the main account for approval (PAY-A01..A03). Holds no money, is not counted."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="payout_requests", verbose_name=_("shop"))
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payout_requests", verbose_name=_("order"))
    type = models.CharField(_("payout type"), max_length=20, choices=PayoutType.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    reason = models.CharField(_("reason"), max_length=255)
    buyer_message = models.CharField(_("message to the buyer"), max_length=255)
    product_id = models.CharField(_("related product"), max_length=64, blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requester")
    )
    status = models.CharField(_("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reject_reason = models.CharField(_("rejection reason"), max_length=255, blank=True)
    payout = models.OneToOneField(
        Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="request", verbose_name=_("payout")
    )
    created_at = models.DateTimeField(_("created at"))

    tenant_shop_path = "shop"

    class Meta:
        verbose_name = _("payout request")
        verbose_name_plural = _("pending payout requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["shop", "status", "-created_at"], name="payout_request_queue")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_request_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="approved", payout__isnull=False) | (~Q(status="approved") & Q(payout__isnull=True)),
                name="payout_request_payout_iff_approved",
            ),
        ]

    TRANSITIONS: dict[str, frozenset[str]] = {
        RequestStatus.PENDING: frozenset({RequestStatus.APPROVED, RequestStatus.REJECTED}),
        RequestStatus.APPROVED: frozenset(),
        RequestStatus.REJECTED: frozenset(),
    }

    def __str__(self) -> str:
        return f"#{self.pk} {self.order.order_no} {self.amount}"

    @property
    def events(self):
        """A request has no timeline of its own: its moves are written to its order's operation log
        (PayoutOrderEventType; core.transitions writes here)."""
        return self.order.events


class SandboxTransfer(models.Model):
    """The sandbox payment provider's own book: one row per transfer it accepted (business key = ref).

    A real rail keeps this on its side; the sandbox keeps it here so that a resubmission under the same
    key is recognised and never pays twice.
    """

    ref = models.CharField(_("reference"), max_length=64, unique=True)
    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="+", verbose_name=_("payout"))
    amount = models.DecimalField(_("amount"), **MONEY)
    account = models.CharField(_("account"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=48)
    created_at = models.DateTimeField(_("created at"))

    tenant_shop_path = "payout__shop"

    class Meta:
        verbose_name = _("sandbox transfer")
        verbose_name_plural = _("sandbox transfers")

    def __str__(self) -> str:
        return self.ref


class SubmissionState(models.TextChoices):
    """Where one submission to a rail stands (PAY-S09). `queued`: recorded by the transaction that made it,
    not sent yet (the outbox); `refused`: the rail refused it for certain, nothing exists there; `unknown`:
    sent, the answer was lost or unverifiable; `accepted`: the rail has it and has not finished; `succeeded`
    and `failed`: the rail's final word (`failed` also when it cancelled the bill)."""

    QUEUED = "queued", _("waiting to be sent")
    REFUSED = "refused", _("refused by the rail")
    UNKNOWN = "unknown", _("outcome unknown")
    ACCEPTED = "accepted", _("accepted by the rail")
    SUCCEEDED = "succeeded", _("paid")
    FAILED = "failed", _("failed")


OPEN_SUBMISSION_STATES = (SubmissionState.QUEUED, SubmissionState.UNKNOWN, SubmissionState.ACCEPTED)


class PayoutSubmission(models.Model):
    """The product's own book of what it sent to a rail: one row per business key (PAY-S09).

    The transaction that submits a payout inserts its row (the outbox: a worker sends it after commit, the
    settle sweep sends what a lost task left queued). A key stays the payout's until the rail says it does not
    exist or failed for good; every key ever sent is asked about before a new one goes out, and a success
    for any of them is the payout's. Reconciliation (对账) compares this book with the payouts."""

    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="submissions", verbose_name=_("payout"))
    ref = models.CharField(_("business key"), max_length=64, unique=True)
    rail = models.CharField(_("rail"), max_length=64, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    # What the rail is asked to pay: the identity (openid / username), the card account, its kind and holder.
    transfer = models.JSONField(_("transfer"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=SubmissionState.choices, default=SubmissionState.QUEUED)
    error_code = models.CharField(_("rail error code"), max_length=64, blank=True)
    sends = models.PositiveSmallIntegerField(_("times sent"), default=0)
    queries = models.PositiveSmallIntegerField(_("times asked"), default=0)
    next_query_at = models.DateTimeField(_("ask the rail again at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)
    settled_at = models.DateTimeField(_("final at"), null=True, blank=True)

    tenant_shop_path = "payout__shop"

    class Meta:
        verbose_name = _("rail submission")
        verbose_name_plural = _("rail submissions")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["payout", "created_at"], name="submission_payout"),
            models.Index(fields=["state", "next_query_at"], name="submission_open",
                         condition=Q(state__in=["queued", "unknown", "accepted"])),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="submission_amount_positive")]

    def __str__(self) -> str:
        return self.ref

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_SUBMISSION_STATES
