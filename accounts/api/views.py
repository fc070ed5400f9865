from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import shop_balance_get
from core import hooks
from core.permissions import IsShopMember


class ShopBalanceApi(APIView):
    """The caller's shop funds: balance, frozen, available, deposit (negative = the shop owes the platform),
    and `paid_out_today`: the counted payouts created today (Asia/Shanghai)."""

    permission_classes = [IsShopMember]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ShopBalance"

        shop = serializers.CharField()
        balance = serializers.DecimalField(max_digits=14, decimal_places=2)
        frozen = serializers.DecimalField(max_digits=14, decimal_places=2)
        available = serializers.DecimalField(max_digits=14, decimal_places=2)
        deposit = serializers.DecimalField(max_digits=14, decimal_places=2)
        paid_out_today = serializers.DecimalField(max_digits=14, decimal_places=2)

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        shop_id = request.user.shop_id
        body = shop_balance_get(shop_id=shop_id)
        for figures in hooks.fire("shop_balance_figures", shop_id=shop_id):  # payouts adds paid_out_today
            body.update(figures)
        return Response(self.OutputSerializer(body).data)
