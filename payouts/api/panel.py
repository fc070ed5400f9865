"""GET orders/{order_no}/payout-panel/ (PAY-F04, F05)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import MoneyField
from core.permissions import IsShopMember
from core.schema import money_query_schema
from orders.api.views import ShippingRefundSerializer

from ..selectors import payout_panel
from .common import MONEY, errors, shop_order
from .serializers import PreviousPayoutSerializer

# PAY-F04 / the status table of SPEC §4.4: a warning, never a block.
PROCESSING_WARNING = {
    "code": "payout_processing",
    "message": "该订单有打款中的记录,请勿重复打款",
    "message_en": "This order has a payout in progress; do not pay twice.",
}

class PanelProblemSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    message_en = serializers.CharField()
    rule = serializers.CharField(source="error.rule")


class PanelRemainingSerializer(serializers.Serializer):
    """PAY-F05: what is left; `my_*` are null for operators without a quota to respect (main account,
    customer-service admin) and for unlimited quota values."""

    order_count = serializers.IntegerField()
    order_amount = MoneyField(**MONEY)
    shop_daily = MoneyField(**MONEY)
    my_per_payout = MoneyField(**MONEY, allow_null=True)
    my_daily = MoneyField(**MONEY, allow_null=True)


class WarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    message_en = serializers.CharField()


class PayoutPanelApi(APIView):
    """发起打款 panel (PAY-F04, F05): eligibility with every failing rule, earlier payouts, the platform's
    shipping-fee refunds and the headroom left. A warning panel: it never blocks anything itself."""

    permission_classes = [IsShopMember]

    class QuerySerializer(serializers.Serializer):
        amount = MoneyField(**MONEY, required=False, allow_null=True)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PayoutPanel"

        order_no = serializers.CharField(source="order.order_no")
        amount = MoneyField(**MONEY, allow_null=True)
        eligible = serializers.BooleanField()
        ineligible = serializers.ListField(child=serializers.CharField())
        problems = PanelProblemSerializer(many=True)
        previous_payouts = PreviousPayoutSerializer(many=True)
        platform_shipping_refunds = ShippingRefundSerializer(many=True)
        remaining = PanelRemainingSerializer()
        available_balance = MoneyField(**MONEY)
        balance_usable = serializers.BooleanField()
        balance_blocked_reasons = serializers.ListField(child=serializers.CharField())
        scan_to_pay = serializers.BooleanField()
        processing_warning = WarningSerializer(allow_null=True)

    @extend_schema(
        parameters=[OpenApiParameter("amount", money_query_schema(), required=False,
                                     description="check this amount too (caps, quota, balance)")],
        responses={200: OutputSerializer, **errors(400, 404)},
    )
    def get(self, request, order_no: str):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        order = shop_order(request, order_no)
        amount = query.validated_data.get("amount")
        panel = payout_panel(order=order, actor=request.user, amount=amount)
        panel["amount"] = amount
        panel["processing_warning"] = PROCESSING_WARNING if panel["processing_warning"] else None
        return Response(self.OutputSerializer(panel).data)
