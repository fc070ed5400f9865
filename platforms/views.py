"""The platforms' HTTP doors: the authorization round trip (CON-01) and Douyin's message push (CON-05)."""

from __future__ import annotations

import json
import logging

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Platform, Role, Shop
from core.errors import ApplicationError

from .adapters import PlatformError, adapter_for
from .errors import PlatformsError
from .models import PlatformConnection
from .services import connection_connect, order_refetch

logger = logging.getLogger("platforms")
STATE_SALT = "platforms.authorize"
STATE_MAX_AGE = 900  # seconds the platform's authorization page may take
ADMIN_PAGE = "admin:platforms_platformconnection_changelist"


def may_connect(user, shop: Shop) -> bool:
    """CON-01: the shop's main account, or platform staff for any shop."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or getattr(user, "is_platform_staff", False):
        return True
    return user.role == Role.MAIN and user.shop_id == shop.pk


def _error(err, status=None, **params) -> JsonResponse:
    exc = ApplicationError(err, params=params)
    return JsonResponse({"code": exc.code, "message": exc.message, "rule": err.rule}, status=status or err.status)


@staff_member_required
@require_GET
def authorize(request: HttpRequest, platform: str) -> HttpResponse:
    """Send the user to the platform's authorization page for `?shop=KEY`, with a signed `state`."""
    if platform not in Platform.values:
        return _error(PlatformsError.PLATFORM_MISMATCH, status=404)
    shop = get_object_or_404(Shop.objects.select_related("profile"), key=request.GET.get("shop", ""))
    if not may_connect(request.user, shop):
        return _error(PlatformsError.NOT_CONNECTED, status=403)
    if shop.profile.platform != platform:
        return _error(PlatformsError.PLATFORM_MISMATCH)
    state = signing.dumps({"shop": shop.key, "platform": platform, "user": request.user.pk}, salt=STATE_SALT)
    redirect_uri = request.build_absolute_uri(reverse("platforms:authorized", args=[platform]))
    return HttpResponseRedirect(adapter_for(platform).authorize_url(state=state, redirect_uri=redirect_uri))


@staff_member_required
@require_GET
def authorized(request: HttpRequest, platform: str) -> HttpResponse:
    """The platform's redirect back: verify `state`, then connect as `platform_connect` does."""
    try:
        state = signing.loads(request.GET.get("state", ""), salt=STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.BadSignature:
        return _error(PlatformsError.STATE_INVALID)
    if state.get("platform") != platform or state.get("user") != request.user.pk:
        return _error(PlatformsError.STATE_INVALID)
    shop = Shop.objects.select_related("profile").filter(key=state.get("shop")).first()
    code = request.GET.get("code", "")
    if shop is None or not code or len(code) > 512 or not may_connect(request.user, shop):
        return _error(PlatformsError.STATE_INVALID)
    try:
        connection_connect(shop=shop, code=code, platform=platform, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.text())
    else:
        messages.success(request, f"{shop.name}: 授权成功，订单将在 5 分钟内开始同步。")
    return HttpResponseRedirect(reverse(ADMIN_PAGE))


# Douyin's trade (1xx) and after-sales (2xx) message tags; tag 0 is the platform's address check.
def _is_order_tag(tag: str) -> bool:
    return tag.isdigit() and 100 <= int(tag) < 300


@csrf_exempt
@require_POST
def douyin_push(request: HttpRequest) -> HttpResponse:
    """CON-05: verify `event-sign` before anything else; then each trade or after-sales message re-reads its
    order from the platform (a message is a hint, never the truth). Answers as Douyin expects."""
    adapter = adapter_for(Platform.DOUYIN)
    if not adapter.push_verify(request.headers, request.body):
        return _error(PlatformsError.PUSH_SIGNATURE)
    try:
        batch = json.loads(request.body)
        if not isinstance(batch, list):
            raise ValueError("not a list")
        wanted: dict[tuple[str, str], None] = {}
        for message in batch:
            tag = str(message.get("tag", ""))
            if not _is_order_tag(tag):
                continue
            data = message.get("data")
            data = json.loads(data) if isinstance(data, str) else data
            order_id = str(data.get("p_id") or data.get("s_id") or "")
            if order_id:
                wanted[(str(data.get("shop_id") or ""), order_id)] = None
    except (ValueError, TypeError, AttributeError):
        return _error(PlatformsError.PUSH_BODY)
    connections = {c.platform_shop_id: c for c in PlatformConnection.objects.filter(
        platform=Platform.DOUYIN, status=PlatformConnection.State.CONNECTED,
        platform_shop_id__in={shop_id for shop_id, _ in wanted})}
    for shop_id, order_id in wanted:
        conn = connections.get(shop_id)
        if conn is None:
            continue  # a shop not connected here: nothing to do
        try:
            order_refetch(connection_id=conn.pk, order_id=order_id)
        except (PlatformError, ApplicationError) as exc:
            # Recorded on the connection; the next incremental sync brings the order in anyway.
            logger.warning("push: re-reading a Douyin order failed: %s", getattr(exc, "code", exc))
    return JsonResponse({"code": 0, "msg": "success"})
