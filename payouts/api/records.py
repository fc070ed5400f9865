"""打款记录 and 发起打款: GET/POST payouts/ (PAY-R01 with its CSV export, PAY-S01 / PAY-Q01) and GET
payouts/{id}/ (PAY-R02)."""

import datetime as dt
import json
import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.clock import SHANGHAI
from core.idempotency import idempotent
from core.permissions import IsShopMember
from core.views import TenantScopedMixin

from .. import exports
from ..channels import PayoutChannelAllowed
from ..models import Payout, PayoutStatus
from ..selectors import payout_list
from ..services import payout_create, payout_order_lock
from .common import IDEMPOTENCY_HEADER, errors, get_object_or_404, paginated
from .serializers import PayoutInputSerializer, PayoutOutputSerializer, new_payout_body, payouts_qs, with_output_relations


class CsvRenderer(BaseRenderer):
    """Lets DRF's `?format=csv` select the export; the view streams the rows itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data, ensure_ascii=False).encode() if data is not None else b""


class DayOrMomentField(serializers.DateTimeField):
    """A moment (ISO 8601), or a calendar day of Asia/Shanghai: its start (`end=False`) or its last moment."""

    def __init__(self, *, end: bool, **kwargs):
        self.end = end
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str) and re.fullmatch(r".+T.+ \d\d:?\d\d", value.strip()):
            value = value.strip()[::-1].replace(" ", "+", 1)[::-1]  # an unencoded "+08:00" arrives as " 08:00"
        if isinstance(value, str) and len(value.strip()) == 10:
            try:
                day = dt.date.fromisoformat(value.strip())
            except ValueError:
                self.fail("invalid", format="YYYY-MM-DD or ISO 8601")
            start = dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)
            return start + dt.timedelta(days=1) - dt.timedelta(microseconds=1) if self.end else start
        return super().to_internal_value(value)


class PayoutFilterSerializer(serializers.Serializer):
    order_no = serializers.CharField(required=False, allow_blank=True, max_length=64)
    product_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
    applicant = serializers.CharField(required=False, allow_blank=True, max_length=150)
    status = serializers.ChoiceField(choices=PayoutStatus.choices, required=False, allow_blank=True)
    created_from = DayOrMomentField(end=False, required=False, allow_null=True)
    created_to = DayOrMomentField(end=True, required=False, allow_null=True)
    header = serializers.ChoiceField(choices=["key", "zh"], required=False, default="key")


class PayoutsApi(TenantScopedMixin, APIView):
    """打款记录 (PAY-R01) and 发起打款 (POST, PAY-S01 / PAY-Q01; PAY-E10: from a chat-tool token on Douyin)."""

    permission_classes = [IsShopMember, PayoutChannelAllowed]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CsvRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON whatever format was asked for.
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        operation_id="payouts_list",
        parameters=[
            PayoutFilterSerializer,
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"], required=False,
                             description="csv: every matching row, streamed (header: English keys; ?header=zh)"),
            OpenApiParameter("page", OpenApiTypes.INT, required=False),
        ],
        responses={200: PayoutOutputSerializer(many=True), **errors(400)},
    )
    def get(self, request):
        filters = PayoutFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = payout_list(qs=self.scoped(Payout.objects.all()), filters=filters.validated_data)
        if getattr(request.accepted_renderer, "format", None) == "csv":
            header = exports.payout_header(exports.API_COLUMNS, caption=filters.validated_data["header"])
            rows = exports.payout_rows(qs.order_by("-created_at", "-id"), exports.API_COLUMNS, coded=True)
            return exports.csv_response(header, rows, filename="payouts.csv", stream=True)
        return paginated(self, with_output_relations(qs), PayoutOutputSerializer)

    @extend_schema(
        operation_id="payouts_create",
        request=PayoutInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: PayoutOutputSerializer, **errors(400, 403, 404, 409, 422, 429)},
    )
    @idempotent
    def post(self, request):
        # One transaction (the key's): the order and its shop account locked by one statement that also reads
        # them, read once; the service checks and writes under those locks without a savepoint.
        body = PayoutInputSerializer.parse_body(request)
        order = payout_order_lock(shop_id=request.user.shop_id, order_no=body.validated_data["order_no"])
        payout = payout_create(order=order, data=body.to_payout_input(), actor=request.user, locked=True)
        return Response(new_payout_body(payout), status=status.HTTP_201_CREATED)


class PayoutObjectMixin(TenantScopedMixin):
    def get_payout(self, payout_id: int) -> Payout:
        return get_object_or_404(self.scoped(Payout.objects.select_related("order", "shop__profile")), pk=payout_id)


class PayoutDetailApi(PayoutObjectMixin, APIView):
    """One payout with its cards and events (PAY-R02)."""

    permission_classes = [IsShopMember]

    @extend_schema(responses={200: PayoutOutputSerializer, **errors(404)})
    def get(self, request, payout_id: int):
        payout = get_object_or_404(self.scoped(payouts_qs()), pk=payout_id)
        return Response(PayoutOutputSerializer(payout).data)
