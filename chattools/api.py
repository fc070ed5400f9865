"""GET orders/{order_no}/context/ (API.md "Chat tools"): one order as a chat sidebar shows it, in one call."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from aftersales.api.views import TicketOutputSerializer
from core.permissions import IsShopMember
from core.views import TenantScopedMixin
from logistics.api.views import InterceptionOutputSerializer
from orders.api.views import OrderOutputSerializer
from orders.models import Order
from payouts.api.common import errors
from payouts.api.panel import PROCESSING_WARNING, PayoutPanelApi
from payouts.api.serializers import PayoutOutputSerializer

from .selectors import context_order, order_context


class ActionSerializer(serializers.Serializer):
    """Whether the caller may do the action now; if not, the code (and words) the action would answer."""

    allowed = serializers.BooleanField()
    code = serializers.CharField(required=False, help_text="the refusal code, as the action's endpoint answers it")
    message = serializers.CharField(required=False)
    message_en = serializers.CharField(required=False)
    rule = serializers.CharField(required=False)
    reasons = serializers.ListField(child=serializers.CharField(), required=False,
                                   help_text="balance_payment_not_allowed: why the balance cannot be used (PAY-Q04)")
    ticket = serializers.IntegerField(required=False, help_text="intercept: the ticket to intercept for")
    parcels = serializers.ListField(child=serializers.CharField(), required=False,
                                    help_text="intercept: tracking numbers that may be intercepted")


class ActionsSerializer(serializers.Serializer):
    payout = ActionSerializer()
    payout_scan = ActionSerializer()
    payout_request = ActionSerializer()
    open_aftersales_entry = ActionSerializer()
    intercept = ActionSerializer()


class EntryStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["not_needed", "closed", "open", "not_allowed"])
    opened_at = serializers.DateTimeField(allow_null=True)
    closes_at = serializers.DateTimeField(allow_null=True)


class ContextSerializer(serializers.Serializer):
    order = OrderOutputSerializer()
    payout_panel = PayoutPanelApi.OutputSerializer()
    payouts = PayoutOutputSerializer(many=True)
    tickets = TicketOutputSerializer(many=True)
    interceptions = InterceptionOutputSerializer(many=True)
    aftersales_entry = EntryStateSerializer()
    actions = ActionsSerializer()


EXAMPLE = {
    "order": {"order_no": "DY1022", "shop": "dy", "buyer": "buyer_ok", "status": "completed", "paid_amount": "299.00"},
    "payout_panel": {"order_no": "DY1022", "eligible": True, "ineligible": [], "previous_payouts": [],
                     "remaining": {"order_count": 5, "order_amount": "90.00", "shop_daily": "15000.00",
                                   "my_per_payout": None, "my_daily": None},
                     "processing_warning": None},
    "payouts": [], "tickets": [], "interceptions": [],
    "aftersales_entry": {"state": "closed", "opened_at": None, "closes_at": None},
    "actions": {
        "payout": {"allowed": True},
        "payout_scan": {"allowed": False, "code": "scan_not_supported", "message": "该平台不支持扫码打款",
                        "message_en": "Scan-to-pay is not available on this platform.", "rule": "PAY-Q01"},
        "payout_request": {"allowed": True},
        "open_aftersales_entry": {"allowed": True},
        "intercept": {"allowed": False, "code": "interception_not_available", "rule": "INT-01"},
    },
}


class OrderContextApi(TenantScopedMixin, APIView):
    """Everything a chat sidebar shows for one order, in one call and a fixed number of queries: the order,
    its payout panel, payouts (newest first), tickets, interceptions, the re-opened after-sales entry and, for
    each action, whether the caller may do it now or the refusal code its endpoint would answer. Another
    shop's order is 404."""

    permission_classes = [IsShopMember]

    @extend_schema(operation_id="order_context", responses={200: ContextSerializer, **errors(404)},
                   examples=[OpenApiExample("a completed Douyin order", value=EXAMPLE, response_only=True)])
    def get(self, request, order_no: str):
        order = get_object_or_404(context_order(qs=self.scoped(Order.objects.all())), order_no=order_no)
        context = order_context(order=order, actor=request.user, auth=request.auth)
        panel = context["payout_panel"]
        panel["amount"] = None
        panel["processing_warning"] = PROCESSING_WARNING if panel["processing_warning"] else None
        return Response(ContextSerializer(context).data)
