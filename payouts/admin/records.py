"""打款记录 (PAY-R01, PAY-R02): the payout list with its filters and exports, and each payout's page with its
timeline, cards, notifications and buttons (继续打款, 继续充值, 重新发送卡片). Read-only: money changes only
through payouts.services."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core import labels
from core.admin import BackOfficeInline
from core.clock import now
from notifications.admin import NotificationInline
from orders.models import Order

from .. import exports
from ..models import Payout, PayoutCard, PayoutRequest, PayoutStatus
from ..selectors import payouts_may_pay
from ..services import payout_card_resend, payout_continue, top_up_qr
from . import batch, proof
from .base import SmallPayoutsAdmin
from .filters import ApplicantFilter, CreatedRangeFilter
from .initiate import InitiatePage


class PayoutCardInline(BackOfficeInline):
    """PAY-C04: the masked account only; the one kept for the retry never reaches a page."""

    model = PayoutCard
    fields = ("status", "sent_at", "expires_at", "sent_by", "channel", "account_masked", "submitted_at")
    readonly_fields = fields


PAYOUT_FIELDS = (
    "order_link", "type", "amount", "status", "failure_reason", "pay_method", "scan_channel", "product_id",
    "reason", "buyer_message", "applicant", "approved_by", "request_link", "quota_user", "held", "counted",
    "created_at", "submitted_at", "auto_submit_at", "top_up_deadline", "succeeded_at", "failed_at", "close_at",
    "closed_at", "return_due_at", "returned_at", "flagged", "flag_reason", "pending_reason", "confirm_deadline",
)


@admin.register(Payout)
class PayoutAdmin(SmallPayoutsAdmin):
    """打款记录 (PAY-R01, PAY-R02): read-only; money changes only through the services."""

    list_display = ("id", "order_no", "type", "amount", "status", "pay_method", "applicant", "approved_by",
                    "created_at")
    list_display_links = ("id", "order_no")
    # flag_reason: the staff queue — 重复到账 and the other flags (PAY-S09, S11, reconciliation)
    list_filter = ("status", ApplicantFilter, CreatedRangeFilter, "type", "pay_method", "flag_reason")
    list_select_related = ("order", "applicant", "approved_by")
    search_fields = ("=order__order_no", "=product_id")
    search_help_text = _("Order number or product ID (exact)")
    fields = PAYOUT_FIELDS
    readonly_fields = PAYOUT_FIELDS
    inlines = [PayoutCardInline, NotificationInline]
    actions = ["continue_payouts"]
    change_list_template = "admin/payouts/payout/change_list.html"
    change_form_template = "admin/payouts/payout/change_form.html"
    section = "records"
    list_title = _("Payout records")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "applicant", "approved_by", "shop")

    def get_search_results(self, request, queryset, search_term):
        # Exact order number or product ID: two indexed lookups, no join fan-out, no DISTINCT.
        term = search_term.strip()
        if not term:
            return queryset, False
        # The order's id first (a unique lookup): `order_id IN (ids) OR product_id = term` is then two index
        # scans OR-ed as bitmaps, where a sub-select made PostgreSQL filter every payout of the shop.
        orders = list(Order.objects.filter(order_no=term).values_list("pk", flat=True)[:10])
        return queryset.filter(order_id__in=orders) | queryset.filter(product_id=term), False

    def has_pay_permission(self, request) -> bool:
        return payouts_may_pay(user=request.user)

    @admin.display(description=_("order number"), ordering="order__order_no")
    def order_no(self, obj):
        return obj.order.order_no

    @admin.display(description=_("order"))
    def order_link(self, obj):
        url = reverse("admin:orders_order_change", args=[obj.order_id])
        return format_html('<a href="{}">{}</a>', url, obj.order.order_no)

    @admin.display(description=_("approval request"))
    def request_link(self, obj):
        req = PayoutRequest.objects.filter(payout=obj).first()
        if req is None:
            return "-"
        return format_html('<a href="{}">#{}</a>', reverse("admin:payouts_payoutrequest_change", args=[req.pk]), req.pk)

    @admin.action(description=_("Continue the selected pending payouts"), permissions=["pay"])
    def continue_payouts(self, request, queryset):
        """继续打款 (PAY-S02): a page with each amount and the total, then each pending payout submitted once;
        any other answers its refusal, row by row (payouts.admin.batch)."""
        return batch.continue_selected(self, request, queryset)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("initiate/", wrap(self.initiate_view), name="payouts_payout_initiate"),
            path("export/<str:fmt>/", wrap(self.export_view), name="payouts_payout_export"),
            path("<path:object_id>/continue/", wrap(self.continue_view), name="payouts_payout_continue"),
            path("<path:object_id>/resend-card/", wrap(self.resend_card_view), name="payouts_payout_resend_card"),
            path("<path:object_id>/proof/", wrap(lambda request, object_id: proof.proof_view(self, request, object_id)),
                 name="payouts_payout_proof"),
            *super().get_urls(),
        ]

    def detail_context(self, request, payout) -> dict:
        pay = payouts_may_pay(user=request.user)
        return {
            "can_continue": pay and payout.status == PayoutStatus.PENDING,
            "can_continue_top_up": pay and payout.status == PayoutStatus.AWAITING_TOP_UP,
            "can_resend_card": pay and payout.status == PayoutStatus.FAILED and payout.shop.profile.account_card_enabled,
            "qr": top_up_qr(payout),
            "can_show_proof": payout.status == PayoutStatus.SUCCEEDED,  # 到账凭证 (PAY-R02)
            "timeline": labels.timeline(payout.events.select_related("actor").order_by("at", "id"), "payout"),
        }

    def continue_view(self, request, object_id):
        """继续打款 / 继续充值 from the detail page (PAY-S02, PAY-Q02)."""
        def go_on(payout):
            was = payout.status
            payout_continue(payout=payout, actor=request.user)
            if was == PayoutStatus.AWAITING_TOP_UP:
                return _("Top-up continued: scan the QR code again.")
            return _("The payout was submitted.")

        return self.act(request, object_id, go_on, pay=True)

    def resend_card_view(self, request, object_id):
        """重新发送卡片 (PAY-C03)."""
        def resend(payout):
            payout_card_resend(payout=payout, actor=request.user)
            return _("A new account card was sent to the buyer.")

        return self.act(request, object_id, resend, pay=True)

    def initiate_view(self, request):
        return InitiatePage(self, request).response()

    def export_view(self, request, fmt):
        """PAY-R01 export: the list as currently filtered and searched, as CSV or XLSX (payouts.exports)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if fmt not in ("csv", "xlsx"):
            raise Http404
        qs = self.get_changelist_instance(request).queryset
        header = exports.payout_header(exports.ADMIN_COLUMNS)
        rows = exports.payout_rows(qs, exports.ADMIN_COLUMNS, coded=False)
        filename = f"payouts-{timezone.localtime(now()):%Y%m%d-%H%M%S}.{fmt}"
        if fmt == "csv":
            return exports.csv_response(header, rows, filename=filename)
        return exports.xlsx_response(header, rows, filename=filename, sheet=str(_("payout records")))
