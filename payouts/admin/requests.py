"""待处理 (PAY-A02, A03): the approval queue. The main account (and Pinduoduo customer-service admins) approve
or reject; a requester sees only their own requests and outcomes."""

import secrets

from django.contrib import admin, messages
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import idempotency
from core.errors import ApplicationError

from ..models import PayMethod, PayoutRequest, RequestStatus, ScanChannel
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
            "scan_enabled": obj.shop.profile.scan_to_pay_enabled,
            "scan_channels": ScanChannel.choices,
            "not_decider": not decide,  # the requester sees the duplicate warning, not the approver's checks
            # PAY-F04: the approver sees the same duplicate warning as the operator.
            "panel": panel_for(order=obj.order, user=request.user, amount=obj.amount) if pending else None,
        }

    def approve_view(self, request, object_id):
        """Approve (PAY-A02) in two steps: the approver chooses balance or scan (with a channel, where the
        profile has scan-to-pay), then a confirmation page states the method and the amount before any money
        moves; the confirm runs once under its token (core.idempotency). Every order and shop rule is checked
        again then; a failure says why and leaves the request pending."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        refusal = payout_request_decision_refusal(actor=request.user, request=obj)
        if refusal is None and obj.status != RequestStatus.PENDING:
            from ..errors import PayoutError

            refusal = ApplicationError(PayoutError.REQUEST_NOT_PENDING)
        if refusal is not None:
            self.message_user(request, refusal.text(), messages.ERROR)
            return HttpResponseRedirect(self.change_url(obj))
        scan_enabled = obj.shop.profile.scan_to_pay_enabled
        method = request.POST.get("pay_method") or PayMethod.BALANCE
        channel = request.POST.get("scan_channel") or ""
        if method not in PayMethod.values or (method == PayMethod.SCAN and channel not in ScanChannel.values):
            self.message_user(request, gettext("Choose WeChat Pay or Alipay to pay by scanning."), messages.ERROR)
            return HttpResponseRedirect(self.change_url(obj))
        if method != PayMethod.SCAN:
            channel = ""
        if request.POST.get("step") != "confirm":
            context = {
                **self.admin_site.each_context(request), "opts": self.model._meta, "original": obj,
                "title": gettext("Confirm the approval"), "subtitle": f"#{obj.pk} {obj.order.order_no}",
                "pay_method": method, "scan_channel": channel, "token": secrets.token_urlsafe(24),
                "method_label": (gettext("by scan-to-pay (%(channel)s)") % {"channel": ScanChannel(channel).label}
                                 if method == PayMethod.SCAN else gettext("from the shop balance")),
                "scan_enabled": scan_enabled,
                "panel": panel_for(order=obj.order, user=request.user, amount=obj.amount),
            }
            return TemplateResponse(request, "admin/payouts/payoutrequest/approve_confirm.html", context)
        token = (request.POST.get("token") or "").strip()
        if not token or len(token) > 200:
            self.message_user(request, gettext("This confirmation has expired; please confirm again."), messages.ERROR)
            return HttpResponseRedirect(self.change_url(obj))

        def run():
            return payout_request_approve(request=obj, actor=request.user, pay_method=method, scan_channel=channel)

        try:
            result = idempotency.once(
                user=request.user, key=f"admin:approve:{token}", wait=True,
                fingerprint=idempotency.fingerprint_of(obj.pk, method, channel),
                run=run, store=lambda payout: (201, {"payout": payout.pk}))
        except ApplicationError as exc:
            if exc.error is idempotency.KEY_REUSED:
                self.message_user(request, gettext("This confirmation was already used; please start again."),
                                  messages.ERROR)
            else:  # the re-check failed: the request stays pending, and the page says why
                self.message_user(request, gettext("The request stays pending: %(why)s") % {"why": exc.text()},
                                  messages.ERROR)
            return HttpResponseRedirect(self.change_url(obj))
        if isinstance(result, idempotency.IdempotencyKey):
            self.message_user(request, gettext("This approval was already submitted; nothing was paid twice."),
                              messages.WARNING)
            return HttpResponseRedirect(self.change_url(obj))
        self.message_user(request, gettext("Approved: payout #%(id)s was created.") % {"id": result.pk},
                          messages.SUCCESS)
        return HttpResponseRedirect(self.change_url(obj))

    def reject_view(self, request, object_id):
        def reject(obj):
            payout_request_reject(request=obj, actor=request.user, reason=request.POST.get("reason", ""))
            return gettext("The request was rejected.")

        return self.act(request, object_id, reject)
