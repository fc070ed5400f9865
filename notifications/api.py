"""The message lists of the API: `payout-notifications/` (PAY-S04) and `notifications/` (ASE-R05, RS-05).
Their routes stay in the payouts and after-sales URL confs; the paths, fields and filters are API.md's."""

from django.db.models import Case, F, When
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView

from core.pagination import KeysetPagination
from core.permissions import IsShopMemberOrBuyer
from core.schema import page_parameter
from core.views import TenantScopedMixin

from .models import Channel, Notification
from .selectors import about_type_get, notification_list_to_buyers


class Pagination(KeysetPagination):
    pass


class PayoutNotificationListApi(TenantScopedMixin, APIView):
    """Messages of small payouts (PAY-S04): the shop reads its station messages (站内信), a buyer their own
    app, WeChat and chat messages."""

    permission_classes = [IsShopMemberOrBuyer]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "PayoutNotification"

        id = serializers.IntegerField()
        channel = serializers.CharField()
        kind = serializers.CharField()
        title = serializers.CharField()
        body = serializers.CharField()
        payout_id = serializers.IntegerField(source="about_id")
        order_no = serializers.CharField(source="order.order_no")
        created_at = serializers.DateTimeField()

    @extend_schema(operation_id="payout_notifications_list", parameters=[page_parameter()],
                   responses={200: OutputSerializer(many=True)})
    def get(self, request):
        qs = self.scoped(Notification.objects.filter(about_type=about_type_get("payouts", "payout"))
                         .select_related("order"))
        if request.user.is_shop_member:
            qs = qs.filter(channel=Channel.STATION, recipient__isnull=True)
        else:
            qs = qs.filter(recipient=request.user)
        paginator = Pagination()
        page = paginator.paginate_queryset(qs.order_by("-created_at", "-id"), request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class IsShopMemberBuyerOrStaff(BasePermission):
    """Buyer messages are read by the shop, the buyer and platform staff."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_shop_member or user.is_buyer or user.is_platform_staff))


class BuyerNotificationListApi(TenantScopedMixin, ListAPIView):
    """Station messages and pushes sent to buyers: a buyer's own, a shop's orders', all for platform staff."""

    permission_classes = [IsShopMemberBuyerOrStaff]
    filter_backends: list = []

    class NotificationListOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        order_no = serializers.CharField(source="order.order_no")
        ticket = serializers.IntegerField(source="ticket_id", allow_null=True)
        channel = serializers.CharField()
        kind = serializers.CharField()
        title = serializers.CharField()
        body = serializers.CharField()
        created_at = serializers.DateTimeField()

    serializer_class = NotificationListOutputSerializer

    @extend_schema(parameters=[OpenApiParameter("order_no", str, required=False)],
                   responses=NotificationListOutputSerializer(many=True))
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        ticket_type = about_type_get("aftersales", "ticket")
        qs = self.scoped(notification_list_to_buyers().select_related("order").annotate(
            ticket_id=Case(When(about_type=ticket_type, then=F("about_id")), default=None)))
        if order_no := self.request.query_params.get("order_no"):
            qs = qs.filter(order__order_no=order_no)
        return qs
