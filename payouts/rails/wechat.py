"""WeChat Pay 商家转账 (API v3) behind `PaymentProvider`, on the `wechatpayv3` package's core.

- submit: POST /v3/fund-app/mch-transfer/transfer-bills with out_bill_no = the business key (PO12-3 →
  PO12A3: letters and digits only), the amount in fen, the buyer's openid; signed by `wechatpayv3.core.Core`
  (WECHATPAY2-SHA256-RSA2048 with the merchant private key), the answer's signature verified with the WeChat
  Pay public key (public-key mode: `public_key_id`, no certificate download).
- query: GET …/transfer-bills/out-bill-no/{out_bill_no} (the settle sweep's recovery path).
- cancel: POST …/transfer-bills/out-bill-no/{out_bill_no}/cancel (撤销, PAY-S10) — a bill already final
  cannot be cancelled: its state is then read.
- PAY-S09: connection refused / connect timeout, 429 FREQUENCY_LIMITED and 403 NOT_ENOUGH (no bill made) are
  refusals for certain (`RailUnavailable`); a read timeout, a 5xx or SYSTEM_ERROR, and a 2xx whose signature
  does not verify are unknown outcomes (`RailOutcomeUnknown`): asked about by the same out_bill_no.
- WAIT_USER_CONFIRM (PAY-B04): the create answer's `package_info` is kept in the book for the buyer's page.
- From 2,000.00 the payee's real name goes as `user_name`, RSA-OAEP encrypted with the WeChat Pay public key
  (`Core.encrypt`), with the Wechatpay-Serial header naming that key (PAY-S12).
- callback (`parse_callback`): the Wechatpay-* headers verified with the platform public key (Core's
  verification), no older than PAYOUT_CALLBACK_TOLERANCE_SECONDS, a nonce used once; the AES-256-GCM
  resource opened with the APIv3 key.
"""

import json
import logging

import requests
from django.conf import settings
from django.utils.dateparse import parse_datetime
from wechatpayv3.core import Core
from wechatpayv3.type import RequestType

from core.clock import now
from core.signing import timestamp_seconds

from ..provider import ProviderResult, Transfer
from .common import (
    RailOutcomeUnknown,
    RailRejected,
    RailUnavailable,
    bill_no,
    book,
    book_update,
    never_sent,
    ref_of,
    to_fen,
)

logger = logging.getLogger(__name__)

BILLS = "/v3/fund-app/mch-transfer/transfer-bills"

# Every transfer state (转账单状态) onto the payout statuses.
STATES = {
    "ACCEPTED": "processing",  # 转账已受理
    "PROCESSING": "processing",  # 转账锁定资金中
    "WAIT_USER_CONFIRM": "processing",  # 待收款用户确认
    "TRANSFERING": "processing",  # 转账中
    "CANCELING": "processing",  # 撤销中: not final until CANCELLED
    "SUCCESS": "succeeded",  # 转账成功
    "FAIL": "failed",  # 转账失败 (fail_reason)
    "CANCELLED": "failed",  # 已撤销 → WECHAT_CANCELLED, terminal
}
# Refused for certain: no bill was made (rate limited; the merchant's fund account short).
REFUSED_HTTP = {429}
REFUSED_CODES = {"FREQUENCY_LIMITED", "NOT_ENOUGH"}
# Unknown: the request arrived and the answer says nothing certain.
UNKNOWN_HTTP = {500, 502, 503, 504}
UNKNOWN_CODES = {"SYSTEM_ERROR"}


def _fen_amount(bill: dict):
    from decimal import Decimal

    fen = bill.get("transfer_amount")
    return (Decimal(fen) / 100).quantize(Decimal("0.01")) if isinstance(fen, int) else None


def bill_result(bill: dict) -> ProviderResult:
    state = bill.get("state", "")
    status = STATES.get(state)
    if status is None:
        logger.warning("WeChat Pay: unknown transfer state %r, kept processing", state)
        return ProviderResult("processing", state=state)
    if status == "failed":
        reason = "CANCELLED" if state == "CANCELLED" else (bill.get("fail_reason") or "OTHER_FAIL_REASON_TYPE")
        return ProviderResult("failed", f"WECHAT_{reason}", state=state, amount=_fen_amount(bill))
    return ProviderResult(status, state=state, package_info=bill.get("package_info", "") if state == "WAIT_USER_CONFIRM"
                          else "", amount=_fen_amount(bill), transfer_id=bill.get("transfer_bill_no", ""),
                          paid_at=parse_datetime(bill.get("update_time") or "") if status == "succeeded" else None)


class WechatTransferRail:
    rail = "wechat"

    def __init__(self, config, credentials: dict[str, str]):
        self.config = config
        self.core = Core(
            mchid=config.wechat_mch_id, cert_serial_no=config.wechat_cert_serial,
            private_key=credentials["wechat_private_key"], apiv3_key=credentials["wechat_apiv3_key"],
            public_key=credentials["wechat_platform_public_key"], public_key_id=config.wechat_public_key_id,
            timeout=tuple(settings.PAYOUT_RAIL_TIMEOUT),
        )
        self.core._gate_way = config.wechat_base_url.rstrip("/")  # the package has no setter for the gateway

    # ---- PaymentProvider

    def submit(self, transfer: Transfer) -> None:
        number = bill_no(transfer.ref)
        fen = to_fen(transfer.amount)
        book(transfer, rail=self.rail, number=number)
        params = {
            "appid": self.config.wechat_appid,
            "out_bill_no": number,
            "transfer_scene_id": self.config.wechat_transfer_scene_id,
            "openid": transfer.buyer,
            "transfer_amount": fen,
            "transfer_remark": "商家补偿转账",
            "notify_url": self.config.notify_url(self.rail),
            "user_recv_perception": "活动奖励" if self.config.wechat_transfer_scene_id == "1000" else "",
            "transfer_scene_report_infos": [
                {"info_type": "活动名称", "info_content": "售后补偿"},
                {"info_type": "奖励说明", "info_content": "小额打款"},
            ],
        }
        if transfer.user_name:
            params["user_name"] = self.core.encrypt(transfer.user_name)  # RSA-OAEP, the WeChat Pay public key
        params = {k: v for k, v in params.items() if v != ""}
        try:
            code, text = self._request(BILLS, RequestType.POST, params, cipher=bool(transfer.user_name))
        except RailRejected as exc:
            book_update(transfer.ref, state="REJECTED", error_code=f"WECHAT_{exc.code}")
            return
        try:
            bill = json.loads(text)
        except ValueError as exc:
            raise RailOutcomeUnknown(f"WeChat Pay answer unreadable: {text[:100]}") from exc
        outcome = bill_result(bill)
        book_update(transfer.ref, state=bill.get("state", ""), rail_bill_id=bill.get("transfer_bill_no", ""),
                    error_code=outcome.error_code, package_info=outcome.package_info)

    def query(self, ref: str) -> ProviderResult:
        try:
            code, text = self._request(f"{BILLS}/out-bill-no/{bill_no(ref)}", RequestType.GET)
        except RailRejected as exc:
            if exc.code == "NOT_FOUND":
                return ProviderResult("failed", "NOT_FOUND")
            raise RailOutcomeUnknown(exc.code) from exc
        bill = json.loads(text)
        outcome = bill_result(bill)
        book_update(ref, state=bill.get("state", ""), rail_bill_id=bill.get("transfer_bill_no", ""),
                    error_code=outcome.error_code)
        return outcome

    def cancel(self, ref: str) -> ProviderResult:
        """撤销 (PAY-S10): CANCELING → processing (asked again), CANCELLED → failed; a bill that cannot be
        cancelled any more (final, or unknown) is read instead."""
        try:
            code, text = self._request(f"{BILLS}/out-bill-no/{bill_no(ref)}/cancel", RequestType.POST)
        except RailRejected as exc:
            if exc.code == "NOT_FOUND":
                return ProviderResult("failed", "NOT_FOUND")
            return self.query(ref)
        answer = json.loads(text)
        outcome = bill_result(answer)
        book_update(ref, state=answer.get("state", ""), rail_bill_id=answer.get("transfer_bill_no", ""),
                    error_code=outcome.error_code)
        return outcome

    # ---- HTTP

    def _request(self, path: str, method: RequestType, data: dict | None = None,
                 cipher: bool = False) -> tuple[int, str]:
        """Signed request; 2xx answers are verified by Core. Refused for certain → RailUnavailable; unknown →
        RailOutcomeUnknown (PAY-S09); refused for good → RailRejected."""
        try:
            code, text = self.core.request(path, method=method, data=data, cipher_data=cipher)
        except requests.RequestException as exc:
            if never_sent(exc):
                raise RailUnavailable(f"WeChat Pay unreachable: {exc}", "UNREACHABLE") from exc
            raise RailOutcomeUnknown(f"WeChat Pay answer lost: {exc}") from exc
        except Exception as exc:  # Core raises a bare Exception when the answer's signature does not verify
            raise RailOutcomeUnknown(f"WeChat Pay answer not verifiable: {exc}") from exc
        if 200 <= code < 300:
            return code, text
        try:
            error = json.loads(text)
        except (TypeError, ValueError):
            error = {}
        err = error.get("code") or f"HTTP_{code}"
        if code in REFUSED_HTTP or err in REFUSED_CODES:
            raise RailUnavailable(f"WeChat Pay {code} {err}", err)
        if code in UNKNOWN_HTTP or err in UNKNOWN_CODES:
            raise RailOutcomeUnknown(f"WeChat Pay {code} {err}")
        raise RailRejected(err, error.get("message", ""))


class CallbackRefused(Exception):
    pass


def parse_callback(config, credentials: dict[str, str], headers, body: bytes) -> tuple[str, ProviderResult, dict]:
    """(business key, result, resource) of an authentic WeChat Pay transfer callback; CallbackRefused otherwise."""
    from django.core.cache import cache

    rail = WechatTransferRail(config, credentials)
    text = body.decode("utf-8")
    timestamp = headers.get("Wechatpay-Timestamp", "")
    nonce = headers.get("Wechatpay-Nonce", "")
    wanted = {name: headers.get(name, "") for name in
              ("Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial",
               "Wechatpay-Signature-Type")}
    sent = timestamp_seconds(timestamp)  # strict (SEC-04): a 400-digit timestamp must not overflow into a 500
    if sent is None:
        raise CallbackRefused("no timestamp")
    if abs(now().timestamp() - sent) > settings.PAYOUT_CALLBACK_TOLERANCE_SECONDS:
        raise CallbackRefused("stale timestamp (a replay)")
    if wanted["Wechatpay-Serial"] != config.wechat_public_key_id:
        raise CallbackRefused("unknown platform key")
    try:
        opened = rail.core.decrypt_callback(wanted, text)
    except Exception as exc:
        raise CallbackRefused(f"unverifiable: {exc}")
    if not opened:
        raise CallbackRefused("bad signature or resource")
    if not cache.add(f"rails:wechat:nonce:{nonce}:{timestamp}", 1, timeout=2 * settings.PAYOUT_CALLBACK_TOLERANCE_SECONDS):
        raise CallbackRefused("nonce used before (a replay)")
    resource = json.loads(opened)
    if resource.get("mch_id") and resource["mch_id"] != config.wechat_mch_id:
        raise CallbackRefused("another merchant's bill")
    ref = ref_of(resource.get("out_bill_no", ""))
    outcome = bill_result(resource)
    book_update(ref, state=resource.get("state", ""), rail_bill_id=resource.get("transfer_bill_no", ""),
                error_code=outcome.error_code, package_info=outcome.package_info)
    return ref, outcome, resource
