"""订单管理: the order list and the order detail page (items, parcels, refunds, operation log)."""

from django.contrib import admin
from django.template.loader import select_template
from django.utils.translation import gettext_lazy as _

from accounts.models import SHOP_ROLES, Role
from accounts.roles import PLATFORM, SHOP_AND_PLATFORM
from core import labels
from core.admin import BackOfficeAdmin, BackOfficeInline

from .models import Category, Order, OrderItem, Outlet, Parcel, PlatformShippingRefund, Refund


class OrderItemInline(BackOfficeInline):
    model = OrderItem
    fields = ("product_id", "name", "price", "quantity", "promo")
    readonly_fields = fields


class ParcelInline(BackOfficeInline):
    model = Parcel
    fields = ("courier", "tracking_no", "outlet", "status")
    readonly_fields = fields


class RefundInline(BackOfficeInline):
    model = Refund
    fields = ("amount", "status", "reason_text", "created_at")
    readonly_fields = fields

    @admin.display(description=_("reason"))
    def reason_text(self, obj):
        # A refund made by the product records its cause as a code (interception_succeeded): in words.
        return labels.value_label("cause", obj.reason) if obj.reason else "-"


class PlatformShippingRefundInline(BackOfficeInline):
    model = PlatformShippingRefund
    fields = ("amount", "at")
    readonly_fields = fields
    verbose_name_plural = _("shipping-fee refunds the platform already paid the buyer")


class NeedsReviewFilter(admin.SimpleListFilter):
    """CON-04: orders the platform sync flagged — a value the mapping did not know, kept as sent."""

    title = _("platform values to review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("1", _("to review"))]

    def queryset(self, request, queryset):
        return queryset.exclude(review_flags={}) if self.value() == "1" else queryset


@admin.register(Order)
class OrderAdmin(BackOfficeAdmin):
    view_roles = SHOP_AND_PLATFORM
    list_display = ("order_no", "shop", "buyer_name", "source_app", "status", "paid_amount", "refund_state", "created_at")
    list_filter = ("status", "source_app", "payment", "goods_kind", "refund_state", NeedsReviewFilter)
    list_select_related = ("shop", "buyer")
    # Exact matches use the unique and product indexes; no date_hierarchy: its year/month links run a
    # DISTINCT over the whole table on every page (docs/PERFORMANCE.md).
    search_fields = ("=order_no", "=items__product_id")
    search_help_text = _("Order number or product ID")

    @admin.display(description=_("buyer"), ordering="buyer__username")
    def buyer_name(self, obj):
        # Plain text: buyers are platform users outside the shop's scope, so a link would lead to a 404.
        return obj.buyer.username

    @admin.display(description=_("category"))
    def category_name(self, obj):
        # Text, not the stock link: categories are platform configuration, a shop cannot open them.
        return str(obj.category) if obj.category_id else "-"

    def get_search_results(self, request, queryset, search_term):
        # The stock search joins the items and then needs DISTINCT over the whole result; an IN on the
        # product index finds the same orders without duplicates.
        term = search_term.strip()
        if not term:
            return queryset, False
        # A UNION of two index lookups; an OR of both would make PostgreSQL scan the shop's orders.
        # Both sides without ORDER BY: SQLite (the embedded default) refuses one inside a compound statement.
        matches = Order.objects.filter(order_no=term).order_by().values("pk").union(
            OrderItem.objects.filter(product_id=term).order_by().values("order_id")
        )
        return queryset.filter(pk__in=matches), False
    inlines = [OrderItemInline, ParcelInline, RefundInline, PlatformShippingRefundInline]
    change_form_template = "admin/orders/order/operation_log.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The operation log (操作日志) reads through core.labels: every app registered its types there. The page
        extends the site's order change form (an app may override "admin/orders/order/change_form.html")."""
        order = self.get_object(request, object_id)
        rows = labels.timeline(order.events.select_related("actor").order_by("at", "id"), "order") if order else []
        base = select_template(["admin/orders/order/change_form.html", "admin/change_form.html"]).template
        return super().change_view(request, object_id, form_url,
                                   {**(extra_context or {}), "timeline_rows": rows, "base_change_form": base})

    fieldsets = (
        (None, {"fields": ("order_no", "shop", "buyer_name", "status", "refund_state")}),
        (_("Payment"), {"fields": ("source_app", "payment", "paid_amount", "created_at", "paid_at",
                                   "group_formed_at", "confirmed_receipt_at")}),
        (_("Goods"), {"fields": ("goods_kind", "category_name", "deposit_presale", "local_life", "cross_border")}),
        (_("Platform sync"), {"fields": ("platform_updated_at", "review_flags_text")}),
    )

    @admin.display(description=_("values to review"))
    def review_flags_text(self, obj):
        # CON-04: what the platform sent that the mapping did not know, as sent (field: value).
        return "; ".join(f"{k}: {v}" for k, v in obj.review_flags.items()) if obj.review_flags else "-"


@admin.register(Parcel)
class ParcelAdmin(BackOfficeAdmin):
    view_roles = frozenset({*SHOP_ROLES, *PLATFORM, Role.OUTLET})
    list_display = ("tracking_no", "courier", "outlet", "status", "order")
    list_filter = ("courier", "status")
    list_select_related = ("outlet", "order")
    search_fields = ("=tracking_no", "=order__order_no")
    search_help_text = _("Tracking number or order number")

    def get_fields(self, request, obj=None):
        # An outlet user may not open the order (its buyer and money are the shop's): the number as text,
        # not the stock link to a page that would answer 403.
        fields = super().get_fields(request, obj)
        if request.user.role == Role.OUTLET:
            plain = {"order": "order_number", "outlet": "outlet_name"}
            return [plain.get(f, f) for f in fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "order_number", "outlet_name") if request.user.role == Role.OUTLET else fields

    @admin.display(description=_("order"))
    def order_number(self, obj):
        return obj.order.order_no

    @admin.display(description=_("outlet"))
    def outlet_name(self, obj):
        return str(obj.outlet) if obj.outlet_id else "-"


@admin.register(Outlet)
class OutletAdmin(BackOfficeAdmin):
    view_roles = SHOP_AND_PLATFORM  # an outlet user sees their contracts, interceptions and returns instead
    change_roles = PLATFORM
    list_display = ("name", "code", "courier", "e_waybill")
    list_filter = ("courier", "e_waybill")
    search_fields = ("name", "code")


@admin.register(Category)
class CategoryAdmin(BackOfficeAdmin):
    """Platform configuration (the reship rollout, RS-01): platform staff only. Listed by name; the code is
    the change form's."""

    view_roles = PLATFORM
    change_roles = PLATFORM
    list_display = ("name", "reship_enabled")
    list_filter = ("reship_enabled",)
    search_fields = ("code", "name")
