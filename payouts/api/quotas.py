"""quotas/{username}/: 客服打款配额 (SPEC §1, PAY-L06..L08)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.services import quota_set
from core.fields import MoneyField
from core.permissions import IsShopMember

from ..selectors import payout_quota_get
from .common import MONEY, errors, get_object_or_404


class QuotaApi(APIView):
    """客服打款配额: a sub-account's quota, read and set by the shop's main account (SPEC §1, PAY-L06..L08).
    `per_payout` / `daily` null = unlimited; a sub-account without an enabled quota may not pay from the
    balance. A sub-account may read its own."""

    permission_classes = [IsShopMember]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "QuotaInput"

        per_payout = MoneyField(**MONEY, allow_null=True)
        daily = MoneyField(**MONEY, allow_null=True)
        enabled = serializers.BooleanField()

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Quota"

        username = serializers.CharField()
        per_payout = MoneyField(**MONEY, allow_null=True)
        daily = MoneyField(**MONEY, allow_null=True)
        enabled = serializers.BooleanField()
        configured = serializers.BooleanField()
        updated_at = serializers.DateTimeField(allow_null=True)

    def _user(self, request, username: str) -> User:
        return get_object_or_404(User.objects.filter(shop_id=request.user.shop_id), username=username)

    @extend_schema(responses={200: OutputSerializer, **errors(403, 404)})
    def get(self, request, username: str):
        quota = payout_quota_get(viewer=request.user, user=self._user(request, username))
        return Response(self.OutputSerializer(quota).data)

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer, **errors(400, 403, 404, 422)})
    def put(self, request, username: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = self._user(request, username)
        quota_set(shop=request.user.shop, user=user, actor=request.user, **data.validated_data)
        return Response(self.OutputSerializer(payout_quota_get(viewer=request.user, user=user)).data)
