"""REST endpoints of parcel interception (API.md "Parcel interception"). Thin: every write calls a service."""

import json
from decimal import Decimal

import django_filters
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from aftersales.models import Ticket
from core.clock import shanghai_day_bounds
from core.errors import ApplicationError, CommonError
from core.fields import MoneyField
from core.idempotency import idempotent
from core.permissions import IsShopMember
from core.serializers import DomainEventSerializer
from core.views import TenantScopedMixin
from orders.couriers import COURIER_CHOICES
from orders.models import Outlet

from .. import selectors, services
from ..models import (
    CONTRACT_REMINDER,
    Claim,
    ClaimKind,
    Interception,
    InterceptionContract,
    InterceptionStatus,
    ReturnOutcome,
    Settlement,
)

MONEY_FIELD = {"max_digits": 14, "decimal_places": 2}


class IsOutletUser(BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.role == Role.OUTLET)


class IsPlatformStaff(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_platform_staff or user.is_superuser))


class IsBackOfficeUser(BasePermission):
    """Shop members, outlet users and platform staff (each sees their own rows through tenancy)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_shop_member or user.role in (Role.OUTLET, Role.PLATFORM)))




class ContractOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shop = serializers.CharField(source="shop.key")
    courier = serializers.CharField()
    outlet = serializers.CharField(source="outlet.code")
    outlet_name = serializers.CharField(source="outlet.name")
    agreed_price = MoneyField(**MONEY_FIELD)
    status = serializers.CharField()
    reject_reason = serializers.CharField()
    requested_by = serializers.CharField(source="requested_by.username")
    created_at = serializers.DateTimeField()
    reviewed_by = serializers.CharField(source="reviewed_by.username", allow_null=True, default=None)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    ended_by = serializers.CharField(source="ended_by.username", allow_null=True, default=None)
    ended_at = serializers.DateTimeField(allow_null=True)
    events = DomainEventSerializer(many=True)


class InterceptionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ticket = serializers.IntegerField(source="ticket_id")
    order_no = serializers.CharField(source="ticket.order.order_no")
    tracking_no = serializers.CharField()
    courier = serializers.CharField()
    outlet = serializers.CharField(source="outlet.code", allow_null=True, default=None)
    settlement = serializers.CharField()
    platform_fee = MoneyField(**MONEY_FIELD)
    fee_charged = MoneyField(**MONEY_FIELD)
    agreed_price = MoneyField(allow_null=True, **MONEY_FIELD)
    status = serializers.CharField()
    failure_reason = serializers.CharField()
    return_outcome = serializers.CharField()
    auto = serializers.BooleanField()
    requested_by = serializers.CharField(source="requested_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    succeeded_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    fee_source = serializers.CharField()
    events = DomainEventSerializer(many=True)


class ClaimOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    interception = serializers.IntegerField(source="interception_id")
    tracking_no = serializers.CharField(source="interception.tracking_no")
    kind = serializers.CharField()
    amount = MoneyField(**MONEY_FIELD)
    description = serializers.CharField()
    status = serializers.CharField()
    compensation = MoneyField(allow_null=True, **MONEY_FIELD)
    decision_note = serializers.CharField()
    filed_by = serializers.CharField(source="filed_by.username")
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    events = DomainEventSerializer(many=True)


def _contracts():
    return InterceptionContract.objects.select_related("shop", "outlet", "requested_by", "reviewed_by",
                                                       "ended_by").prefetch_related(
        "events__actor")


def _interceptions():
    return selectors.interception_list().prefetch_related("events__actor")


def _claims():
    return Claim.objects.select_related("interception", "filed_by").prefetch_related("events__actor")


# --- Contracts ---------------------------------------------------------------------------------------


class ContractListCreateApi(TenantScopedMixin, ListAPIView):
    """Interception contracts (offline settlement, INT-03..05): a shop's, an outlet's own, or all (staff).
    POST (main account): open the service with chosen outlets of one courier at an agreed price."""

    permission_classes = [IsBackOfficeUser]
    serializer_class = ContractOutputSerializer
    filterset_fields = ["status", "courier"]

    class ContractListCreateInputSerializer(serializers.Serializer):
        courier = serializers.ChoiceField(choices=COURIER_CHOICES)
        outlets = serializers.ListField(child=serializers.CharField(max_length=64), min_length=1, max_length=200)
        agreed_price = MoneyField(min_value=Decimal("0"), **MONEY_FIELD)

    def get_queryset(self):
        return self.scoped(_contracts())

    @extend_schema(request=ContractListCreateInputSerializer, responses={201: ContractOutputSerializer(many=True)},
                   description=str(CONTRACT_REMINDER))
    def post(self, request):
        if not request.user.is_shop_member:
            return Response(status=status.HTTP_403_FORBIDDEN, data=_forbidden())
        data = self.ContractListCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        codes = list(dict.fromkeys(data.validated_data["outlets"]))
        outlets = list(Outlet.objects.filter(code__in=codes))
        unknown = sorted(set(codes) - {o.code for o in outlets})
        if unknown:
            # Well-formed codes naming no outlet: 404, as an unknown object is (API.md; 400 is for malformed input).
            raise ApplicationError(CommonError.NOT_FOUND, extra={"fields": {"outlets": [f"unknown outlet: {c}"
                                                                                       for c in unknown]}})
        contracts = services.contract_open(shop=request.user.shop, courier=data.validated_data["courier"],
                                           outlets=outlets, agreed_price=data.validated_data["agreed_price"],
                                           actor=request.user)
        fresh = _contracts().filter(pk__in=[c.pk for c in contracts]).order_by("outlet__code")
        return Response(ContractOutputSerializer(fresh, many=True).data, status=status.HTTP_201_CREATED)


def _forbidden():
    from core.errors import ApplicationError, CommonError

    return ApplicationError(CommonError.PERMISSION_DENIED).as_dict()


class ContractApproveApi(TenantScopedMixin, APIView):
    """The outlet approves a J&T contract awaiting review (INT-04)."""

    permission_classes = [IsOutletUser]

    @extend_schema(request=None, responses=ContractOutputSerializer)
    def post(self, request, pk: int):
        contract = get_object_or_404(self.scoped(InterceptionContract.objects.all()), pk=pk)
        services.contract_approve(contract=contract, actor=request.user)
        return Response(ContractOutputSerializer(_contracts().get(pk=pk)).data)


class ContractRejectApi(TenantScopedMixin, APIView):
    """The outlet rejects a contract awaiting review, with a reason (INT-04)."""

    permission_classes = [IsOutletUser]

    class ContractRejectInputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=255)

    @extend_schema(request=ContractRejectInputSerializer, responses=ContractOutputSerializer)
    def post(self, request, pk: int):
        contract = get_object_or_404(self.scoped(InterceptionContract.objects.all()), pk=pk)
        data = self.ContractRejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.contract_reject(contract=contract, reason=data.validated_data["reason"], actor=request.user)
        return Response(ContractOutputSerializer(_contracts().get(pk=pk)).data)


class ContractDetailApi(TenantScopedMixin, APIView):
    """GET one contract with its history; PATCH `agreed_price` (main account, INT-10): it applies to
    interceptions requested afterwards, earlier ones keep theirs."""

    permission_classes = [IsShopMember]

    class ContractPriceInputSerializer(serializers.Serializer):
        agreed_price = MoneyField(min_value=Decimal("0"), **MONEY_FIELD)  # SEC-05: strict, like every amount

    @extend_schema(responses=ContractOutputSerializer)
    def get(self, request, pk: int):
        return Response(ContractOutputSerializer(get_object_or_404(self.scoped(_contracts()), pk=pk)).data)

    @extend_schema(request=ContractPriceInputSerializer, responses=ContractOutputSerializer)
    def patch(self, request, pk: int):
        contract = get_object_or_404(self.scoped(InterceptionContract.objects.all()), pk=pk)
        data = self.ContractPriceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.contract_price_change(contract=contract, agreed_price=data.validated_data["agreed_price"],
                                       actor=request.user)
        return Response(ContractOutputSerializer(_contracts().get(pk=pk)).data)


class ContractEndApi(TenantScopedMixin, APIView):
    """The main account ends a contract (INT-10): status `ended`; new offline interceptions through the outlet
    answer `no_active_contract`, running ones finish at their price."""

    permission_classes = [IsShopMember]

    @extend_schema(request=None, responses=ContractOutputSerializer)
    def post(self, request, pk: int):
        contract = get_object_or_404(self.scoped(InterceptionContract.objects.all()), pk=pk)
        services.contract_end(contract=contract, actor=request.user)
        return Response(ContractOutputSerializer(_contracts().get(pk=pk)).data)


# --- Interceptions -----------------------------------------------------------------------------------


class TicketInterceptApi(TenantScopedMixin, APIView):
    """GET: the interception panel of a ticket — parcels, goods, fee, availability and earlier results
    (INT-07). POST: intercept the chosen parcels, online or offline (INT-01..03) → one interception each."""

    permission_classes = [IsShopMember]

    class TicketInterceptInputSerializer(serializers.Serializer):
        parcels = serializers.ListField(child=serializers.CharField(max_length=32), min_length=1, max_length=50)
        mode = serializers.ChoiceField(choices=Settlement.choices)

    class InterceptPanelSerializer(serializers.Serializer):
        class InterceptPanelParcelSerializer(serializers.Serializer):
            tracking_no = serializers.CharField()
            courier = serializers.CharField()
            outlet = serializers.CharField(allow_null=True)
            outlet_name = serializers.CharField()
            status = serializers.CharField()
            interceptable = serializers.BooleanField()
            offline_available = serializers.BooleanField()
            agreed_price = MoneyField(allow_null=True, **MONEY_FIELD)

        class InterceptPanelGoodsSerializer(serializers.Serializer):
            product_id = serializers.CharField()
            name = serializers.CharField()
            price = MoneyField(**MONEY_FIELD)
            quantity = serializers.IntegerField()

        ticket = serializers.IntegerField()
        order_no = serializers.CharField()
        available = serializers.BooleanField()
        online_fee = MoneyField(**MONEY_FIELD)
        parcels = InterceptPanelParcelSerializer(many=True)
        goods = InterceptPanelGoodsSerializer(many=True)
        interceptions = InterceptionOutputSerializer(many=True)

    def _ticket(self, pk: int) -> Ticket:
        return get_object_or_404(self.scoped(Ticket.objects.select_related("order", "shop__profile")), pk=pk)

    @extend_schema(responses=InterceptPanelSerializer)
    def get(self, request, pk: int):
        ticket = self._ticket(pk)
        return Response(self.InterceptPanelSerializer(services.interception_panel(ticket=ticket)).data)

    @extend_schema(request=TicketInterceptInputSerializer, responses={201: InterceptionOutputSerializer(many=True)},
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)])
    @idempotent
    def post(self, request, pk: int):
        ticket = self._ticket(pk)
        data = self.TicketInterceptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.interception_request(ticket=ticket, tracking_nos=data.validated_data["parcels"],
                                                mode=data.validated_data["mode"], actor=request.user)
        fresh = _interceptions().filter(pk__in=[i.pk for i in created]).order_by("pk")
        return Response(InterceptionOutputSerializer(fresh, many=True).data, status=status.HTTP_201_CREATED)


class InterceptionFilter(django_filters.FilterSet):
    settlement = django_filters.ChoiceFilter(choices=Settlement.choices)
    status = django_filters.ChoiceFilter(choices=InterceptionStatus.choices)
    courier = django_filters.ChoiceFilter(choices=COURIER_CHOICES)
    created_from = django_filters.DateFilter(method="filter_from", label="created on or after (Asia/Shanghai day)")
    created_to = django_filters.DateFilter(method="filter_to", label="created on or before (Asia/Shanghai day)")
    order_no = django_filters.CharFilter(field_name="ticket__order__order_no")
    tracking_no = django_filters.CharFilter()

    class Meta:
        model = Interception
        fields = ["settlement", "status", "courier", "tracking_no"]

    def filter_from(self, qs, name, value):
        return qs.filter(created_at__gte=shanghai_day_bounds(value)[0])

    def filter_to(self, qs, name, value):
        return qs.filter(created_at__lt=shanghai_day_bounds(value)[1])


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only errors reach a renderer: the export itself is a streamed response.
        return json.dumps(data, ensure_ascii=False).encode()


class XLSXRenderer(CSVRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None


class InterceptionListApi(TenantScopedMixin, ListAPIView):
    """Interception records (服务单查询, INT-08): filters `settlement`, `status`, `courier`,
    `created_from`/`created_to` (Asia/Shanghai days), `order_no`, `tracking_no`; `?format=csv` or
    `?format=xlsx` exports every filtered row for reconciliation."""

    permission_classes = [IsBackOfficeUser]
    serializer_class = InterceptionOutputSerializer
    filterset_class = InterceptionFilter
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer, XLSXRenderer]

    def get_queryset(self):
        return self.scoped(_interceptions())

    @extend_schema(parameters=[OpenApiParameter("format", str, enum=["json", "csv", "xlsx"])],
                   responses=InterceptionOutputSerializer(many=True))
    def get(self, request, *args, **kwargs):
        fmt = request.accepted_renderer.format
        if fmt not in ("csv", "xlsx"):
            return super().get(request, *args, **kwargs)
        qs = self.filter_queryset(self.scoped(Interception.objects.all()))
        if fmt == "csv":
            response = StreamingHttpResponse(selectors.export_csv(qs), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(selectors.export_xlsx(qs), content_type=XLSXRenderer.media_type)
        response["Content-Disposition"] = f'attachment; filename="interceptions.{fmt}"'
        return response


class InterceptionDetailApi(TenantScopedMixin, RetrieveAPIView):
    permission_classes = [IsBackOfficeUser]
    serializer_class = InterceptionOutputSerializer

    def get_queryset(self):
        return self.scoped(_interceptions())


class InterceptionReturnResultApi(TenantScopedMixin, APIView):
    """The outlet reports the end of the return leg: `returned`, `lost` or `damaged` (INT-07, INT-09)."""

    permission_classes = [IsOutletUser]

    class InterceptionReturnResultInputSerializer(serializers.Serializer):
        outcome = serializers.ChoiceField(choices=ReturnOutcome.choices)

    @extend_schema(request=InterceptionReturnResultInputSerializer, responses=InterceptionOutputSerializer)
    def post(self, request, pk: int):
        interception = get_object_or_404(self.scoped(Interception.objects.all()), pk=pk)
        data = self.InterceptionReturnResultInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.interception_return_report(interception=interception, outcome=data.validated_data["outcome"],
                                            actor=request.user)
        return Response(InterceptionOutputSerializer(_interceptions().get(pk=pk)).data)


class CourierCallbackApi(APIView):
    """Signed result pushed by a courier (SPEC §9): headers `X-Courier-Timestamp` and `X-Courier-Signature`
    (HMAC-SHA256 of "<timestamp>.<body>"). Idempotent: a repeated or out-of-order callback answers 200
    with `applied: false` and changes nothing. Unsigned or stale → 403."""

    authentication_classes: list = []
    permission_classes: list = []

    class CourierCallbackInputSerializer(serializers.Serializer):
        interception = serializers.IntegerField()
        event = serializers.ChoiceField(choices=["intercepted", "failed", "returned", "lost", "damaged"])
        failure_reason = serializers.CharField(max_length=48, required=False, allow_blank=True, default="")

    @extend_schema(request=CourierCallbackInputSerializer, responses={200: dict}, auth=[])
    def post(self, request):
        from ..adapters import courier_callback_verify

        if not courier_callback_verify(timestamp=request.headers.get("X-Courier-Timestamp"),
                                       signature=request.headers.get("X-Courier-Signature"), body=request.body):
            return Response(_forbidden(), status=status.HTTP_403_FORBIDDEN)
        data = self.CourierCallbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        get_object_or_404(Interception.objects.all(), pk=data.validated_data["interception"])
        applied = services.courier_callback_apply(interception_id=data.validated_data["interception"],
                                                  event=data.validated_data["event"],
                                                  failure_reason=data.validated_data["failure_reason"])
        return Response({"applied": applied})


# --- Claims ------------------------------------------------------------------------------------------


class InterceptionClaimCreateApi(TenantScopedMixin, APIView):
    """File a complaint about a lost or damaged return (INT-09)."""

    permission_classes = [IsShopMember]

    class InterceptionClaimCreateInputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=ClaimKind.choices)
        amount = MoneyField(min_value=Decimal("0.01"), **MONEY_FIELD)
        description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    @extend_schema(request=InterceptionClaimCreateInputSerializer, responses={201: ClaimOutputSerializer})
    def post(self, request, pk: int):
        interception = get_object_or_404(self.scoped(Interception.objects.all()), pk=pk)
        data = self.InterceptionClaimCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim = services.claim_file(interception=interception, actor=request.user, **data.validated_data)
        return Response(ClaimOutputSerializer(_claims().get(pk=claim.pk)).data, status=status.HTTP_201_CREATED)


class ClaimListApi(TenantScopedMixin, ListAPIView):
    """Complaints: platform staff see all (the arbitration queue), a shop its own, an outlet those about it."""

    permission_classes = [IsBackOfficeUser]
    serializer_class = ClaimOutputSerializer
    filterset_fields = ["status", "kind"]

    def get_queryset(self):
        return self.scoped(_claims())


class ClaimDecideApi(TenantScopedMixin, APIView):
    """Platform staff decide a complaint: `approve` with a `compensation` (at most the amount asked) or
    `reject`. The courier pays offline: no ledger movement (INT-09)."""

    permission_classes = [IsPlatformStaff]

    class ClaimDecideInputSerializer(serializers.Serializer):
        outcome = serializers.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
        compensation = MoneyField(required=False, allow_null=True, min_value=Decimal("0.01"), **MONEY_FIELD)
        note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

        def validate(self, attrs):
            if attrs["outcome"] == "approve" and attrs.get("compensation") is None:
                raise serializers.ValidationError({"compensation": ["required to approve"]})
            return attrs

    @extend_schema(request=ClaimDecideInputSerializer, responses=ClaimOutputSerializer)
    def post(self, request, pk: int):
        claim = get_object_or_404(self.scoped(Claim.objects.all()), pk=pk)
        data = self.ClaimDecideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.claim_decide(claim=claim, outcome=data.validated_data["outcome"],
                              compensation=data.validated_data.get("compensation"),
                              note=data.validated_data["note"], actor=request.user)
        return Response(ClaimOutputSerializer(_claims().get(pk=pk)).data)


class ClaimConfirmPaidApi(TenantScopedMixin, APIView):
    """The merchant confirms the courier paid the approved compensation → `paid` (INT-09)."""

    permission_classes = [IsShopMember]

    @extend_schema(request=None, responses=ClaimOutputSerializer)
    def post(self, request, pk: int):
        claim = get_object_or_404(self.scoped(Claim.objects.all()), pk=pk)
        services.claim_confirm_paid(claim=claim, actor=request.user)
        return Response(ClaimOutputSerializer(_claims().get(pk=pk)).data)


# --- The after-sales assistant rule ------------------------------------------------------------------


class AutoInterceptRuleApi(APIView):
    """快递拦截自动退 (INT-06). GET: the shop's setting; PUT (main account): `enabled`."""

    permission_classes = [IsShopMember]

    class AutoInterceptRuleSerializer(serializers.Serializer):
        enabled = serializers.BooleanField()
        updated_by = serializers.CharField(read_only=True, allow_null=True)
        updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def _out(self, rule):
        return {"enabled": bool(rule and rule.enabled),
                "updated_by": rule.updated_by.username if rule and rule.updated_by else None,
                "updated_at": rule.updated_at if rule else None}

    @extend_schema(responses=AutoInterceptRuleSerializer)
    def get(self, request):
        from ..models import AutoInterceptRule

        rule = AutoInterceptRule.objects.filter(shop_id=request.user.shop_id).select_related("updated_by").first()
        return Response(self.AutoInterceptRuleSerializer(self._out(rule)).data)

    @extend_schema(request=AutoInterceptRuleSerializer, responses=AutoInterceptRuleSerializer)
    def put(self, request):
        data = self.AutoInterceptRuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = services.auto_intercept_rule_set(shop=request.user.shop, enabled=data.validated_data["enabled"],
                                                actor=request.user)
        return Response(self.AutoInterceptRuleSerializer(self._out(rule)).data)


class AutoInterceptPreviewApi(APIView):
    """Dry run of 快递拦截自动退 over the last 30 days' refund-only tickets: what the rule would have done."""

    permission_classes = [IsShopMember]

    class AutoInterceptPreviewSerializer(serializers.Serializer):
        class AutoInterceptPreviewRowSerializer(serializers.Serializer):
            ticket = serializers.IntegerField()
            order_no = serializers.CharField()
            ticket_created_at = serializers.DateTimeField()
            tracking_no = serializers.CharField()
            courier = serializers.CharField()
            outlet = serializers.CharField(allow_null=True)
            parcel_status = serializers.CharField()
            action = serializers.CharField()
            mode = serializers.CharField(allow_null=True)
            platform_fee = MoneyField(**MONEY_FIELD)
            reason = serializers.CharField()

        since = serializers.DateTimeField()
        days = serializers.IntegerField()
        tickets = serializers.IntegerField()
        would_intercept_online = serializers.IntegerField()
        would_intercept_offline = serializers.IntegerField()
        online_fees = MoneyField(**MONEY_FIELD)
        rows = AutoInterceptPreviewRowSerializer(many=True)

    @extend_schema(responses=AutoInterceptPreviewSerializer)
    def get(self, request):
        preview = services.auto_intercept_preview(shop=request.user.shop)
        return Response(self.AutoInterceptPreviewSerializer(preview).data)

