"""WeChat's web authorization (网页授权, snsapi_base) and the JS-SDK's page signature, for the buyer pages.

- `authorize_url`: where the buyer's WeChat goes to let the merchant's official account (its app id) know
  who they are; WeChat comes back to `redirect_uri` with `code` and our `state`.
- `openid_for_code`: the code exchanged at `sns/oauth2/access_token` for the buyer's openid under that app
  (PAY-B03). Silent: snsapi_base asks the buyer nothing.
- `jssdk_config`: what `wx.config` needs on the confirm-receipt page (PAY-B04): the app id, a timestamp, a
  nonce and the SHA-1 signature over the page URL with the app's jsapi_ticket (from `cgi-bin/token` and
  `cgi-bin/ticket/getticket`, each cached below its lifetime).

Every call has an explicit timeout (`WECHAT_OAUTH_TIMEOUT`); the addresses are settings, so tests and the
demo point them at a local fake (tests/buyerpages/fake_wechat_oauth.py).
"""

import hashlib
import logging
import secrets
import time
import urllib.parse

import requests
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


class WechatAuthError(Exception):
    """WeChat did not give what was asked (a bad or used code, a wrong secret, unreachable)."""


def authorize_url(*, app_id: str, redirect_uri: str, state: str) -> str:
    # WeChat reads these parameters in this order and wants the #wechat_redirect fragment.
    query = urllib.parse.urlencode([("appid", app_id), ("redirect_uri", redirect_uri), ("response_type", "code"),
                                    ("scope", "snsapi_base"), ("state", state)])
    return f"{settings.WECHAT_OAUTH_AUTHORIZE_URL}?{query}#wechat_redirect"


def _get(path: str, params: dict) -> dict:
    url = settings.WECHAT_OAUTH_API_BASE_URL.rstrip("/") + path
    try:
        response = requests.get(url, params=params, timeout=settings.WECHAT_OAUTH_TIMEOUT)
        answer = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise WechatAuthError(f"WeChat {path} unreachable: {exc.__class__.__name__}") from exc
    if not isinstance(answer, dict) or answer.get("errcode"):
        code = answer.get("errcode") if isinstance(answer, dict) else "?"
        raise WechatAuthError(f"WeChat {path} answered errcode {code}")
    return answer


def openid_for_code(*, app_id: str, secret: str, code: str) -> str:
    answer = _get("/sns/oauth2/access_token",
                  {"appid": app_id, "secret": secret, "code": code, "grant_type": "authorization_code"})
    openid = answer.get("openid")
    if not isinstance(openid, str) or not openid or len(openid) > 64:
        raise WechatAuthError("WeChat gave no openid")
    return openid


def _jsapi_ticket(*, app_id: str, secret: str) -> str:
    # One ticket per app, secret and WeChat address: a new AppSecret (or another WeChat: the demo's fake) never
    # reuses a ticket the cache still holds.
    scope = hashlib.sha256(f"{secret}|{settings.WECHAT_OAUTH_API_BASE_URL}".encode()).hexdigest()[:16]
    key = f"buyerpages:jsapi_ticket:{app_id}:{scope}"
    ticket = cache.get(key)
    if ticket:
        return ticket
    token = _get("/cgi-bin/token", {"grant_type": "client_credential", "appid": app_id, "secret": secret})
    answer = _get("/cgi-bin/ticket/getticket", {"access_token": token.get("access_token", ""), "type": "jsapi"})
    ticket = answer.get("ticket", "")
    if not ticket:
        raise WechatAuthError("WeChat gave no jsapi_ticket")
    cache.set(key, ticket, timeout=max(60, int(answer.get("expires_in", 7200)) - 300))
    return ticket


def jssdk_signature(*, ticket: str, nonce: str, timestamp: int, url: str) -> str:
    text = f"jsapi_ticket={ticket}&noncestr={nonce}&timestamp={timestamp}&url={url.split('#')[0]}"
    return hashlib.sha1(text.encode()).hexdigest()


def jssdk_config(*, app_id: str, secret: str, url: str) -> dict:
    """`wx.config`'s arguments for the page at `url` (PAY-B04: jsApiList requestMerchantTransfer)."""
    nonce, timestamp = secrets.token_hex(8), int(time.time())
    ticket = _jsapi_ticket(app_id=app_id, secret=secret)
    return {"debug": False, "appId": app_id, "timestamp": timestamp, "nonceStr": nonce,
            "signature": jssdk_signature(ticket=ticket, nonce=nonce, timestamp=timestamp, url=url),
            "jsApiList": ["requestMerchantTransfer", "checkJsApi"]}


def in_wechat(request) -> bool:
    """WeChat's in-app browser says MicroMessenger in its user agent; the pages need it (snsapi_base and
    requestMerchantTransfer work only there)."""
    return "MicroMessenger" in request.headers.get("User-Agent", "")
