"""REST endpoints of API.md "After-sales tickets and re-opened entries". Thin: each calls one service."""

from decimal import Decimal

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.fields import MoneyField
from core.idempotency import idempotent
from core.permissions import IsShopMember, IsShopMemberOrBuyer
from core.serializers import DomainEventSerializer
from core.views import TenantScopedMixin
from orders.couriers import COURIER_CHOICES
from orders.models import Order

from ..models import Ticket, TicketType
from ..selectors import (
    ARBITRATION_STATUSES,
    LABEL_FILTERS,
    QUICK_FILTERS,
    entry_eligibility,
    entry_open_get,
    entry_pending_request_get,
    ticket_deadline,
    ticket_evidence_pack,
    ticket_list,
)
from ..services import (
    entry_open,
    entry_request,
    ticket_approve,
    ticket_arbitrate,
    ticket_create,
    ticket_intervene,
    ticket_modify,
    ticket_reject,
    ticket_ship,
    ticket_withdraw,
)


class IsBuyer(BasePermission):
    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_buyer)


class IsPlatformStaff(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_platform_staff or user.is_superuser))


class IsShopMemberOrPlatformStaff(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_shop_member or user.is_platform_staff))


class IsTicketReader(BasePermission):
    """Tickets are read by the shop, the buyer who filed them and platform staff."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_shop_member or user.is_buyer or user.is_platform_staff))


MONEY = {"max_digits": 14, "decimal_places": 2}
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="≤ 255 chars: the same key and body replay the first response and move no money twice.")




class DeadlineSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.CharField(help_text="auto_approve (RS-03), ship_deadline (RS-04..06), close_window (RS-07)")
    then = serializers.CharField(help_text="what the clock will do: auto_approve, refund, "
                                           "penalty_and_intervention_window, close_window")


class TicketOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_no = serializers.CharField(source="order.order_no")
    shop = serializers.CharField(source="shop.key")
    buyer = serializers.CharField(source="buyer.username")
    type = serializers.CharField()
    reason = serializers.CharField()
    amount = MoneyField(allow_null=True, **MONEY)
    status = serializers.CharField()
    labels = serializers.ListField(child=serializers.CharField())
    deadline = serializers.SerializerMethodField()
    intervention_until = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    courier = serializers.CharField()
    tracking_no = serializers.CharField()
    shipped_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    events = DomainEventSerializer(many=True)

    @extend_schema_field(DeadlineSerializer(allow_null=True))
    def get_deadline(self, ticket) -> dict | None:
        value = ticket_deadline(ticket)
        return DeadlineSerializer(value).data if value else None


def _tickets():
    return Ticket.objects.select_related("order", "shop", "buyer").prefetch_related("events__actor")


class TicketScopedMixin(TenantScopedMixin):
    def ticket(self, pk) -> Ticket:
        return get_object_or_404(self.scoped(Ticket.objects.all()), pk=pk)

    def answer(self, ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
        return Response(TicketOutputSerializer(_tickets().get(pk=ticket.pk)).data, status=code)


# Re-opened after-sales entry


class EntryOutputSerializer(serializers.Serializer):
    order_no = serializers.CharField(source="order.order_no")
    status = serializers.CharField()
    opened_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    opened_by = serializers.CharField(source="opened_by.username")


class RuleCheckSerializer(serializers.Serializer):
    rule = serializers.CharField()
    ok = serializers.BooleanField()
    code = serializers.CharField(source="error.code")
    title = serializers.CharField()
    message = serializers.CharField(source="error.message")
    message_en = serializers.CharField(source="error.message_en")


class EntryRequestOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_no = serializers.CharField(source="order.order_no")
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    fulfilled_at = serializers.DateTimeField(allow_null=True)


class EligibilityOutputSerializer(serializers.Serializer):
    order_no = serializers.CharField()
    eligible = serializers.BooleanField()
    rules = RuleCheckSerializer(many=True)
    entry = EntryOutputSerializer(allow_null=True)
    pending_request = EntryRequestOutputSerializer(allow_null=True)


class AftersalesEntryApi(TenantScopedMixin, APIView):
    """GET (shop, or the order's buyer): the eligibility of the order, rule by rule (ASE-E01..E06), the open
    entry and the buyer's pending request. POST (shop): the merchant's confirmation — opens the entry for 5 days
    (ASE-R01)."""

    def get_permissions(self):
        return [IsShopMember()] if self.request.method == "POST" else [IsShopMemberOrBuyer()]

    def _order(self, order_no: str) -> Order:
        return get_object_or_404(self.scoped(Order.objects.select_related("shop__profile")), order_no=order_no)

    @extend_schema(responses=EligibilityOutputSerializer)
    def get(self, request, order_no: str):
        order = self._order(order_no)
        rules = entry_eligibility(order=order)
        return Response(EligibilityOutputSerializer({
            "order_no": order.order_no, "eligible": all(r.ok for r in rules), "rules": rules,
            "entry": entry_open_get(order=order), "pending_request": entry_pending_request_get(order=order),
        }).data)

    @extend_schema(request=None, responses={201: EntryOutputSerializer})
    def post(self, request, order_no: str):
        entry = entry_open(order=self._order(order_no), actor=request.user)
        return Response(EntryOutputSerializer(entry).data, status=status.HTTP_201_CREATED)


class EntryRequestApi(TenantScopedMixin, APIView):
    """The buyer asks the merchant to open the entry again after it closed (ASE-R01)."""

    permission_classes = [IsBuyer]

    @extend_schema(request=None, responses={201: EntryRequestOutputSerializer})
    def post(self, request, order_no: str):
        order = get_object_or_404(self.scoped(Order.objects.all()), order_no=order_no)
        created = entry_pending_request_get(order=order) is None
        req = entry_request(order=order, buyer=request.user)
        return Response(EntryRequestOutputSerializer(req).data, status=201 if created else 200)


# Tickets


class TicketListApi(TicketScopedMixin, ListAPIView):
    """GET: tickets the caller may see (the shop's workbench, a buyer's own, all for platform staff).
    POST: a buyer files a ticket (ASE-R02, RS-01, RS-02, RS-10)."""

    serializer_class = TicketOutputSerializer
    filter_backends: list = []

    class TicketListInputSerializer(serializers.Serializer):
        order_no = serializers.CharField()
        type = serializers.ChoiceField(choices=TicketType.choices)
        reason = serializers.CharField(max_length=255)
        amount = MoneyField(required=False, allow_null=True, min_value=Decimal("0.01"), **MONEY)

        def validate(self, data):
            if data["type"] in (TicketType.REFUND_ONLY, TicketType.RETURN_REFUND) and data.get("amount") is None:
                raise serializers.ValidationError({"amount": ["required for refunds"]})
            return data

    class TicketListFilterSerializer(serializers.Serializer):
        type = serializers.ChoiceField(choices=TicketType.choices, required=False)
        status = serializers.ChoiceField(choices=Ticket._meta.get_field("status").choices, required=False)
        quick = serializers.ChoiceField(choices=sorted(QUICK_FILTERS), required=False)
        label = serializers.ChoiceField(choices=sorted(LABEL_FILTERS), required=False)
        order_no = serializers.CharField(required=False, max_length=64, help_text="the tickets of one order")

    def get_permissions(self):
        return [IsBuyer()] if self.request.method == "POST" else [IsTicketReader()]

    def get_queryset(self):
        filters = self.TicketListFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = dict(filters.validated_data)
        order_no = data.pop("order_no", "")
        qs = self.scoped(_tickets())
        if order_no:
            qs = qs.filter(order__order_no=order_no)
        return ticket_list(qs=qs, **data)

    @extend_schema(parameters=[TicketListFilterSerializer], responses=TicketOutputSerializer(many=True))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=TicketListInputSerializer, responses={201: TicketOutputSerializer})
    def post(self, request):
        data = self.TicketListInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = get_object_or_404(self.scoped(Order.objects.all()), order_no=data.validated_data["order_no"])
        ticket = ticket_create(order=order, buyer=request.user, type=data.validated_data["type"],
                               reason=data.validated_data["reason"], amount=data.validated_data.get("amount"))
        return self.answer(ticket, status.HTTP_201_CREATED)


class TicketDetailApi(TicketScopedMixin, APIView):
    """One ticket with its labels (超期售后 `overdue_aftersales`), its deadline and its timeline."""

    permission_classes = [IsTicketReader]

    @extend_schema(responses=TicketOutputSerializer)
    def get(self, request, pk: int):
        return self.answer(self.ticket(pk))


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text="The version you decided on; a stale one answers 409.")


class TicketApproveApi(TicketScopedMixin, APIView):
    """The merchant approves (RS-03, RS-04; refund_only refunds through the ledger, ASE-R03)."""

    permission_classes = [IsShopMember]

    @extend_schema(request=VersionSerializer, responses=TicketOutputSerializer, parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request, pk: int):
        data = VersionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = ticket_approve(ticket=self.ticket(pk), actor=request.user, version=data.validated_data.get("version"))
        return self.answer(ticket)


class TicketRejectApi(TicketScopedMixin, APIView):
    """The merchant rejects with a reason (RS-06: not_received → arbitration; RS-07: the buyer's window)."""

    permission_classes = [IsShopMember]

    class TicketRejectInputSerializer(VersionSerializer):
        reason = serializers.CharField(max_length=255)

    @extend_schema(request=TicketRejectInputSerializer, responses=TicketOutputSerializer)
    def post(self, request, pk: int):
        data = self.TicketRejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = ticket_reject(ticket=self.ticket(pk), actor=request.user, reason=data.validated_data["reason"],
                               version=data.validated_data.get("version"))
        return self.answer(ticket)


class TicketShipApi(TicketScopedMixin, APIView):
    """The merchant ships the reship with a real tracking number (RS-04)."""

    permission_classes = [IsShopMember]

    class TicketShipInputSerializer(VersionSerializer):
        courier = serializers.ChoiceField(choices=COURIER_CHOICES)
        tracking_no = serializers.CharField(max_length=32)

    @extend_schema(request=TicketShipInputSerializer, responses=TicketOutputSerializer)
    def post(self, request, pk: int):
        data = self.TicketShipInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        ticket = ticket_ship(ticket=self.ticket(pk), actor=request.user, courier=v["courier"],
                             tracking_no=v["tracking_no"], version=v.get("version"))
        return self.answer(ticket)


class TicketWithdrawApi(TicketScopedMixin, APIView):
    """The buyer withdraws the request and may apply for another type (RS-08)."""

    permission_classes = [IsBuyer]

    @extend_schema(request=None, responses=TicketOutputSerializer)
    def post(self, request, pk: int):
        return self.answer(ticket_withdraw(ticket=self.ticket(pk), actor=request.user))


class TicketModifyApi(TicketScopedMixin, APIView):
    """The buyer changes the request while it waits, or within 48 h of a rejection or missed shipment (RS-07)."""

    permission_classes = [IsBuyer]

    class TicketModifyInputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=255, required=False)
        amount = MoneyField(required=False, min_value=Decimal("0.01"), **MONEY)

    @extend_schema(request=TicketModifyInputSerializer, responses=TicketOutputSerializer)
    def post(self, request, pk: int):
        data = self.TicketModifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = self.ticket(pk)
        reason = data.validated_data.get("reason")
        return self.answer(ticket_modify(ticket=ticket, actor=request.user, reason=reason,
                                         amount=data.validated_data.get("amount")))


class TicketInterveneApi(TicketScopedMixin, APIView):
    """The buyer asks for platform intervention within 48 h (RS-07)."""

    permission_classes = [IsBuyer]

    class TicketInterveneInputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=500, required=False, allow_blank=True)

    @extend_schema(request=TicketInterveneInputSerializer, responses=TicketOutputSerializer)
    def post(self, request, pk: int):
        data = self.TicketInterveneInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self.answer(ticket_intervene(ticket=self.ticket(pk), actor=request.user,
                                            note=data.validated_data.get("note", "")))


class TicketEvidenceApi(TicketScopedMixin, APIView):
    """The ticket's evidence pack (timeline, tracking, penalties, notifications) as JSON."""

    permission_classes = [IsShopMemberOrPlatformStaff]

    @extend_schema(responses={200: dict})
    def get(self, request, pk: int):
        ticket = self.ticket(pk)
        return Response(ticket_evidence_pack(ticket=ticket))


# Platform staff (RS-09)


class ArbitrationListApi(TicketScopedMixin, ListAPIView):
    """The platform staff's queue: tickets in arbitration (RS-06) or intervention (RS-07), oldest first."""

    permission_classes = [IsPlatformStaff]
    serializer_class = TicketOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return self.scoped(_tickets()).filter(status__in=ARBITRATION_STATUSES).order_by("updated_at", "id")


class ArbitrationDecideApi(TicketScopedMixin, APIView):
    """Decide for the buyer or the merchant (RS-09). `remedy` (interventions): `reship` or `refund`."""

    permission_classes = [IsPlatformStaff]

    class ArbitrationDecideInputSerializer(serializers.Serializer):
        outcome = serializers.ChoiceField(choices=["buyer", "merchant"])
        note = serializers.CharField(max_length=500, required=False, allow_blank=True)
        remedy = serializers.ChoiceField(choices=["reship", "refund"], required=False)

    @extend_schema(request=ArbitrationDecideInputSerializer, responses=TicketOutputSerializer,
                   parameters=[IDEMPOTENCY_KEY])
    @idempotent
    def post(self, request, pk: int):
        data = self.ArbitrationDecideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        ticket = ticket_arbitrate(ticket=self.ticket(pk), actor=request.user, outcome=v["outcome"],
                                  note=v.get("note", ""), remedy=v.get("remedy", ""))
        return self.answer(ticket)
