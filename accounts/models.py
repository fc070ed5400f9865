"""Shops, people, platform rule profiles, the working-day calendar, payout quotas and the shop ledger."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

MONEY = {"max_digits": 14, "decimal_places": 2}


class Platform(models.TextChoices):
    DOUYIN = "douyin", _("Douyin")
    PINDUODUO = "pinduoduo", _("Pinduoduo")


class PlatformProfile(models.Model):
    """Every number the platforms' pages give, per platform (SPEC §4.0 and the clocks of §5–§8).

    Platform staff edit these in the admin; every change is kept in the history. Values marked * in
    SPEC §4.0 are our defaults, not the platform's.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    platform = models.CharField(_("platform"), max_length=16, choices=Platform.choices)
    name = models.CharField(_("name"), max_length=64)

    # Small payouts (SPEC §4.0)
    payouts_per_order = models.PositiveSmallIntegerField(_("payouts per order"))
    order_cap = models.DecimalField(_("per-order cap"), **MONEY)
    order_cap_promo = models.DecimalField(_("per-order cap, promotional goods"), **MONEY)
    min_amount = models.DecimalField(_("minimum amount"), **MONEY)
    payout_interval_seconds = models.PositiveIntegerField(_("interval per order (s)"))
    shop_daily_cap = models.DecimalField(_("shop daily cap, all payouts"), **MONEY)
    shop_daily_balance_cap = models.DecimalField(
        _("shop daily cap, balance payouts"), null=True, blank=True, help_text=_("Empty: no separate cap."), **MONEY
    )
    order_age_months = models.PositiveSmallIntegerField(_("order age (months)"))
    order_age_from_group_formed = models.BooleanField(
        _("order age counts from group formation"), default=False
    )
    scan_only_from_months = models.PositiveSmallIntegerField(
        _("scan-only from (months)"), null=True, blank=True, help_text=_("Empty: no scan-only age.")
    )
    pending_auto_submit_seconds = models.PositiveIntegerField(_("pending payout auto-submitted after (s)"))
    failure_releases_hold = models.BooleanField(_("failure releases the hold at once"))
    account_card_enabled = models.BooleanField(_("account card"))
    card_expiry_hours = models.PositiveIntegerField(_("account card expires after (h)"))
    scan_to_pay_enabled = models.BooleanField(_("scan-to-pay"))
    top_up_window_seconds = models.PositiveIntegerField(_("top-up window (s)"))
    close_after_days = models.PositiveSmallIntegerField(_("close unsuccessful payout after (days)"))
    return_working_day = models.PositiveSmallIntegerField(_("money returns on working day N after close"))
    allowed_source_apps = models.JSONField(_("source apps allowed for payouts"), default=list)

    # Re-opened after-sales entry (SPEC §5)
    aftersales_period_days = models.PositiveSmallIntegerField(_("after-sales period after receipt (days)"))
    entry_open_days = models.PositiveSmallIntegerField(_("re-opened entry stays open (days)"))
    entry_max_order_age_days = models.PositiveSmallIntegerField(_("re-open: order at most (days) old"))
    applications_per_order = models.PositiveSmallIntegerField(_("applications per order in the period"))

    # Reship (SPEC §6)
    reship_apply_days_after_receipt = models.PositiveSmallIntegerField(_("reship: apply up to (days) after receipt"))
    reship_answer_hours = models.PositiveIntegerField(_("reship: merchant answers within (h)"))
    reship_ship_hours = models.PositiveIntegerField(_("reship: merchant ships within (h)"))
    reship_intervention_hours = models.PositiveIntegerField(_("reship: intervention window (h)"))
    reship_late_coupon = models.DecimalField(_("reship: late-shipment cash coupon"), **MONEY)

    # Parcel interception (SPEC §7)
    interception_fee = models.DecimalField(_("online interception fee per parcel"), **MONEY)
    claim_opens_after_hours = models.PositiveIntegerField(_("claim window opens after (h)"))
    claim_closes_after_hours = models.PositiveIntegerField(_("claim window closes after (h)"))
    claim_max_amount = models.DecimalField(_("claim compensation at most"), **MONEY)

    history = HistoricalRecords(verbose_name=_("platform rule profile history"))

    class Meta:
        verbose_name = _("platform rule profile")
        verbose_name_plural = _("platform rule profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_amount__gt=0),
                name="profile_min_amount_positive",
                violation_error_message=_("The minimum amount must be greater than 0."),
            ),
            models.CheckConstraint(
                condition=Q(order_cap__gt=0),
                name="profile_order_cap_positive",
                violation_error_message=_("The per-order cap must be greater than 0."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """An exception to Monday–Friday working days: a public holiday or a make-up working day (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("public holiday")
        WORKDAY = "workday", _("make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=64, blank=True)
    history = HistoricalRecords(verbose_name=_("working-day calendar history"))

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("working-day calendar")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class Shop(models.Model):
    class Status(models.TextChoices):
        NORMAL = "normal", _("operating normally")
        SUSPENDED = "suspended", _("suspended")
        RECTIFICATION = "rectification", _("under rectification")
        CLOSED = "closed", _("closed")

    class Qualification(models.TextChoices):
        ENTERPRISE = "enterprise", _("enterprise")
        INDIVIDUAL = "individual", _("individual")

    key = models.SlugField(_("key"), max_length=64, unique=True, help_text=_("The platform's shop key (sync)."))
    name = models.CharField(_("name"), max_length=128)
    profile = models.ForeignKey(PlatformProfile, on_delete=models.PROTECT, verbose_name=_("platform rule profile"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NORMAL)
    qualification = models.CharField(
        _("qualification"), max_length=16, choices=Qualification.choices, default=Qualification.ENTERPRISE
    )
    aggregated_account = models.BooleanField(_("payout account opened"), default=True)
    withdrawal_frozen = models.BooleanField(_("withdrawals frozen"), default=False)
    unpaid_bill = models.BooleanField(_("unpaid platform bill"), default=False)
    zero_fee_entry = models.BooleanField(_("joined at zero fee"), default=False)
    deposit_paid = models.BooleanField(_("deposit paid"), default=True)
    e_waybill = models.BooleanField(_("Douyin e-waybill"), default=True)
    chat_auto_reply = models.CharField(
        _("chat auto-reply"), max_length=255, blank=True, default="",
        help_text=_("Sent in the chat after a buyer submits an account card (seed 001); empty: none."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    tenant_shop_path = "pk"

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    MAIN = "main", _("main account")
    CS_ADMIN = "cs_admin", _("customer-service admin")
    SUB = "sub", _("sub-account")
    PLATFORM = "platform", _("platform staff")
    OUTLET = "outlet", _("courier outlet user")
    BUYER = "buyer", _("buyer")


SHOP_ROLES = frozenset({Role.MAIN, Role.CS_ADMIN, Role.SUB})
ADMIN_ROLES = SHOP_ROLES | {Role.PLATFORM, Role.OUTLET}


class User(AbstractUser):
    """Everyone who signs in: shop people, platform staff, outlet users and buyers (API only)."""

    class Wallet(models.TextChoices):
        OK = "ok", _("payouts succeed")
        INVALID_ACCOUNT = "invalid_account", _("invalid account")
        NO_ANSWER = "no_answer", _("no answer")
        RAIL_BUSY = "rail_busy", _("rail busy at the first submission")

    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    shop = models.ForeignKey(
        Shop, null=True, blank=True, on_delete=models.PROTECT, related_name="members", verbose_name=_("shop")
    )
    outlet = models.ForeignKey(
        "orders.Outlet",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("outlet"),
    )
    sandbox_wallet = models.CharField(
        _("sandbox wallet"), max_length=16, choices=Wallet.choices, default=Wallet.OK, blank=True
    )

    tenant_shop_path = "shop"
    tenant_outlet_path = "pk"  # an outlet user sees only themself among users

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            # Shop people belong to exactly one shop; nobody else belongs to a shop.
            models.CheckConstraint(
                condition=(Q(role__in=sorted(SHOP_ROLES)) & Q(shop__isnull=False))
                | (~Q(role__in=sorted(SHOP_ROLES)) & Q(shop__isnull=True)),
                name="user_shop_iff_shop_role",
            ),
            models.CheckConstraint(
                condition=(Q(role="outlet") & Q(outlet__isnull=False)) | (~Q(role="outlet") & Q(outlet__isnull=True)),
                name="user_outlet_iff_outlet_role",
            ),
            # A shop has one administrator (主账号).
            models.UniqueConstraint(fields=["shop"], condition=Q(role="main"), name="one_main_account_per_shop"),
        ]

    def save(self, *args, **kwargs) -> None:
        # The admin's login form admits is_staff users; the role decides who that is.
        self.is_staff = self.is_superuser or self.role in ADMIN_ROLES
        super().save(*args, **kwargs)

    @property
    def is_platform_staff(self) -> bool:
        return self.role == Role.PLATFORM

    @property
    def is_buyer(self) -> bool:
        return self.role == Role.BUYER

    @property
    def is_main_account(self) -> bool:
        return self.role == Role.MAIN

    @property
    def is_shop_member(self) -> bool:
        return self.role in SHOP_ROLES


class PayoutQuota(models.Model):
    """A sub-account's payout quota (客服打款配额), set by the shop's main account only (SPEC §1)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="quotas", verbose_name=_("shop"))
    user = models.OneToOneField(
        User,
        on_delete=models.CASCADE,
        related_name="payout_quota",
        limit_choices_to={"role": Role.SUB},
        verbose_name=_("sub-account"),
    )
    per_payout = models.DecimalField(
        _("per-payout limit"), null=True, blank=True, help_text=_("Empty: unlimited."), **MONEY
    )
    daily = models.DecimalField(_("daily limit"), null=True, blank=True, help_text=_("Empty: unlimited."), **MONEY)
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(verbose_name=_("payout quota history"))

    tenant_shop_path = "shop"

    class Meta:
        verbose_name = _("payout quota")
        verbose_name_plural = _("customer-service payout quotas")
        constraints = [
            models.CheckConstraint(
                condition=Q(per_payout__isnull=True) | Q(per_payout__gt=0),
                name="quota_per_payout_positive",
                violation_error_message=_("The per-payout limit must be greater than 0."),
            ),
            models.CheckConstraint(
                condition=Q(daily__isnull=True) | Q(daily__gt=0),
                name="quota_daily_positive",
                violation_error_message=_("The daily limit must be greater than 0."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.username}"


class ShopAccount(models.Model):
    """The shop's payout account (聚合账户 / 货款账户) and deposit (保证金): cached sums of the ledger.

    Never written directly: `accounts.services.ledger_post` locks this row, appends the entry and
    moves these columns in the same transaction. available = balance − frozen.
    """

    shop = models.OneToOneField(Shop, on_delete=models.PROTECT, related_name="account", verbose_name=_("shop"))
    balance = models.DecimalField(_("balance"), default=Decimal("0.00"), **MONEY)
    frozen = models.DecimalField(_("frozen"), default=Decimal("0.00"), **MONEY)
    deposit = models.DecimalField(_("deposit"), default=Decimal("0.00"), **MONEY)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    tenant_shop_path = "shop"

    class Meta:
        verbose_name = _("shop funds")
        verbose_name_plural = _("shop funds")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="account_balance_not_negative"),
            models.CheckConstraint(condition=Q(frozen__gte=0), name="account_frozen_not_negative"),
        ]

    def __str__(self) -> str:
        return str(self.shop)

    @property
    def available(self) -> Decimal:
        return self.balance - self.frozen


class LedgerEntry(models.Model):
    """One movement of shop money. Append-only: no service updates or deletes a row."""

    class Kind(models.TextChoices):
        SYNC = "sync", _("platform sync")
        PAYOUT_HOLD = "payout_hold", _("payout hold")
        HOLD_RELEASE = "hold_release", _("hold release")
        PAYOUT_RETURN = "payout_return", _("payout return")
        INTERCEPTION_FEE = "interception_fee", _("interception fee")
        RESHIP_COUPON = "reship_coupon", _("reship penalty coupon")
        MERCHANT_REFUND = "merchant_refund", _("merchant-borne refund")
        DEPOSIT_DEDUCTION = "deposit_deduction", _("deposit deduction")
        PLATFORM_ADVANCE = "platform_advance", _("platform advance")

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="ledger_entries", verbose_name=_("shop"))
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    balance_delta = models.DecimalField(_("balance change"), default=Decimal("0.00"), **MONEY)
    frozen_delta = models.DecimalField(_("frozen change"), default=Decimal("0.00"), **MONEY)
    deposit_delta = models.DecimalField(_("deposit change"), default=Decimal("0.00"), **MONEY)
    balance_after = models.DecimalField(_("balance after"), **MONEY)
    frozen_after = models.DecimalField(_("frozen after"), **MONEY)
    deposit_after = models.DecimalField(_("deposit after"), **MONEY)
    ref_type = models.CharField(_("reference type"), max_length=32, blank=True)
    ref_id = models.CharField(_("reference"), max_length=64, blank=True)
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("actor")
    )
    created_at = models.DateTimeField(_("time"), db_index=True)

    tenant_shop_path = "shop"

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger")
        ordering = ["-id"]
        indexes = [models.Index(fields=["shop", "kind", "created_at"]), models.Index(fields=["ref_type", "ref_id"])]
        constraints = [
            models.CheckConstraint(
                condition=~(Q(balance_delta=0) & Q(frozen_delta=0) & Q(deposit_delta=0)),
                name="ledger_entry_moves_money",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.balance_delta}/{self.frozen_delta}/{self.deposit_delta}"


class ApiToken(models.Model):
    """An API token, stored as its keyed digest only (SEC-02; accounts.tokens). The key is shown once."""

    PREFIX_LENGTH = 8

    class Channel(models.TextChoices):
        """Where the token is used (PAY-E10: Douyin payouts only from the PC back office or 飞鸽)."""

        CHAT_TOOL = "chat_tool", _("chat tool (飞鸽 and other chat sidebars)")
        MERCHANT_APP = "merchant_app", _("merchant app")
        WORKBENCH = "workbench", _("workbench")
        INTEGRATION = "integration", _("integration")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=64, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.CHAT_TOOL,
                               help_text=_("Where the token is used. Douyin payouts can be started only from the PC "
                                           "back office or a chat tool (飞鸽)."))
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("starts with"), max_length=PREFIX_LENGTH, editable=False)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    tenant_shop_path = "user__shop"
    tenant_outlet_path = "user__outlet"
    tenant_buyer_path = "user"

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @property
    def active(self) -> bool:
        from core.clock import now

        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now())
