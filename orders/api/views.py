from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView

from core.permissions import IsShopMember, IsShopMemberOrBuyer
from core.views import TenantScopedMixin
from orders.models import Order, OrderEvent, OrderItem, Parcel


class ItemSerializer(serializers.Serializer):
    product_id = serializers.CharField()
    name = serializers.CharField()
    price = serializers.DecimalField(max_digits=14, decimal_places=2)
    quantity = serializers.IntegerField()
    promo = serializers.BooleanField()


class ParcelSerializer(serializers.Serializer):
    courier = serializers.CharField()
    tracking_no = serializers.CharField()
    outlet = serializers.CharField(source="outlet.code", allow_null=True, default=None)
    status = serializers.CharField()


class ShippingRefundSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    at = serializers.DateTimeField()


class OrderOutputSerializer(serializers.Serializer):
    order_no = serializers.CharField()
    shop = serializers.CharField(source="shop.key")
    buyer = serializers.CharField(source="buyer.username")
    source_app = serializers.CharField()
    payment = serializers.CharField()
    status = serializers.CharField()
    deposit_presale = serializers.BooleanField()
    goods_kind = serializers.CharField()
    category = serializers.CharField(source="category.code")
    local_life = serializers.BooleanField()
    cross_border = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    paid_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    confirmed_receipt_at = serializers.DateTimeField(allow_null=True)
    group_formed_at = serializers.DateTimeField(allow_null=True)
    refund_state = serializers.CharField()
    items = ItemSerializer(many=True)
    parcels = ParcelSerializer(many=True)
    platform_shipping_refunds = ShippingRefundSerializer(many=True)


def _orders():
    return Order.objects.select_related("shop", "buyer", "category").prefetch_related(
        "items", Prefetch("parcels", queryset=Parcel.objects.select_related("outlet")),
        "platform_shipping_refunds",
    )


def order_search(qs, term: str):
    """`orders/?q=` (chat tools): an order number (exact or prefix), a buyer's username, a product ID or a
    tracking number — a UNION of index lookups (an OR across the joins would scan the shop's orders)."""
    term = term.strip()
    matches = (
        Order.objects.filter(order_no__startswith=term).values("pk")
        .union(Order.objects.filter(buyer__username=term).values("pk"))
        .union(OrderItem.objects.filter(product_id=term).values("order_id"))
        .union(Parcel.objects.filter(tracking_no=term).values("order_id"))
    )
    return qs.filter(pk__in=matches)


class OrderListApi(TenantScopedMixin, ListAPIView):
    """Orders the caller may see (their shop's, or a buyer's own), newest first. Chat tools search them with
    `q` (an order number or its prefix, a buyer's username, a product ID, a tracking number) and filter by
    `buyer`, `status`, `source_app` and the creation time."""

    permission_classes = [IsShopMemberOrBuyer]
    serializer_class = OrderOutputSerializer
    filter_backends: list = []

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                  help_text="order number (exact or prefix), buyer username, product ID or tracking number")
        buyer = serializers.CharField(required=False, allow_blank=True, max_length=150)
        status = serializers.ChoiceField(choices=Order.Status.choices, required=False, allow_blank=True)
        source_app = serializers.CharField(required=False, allow_blank=True, max_length=32)
        created_from = serializers.DateTimeField(required=False)
        created_to = serializers.DateTimeField(required=False)

    @extend_schema(parameters=[FilterSerializer], examples=[
        OpenApiExample("search by buyer", value={"count": 1, "next": None, "previous": None, "results": [
            {"order_no": "DY1001", "shop": "dy", "buyer": "buyer_ok", "status": "completed"}]},
            response_only=True)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = self.FilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        qs = self.scoped(_orders())
        if data.get("q", "").strip():
            qs = order_search(qs, data["q"])
        if data.get("buyer"):
            qs = qs.filter(buyer__username=data["buyer"])
        if data.get("status"):
            qs = qs.filter(status=data["status"])
        if data.get("source_app"):
            qs = qs.filter(source_app=data["source_app"])
        if data.get("created_from"):
            qs = qs.filter(created_at__gte=data["created_from"])
        if data.get("created_to"):
            qs = qs.filter(created_at__lte=data["created_to"])
        return qs.order_by("-created_at", "-id")


class OrderDetailApi(TenantScopedMixin, RetrieveAPIView):
    permission_classes = [IsShopMemberOrBuyer]
    serializer_class = OrderOutputSerializer
    lookup_field = "order_no"

    def get_queryset(self):
        return self.scoped(_orders())


class OperationLogApi(TenantScopedMixin, ListAPIView):
    """The order's operation log (ASE-R04 and every service that acts on the order)."""

    permission_classes = [IsShopMember]

    class OutputSerializer(serializers.Serializer):
        type = serializers.CharField()
        actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
        at = serializers.DateTimeField()
        params = serializers.JSONField()

    serializer_class = OutputSerializer

    @extend_schema(responses=OutputSerializer(many=True))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no order number
            return OrderEvent.objects.none()
        order = get_object_or_404(self.scoped(Order.objects.all()), order_no=self.kwargs["order_no"])
        return OrderEvent.objects.filter(order=order).select_related("actor").order_by("at", "id")
