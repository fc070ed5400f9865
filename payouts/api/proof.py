"""GET payouts/{id}/proof/ — 到账凭证 (PAY-R02): a succeeded payout's transfer id, time and amount, re-read from
the rail now."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import IsShopMember

from ..proof import payout_proof
from .common import MONEY, errors
from .records import PayoutObjectMixin


class PayoutProofSerializer(serializers.Serializer):
    payout = serializers.IntegerField(source="payout_id")
    order_no = serializers.CharField()
    rail = serializers.CharField(help_text="the rail that paid: sandbox, wechat, alipay")
    ref = serializers.CharField(help_text="the business key the payout succeeded under")
    transfer_id = serializers.CharField(help_text="the rail's own id of the transfer")
    paid_at = serializers.DateTimeField(allow_null=True, help_text="when the rail says it paid")
    amount = serializers.DecimalField(**MONEY, help_text="the amount the rail reports")
    amount_matches = serializers.BooleanField(source="matches", help_text="the rail's amount is the payout's")
    where_to_find = serializers.CharField(help_text="where the buyer finds the money, for the buyer")
    checked_at = serializers.DateTimeField(help_text="when the rail was asked")
    buyer_text = serializers.CharField(help_text="the proof as a message to send the buyer")


class PayoutProofApi(PayoutObjectMixin, APIView):
    """到账凭证 (PAY-R02): asks the rail now; 409 `payout_not_succeeded` / `proof_not_confirmed`, 503
    `rail_unavailable`."""

    permission_classes = [IsShopMember]

    @extend_schema(responses={200: PayoutProofSerializer, **errors(404, 409, 503)})
    def get(self, request, payout_id: int):
        return Response(PayoutProofSerializer(payout_proof(payout=self.get_payout(payout_id))).data)
