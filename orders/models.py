"""Orders as the platform sync delivers them: items, parcels, refunds and the operation log (SPEC §3)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import MONEY, Shop
from core.models import DomainEvent
from core.tenancy import ALL

from .couriers import COURIER_CHOICES


class Category(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128, blank=True)
    reship_enabled = models.BooleanField(_("reship enabled"), default=False, help_text=_(
        "Reship (补寄) is rolled out category by category: buyers of this category's goods may ask for one."))

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name or self.code


class Order(models.Model):
    class SourceApp(models.TextChoices):
        DOUYIN = "douyin", _("Douyin")
        DOUYIN_HUOSHAN = "douyin_huoshan", _("Douyin Huoshan")
        DOUYIN_LITE = "douyin_lite", _("Douyin Lite")
        TOUTIAO = "toutiao", _("Toutiao")
        PINDUODUO = "pinduoduo", _("Pinduoduo")

    class Payment(models.TextChoices):
        ONLINE = "online", _("online payment")
        COD = "cod", _("cash on delivery")

    class Status(models.TextChoices):
        STOCKING = "stocking", _("stocking")
        PARTIALLY_SHIPPED = "partially_shipped", _("partially shipped")
        SHIPPED = "shipped", _("shipped")
        COMPLETED = "completed", _("completed")
        CLOSED = "closed", _("closed")

    class GoodsKind(models.TextChoices):
        PHYSICAL = "physical", _("physical goods")
        VIRTUAL = "virtual", _("virtual goods")
        COUPON_CARD = "coupon_card", _("coupon / card")
        EDUCATION = "education", _("education")

    class RefundState(models.TextChoices):
        NONE = "none", _("no refund")
        IN_PROGRESS = "in_progress", _("refund in progress")
        PARTIAL = "partial", _("partially refunded")
        FULL = "full", _("fully refunded")

    order_no = models.CharField(_("order number"), max_length=64, unique=True)
    # No single-column index: (shop, -created_at, -id) below serves "WHERE shop_id = …" too.
    shop = models.ForeignKey(
        Shop, on_delete=models.PROTECT, related_name="orders", db_index=False, verbose_name=_("shop")
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders", verbose_name=_("buyer")
    )
    source_app = models.CharField(_("source app"), max_length=16, choices=SourceApp.choices)
    payment = models.CharField(_("payment method"), max_length=8, choices=Payment.choices, default=Payment.ONLINE)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    deposit_presale = models.BooleanField(_("deposit presale"), default=False)
    goods_kind = models.CharField(_("goods kind"), max_length=16, choices=GoodsKind.choices, default=GoodsKind.PHYSICAL)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="orders", verbose_name=_("category"))
    local_life = models.BooleanField(_("local-life category"), default=False)
    cross_border = models.BooleanField(_("cross-border"), default=False)
    created_at = models.DateTimeField(_("created at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_amount = models.DecimalField(_("paid amount"), help_text=_("As originally paid: refunds do not reduce it."), **MONEY)
    confirmed_receipt_at = models.DateTimeField(_("receipt confirmed at"), null=True, blank=True)
    group_formed_at = models.DateTimeField(_("group formed at"), null=True, blank=True)
    refund_state = models.CharField(
        _("refund state"), max_length=16, choices=RefundState.choices, default=RefundState.NONE
    )
    # Platform sync (CON-03/04): the platform's own update time of the version stored (an older version never
    # overwrites a newer one) and the values the mapping did not know, kept raw ({field: value}); an order with
    # any is flagged for review.
    platform_updated_at = models.DateTimeField(_("platform update time"), null=True, blank=True)
    review_flags = models.JSONField(
        _("values to review"), default=dict, blank=True,
        help_text=_("Values from the platform the mapping did not know, kept as sent."),
    )

    tenant_shop_path = "shop"
    tenant_buyer_path = "buyer"

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        # The admin adds -pk to any ordering without a unique field; the indexes include it so the newest
        # page of a shop (or of all shops) is read straight off an index, never sorted.
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["shop", "-created_at", "-id"], name="order_shop_newest"),
            models.Index(fields=["shop", "status", "-created_at", "-id"], name="order_shop_status_newest"),
            models.Index(fields=["-created_at", "-id"], name="order_newest"),
            models.Index(fields=["status", "-created_at", "-id"], name="order_status_newest"),  # staff, by status
        ]
        constraints = [models.CheckConstraint(condition=Q(paid_amount__gte=0), name="order_paid_amount_not_negative")]

    def __str__(self) -> str:
        return self.order_no


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items", verbose_name=_("order"))
    product_id = models.CharField(_("product ID"), max_length=64, db_index=True)
    name = models.CharField(_("product name"), max_length=255)
    price = models.DecimalField(_("price"), **MONEY)
    quantity = models.PositiveIntegerField(_("quantity"))
    promo = models.BooleanField(_("promotional goods"), default=False)

    tenant_shop_path = "order__shop"
    tenant_buyer_path = "order__buyer"

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
        constraints = [
            models.UniqueConstraint(fields=["order", "product_id"], name="order_item_product_unique"),
            models.CheckConstraint(condition=Q(price__gte=0) & Q(quantity__gt=0), name="order_item_price_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class Outlet(models.Model):
    """A courier outlet (快递网点). Its users review contracts and report return results (SPEC §7)."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    courier = models.CharField(_("courier"), max_length=16, choices=COURIER_CHOICES)
    name = models.CharField(_("name"), max_length=128)
    e_waybill = models.BooleanField(_("Douyin e-waybill"), default=False)

    tenant_shop_path = ALL  # shops choose among all outlets (INT-03)
    tenant_outlet_path = "pk"

    class Meta:
        db_table = "logistics_outlet"  # moved from logistics with its table (orders/migrations/0002)
        verbose_name = _("courier outlet")
        verbose_name_plural = _("courier outlets")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Parcel(models.Model):
    class Status(models.TextChoices):
        IN_TRANSIT = "in_transit", _("in transit")
        OUT_FOR_DELIVERY = "out_for_delivery", _("out for delivery")
        SIGNED = "signed", _("signed")
        RETURNING = "returning", _("returning")
        RETURNED = "returned", _("returned")
        LOST = "lost", _("lost")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="parcels", verbose_name=_("order"))
    courier = models.CharField(_("courier"), max_length=16, choices=COURIER_CHOICES)
    tracking_no = models.CharField(_("tracking number"), max_length=32, unique=True)
    outlet = models.ForeignKey(
        Outlet, null=True, blank=True, on_delete=models.PROTECT, related_name="parcels", verbose_name=_("outlet")
    )
    status = models.CharField(_("logistics status"), max_length=20, choices=Status.choices, default=Status.IN_TRANSIT)

    tenant_shop_path = "order__shop"
    tenant_buyer_path = "order__buyer"
    tenant_outlet_path = "outlet"

    class Meta:
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")

    def __str__(self) -> str:
        return self.tracking_no


class Refund(models.Model):
    """A refund of the order (a platform sync or, later, an after-sales ticket). It never reverses a payout (PAY-S08)."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds", verbose_name=_("order"))
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"))

    tenant_shop_path = "order__shop"
    tenant_buyer_path = "order__buyer"

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"{self.order.order_no} {self.amount}"


class PlatformShippingRefund(models.Model):
    """A shipping-fee refund (退运费) the platform already paid the buyer: shown as a warning (PAY-F04)."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="platform_shipping_refunds", verbose_name=_("order")
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    at = models.DateTimeField(_("paid at"))

    tenant_shop_path = "order__shop"
    tenant_buyer_path = "order__buyer"

    class Meta:
        verbose_name = _("platform shipping-fee refund")
        verbose_name_plural = _("platform shipping-fee refunds")
        constraints = [
            models.UniqueConstraint(fields=["order", "at", "amount"], name="shipping_refund_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="shipping_refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount}"


class OrderEventType(models.TextChoices):
    """The operation log's base types (the platform sync); apps register theirs under the subject "order"."""

    SYNCED = "synced", _("created by platform sync")
    SYNC_UPDATED = "sync_updated", _("updated by platform sync")


class OrderEvent(DomainEvent):
    """The order's operation log (操作日志): every service that acts on an order writes a row here."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order"))

    tenant_shop_path = "order__shop"

    class Meta:
        verbose_name = _("operation log entry")
        verbose_name_plural = _("operation log")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"])]

    def __str__(self) -> str:
        from core.labels import event_label

        return event_label("order", self.type)
