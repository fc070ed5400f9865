"""抖店开放平台 (Douyin shop open platform), signed as the `doudian` SDK signs.

Request: POST {DOUYIN_OPEN_URL}/{method with dots as slashes}?app_key&method&access_token&timestamp&v=2
&sign_method&sign, body `param_json` (sorted keys, no spaces). sign = HMAC-SHA256(key=app_secret) of
app_secret + "app_key"+key + "method"+method + "param_json"+param_json + "timestamp"+ts + "v"+"2" + app_secret,
hex (`md5`: MD5 of the same string). Answers: `code` 10000 (older gateways: `err_no` 0) with `data`, else
`code`, `msg`, `sub_code`, `sub_msg`. Pushes: `event-sign` = MD5 hex of app_key + body + app_secret (or
HMAC-SHA256 with the app secret where `event-sign-method` says so).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from urllib.parse import urlencode

from django.conf import settings

from core.clock import SHANGHAI, now

from ..mapping import DOUYIN, PlatformOrder, douyin_order
from . import Failure, PlatformAdapter, PlatformError, Tokens

SUCCESS = (10000, "10000")
# How the gateway says "slow down" and "this access token is no longer good" (sub_code first, then code).
THROTTLED_CODES = {"50002", "90000"}
EXPIRED_SUB_CODES = {"isv.access-token-expired", "isv.access-token-no-existed"}
EXPIRED_CODES = {"30002"}


def param_json(params: dict) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sign(*, app_key: str, app_secret: str, method: str, param_json: str, timestamp: str,
         sign_method: str = "hmac-sha256") -> str:
    pattern = f"{app_secret}app_key{app_key}method{method}param_json{param_json}timestamp{timestamp}v2{app_secret}"
    if sign_method == "md5":
        return hashlib.md5(pattern.encode()).hexdigest()  # noqa: S324 (the platform's own scheme)
    return hmac.new(app_secret.encode(), pattern.encode(), hashlib.sha256).hexdigest()


def event_sign(*, app_key: str, app_secret: str, body: bytes, method: str = "md5") -> str:
    data = app_key.encode() + body + app_secret.encode()
    if method == "hmac-sha256":
        return hmac.new(app_secret.encode(), data, hashlib.sha256).hexdigest()
    return hashlib.md5(data).hexdigest()  # noqa: S324 (the platform's own scheme)


def classify(code: str, sub_code: str) -> str:
    if sub_code in EXPIRED_SUB_CODES or code in EXPIRED_CODES:
        return Failure.TOKEN_EXPIRED
    if code in THROTTLED_CODES or "limit" in sub_code:
        return Failure.THROTTLED
    return Failure.FAILED


class DouyinAdapter(PlatformAdapter):
    platform = DOUYIN
    max_window = dt.timedelta(hours=1)
    settle = dt.timedelta(seconds=30)  # an update is searchable a few seconds after it happens
    page_size = 100

    @property
    def app_key(self) -> str:
        return settings.DOUYIN_APP_KEY

    @property
    def app_secret(self) -> str:
        return settings.DOUYIN_APP_SECRET

    def request(self, method: str, params: dict, *, access_token: str | None = None) -> dict:
        body = param_json(params)
        timestamp = now().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
        sign_method = getattr(settings, "DOUYIN_SIGN_METHOD", "hmac-sha256")
        query = {"app_key": self.app_key, "method": method}
        if access_token is not None:
            query["access_token"] = access_token
        query.update(timestamp=timestamp, v="2", sign_method=sign_method,
                     sign=sign(app_key=self.app_key, app_secret=self.app_secret, method=method, param_json=body,
                               timestamp=timestamp, sign_method=sign_method))
        url = f"{settings.DOUYIN_OPEN_URL.rstrip('/')}/{method.replace('.', '/')}?{urlencode(query)}"
        answer = self._send("POST", url, data=body.encode(),
                            headers={"Content-Type": "application/json", "Accept": "application/json"})
        if answer.get("code") in SUCCESS or answer.get("err_no") == 0:
            return answer.get("data") or {}
        code = str(answer.get("code", answer.get("err_no", "")))
        sub_code = str(answer.get("sub_code") or "")
        message = answer.get("sub_msg") or answer.get("msg") or answer.get("message") or ""
        raise PlatformError(classify(code, sub_code), f"{code}/{sub_code}" if sub_code else code, message)

    # -- interface --------------------------------------------------------------------------------------------
    def authorize_url(self, *, state: str, redirect_uri: str) -> str:
        # 工具型应用: the service market's authorization page returns to the redirect address set on the
        # platform; the fake honours redirect_uri.
        return f"{settings.DOUYIN_AUTHORIZE_URL}?" + urlencode(
            {"service_id": settings.DOUYIN_SERVICE_ID, "app_key": self.app_key, "state": state,
             "redirect_uri": redirect_uri})

    def _tokens(self, data: dict) -> Tokens:
        at = now()
        return Tokens(
            access_token=data["access_token"], refresh_token=data["refresh_token"],
            access_expires_at=at + dt.timedelta(seconds=int(data.get("expires_in") or 0)),
            refresh_expires_at=at + dt.timedelta(days=14),  # Douyin: a refresh token lives 14 days
            shop_id=str(data.get("shop_id") or ""), shop_name=str(data.get("shop_name") or ""),
        )

    def _token_call(self, method: str, params: dict) -> Tokens:
        try:
            return self._tokens(self.call(self.request, method, params))
        except PlatformError as exc:
            if exc.kind in (Failure.FAILED, Failure.TOKEN_EXPIRED):
                raise PlatformError(Failure.AUTH_REFUSED, exc.code, exc.message) from exc
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise PlatformError(Failure.FAILED, "bad_token_answer", "the token answer lacks its fields") from exc

    def token_create(self, code: str) -> Tokens:
        return self._token_call("token.create", {"code": code, "grant_type": "authorization_code"})

    def token_refresh(self, refresh_token: str) -> Tokens:
        return self._token_call("token.refresh", {"grant_type": "refresh_token", "refresh_token": refresh_token})

    def orders_updated(self, access_token: str, start: dt.datetime, end: dt.datetime) -> Iterator[list[dict]]:
        page = 0
        seen = 0
        while True:
            data = self.call(self.request, "order.searchList", {
                "update_time_start": int(start.timestamp()), "update_time_end": int(end.timestamp()) - 1,
                "page": page, "size": self.page_size, "order_by": "update_time", "order_asc": True,
            }, access_token=access_token)
            rows = data.get("shop_order_list") or []
            if rows:
                yield rows
            seen += len(rows)
            if len(rows) < self.page_size or seen >= int(data.get("total") or 0):
                return
            page += 1

    def order_read(self, access_token: str, order_id: str) -> dict:
        data = self.call(self.request, "order.orderDetail", {"shop_order_id": order_id}, access_token=access_token)
        return data.get("shop_order_detail") or {}

    def push_verify(self, headers, body: bytes) -> bool:
        if not self.app_key or headers.get("app-id") != self.app_key:
            return False
        given = headers.get("event-sign") or ""
        method = (headers.get("event-sign-method") or "md5").lower()
        if method not in ("md5", "hmac-sha256"):
            return False
        expected = event_sign(app_key=self.app_key, app_secret=self.app_secret, body=body, method=method)
        return bool(given) and hmac.compare_digest(given.lower(), expected)

    def to_order(self, raw: dict) -> PlatformOrder:
        return douyin_order(raw)
