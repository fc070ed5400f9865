"""gateway/callback/: the payment provider's signed notification (PAY-S07)."""

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError, CommonError

from ..errors import PayoutError
from ..models import Payout, PayoutSubmission
from ..provider import ProviderResult, callback_verify, sandbox_serves
from ..services import payout_apply_result, payout_flag_callback
from .common import errors, invalid

CALLBACK_REF = r"^PO(?P<payout_id>\d{1,18})-(?P<attempt>\d{1,5})$"


class GatewayCallbackApi(APIView):
    """The payment provider's signed notification (PAY-S07). No token: the HMAC of "<timestamp>.<body>"
    in X-Signature, with X-Timestamp within the tolerance, authenticates it. Duplicates and out-of-order
    results are harmless: payout_apply_result records and ignores what the status table does not allow."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "GatewayCallbackInput"

        ref = serializers.RegexField(CALLBACK_REF)
        status = serializers.ChoiceField(choices=["succeeded", "failed", "processing"])
        error_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
        amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True,
                                          default=None, help_text="the amount the provider paid (PAY-S11)")

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "GatewayCallbackAnswer"

        ref = serializers.CharField()
        payout_status = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        parameters=[
            OpenApiParameter("X-Timestamp", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                             description="Unix seconds"),
            OpenApiParameter("X-Signature", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                             description='hex HMAC-SHA256 of "<timestamp>.<raw body>" with the shared secret'),
        ],
        responses={200: OutputSerializer, **errors(400, 401, 404, 409)},
        auth=[],
    )
    def post(self, request):
        body = request.body  # the raw bytes the signature covers, read before any parsing
        if not callback_verify(timestamp=request.headers.get("X-Timestamp"),
                               signature=request.headers.get("X-Signature"), body=body):
            raise ApplicationError(PayoutError.CALLBACK_SIGNATURE_INVALID)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise invalid(non_field_errors=["a JSON object"])
        if not isinstance(payload, dict):
            raise invalid(non_field_errors=["a JSON object"])
        data = self.InputSerializer(data=payload)
        data.is_valid(raise_exception=True)
        ref = data.validated_data["ref"]
        payout_id = int(ref[2:].split("-")[0])
        payout = Payout.objects.filter(pk=payout_id).values("shop_id", "amount", "attempt").first()
        if payout is None or not sandbox_serves(payout["shop_id"]):
            # PAY-S11: never a payout of a shop on a real rail (its rail calls back signed with its own keys),
            # and nothing at all while the deployment has the sandbox off.
            raise ApplicationError(CommonError.NOT_FOUND)
        amount = data.validated_data["amount"]
        why = ""
        if ref != f"PO{payout_id}-{payout['attempt']}" and not PayoutSubmission.objects.filter(
                payout_id=payout_id, ref=ref).exists():
            why = "not a key this payout was sent under"
        elif amount is not None and amount != payout["amount"]:
            why = f"amount {amount} is not {payout['amount']}"
        if why:  # PAY-S11: refused and flagged to platform staff
            payout_flag_callback(payout_id=payout_id, ref=ref, why=why)
            raise ApplicationError(PayoutError.CALLBACK_MISMATCH)
        result = ProviderResult(data.validated_data["status"], data.validated_data["error_code"])
        payout = payout_apply_result(payout_id=payout_id, result=result, source="callback", ref=ref)
        return Response({"ref": ref, "payout_status": payout.status})
