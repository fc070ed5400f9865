"""PAY-E10: where a payout may be started from (seed 000: 「仅限PC抖店后台或飞鸽操作使用」).

A Douyin payout is started from the PC back office (the admin, a signed-in session) or from 飞鸽 (an API token
issued for the `chat_tool` channel); a token issued for the merchant app, a workbench or an integration is
refused with 403 `channel_not_supported`. Pinduoduo states no such limit. The check is made where a payout
is started through the API — creating one, approving a request, continuing one — by the permission below,
before anything is read or locked; the admin's pages are the PC back office and never pass through it.
"""

from rest_framework.permissions import BasePermission

from accounts.models import ApiToken, Platform, Shop
from core.errors import ApplicationError, ErrorCode

CHANNEL_NOT_SUPPORTED = ErrorCode(
    "channel_not_supported", "抖店小额打款仅限PC抖店后台或飞鸽操作使用",
    "Douyin payouts can be started only from the PC back office or 飞鸽 (a chat-tool token).",
    rule="PAY-E10", status=403)

# The token channels a payout may be started from, per platform; a platform not listed: any.
PAYOUT_TOKEN_CHANNELS = {Platform.DOUYIN: {ApiToken.Channel.CHAT_TOOL}}


def payout_channel_refusal(*, user, auth) -> ErrorCode | None:
    """Why `auth` (the request's credentials: an ApiToken, or None for a signed-in session) may not start a
    payout of `user`'s shop, or None. A chat-tool token is allowed everywhere and costs no query."""
    if not isinstance(auth, ApiToken) or auth.channel == ApiToken.Channel.CHAT_TOOL or not user.shop_id:
        return None
    platform = Shop.objects.filter(pk=user.shop_id).values_list("profile__platform", flat=True).first()
    allowed = PAYOUT_TOKEN_CHANNELS.get(platform)
    if allowed is None or auth.channel in allowed:
        return None
    return CHANNEL_NOT_SUPPORTED


class PayoutChannelAllowed(BasePermission):
    """For the POSTs that start a payout (PAY-E10): refused with the coded 403, other methods pass."""

    def has_permission(self, request, view) -> bool:
        if request.method != "POST" or not (request.user and request.user.is_authenticated):
            return True
        refusal = payout_channel_refusal(user=request.user, auth=request.auth)
        if refusal is not None:
            raise ApplicationError(refusal)
        return True
