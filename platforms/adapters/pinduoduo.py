"""拼多多开放平台 (Pinduoduo POP), signed as the POP SDKs sign.

Request: POST {PDD_OPEN_URL}, form-encoded: `type` (the API name), `client_id`, `access_token` (not for token
calls), `timestamp` (Unix seconds), `data_type=JSON`, the API's parameters, and `sign` = upper-case MD5 hex of
client_secret + every other parameter as key + value in key order + client_secret. Answers
`{"<name>_response": …}` or `{"error_response": {"error_code", "error_msg", "sub_code", "sub_msg"}}`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterator
from urllib.parse import urlencode

from django.conf import settings

from core.clock import now

from ..mapping import PINDUODUO, PlatformOrder, pdd_order
from . import Failure, PlatformAdapter, PlatformError, Tokens

THROTTLED_CODES = {"70031", "70032", "70033"}  # 调用过于频繁 (per app, per shop, per API)
EXPIRED_CODES = {"10019"}  # access_token已过期


def sign(params: dict[str, str], client_secret: str) -> str:
    text = client_secret + "".join(f"{k}{params[k]}" for k in sorted(params)) + client_secret
    return hashlib.md5(text.encode()).hexdigest().upper()  # noqa: S324 (the platform's own scheme)


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict | list):
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    return str(v)


def classify(code: str) -> str:
    if code in EXPIRED_CODES:
        return Failure.TOKEN_EXPIRED
    if code in THROTTLED_CODES:
        return Failure.THROTTLED
    return Failure.FAILED


def _at(value) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC) if value else None


class PinduoduoAdapter(PlatformAdapter):
    platform = PINDUODUO
    max_window = dt.timedelta(minutes=30)  # pdd.order.number.list.increment.get: at most 30 minutes
    settle = dt.timedelta(minutes=3)  # … ending no later than 3 minutes before now
    page_size = 100

    def request(self, api: str, params: dict, *, access_token: str | None = None) -> dict:
        form = {k: _value(v) for k, v in params.items()}
        form.update(type=api, client_id=settings.PDD_CLIENT_ID, timestamp=str(int(time.time())), data_type="JSON")
        if access_token is not None:
            form["access_token"] = access_token
        form["sign"] = sign(form, settings.PDD_CLIENT_SECRET)
        answer = self._send("POST", settings.PDD_OPEN_URL, data=form,
                            headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"})
        error = answer.get("error_response")
        if error is not None:
            code = str(error.get("error_code", ""))
            message = error.get("sub_msg") or error.get("error_msg") or ""
            raise PlatformError(classify(code), code, message)
        for key, value in answer.items():
            if key.endswith("_response"):
                return value or {}
        raise PlatformError(Failure.FAILED, "bad_answer", "no *_response in the answer")

    def authorize_url(self, *, state: str, redirect_uri: str) -> str:
        return f"{settings.PDD_AUTHORIZE_URL}?" + urlencode(
            {"response_type": "code", "client_id": settings.PDD_CLIENT_ID, "redirect_uri": redirect_uri,
             "state": state})

    def _token_call(self, api: str, params: dict) -> Tokens:
        try:
            data = self.call(self.request, api, params)
            return Tokens(
                access_token=data["access_token"], refresh_token=data["refresh_token"],
                access_expires_at=_at(data.get("expires_at")) or now() + dt.timedelta(seconds=int(data["expires_in"])),
                refresh_expires_at=_at(data.get("refresh_token_expires_at")),
                shop_id=str(data.get("owner_id") or ""), shop_name=str(data.get("owner_name") or ""),
            )
        except PlatformError as exc:
            if exc.kind in (Failure.FAILED, Failure.TOKEN_EXPIRED):
                raise PlatformError(Failure.AUTH_REFUSED, exc.code, exc.message) from exc
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise PlatformError(Failure.FAILED, "bad_token_answer", "the token answer lacks its fields") from exc

    def token_create(self, code: str) -> Tokens:
        return self._token_call("pdd.pop.auth.token.create", {"code": code})

    def token_refresh(self, refresh_token: str) -> Tokens:
        return self._token_call("pdd.pop.auth.token.refresh", {"refresh_token": refresh_token})

    def orders_updated(self, access_token: str, start: dt.datetime, end: dt.datetime) -> Iterator[list[dict]]:
        page = 1
        while True:
            data = self.call(self.request, "pdd.order.number.list.increment.get", {
                "start_updated_at": int(start.timestamp()), "end_updated_at": int(end.timestamp()),
                "page": page, "page_size": self.page_size, "order_status": 5, "refund_status": 5,
                "is_lucky_flag": 0, "use_has_next": True,
            }, access_token=access_token)
            rows = data.get("order_sn_list") or []
            if rows:
                yield rows
            if not data.get("has_next") or not rows:
                return
            page += 1

    def order_read(self, access_token: str, order_id: str) -> dict:
        data = self.call(self.request, "pdd.order.information.get", {"order_sn": order_id},
                         access_token=access_token)
        return data.get("order_info") or {}

    def to_order(self, raw: dict) -> PlatformOrder:
        return pdd_order(raw)
