"""What is done to one payout: continue (PAY-S02, Q02), the sandbox top-up (PAY-Q01), resend the account
card (PAY-C03), and the buyer's card submission (PAY-C02)."""

from django.conf import settings
from django.utils.module_loading import import_string
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError, CommonError
from core.idempotency import idempotent
from core.permissions import IsShopMember

from ..channels import PayoutChannelAllowed
from ..models import CardChannel, PayoutCard
from ..provider import SandboxProvider, sandbox_serves
from ..services import payout_card_resend, payout_card_submit, payout_continue, top_up_paid
from .common import IDEMPOTENCY_HEADER, IsBuyer, errors
from .records import PayoutObjectMixin
from .serializers import CardOutputSerializer, PayoutOutputSerializer, payout_body


class PayoutContinueApi(PayoutObjectMixin, APIView):
    """继续打款 (PAY-S02: submitted, never debited again) or 继续充值 (PAY-Q02: the QR code again). PAY-E10: on
    Douyin, not from a merchant-app, workbench or integration token."""

    permission_classes = [IsShopMember, PayoutChannelAllowed]

    @extend_schema(request=None, parameters=[IDEMPOTENCY_HEADER],
                   responses={200: PayoutOutputSerializer, **errors(404, 409)})
    @idempotent
    def post(self, request, payout_id: int):
        payout = payout_continue(payout=self.get_payout(payout_id), actor=request.user)
        return Response(payout_body(payout.pk))


def _sandbox_provider() -> bool:
    try:
        provider = import_string(settings.PAYOUT_PROVIDER)
    except ImportError:
        return False
    return isinstance(provider, type) and issubclass(provider, SandboxProvider)


class SandboxTopUpPayApi(PayoutObjectMixin, APIView):
    """Sandbox only: pay the QR code of an awaiting-top-up payout, as scanning it would (PAY-Q01). With a
    real provider, for a shop on a real rail, or with the sandbox off (PAYOUT_SANDBOX_ENABLED, off in
    production) this path answers 404 (PAY-S11)."""

    permission_classes = [IsShopMember]

    @extend_schema(request=None, parameters=[IDEMPOTENCY_HEADER],
                   responses={200: PayoutOutputSerializer, **errors(404, 409)})
    @idempotent
    def post(self, request, payout_id: int):
        payout = self.get_payout(payout_id)
        if not _sandbox_provider() or not sandbox_serves(payout.shop_id):  # PAY-S11
            raise ApplicationError(CommonError.NOT_FOUND)
        payout = top_up_paid(payout=payout, actor=request.user)
        return Response(payout_body(payout.pk))


class PayoutResendCardApi(PayoutObjectMixin, APIView):
    """Send the account card again (PAY-C03): the previous open card expires."""

    permission_classes = [IsShopMember]

    @extend_schema(request=None, parameters=[IDEMPOTENCY_HEADER],
                   responses={201: PayoutOutputSerializer, **errors(404, 409)})
    @idempotent
    def post(self, request, payout_id: int):
        payout = self.get_payout(payout_id)
        payout_card_resend(payout=payout, actor=request.user)
        return Response(payout_body(payout.pk), status=status.HTTP_201_CREATED)


class PayoutCardSubmitApi(APIView):
    """The buyer fills in the account card (PAY-C02): the payout is retried at once. The answer shows the
    account masked only (PAY-C04)."""

    permission_classes = [IsBuyer]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PayoutCardSubmitInput"

        channel = serializers.ChoiceField(choices=CardChannel.choices)
        account = serializers.CharField(max_length=64)
        name = serializers.CharField(max_length=64)

        def validate(self, attrs):
            account = attrs["account"].strip()
            if attrs["channel"] == CardChannel.BANK_CARD:
                account = account.replace(" ", "")
                if not account.isdigit() or not 12 <= len(account) <= 19:
                    raise serializers.ValidationError({"account": ["a bank card number: 12 to 19 digits"]})
            elif not account or " " in account:
                raise serializers.ValidationError({"account": ["an Alipay account (phone number or e-mail)"]})
            attrs["account"] = account
            return attrs

    class OutputSerializer(CardOutputSerializer):
        class Meta:
            ref_name = "PayoutCardSubmitted"

        payout_id = serializers.IntegerField()
        payout_status = serializers.CharField(source="payout.status")

    @extend_schema(request=InputSerializer, parameters=[IDEMPOTENCY_HEADER],
                   responses={200: OutputSerializer, **errors(400, 404, 410)})
    @idempotent
    def post(self, request, card_id: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        card = payout_card_submit(token=card_id, buyer=request.user, channel=data.validated_data["channel"],
                                  account=data.validated_data["account"], name=data.validated_data["name"])
        card = PayoutCard.objects.select_related("payout").get(pk=card.pk)
        return Response(self.OutputSerializer(card).data)
