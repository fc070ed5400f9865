"""payout-notifications/: the messages of small payouts (PAY-S04)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from core.permissions import IsShopMemberOrBuyer
from core.views import TenantScopedMixin

from ..models import Notification
from .common import paginated


class NotificationsApi(TenantScopedMixin, APIView):
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
        payout_id = serializers.IntegerField()
        order_no = serializers.CharField(source="payout.order.order_no")
        created_at = serializers.DateTimeField()

    @extend_schema(operation_id="payout_notifications_list", responses={200: OutputSerializer(many=True)})
    def get(self, request):
        qs = self.scoped(Notification.objects.select_related("payout__order"))
        if request.user.is_shop_member:
            qs = qs.filter(channel=Notification.Channel.STATION)
        else:
            qs = qs.filter(recipient=request.user)
        return paginated(self, qs.order_by("-created_at", "-id"), self.OutputSerializer)
