"""REST API of small payouts (API.md "Small payouts"; SPEC §4, §8, §9).

Thin: each view validates its input with a serializer (malformed → 400 `invalid` with the fields), finds
the objects in the caller's tenancy scope (another shop's → 404), calls one service of payouts.services,
and renders the result. Rules live in the services; their refusals propagate as ApplicationError and
leave through core.api.exception_handler. Every money-moving POST is `@idempotent` (Idempotency-Key).
"""

import csv
import datetime as dt
import json
import re

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import StreamingHttpResponse
from django.utils.module_loading import import_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import PayoutQuota, Role, User
from accounts.services import quota_set
from core.clock import SHANGHAI
from core.errors import ApplicationError, CommonError
from core.export import Echo, spreadsheet_safe
from core.idempotency import idempotent
from core.permissions import IsShopMember
from core.serializers import DomainEventSerializer
from core.views import TenantScopedMixin
from orders.api.views import ShippingRefundSerializer
from orders.models import Order

from ..errors import PayoutError
from ..models import (
    CardChannel,
    PayMethod,
    Payout,
    PayoutCard,
    PayoutEvent,
    PayoutRequest,
    PayoutStatus,
    PayoutType,
    RequestStatus,
    ScanChannel,
)
from ..provider import ProviderResult, SandboxProvider, callback_verify
from ..selectors import payout_list, payout_panel, payout_requests_visible
from ..services import (
    PayoutInput,
    payout_apply_result,
    payout_card_resend,
    payout_card_submit,
    payout_continue,
    payout_create,
    payout_request_approve,
    payout_request_create,
    payout_request_reject,
    top_up_paid,
    top_up_qr,
)

MONEY = {"max_digits": 14, "decimal_places": 2}

# PAY-F04 / the status table of SPEC §4.4: a warning, never a block.
PROCESSING_WARNING = {
    "code": "payout_processing",
    "message": "该订单有打款中的记录,请勿重复打款",
    "message_en": "This order has a payout in progress; do not pay twice.",
}

ERROR_SCHEMA = inline_serializer(
    "Error",
    {
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "message_en": serializers.CharField(),
        "rule": serializers.CharField(required=False),
    },
)
INVALID_SCHEMA = inline_serializer(
    "InvalidInput", {"code": serializers.CharField(), "fields": serializers.DictField()}
)
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="≤ 255 chars: the same key and body answer the first response again; another body → 409.",
)


def _errors(*codes: int) -> dict:
    return {code: OpenApiResponse(INVALID_SCHEMA if code == 400 else ERROR_SCHEMA) for code in codes}


class IsBuyer(BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_buyer)


def get_object_or_404(qs: QuerySet, **lookup):
    """Like Django's, but as the coded error: `@idempotent` stores and replays it like any other refusal."""
    obj = qs.filter(**lookup).first()
    if obj is None:
        raise ApplicationError(CommonError.NOT_FOUND)
    return obj


def _invalid(**fields) -> ApplicationError:
    return ApplicationError(CommonError.INVALID, extra={"fields": fields})


# ---------------------------------------------------------------------------------------------- outputs


class CardOutputSerializer(serializers.Serializer):
    """PAY-C04: only the masked account is ever shown; `id` is the card's token (payout-cards/{id}/)."""

    id = serializers.CharField(source="token")
    status = serializers.CharField()
    sent_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    channel = serializers.CharField()
    account_masked = serializers.CharField()
    submitted_at = serializers.DateTimeField(allow_null=True)




class QrSerializer(serializers.Serializer):
    channel = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    expires_at = serializers.DateTimeField()
    content = serializers.CharField()


class PayoutOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_no = serializers.CharField(source="order.order_no")
    type = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    status = serializers.CharField()
    failure_reason = serializers.CharField()
    reason = serializers.CharField()
    buyer_message = serializers.CharField()
    product_id = serializers.CharField()
    pay_method = serializers.CharField()
    scan_channel = serializers.CharField()
    qr = serializers.SerializerMethodField()
    applicant = serializers.CharField(source="applicant.username")
    approved_by = serializers.CharField(source="approved_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    succeeded_at = serializers.DateTimeField(allow_null=True)
    failed_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    return_due_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)
    cards = CardOutputSerializer(many=True)
    events = DomainEventSerializer(many=True)

    @extend_schema_field(QrSerializer(allow_null=True))
    def get_qr(self, payout: Payout) -> dict | None:
        """PAY-Q01/Q02: the QR payload while the payout awaits its top-up."""
        return top_up_qr(payout)


def with_output_relations(qs: QuerySet) -> QuerySet:
    """Everything PayoutOutputSerializer reads, in a fixed number of queries for any page size."""
    return qs.select_related("order", "applicant", "approved_by").prefetch_related(
        Prefetch("cards", queryset=PayoutCard.objects.order_by("sent_at", "id")),
        Prefetch("events", queryset=PayoutEvent.objects.select_related("actor").order_by("at", "id")),
    )


def payouts_qs() -> QuerySet:
    return with_output_relations(Payout.objects.all())


def _payout_body(payout_id: int) -> dict:
    return PayoutOutputSerializer(payouts_qs().get(pk=payout_id)).data


def _new_payout_body(payout: Payout) -> dict:
    """A payout this request created, from the objects in hand: its order, applicant and approver are loaded,
    it has no card yet, and its events are the ones payout_create wrote (no read-back on the hot path)."""
    payout._prefetched_objects_cache = {"cards": [], "events": payout.written_events}
    return PayoutOutputSerializer(payout).data


class PreviousPayoutSerializer(serializers.Serializer):
    """PAY-F04: every earlier payout of the order (any status), with a details link."""

    id = serializers.IntegerField()
    type = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    status = serializers.CharField()
    failure_reason = serializers.CharField()
    applicant = serializers.CharField(source="applicant.username")
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, payout: Payout) -> str:
        return f"/api/v1/payouts/{payout.pk}/"


class RequestOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_no = serializers.CharField(source="order.order_no")
    type = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    reason = serializers.CharField()
    buyer_message = serializers.CharField()
    product_id = serializers.CharField()
    status = serializers.CharField()
    requester = serializers.CharField(source="requester.username")
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    reject_reason = serializers.CharField()
    payout_id = serializers.IntegerField(allow_null=True)
    payout_status = serializers.CharField(source="payout.status", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    # PAY-A02: the approver sees the duplicate warning (the order already has payouts).
    order_has_payouts = serializers.BooleanField(default=False)


def requests_qs() -> QuerySet:
    return PayoutRequest.objects.select_related("order", "requester", "decided_by", "payout").annotate(
        order_has_payouts=Exists(Payout.objects.filter(order_id=OuterRef("order_id")))
    )


# ---------------------------------------------------------------------------------------------- inputs


class PayoutInputSerializer(serializers.Serializer):
    """PAY-F01..F03 as input shape; the amount's rules (minimum, PAY-L10) are the service's."""

    order_no = serializers.CharField(max_length=64)
    type = serializers.ChoiceField(choices=PayoutType.choices)
    amount = serializers.DecimalField(**MONEY)
    reason = serializers.CharField(max_length=255)
    buyer_message = serializers.CharField(max_length=255)
    product_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    pay_method = serializers.ChoiceField(choices=PayMethod.choices, required=False, default=PayMethod.BALANCE)
    scan_channel = serializers.ChoiceField(choices=ScanChannel.choices, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["pay_method"] == PayMethod.SCAN and not attrs.get("scan_channel"):
            raise serializers.ValidationError({"scan_channel": ["wechat or alipay with scan"]})
        return attrs

    def to_payout_input(self) -> PayoutInput:
        d = self.validated_data
        return PayoutInput(
            type=d["type"], amount=d["amount"], reason=d["reason"], buyer_message=d["buyer_message"],
            product_id=d.get("product_id") or "", pay_method=d["pay_method"],
            scan_channel=(d.get("scan_channel") or "") if d["pay_method"] == PayMethod.SCAN else "",
        )


class RequestInputSerializer(PayoutInputSerializer):
    """Same body as payouts/ (API.md); a request holds no money, so its pay method is not used (PAY-A01)."""


def _shop_order(request, order_no: str) -> Order:
    """The caller's shop's order by number; anyone else's is 404."""
    return get_object_or_404(
        Order.objects.select_related("shop__profile", "buyer").filter(shop_id=request.user.shop_id), order_no=order_no
    )


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def _paginated(view: APIView, qs: QuerySet, serializer_class) -> Response:
    paginator = Pagination()
    page = paginator.paginate_queryset(qs, view.request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


# ---------------------------------------------------------------------------------------------- panel


class PanelProblemSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    message_en = serializers.CharField()
    rule = serializers.CharField(source="error.rule")


class PanelRemainingSerializer(serializers.Serializer):
    """PAY-F05: what is left; `my_*` are null for operators without a quota to respect (main account,
    customer-service admin) and for unlimited quota values."""

    order_count = serializers.IntegerField()
    order_amount = serializers.DecimalField(**MONEY)
    shop_daily = serializers.DecimalField(**MONEY)
    my_per_payout = serializers.DecimalField(**MONEY, allow_null=True)
    my_daily = serializers.DecimalField(**MONEY, allow_null=True)


class WarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    message_en = serializers.CharField()


class PayoutPanelApi(APIView):
    """发起打款 panel (PAY-F04, F05): eligibility with every failing rule, earlier payouts, the platform's
    shipping-fee refunds and the headroom left. A warning panel: it never blocks anything itself."""

    permission_classes = [IsShopMember]

    class QuerySerializer(serializers.Serializer):
        amount = serializers.DecimalField(**MONEY, required=False, allow_null=True)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PayoutPanel"

        order_no = serializers.CharField(source="order.order_no")
        amount = serializers.DecimalField(**MONEY, allow_null=True)
        eligible = serializers.BooleanField()
        ineligible = serializers.ListField(child=serializers.CharField())
        problems = PanelProblemSerializer(many=True)
        previous_payouts = PreviousPayoutSerializer(many=True)
        platform_shipping_refunds = ShippingRefundSerializer(many=True)
        remaining = PanelRemainingSerializer()
        available_balance = serializers.DecimalField(**MONEY)
        balance_usable = serializers.BooleanField()
        balance_blocked_reasons = serializers.ListField(child=serializers.CharField())
        scan_to_pay = serializers.BooleanField()
        processing_warning = WarningSerializer(allow_null=True)

    @extend_schema(
        parameters=[OpenApiParameter("amount", OpenApiTypes.DECIMAL, required=False,
                                     description="check this amount too (caps, quota, balance)")],
        responses={200: OutputSerializer, **_errors(400, 404)},
    )
    def get(self, request, order_no: str):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        order = _shop_order(request, order_no)
        amount = query.validated_data.get("amount")
        panel = payout_panel(order=order, actor=request.user, amount=amount)
        panel["amount"] = amount
        panel["processing_warning"] = PROCESSING_WARNING if panel["processing_warning"] else None
        return Response(self.OutputSerializer(panel).data)


# ---------------------------------------------------------------------------------------------- payouts

# PAY-R01 export: stable English keys (the header row) and the Chinese caption of each column (?header=zh).
CSV_COLUMNS = [
    ("id", "打款ID"),
    ("order_no", "订单号"),
    ("type", "打款类型"),
    ("amount", "打款金额"),
    ("status", "打款状态"),
    ("failure_reason", "失败原因"),
    ("reason", "打款原因"),
    ("buyer_message", "给买家的留言"),
    ("product_id", "关联商品ID"),
    ("pay_method", "支付方式"),
    ("scan_channel", "扫码渠道"),
    ("applicant", "申请人"),
    ("approved_by", "审批人"),
    ("created_at", "创建时间(扣款时间)"),
    ("closed_at", "关闭时间"),
    ("returned_at", "退回时间"),
]


class CsvRenderer(BaseRenderer):
    """Lets DRF's `?format=csv` select the export; the view streams the rows itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data, ensure_ascii=False).encode() if data is not None else b""




def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(SHANGHAI).isoformat()
    return str(spreadsheet_safe(value))


def _csv_rows(qs: QuerySet, chinese_header: bool):
    writer = csv.writer(Echo())
    yield "\ufeff"  # BOM: spreadsheet apps read the Chinese as UTF-8
    yield writer.writerow([zh if chinese_header else key for key, zh in CSV_COLUMNS])
    rows = qs.values_list(
        "id", "order__order_no", "type", "amount", "status", "failure_reason", "reason", "buyer_message",
        "product_id", "pay_method", "scan_channel", "applicant__username", "approved_by__username", "created_at",
        "closed_at", "returned_at",
    )
    for row in rows.iterator(chunk_size=2000):
        yield writer.writerow([_csv_value(v) for v in row])


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
    """打款记录 (PAY-R01) and 发起打款 (POST, PAY-S01 / PAY-Q01)."""

    permission_classes = [IsShopMember]
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
        responses={200: PayoutOutputSerializer(many=True), **_errors(400)},
    )
    def get(self, request):
        filters = PayoutFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = payout_list(qs=self.scoped(Payout.objects.all()), filters=filters.validated_data)
        if getattr(request.accepted_renderer, "format", None) == "csv":
            qs = qs.order_by("-created_at", "-id")
            response = StreamingHttpResponse(
                _csv_rows(qs, filters.validated_data["header"] == "zh"), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = 'attachment; filename="payouts.csv"'
            return response
        return _paginated(self, with_output_relations(qs), PayoutOutputSerializer)

    @extend_schema(
        operation_id="payouts_create",
        request=PayoutInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: PayoutOutputSerializer, **_errors(400, 403, 404, 409, 422, 429)},
    )
    @idempotent
    def post(self, request):
        data = PayoutInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = _shop_order(request, data.validated_data["order_no"])
        payout = payout_create(order=order, data=data.to_payout_input(), actor=request.user)
        return Response(_new_payout_body(payout), status=status.HTTP_201_CREATED)


class _PayoutObjectMixin(TenantScopedMixin):
    def get_payout(self, payout_id: int) -> Payout:
        return get_object_or_404(self.scoped(Payout.objects.select_related("order", "shop__profile")), pk=payout_id)


class PayoutDetailApi(_PayoutObjectMixin, APIView):
    """One payout with its cards and events (PAY-R02)."""

    permission_classes = [IsShopMember]

    @extend_schema(responses={200: PayoutOutputSerializer, **_errors(404)})
    def get(self, request, payout_id: int):
        payout = get_object_or_404(self.scoped(payouts_qs()), pk=payout_id)
        return Response(PayoutOutputSerializer(payout).data)


class PayoutContinueApi(_PayoutObjectMixin, APIView):
    """继续打款 (PAY-S02: submitted, never debited again) or 继续充值 (PAY-Q02: the QR code again)."""

    permission_classes = [IsShopMember]

    @extend_schema(request=None, parameters=[IDEMPOTENCY_HEADER],
                   responses={200: PayoutOutputSerializer, **_errors(404, 409)})
    @idempotent
    def post(self, request, payout_id: int):
        payout = payout_continue(payout=self.get_payout(payout_id), actor=request.user)
        return Response(_payout_body(payout.pk))


def _sandbox_provider() -> bool:
    try:
        provider = import_string(settings.PAYOUT_PROVIDER)
    except ImportError:
        return False
    return isinstance(provider, type) and issubclass(provider, SandboxProvider)


class SandboxTopUpPayApi(_PayoutObjectMixin, APIView):
    """Sandbox only: pay the QR code of an awaiting-top-up payout, as scanning it would (PAY-Q01). With a
    real provider this path answers 404: the provider confirms through gateway/callback/."""

    permission_classes = [IsShopMember]

    @extend_schema(request=None, parameters=[IDEMPOTENCY_HEADER],
                   responses={200: PayoutOutputSerializer, **_errors(404, 409)})
    @idempotent
    def post(self, request, payout_id: int):
        if not _sandbox_provider():
            raise ApplicationError(CommonError.NOT_FOUND)
        payout = top_up_paid(payout=self.get_payout(payout_id), actor=request.user)
        return Response(_payout_body(payout.pk))


class PayoutResendCardApi(_PayoutObjectMixin, APIView):
    """Send the account card again (PAY-C03): the previous open card expires."""

    permission_classes = [IsShopMember]

    @extend_schema(request=None, parameters=[IDEMPOTENCY_HEADER],
                   responses={201: PayoutOutputSerializer, **_errors(404, 409)})
    @idempotent
    def post(self, request, payout_id: int):
        payout = self.get_payout(payout_id)
        payout_card_resend(payout=payout, actor=request.user)
        return Response(_payout_body(payout.pk), status=status.HTTP_201_CREATED)


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
                   responses={200: OutputSerializer, **_errors(400, 404, 410)})
    @idempotent
    def post(self, request, card_id: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        card = payout_card_submit(token=card_id, buyer=request.user, channel=data.validated_data["channel"],
                                  account=data.validated_data["account"], name=data.validated_data["name"])
        card = PayoutCard.objects.select_related("payout").get(pk=card.pk)
        return Response(self.OutputSerializer(card).data)


# ---------------------------------------------------------------------------------------------- requests


class PayoutRequestsApi(TenantScopedMixin, APIView):
    """待处理 (PAY-A02, A03) and sending a payout to the main account for approval (PAY-A01)."""

    permission_classes = [IsShopMember]

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=RequestStatus.choices, required=False, allow_blank=True)
        order_no = serializers.CharField(required=False, allow_blank=True, max_length=64)

    @extend_schema(operation_id="payout_requests_list", parameters=[FilterSerializer],
                   responses={200: RequestOutputSerializer(many=True), **_errors(400)})
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        qs = payout_requests_visible(qs=self.scoped(requests_qs()), user=request.user)
        if filters.validated_data.get("status"):
            qs = qs.filter(status=filters.validated_data["status"])
        if filters.validated_data.get("order_no"):
            qs = qs.filter(order__order_no=filters.validated_data["order_no"])
        return _paginated(self, qs.order_by("-created_at", "-id"), RequestOutputSerializer)

    @extend_schema(operation_id="payout_requests_create", request=RequestInputSerializer,
                   parameters=[IDEMPOTENCY_HEADER],
                   responses={201: RequestOutputSerializer, **_errors(400, 404, 422)})
    @idempotent
    def post(self, request):
        data = RequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = _shop_order(request, data.validated_data["order_no"])
        created = payout_request_create(order=order, data=data.to_payout_input(), actor=request.user)
        return Response(RequestOutputSerializer(requests_qs().get(pk=created.pk)).data, status=status.HTTP_201_CREATED)


class _RequestObjectMixin(TenantScopedMixin):
    def get_payout_request(self, request_id: int) -> PayoutRequest:
        # PAY-A03: a sub-account cannot even see another operator's request.
        qs = payout_requests_visible(qs=self.scoped(PayoutRequest.objects.all()), user=self.request.user)
        return get_object_or_404(qs, pk=request_id)


class PayoutRequestApproveApi(_RequestObjectMixin, APIView):
    """Approve (PAY-A02): every order and shop rule is checked again now; the payout's applicant is the
    requester and `approved_by` the approver. Answers the payout created."""

    permission_classes = [IsShopMember]

    @extend_schema(request=None, parameters=[IDEMPOTENCY_HEADER],
                   responses={201: PayoutOutputSerializer, **_errors(403, 404, 409, 422, 429)})
    @idempotent
    def post(self, request, request_id: int):
        payout = payout_request_approve(request=self.get_payout_request(request_id), actor=request.user)
        return Response(_payout_body(payout.pk), status=status.HTTP_201_CREATED)


class PayoutRequestRejectApi(_RequestObjectMixin, APIView):
    """Reject with a reason (PAY-A02)."""

    permission_classes = [IsShopMember]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PayoutRequestRejectInput"

        reason = serializers.CharField(max_length=255)

    @extend_schema(request=InputSerializer, responses={200: RequestOutputSerializer, **_errors(400, 403, 404, 409)})
    def post(self, request, request_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rejected = payout_request_reject(request=self.get_payout_request(request_id), actor=request.user,
                                         reason=data.validated_data["reason"])
        return Response(RequestOutputSerializer(requests_qs().get(pk=rejected.pk)).data)


# ---------------------------------------------------------------------------------------------- quotas


class QuotaApi(APIView):
    """客服打款配额: a sub-account's quota, read and set by the shop's main account (SPEC §1, PAY-L06..L08).
    `per_payout` / `daily` null = unlimited; a sub-account without an enabled quota may not pay from the
    balance. A sub-account may read its own."""

    permission_classes = [IsShopMember]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "QuotaInput"

        per_payout = serializers.DecimalField(**MONEY, allow_null=True)
        daily = serializers.DecimalField(**MONEY, allow_null=True)
        enabled = serializers.BooleanField()

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Quota"

        username = serializers.CharField()
        per_payout = serializers.DecimalField(**MONEY, allow_null=True)
        daily = serializers.DecimalField(**MONEY, allow_null=True)
        enabled = serializers.BooleanField()
        configured = serializers.BooleanField()
        updated_at = serializers.DateTimeField(allow_null=True)

    def _user(self, request, username: str) -> User:
        return get_object_or_404(User.objects.filter(shop_id=request.user.shop_id), username=username)

    def _body(self, user: User) -> dict:
        quota = PayoutQuota.objects.filter(user=user).first()
        return self.OutputSerializer({
            "username": user.username,
            "per_payout": quota.per_payout if quota else None,
            "daily": quota.daily if quota else None,
            "enabled": quota.enabled if quota else False,
            "configured": quota is not None,
            "updated_at": quota.updated_at if quota else None,
        }).data

    @extend_schema(responses={200: OutputSerializer, **_errors(403, 404)})
    def get(self, request, username: str):
        user = self._user(request, username)
        if request.user.role != Role.MAIN and request.user.pk != user.pk:
            raise ApplicationError(CommonError.PERMISSION_DENIED)
        return Response(self._body(user))

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer, **_errors(400, 403, 404, 422)})
    def put(self, request, username: str):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = self._user(request, username)
        quota_set(shop=request.user.shop, user=user, actor=request.user, **data.validated_data)
        return Response(self._body(user))


# ---------------------------------------------------------------------------------------------- callback

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
        responses={200: OutputSerializer, **_errors(400, 401, 404)},
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
            raise _invalid(non_field_errors=["a JSON object"])
        if not isinstance(payload, dict):
            raise _invalid(non_field_errors=["a JSON object"])
        data = self.InputSerializer(data=payload)
        data.is_valid(raise_exception=True)
        ref = data.validated_data["ref"]
        payout_id = int(ref[2:].split("-")[0])
        if not Payout.objects.filter(pk=payout_id).exists():
            raise ApplicationError(CommonError.NOT_FOUND)
        result = ProviderResult(data.validated_data["status"], data.validated_data["error_code"])
        payout = payout_apply_result(payout_id=payout_id, result=result, source="callback", ref=ref)
        return Response({"ref": ref, "payout_status": payout.status})
