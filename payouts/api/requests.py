"""待处理: payout-requests/ with approve and reject (PAY-A01..A03)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.idempotency import idempotent
from core.permissions import IsShopMember
from core.schema import page_parameter
from core.views import TenantScopedMixin

from ..channels import PayoutChannelAllowed
from ..models import PayMethod, PayoutRequest, RequestStatus, ScanChannel
from ..selectors import payout_requests_visible
from ..services import payout_request_approve, payout_request_create, payout_request_reject
from .common import IDEMPOTENCY_HEADER, errors, get_object_or_404, paginated
from .serializers import PayoutOutputSerializer, RequestInputSerializer, RequestOutputSerializer, payout_body, requests_qs


class PayoutRequestsApi(TenantScopedMixin, APIView):
    """待处理 (PAY-A02, A03) and sending a payout to the main account for approval (PAY-A01)."""

    permission_classes = [IsShopMember]

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=RequestStatus.choices, required=False, allow_blank=True)
        order_no = serializers.CharField(required=False, allow_blank=True, max_length=64)

    @extend_schema(operation_id="payout_requests_list", parameters=[FilterSerializer, page_parameter()],
                   responses={200: RequestOutputSerializer(many=True), **errors(400)})
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = payout_requests_visible(qs=self.scoped(requests_qs()), user=request.user)
        if filters.validated_data.get("status"):
            qs = qs.filter(status=filters.validated_data["status"])
        if filters.validated_data.get("order_no"):
            qs = qs.filter(order__order_no=filters.validated_data["order_no"])
        return paginated(self, qs.order_by("-created_at", "-id"), RequestOutputSerializer)

    @extend_schema(operation_id="payout_requests_create", request=RequestInputSerializer,
                   parameters=[IDEMPOTENCY_HEADER],
                   responses={201: RequestOutputSerializer, **errors(400, 404, 422)})
    @idempotent
    def post(self, request):
        order, data = RequestInputSerializer.parse(request)
        created = payout_request_create(order=order, data=data, actor=request.user)
        return Response(RequestOutputSerializer(requests_qs().get(pk=created.pk)).data, status=status.HTTP_201_CREATED)


class _RequestObjectMixin(TenantScopedMixin):
    def get_payout_request(self, request_id: int) -> PayoutRequest:
        # PAY-A03: a sub-account cannot even see another operator's request.
        qs = payout_requests_visible(qs=self.scoped(PayoutRequest.objects.all()), user=self.request.user)
        return get_object_or_404(qs, pk=request_id)


class PayoutRequestApproveApi(_RequestObjectMixin, APIView):
    """Approve (PAY-A02): the approver chooses `pay_method` — `balance` (default) or, on Pinduoduo, `scan` with
    a `scan_channel` (the payout then awaits its top-up); every order and shop rule is checked again now, and
    a refusal leaves the request pending. The payout's applicant is the requester and `approved_by` the
    approver. Answers the payout created. PAY-E10: on Douyin, not from a merchant-app, workbench or integration
    token."""

    permission_classes = [IsShopMember, PayoutChannelAllowed]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PayoutRequestApproveInput"

        pay_method = serializers.ChoiceField(choices=PayMethod.choices, required=False, default=PayMethod.BALANCE)
        scan_channel = serializers.ChoiceField(choices=ScanChannel.choices, required=False, allow_blank=True,
                                               default="")

        def validate(self, attrs):
            if attrs["pay_method"] == PayMethod.SCAN and not attrs["scan_channel"]:
                raise serializers.ValidationError({"scan_channel": ["wechat or alipay with scan"]})
            return attrs

    @extend_schema(request=InputSerializer, parameters=[IDEMPOTENCY_HEADER],
                   responses={201: PayoutOutputSerializer, **errors(400, 403, 404, 409, 422, 429)})
    @idempotent
    def post(self, request, request_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payout = payout_request_approve(request=self.get_payout_request(request_id), actor=request.user,
                                        **data.validated_data)
        return Response(payout_body(payout.pk), status=status.HTTP_201_CREATED)


class PayoutRequestRejectApi(_RequestObjectMixin, APIView):
    """Reject with a reason (PAY-A02)."""

    permission_classes = [IsShopMember]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PayoutRequestRejectInput"

        reason = serializers.CharField(max_length=255)

    @extend_schema(request=InputSerializer, responses={200: RequestOutputSerializer, **errors(400, 403, 404, 409)})
    def post(self, request, request_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rejected = payout_request_reject(request=self.get_payout_request(request_id), actor=request.user,
                                         reason=data.validated_data["reason"])
        return Response(RequestOutputSerializer(requests_qs().get(pk=rejected.pk)).data)
