"""待处理 (PAY-A02, A03): the approval queue. The main account (and Pinduoduo customer-service admins) approve
or reject; a requester sees only their own requests and outcomes."""

from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import PayoutRequest, RequestStatus
from ..selectors import payout_request_decision_refusal, payout_requests_visible
from ..services import payout_request_approve, payout_request_reject
from .base import SmallPayoutsAdmin
from .batch import RequestBatchActions
from .panel import panel_for

REQUEST_FIELDS = ("order_link", "type", "amount", "product_id", "reason", "buyer_message", "requester", "status",
                  "created_at", "decided_by", "decided_at", "reject_reason", "payout_link")


@admin.register(PayoutRequest)
class PayoutRequestAdmin(RequestBatchActions, SmallPayoutsAdmin):
    """待处理 (PAY-A02, A03)."""

    list_display = ("id", "order_no", "type", "amount", "requester", "status", "created_at", "decided_by",
                    "payout_link")
    list_filter = ("status",)
    list_select_related = ("order", "requester", "decided_by", "payout")
    search_fields = ("=order__order_no",)
    search_help_text = _("Order number (exact)")
    fields = REQUEST_FIELDS
    readonly_fields = REQUEST_FIELDS
    change_form_template = "admin/payouts/payoutrequest/change_form.html"
    change_list_template = "admin/payouts/payoutrequest/change_list.html"
    section = "requests"
    list_title = _("Pending")

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("order", "requester", "decided_by", "payout", "shop")
        return payout_requests_visible(qs=qs, user=request.user)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/approve/", wrap(self.approve_view), name="payouts_payoutrequest_approve"),
            path("<path:object_id>/reject/", wrap(self.reject_view), name="payouts_payoutrequest_reject"),
            *super().get_urls(),
        ]

    @admin.display(description=_("order number"), ordering="order__order_no")
    def order_no(self, obj):
        return obj.order.order_no

    @admin.display(description=_("order"))
    def order_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:orders_order_change", args=[obj.order_id]),
                           obj.order.order_no)

    @admin.display(description=_("payout"))
    def payout_link(self, obj):
        if not obj.payout_id:
            return "-"
        return format_html('<a href="{}">#{}</a>', reverse("admin:payouts_payout_change", args=[obj.payout_id]),
                           obj.payout_id)

    def detail_context(self, request, obj) -> dict:
        pending = obj.status == RequestStatus.PENDING
        decide = pending and payout_request_decision_refusal(actor=request.user, request=obj) is None
        return {
            "can_decide": decide,
            "not_decider": not decide,  # the requester sees the duplicate warning, not the approver's checks
            # PAY-F04: the approver sees the same duplicate warning as the operator.
            "panel": panel_for(order=obj.order, user=request.user, amount=obj.amount) if pending else None,
        }

    def approve_view(self, request, object_id):
        """Approve: every order and shop rule is checked again; a failure leaves the request pending."""
        def approve(obj):
            payout = payout_request_approve(request=obj, actor=request.user)
            return gettext("Approved: payout #%(id)s was created.") % {"id": payout.pk}

        return self.act(request, object_id, approve)

    def reject_view(self, request, object_id):
        def reject(obj):
            payout_request_reject(request=obj, actor=request.user, reason=request.POST.get("reason", ""))
            return gettext("The request was rejected.")

        return self.act(request, object_id, reject)
