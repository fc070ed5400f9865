"""WeChat Pay 商家转账 (API v3) behind `PaymentProvider`, on the `wechatpayv3` package's core.

- submit: POST /v3/fund-app/mch-transfer/transfer-bills with out_bill_no = the business key (PO12-3 →
  PO12A3: letters and digits only), the amount in fen, the buyer's openid; signed by `wechatpayv3.core.Core`
  (WECHATPAY2-SHA256-RSA2048 with the merchant private key), the answer's signature verified with the WeChat
  Pay public key (public-key mode: `public_key_id`, no certificate download).
- query: GET …/transfer-bills/out-bill-no/{out_bill_no} (the settle sweep's recovery path).
- callback (`parse_callback`): the Wechatpay-* headers verified with the platform public key (Core's
  verification), no older than PAYOUT_CALLBACK_TOLERANCE_SECONDS, a nonce used once; the AES-256-GCM
  resource opened with the APIv3 key.
"""

import json
import logging

import requests
from django.conf import settings
from wechatpayv3.core import Core
from wechatpayv3.type import RequestType

from core.clock import now
from core.signing import timestamp_seconds

from ..provider import ProviderResult, Transfer
from .common import RailRejected, RailUnavailable, bill_no, book, book_update, ref_of, to_fen

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
TRANSIENT_HTTP = {429, 500, 502, 503, 504}
TRANSIENT_CODES = {"SYSTEM_ERROR", "FREQUENCY_LIMITED", "NOT_ENOUGH"}


def bill_result(bill: dict) -> ProviderResult:
    state = bill.get("state", "")
    status = STATES.get(state)
    if status is None:
        logger.warning("WeChat Pay: unknown transfer state %r, kept processing", state)
        return ProviderResult("processing")
    if status == "failed":
        reason = "CANCELLED" if state == "CANCELLED" else (bill.get("fail_reason") or "OTHER_FAIL_REASON_TYPE")
        return ProviderResult("failed", f"WECHAT_{reason}")
    return ProviderResult(status)


class WechatTransferRail:
    rail = "wechat"

    def __init__(self, config, credentials: dict[str, str]):
        self.config = config
        self.core = Core(
            mchid=config.wechat_mch_id, cert_serial_no=config.wechat_cert_serial,
            private_key=credentials["wechat_private_key"], apiv3_key=credentials["wechat_apiv3_key"],
            public_key=credentials["wechat_platform_public_key"], public_key_id=config.wechat_public_key_id,
            timeout=(5, 15),
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
        params = {k: v for k, v in params.items() if v != ""}
        try:
            code, text = self._request(BILLS, RequestType.POST, params)
        except RailRejected as exc:
            book_update(transfer.ref, state="REJECTED", error_code=f"WECHAT_{exc.code}")
            return
        bill = json.loads(text)
        outcome = bill_result(bill)
        book_update(transfer.ref, state=bill.get("state", ""), rail_bill_id=bill.get("transfer_bill_no", ""),
                    error_code=outcome.error_code)

    def query(self, ref: str) -> ProviderResult:
        try:
            code, text = self._request(f"{BILLS}/out-bill-no/{bill_no(ref)}", RequestType.GET)
        except RailRejected as exc:
            if exc.code == "NOT_FOUND":
                return ProviderResult("failed", "NOT_FOUND")
            raise RailUnavailable(exc.code) from exc
        bill = json.loads(text)
        outcome = bill_result(bill)
        book_update(ref, state=bill.get("state", ""), rail_bill_id=bill.get("transfer_bill_no", ""),
                    error_code=outcome.error_code)
        return outcome

    # ---- HTTP

    def _request(self, path: str, method: RequestType, data: dict | None = None) -> tuple[int, str]:
        """Signed request; 2xx answers are verified by Core (an unverifiable answer is an unavailable rail)."""
        try:
            code, text = self.core.request(path, method=method, data=data)
        except requests.RequestException as exc:
            raise RailUnavailable(f"WeChat Pay unreachable: {exc}") from exc
        except Exception as exc:  # Core raises a bare Exception when the answer's signature does not verify
            raise RailUnavailable(f"WeChat Pay answer refused: {exc}") from exc
        if 200 <= code < 300:
            return code, text
        try:
            error = json.loads(text)
        except (TypeError, ValueError):
            error = {}
        err = error.get("code") or f"HTTP_{code}"
        if code in TRANSIENT_HTTP or err in TRANSIENT_CODES:
            raise RailUnavailable(f"WeChat Pay {code} {err}")
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
                error_code=outcome.error_code)
    return ref, outcome, resource
