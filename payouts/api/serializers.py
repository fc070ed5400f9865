"""The shapes of the payouts API (API.md "Small payouts"): payouts, cards, requests as they read, and the
body of a new payout or request."""

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.fields import MoneyField
from core.serializers import DomainEventSerializer
from orders.models import Order

from ..models import PayMethod, Payout, PayoutCard, PayoutEvent, PayoutRequest, PayoutType, ScanChannel
from ..services import PayoutInput, top_up_qr
from .common import MONEY, shop_order


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
    amount = MoneyField(**MONEY)
    expires_at = serializers.DateTimeField()
    content = serializers.CharField()


class PayoutOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_no = serializers.CharField(source="order.order_no")
    type = serializers.CharField()
    amount = MoneyField(**MONEY)
    status = serializers.CharField()
    status_label = serializers.CharField(help_text="the status as shown: 待买家确认收款 while WeChat waits for the buyer")
    pending_reason = serializers.CharField(help_text="rail_refused or buyer_identity_needed while pending (PAY-B03)")
    waiting_for_buyer = serializers.BooleanField(help_text="WeChat WAIT_USER_CONFIRM (PAY-B04)")
    confirm_deadline = serializers.DateTimeField(allow_null=True)
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


def payout_body(payout_id: int) -> dict:
    return PayoutOutputSerializer(payouts_qs().get(pk=payout_id)).data


def new_payout_body(payout: Payout) -> dict:
    """A payout this request created, from the objects in hand: its order, applicant and approver are loaded,
    it has no card yet, and its events are the ones payout_create wrote (no read-back on the hot path)."""
    payout._prefetched_objects_cache = {"cards": [], "events": payout.written_events}
    return PayoutOutputSerializer(payout).data


class PreviousPayoutSerializer(serializers.Serializer):
    """PAY-F04: every earlier payout of the order (any status), with a details link."""

    id = serializers.IntegerField()
    type = serializers.CharField()
    amount = MoneyField(**MONEY)
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
    amount = MoneyField(**MONEY)
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
    amount = MoneyField(**MONEY)
    reason = serializers.CharField(max_length=255)
    buyer_message = serializers.CharField(max_length=255)
    product_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    pay_method = serializers.ChoiceField(choices=PayMethod.choices, required=False, default=PayMethod.BALANCE)
    scan_channel = serializers.ChoiceField(choices=ScanChannel.choices, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["pay_method"] == PayMethod.SCAN and not attrs.get("scan_channel"):
            raise serializers.ValidationError({"scan_channel": ["wechat or alipay with scan"]})
        return attrs

    @classmethod
    def parse_body(cls, request) -> "PayoutInputSerializer":
        """The body, validated (400 `invalid`)."""
        data = cls(data=request.data)
        data.is_valid(raise_exception=True)
        return data

    @classmethod
    def parse(cls, request) -> tuple[Order, PayoutInput]:
        """The body, validated (400 `invalid`), as the caller's shop's order (404) and the service's input."""
        data = cls.parse_body(request)
        return shop_order(request, data.validated_data["order_no"]), data.to_payout_input()

    def to_payout_input(self) -> PayoutInput:
        d = self.validated_data
        return PayoutInput(
            type=d["type"], amount=d["amount"], reason=d["reason"], buyer_message=d["buyer_message"],
            product_id=d.get("product_id") or "", pay_method=d["pay_method"],
            scan_channel=(d.get("scan_channel") or "") if d["pay_method"] == PayMethod.SCAN else "",
        )


class RequestInputSerializer(PayoutInputSerializer):
    """Same body as payouts/ (API.md); a request holds no money, so its pay method is not used (PAY-A01)."""
