"""The two rails' callbacks: authenticated (the rail's signature, freshness, used once), then handed to
`payout_apply_result` like any other result (idempotent; duplicates, out-of-order and earlier attempts are
recorded and ignored there, PAY-S07). Each answers in its rail's own way: WeChat Pay 204 / 4xx JSON, Alipay
the text "success" / "fail"."""


import logging

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..models import Payout
from ..services import payout_apply_result
from .common import payout_id_of
from .crypto import SealError
from .models import Rail, ShopRail

logger = logging.getLogger(__name__)


def _config(shop_id: int, rail: str):
    config = ShopRail.objects.filter(shop_id=shop_id, enabled=True).first()
    if config is None or rail not in config.rails_used():
        return None, None
    try:
        return config, config.credentials()
    except SealError:
        logger.error("shop %s: rail credentials cannot be opened; callback refused", shop_id)
        return None, None


def _apply(shop_id: int, ref: str, result) -> Payout | None:
    payout_id = payout_id_of(ref)
    if not Payout.objects.filter(pk=payout_id, shop_id=shop_id).exists():
        return None
    return payout_apply_result(payout_id=payout_id, result=result, source="callback", ref=ref)


@csrf_exempt
@require_POST
def wechat_notify(request, shop_id: int):
    from .wechat import CallbackRefused, parse_callback

    config, credentials = _config(shop_id, Rail.WECHAT)
    if config is None:
        return JsonResponse({"code": "FAIL", "message": "unknown merchant"}, status=404)
    try:
        ref, result, _ = parse_callback(config, credentials, request.headers, request.body)
    except (CallbackRefused, ValueError) as exc:
        logger.warning("shop %s: WeChat Pay callback refused: %s", shop_id, exc)
        return JsonResponse({"code": "FAIL", "message": "签名验证失败"}, status=401)
    if _apply(shop_id, ref, result) is None:
        return JsonResponse({"code": "FAIL", "message": "unknown bill"}, status=404)
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def alipay_notify(request, shop_id: int):
    from .alipay import CallbackRefused, notification_handled, parse_notification

    config, credentials = _config(shop_id, Rail.ALIPAY)
    if config is None:
        return HttpResponse("fail", status=404, content_type="text/plain")
    params = {k: request.POST.get(k) for k in request.POST}
    try:
        ref, result, _ = parse_notification(config, credentials, params)
    except (CallbackRefused, ValueError) as exc:
        logger.warning("shop %s: Alipay notification refused: %s", shop_id, exc)
        return HttpResponse("fail", status=401, content_type="text/plain")
    if _apply(shop_id, ref, result) is None:
        return HttpResponse("fail", status=404, content_type="text/plain")
    notification_handled(params)
    return HttpResponse("success", content_type="text/plain")



