"""The message lists of the API: `payout-notifications/` (PAY-S04) and `notifications/` (ASE-R05, RS-05),
whose routes stay in the payouts and after-sales URL confs; and the inbox of station messages (`inbox/`,
SPEC §10, routed from `notifications.urls`). The paths, fields and filters are API.md's."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, F, When
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError, CommonError
from core.pagination import KeysetPagination
from core.permissions import IsShopMember, IsShopMemberOrBuyer
from core.schema import page_parameter
from core.views import TenantScopedMixin

from .models import Channel, Notification
from .selectors import OBJECT_TYPES, about_type_get, inbox_of, inbox_unread_count, notification_list_to_buyers
from .services import inbox_mark_read


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


class InboxListApi(APIView):
    """The caller's own station messages (站内信), newest first; `unread=true` keeps the unread ones."""

    permission_classes = [IsShopMember]

    class InboxOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        kind = serializers.CharField()
        title = serializers.CharField()
        body = serializers.CharField()
        object_type = serializers.SerializerMethodField()
        object_id = serializers.IntegerField(source="about_id", allow_null=True)
        created_at = serializers.DateTimeField()
        read_at = serializers.DateTimeField(allow_null=True)

        def get_object_type(self, obj) -> str | None:
            if obj.about_type_id is None:
                return None
            ct = ContentType.objects.get_for_id(obj.about_type_id)  # cached: no query per row
            return OBJECT_TYPES.get((ct.app_label, ct.model), ct.model)

    @extend_schema(operation_id="inbox_list", parameters=[OpenApiParameter("unread", bool, required=False),
                                                          page_parameter()],
                   responses={200: InboxOutputSerializer(many=True)})
    def get(self, request):
        qs = inbox_of(request.user)
        if request.query_params.get("unread", "") not in ("", "true", "false", "1", "0"):
            raise ApplicationError(CommonError.INVALID, extra={"fields": {"unread": ["true or false"]}})
        if request.query_params.get("unread") in ("true", "1"):
            qs = qs.filter(read_at__isnull=True)
        paginator = Pagination()
        page = paginator.paginate_queryset(qs.order_by("-created_at", "-id"), request, view=self)
        return paginator.get_paginated_response(self.InboxOutputSerializer(page, many=True).data)


class InboxUnreadCountApi(APIView):
    permission_classes = [IsShopMember]

    @extend_schema(operation_id="inbox_unread_count",
                   responses={200: inline_serializer("InboxUnread", {"unread": serializers.IntegerField()})})
    def get(self, request):
        return Response({"unread": inbox_unread_count(request.user)})


class InboxReadApi(APIView):
    """NTF-06: the recipient marks one message read; another person's message answers 404."""

    permission_classes = [IsShopMember]

    @extend_schema(operation_id="inbox_read", request=None,
                   responses={200: inline_serializer("InboxRead", {"marked": serializers.IntegerField()})})
    def post(self, request, pk: int):
        return Response({"marked": inbox_mark_read(user=request.user, message_id=pk)})


class InboxReadAllApi(APIView):
    """NTF-06: the recipient marks all their messages read."""

    permission_classes = [IsShopMember]

    @extend_schema(operation_id="inbox_read_all", request=None,
                   responses={200: inline_serializer("InboxReadAll", {"marked": serializers.IntegerField()})})
    def post(self, request):
        return Response({"marked": inbox_mark_read(user=request.user)})
