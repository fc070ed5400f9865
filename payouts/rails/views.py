"""The two rails' callbacks: authenticated (the rail's signature, freshness, used once), checked against the
payout (PAY-S11: a key it was sent under on this rail, its amount — else refused and flagged), then handed
to `payout_apply_result` like any other result (idempotent; duplicates and out-of-order reports are recorded
and ignored there, PAY-S07; a success for any key is the payout's, PAY-S09).
Each answers in its rail's own way: WeChat Pay 204 / 4xx JSON, Alipay
the text "success" / "fail"."""


import logging

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..models import Payout, PayoutSubmission
from ..services import payout_apply_result, payout_flag_callback
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


def _apply(shop_id: int, ref: str, result, rail: str) -> Payout | str | None:
    """PAY-S11: the key must be one the payout was sent under on this rail, and the amount the payout's; a
    mismatch is refused (a string: why) and flagged to platform staff. None: no such payout of this shop."""
    payout_id = payout_id_of(ref)
    if not Payout.objects.filter(pk=payout_id, shop_id=shop_id).exists():
        return None
    submission = PayoutSubmission.objects.filter(payout_id=payout_id, ref=ref).values("rail", "amount").first()
    why = ""
    if submission is None:
        why = "not a key this payout was sent under"
    elif submission["rail"] and submission["rail"] != rail:
        why = f"sent on {submission['rail']}, reported by {rail}"
    elif result.amount is not None and result.amount != submission["amount"]:
        why = f"amount {result.amount} is not {submission['amount']}"
    if why:
        logger.warning("shop %s: %s callback for %s refused: %s", shop_id, rail, ref, why)
        payout_flag_callback(payout_id=payout_id, ref=ref, why=why)
        return why
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
    applied = _apply(shop_id, ref, result, Rail.WECHAT)
    if applied is None:
        return JsonResponse({"code": "FAIL", "message": "unknown bill"}, status=404)
    if isinstance(applied, str):
        return JsonResponse({"code": "FAIL", "message": "bill does not match"}, status=400)
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
    applied = _apply(shop_id, ref, result, Rail.ALIPAY)
    if applied is None:
        return HttpResponse("fail", status=404, content_type="text/plain")
    if isinstance(applied, str):
        return HttpResponse("fail", status=400, content_type="text/plain")
    notification_handled(params)
    return HttpResponse("success", content_type="text/plain")



