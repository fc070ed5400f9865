from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView

from core.permissions import IsShopMember, IsShopMemberOrBuyer
from core.views import TenantScopedMixin
from orders.models import Order, OrderEvent, Parcel


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


class OrderListApi(TenantScopedMixin, ListAPIView):
    """Orders the caller may see: their shop's, or a buyer's own."""

    permission_classes = [IsShopMemberOrBuyer]
    serializer_class = OrderOutputSerializer
    filterset_fields = ["status", "source_app"]

    def get_queryset(self):
        return self.scoped(_orders())


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
