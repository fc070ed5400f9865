"""The order detail's small payouts (PAY-R02, PAY-A03), for the order change page override."""

from django import template
from django.urls import reverse

from core.tenancy import scope_queryset

from ..models import Payout, PayoutRequest
from ..selectors import payout_requests_visible, payouts_hidden, payouts_may_pay

register = template.Library()


@register.simple_tag(takes_context=True)
def order_payouts(context, order):
    """The order's payouts and the approval requests this user may see; None when the 小额打款 pages are
    hidden from the user (PAY-L08) or the user is not one who sees payouts."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if order is None or user is None or not user.is_authenticated or payouts_hidden(user=user):
        return None
    from django.contrib import admin

    payout_admin = admin.site._registry.get(Payout)
    if payout_admin is None or not payout_admin.has_view_permission(request):
        return None
    payouts = scope_queryset(Payout.objects.filter(order=order), user).select_related("applicant", "approved_by")
    requests = payout_requests_visible(
        qs=scope_queryset(PayoutRequest.objects.filter(order=order), user).select_related("requester", "decided_by"),
        user=user,
    )
    can_pay = payouts_may_pay(user=user) and user.shop_id == order.shop_id
    return {
        "payouts": list(payouts.order_by("-created_at", "-id")),
        "requests": list(requests.order_by("-created_at", "-id")),
        "initiate_url": f"{reverse('admin:payouts_payout_initiate')}?order_no={order.order_no}" if can_pay else "",
        "records_url": f"{reverse('admin:payouts_payout_changelist')}?q={order.order_no}",
    }
