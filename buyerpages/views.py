"""The buyer's pages (SPEC §14): no sign-in, the signed link is the key (PAY-B01). Each page shows one payout
— the shop's name, the amount, what the buyer is asked — and nothing of other payouts or buyers. A link that
does not verify answers 400, an expired one 410, each as a clear Chinese page; neither changes anything.

- `card`: the account card (PAY-B02) → `payouts.services.payout_card_submit`;
- `identity` → `authorize` → WeChat → `wechat_callback`: the buyer's openid under the merchant's app
  (PAY-B03) → `payouts.rails.models.buyer_openid_set`, and the waiting payout goes on;
- `confirm`: WeChat's confirm-receipt step with the rail's `package_info` (PAY-B04).
"""

import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import ApplicationError
from payouts.models import CardStatus, Payout, PayoutCard, PayoutStatus
from payouts.rails.models import Rail, ShopRail, buyer_openid_set
from payouts.rails.router import WECHAT_REAL_NAME_FROM
from payouts.services import payout_card_submit

from . import links, wechat
from .forms import CardForm
from .services import identity_given

logger = logging.getLogger(__name__)

STATE_SECONDS = 600  # how long a WeChat authorization round trip may take


def _notice(request, *, title: str, message: str, status: int, tone: str = "info", payout: Payout | None = None,
            action: tuple[str, str] | None = None):
    return render(request, "buyerpages/notice.html",
                  {"title": title, "message": message, "tone": tone, "payout": payout, "action": action},
                  status=status)


def _bad_link(request, exc: Exception):
    if isinstance(exc, links.LinkExpired):
        return _notice(request, title=_("This link has expired"), tone="warn", status=410,
                       message=_("The link is no longer valid. If you still need to do this, please ask the shop "
                                 "in chat to send a new one."))
    return _notice(request, title=_("This link is not valid"), tone="warn", status=400,
                   message=_("The link is incomplete or was changed. Please open it again from the message you "
                             "received."))


def _read(kind: str, token: str):
    link = links.read(kind, token)
    payout = (Payout.objects.select_related("shop", "order").filter(pk=link.payout_id).first())
    if payout is None:
        raise links.LinkInvalid
    return link, payout


# ---------------------------------------------------------------------------------------------- card (PAY-B02)


@never_cache
@require_http_methods(["GET", "POST"])
def card(request, token: str):
    try:
        link, payout = _read(links.CARD, token)
        account_card = PayoutCard.objects.filter(token=link.card, payout=payout).first()
        if account_card is None:
            raise links.LinkInvalid
    except (links.LinkInvalid, links.LinkExpired) as exc:
        return _bad_link(request, exc)
    if account_card.status == CardStatus.SUBMITTED:
        return render(request, "buyerpages/card_done.html", {"payout": payout, "card": account_card})
    if account_card.status != CardStatus.SENT or payout.status != PayoutStatus.FAILED:
        return _bad_link(request, links.LinkExpired())
    form = CardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payout_card_submit(token=account_card.token, buyer=payout.order.buyer, channel=data["channel"],
                               account=data["account"], name=data["name"], bank=data["bank"])
        except ApplicationError as exc:
            if exc.error.status in (404, 410):
                return _bad_link(request, links.LinkExpired())
            form.add_error(None, exc.text())
        else:
            return redirect(links.path(links.CARD, token))
    return render(request, "buyerpages/card.html", {"payout": payout, "card": account_card, "form": form},
                  status=400 if request.method == "POST" else 200)


# ---------------------------------------------------------------------------------------------- identity (PAY-B03)


def _wechat_rail(payout: Payout) -> ShopRail | None:
    config = ShopRail.objects.filter(shop_id=payout.shop_id, enabled=True).first()
    if config is None or config.rail != Rail.WECHAT or not config.wechat_appid:
        return None
    return config


@never_cache
@require_GET
def identity(request, token: str):
    try:
        _link, payout = _read(links.IDENTITY, token)
    except (links.LinkInvalid, links.LinkExpired) as exc:
        return _bad_link(request, exc)
    if payout.pending_reason != "buyer_identity_needed":
        return _identity_done(request, payout)
    if not wechat.in_wechat(request):
        return render(request, "buyerpages/open_in_wechat.html", {"payout": payout}, status=200)
    return render(request, "buyerpages/identity.html",
                  {"payout": payout, "authorize": reverse("buyerpages:authorize", args=[token]),
                   "need_name": payout.amount >= WECHAT_REAL_NAME_FROM})


@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request, token: str):
    """To WeChat's web authorization with a one-time state that remembers this link (WeChat's state is short)
    and, from 2,000.00, the real name WeChat wants with the transfer (PAY-S12)."""
    try:
        _link, payout = _read(links.IDENTITY, token)
    except (links.LinkInvalid, links.LinkExpired) as exc:
        return _bad_link(request, exc)
    config = _wechat_rail(payout)
    if config is None:
        return _notice(request, title=_("WeChat is not needed"), status=409, payout=payout,
                       message=_("This shop does not pay through WeChat; there is nothing to authorize."))
    name = request.POST.get("name", "").strip() if request.method == "POST" else ""
    if payout.amount >= WECHAT_REAL_NAME_FROM and not 2 <= len(name) <= 32:
        return render(request, "buyerpages/identity.html",
                      {"payout": payout, "authorize": reverse("buyerpages:authorize", args=[token]),
                       "need_name": True, "name": name, "name_error": _("Please enter your real name.")},
                      status=400)
    state = secrets.token_hex(16)
    cache.set(f"buyerpages:state:{state}", {"token": token, "name": name}, timeout=STATE_SECONDS)
    redirect_uri = settings.BUYER_PAGES_BASE_URL.rstrip("/") + reverse("buyerpages:wechat-callback")
    return redirect(wechat.authorize_url(app_id=config.wechat_appid, redirect_uri=redirect_uri, state=state))


@never_cache
@require_GET
def wechat_callback(request):
    state = request.GET.get("state", "")
    remembered = cache.get(f"buyerpages:state:{state}") if state.isalnum() and len(state) <= 64 else None
    if not isinstance(remembered, dict):
        return _bad_link(request, links.LinkInvalid())
    token = remembered["token"]
    try:
        _link, payout = _read(links.IDENTITY, token)
    except (links.LinkInvalid, links.LinkExpired) as exc:
        return _bad_link(request, exc)
    code = request.GET.get("code", "")
    config = _wechat_rail(payout)
    if not code or config is None:  # the buyer refused, or the shop left WeChat meanwhile
        return _notice(request, title=_("WeChat authorization was not completed"), tone="warn", status=400,
                       payout=payout, action=(reverse("buyerpages:identity", args=[token]), _("Try again")),
                       message=_("We could not learn your WeChat identity. Please try again."))
    cache.delete(f"buyerpages:state:{state}")
    try:
        openid = wechat.openid_for_code(app_id=config.wechat_appid,
                                        secret=config.credentials().get("wechat_app_secret", ""), code=code)
    except wechat.WechatAuthError as exc:
        logger.warning("buyer page: WeChat authorization of payout %s failed: %s", payout.pk, exc)
        return _notice(request, title=_("WeChat authorization was not completed"), tone="warn", status=502,
                       payout=payout, action=(reverse("buyerpages:identity", args=[token]), _("Try again")),
                       message=_("WeChat did not confirm your identity just now. Please try again."))
    with transaction.atomic():
        buyer_openid_set(app_id=config.wechat_appid, buyer_id=payout.order.buyer_id, openid=openid,
                         real_name=remembered.get("name", ""))
        identity_given(app_id=config.wechat_appid, buyer_id=payout.order.buyer_id)
    payout.refresh_from_db()
    return _identity_done(request, payout)


def _identity_done(request, payout: Payout):
    """After the identity: the payout is on its way; where it already waits for the buyer, the confirm step."""
    if payout.status == PayoutStatus.SUCCEEDED:
        return _notice(request, title=_("Received"), tone="ok", status=200, payout=payout,
                       message=_("The transfer has arrived in your WeChat balance."))
    if payout.status not in (PayoutStatus.PENDING, PayoutStatus.PROCESSING):
        return _notice(request, title=_("Nothing to do"), status=200, payout=payout,
                       message=_("This transfer does not need you any more."))
    action = None
    if payout.waiting_for_buyer and payout.confirm_deadline:
        action = (links.path(links.CONFIRM, links.sign(links.CONFIRM, payout_id=payout.pk,
                                                       expires_at=payout.confirm_deadline)), _("Confirm receipt"))
    return _notice(request, title=_("Your WeChat identity is confirmed"), tone="ok", status=200, payout=payout,
                   action=action,
                   message=_("The shop's transfer is on its way to your WeChat. When WeChat asks you to confirm "
                             "receipt, open the link in the message."))


# ---------------------------------------------------------------------------------------------- confirm (PAY-B04)


@never_cache
@require_GET
def confirm(request, token: str):
    try:
        _link, payout = _read(links.CONFIRM, token)
    except (links.LinkInvalid, links.LinkExpired) as exc:
        return _bad_link(request, exc)
    if payout.status == PayoutStatus.SUCCEEDED:
        return _notice(request, title=_("Received"), tone="ok", status=200, payout=payout,
                       message=_("The transfer has arrived in your WeChat balance."))
    if not payout.waiting_for_buyer:
        return _notice(request, title=_("Nothing to confirm"), status=200, payout=payout,
                       message=_("This transfer is not waiting for your confirmation any more."))
    config = _wechat_rail(payout)
    if config is None:
        return _bad_link(request, links.LinkInvalid())
    context = {"payout": payout, "in_wechat": wechat.in_wechat(request)}
    if context["in_wechat"]:
        try:
            sdk = wechat.jssdk_config(app_id=config.wechat_appid,
                                      secret=config.credentials().get("wechat_app_secret", ""),
                                      url=request.build_absolute_uri())
        except wechat.WechatAuthError as exc:
            logger.warning("buyer page: no JS-SDK signature for payout %s: %s", payout.pk, exc)
            return _notice(request, title=_("WeChat is busy"), tone="warn", status=503, payout=payout,
                           action=(request.get_full_path(), _("Try again")),
                           message=_("WeChat did not answer just now. Please try again in a moment."))
        context["wx"] = {"config": sdk, "transfer": {"mchId": config.wechat_mch_id, "appId": config.wechat_appid,
                                                     "package": payout.package_info},
                         "done": request.path + "?confirmed=1"}
        context["jssdk_url"] = settings.WECHAT_JSSDK_URL
    context["confirmed"] = request.GET.get("confirmed") == "1"
    response = render(request, "buyerpages/confirm.html", context)
    if context["in_wechat"]:
        response._csp_update = {"script-src": [settings.WECHAT_JSSDK_URL]}  # WeChat's JS-SDK, and only here
    return response
