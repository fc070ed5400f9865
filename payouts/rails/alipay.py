"""Alipay 单笔转账 behind `PaymentProvider`: `alipay.fund.trans.uni.transfer` (product TRANS_ACCOUNT_NO_PWD to an
Alipay account, TRANS_BANKCARD_NO_PWD to a bank card), out_biz_no = the business key; query
`alipay.fund.trans.common.query`; the asynchronous notification (`alipay.fund.trans.order.changed`) verified
with Alipay's RSA2 public key. Used for the account-card retry (PAY-C02).

Two ways to sign (`ShopRail.alipay_sign_mode`): the public-key certificate mode (公钥证书模式) that fund
transfers require in production — every request carries `app_cert_sn` and `alipay_root_cert_sn`, answers and
notifications are verified with the key of the Alipay public-key certificate (`alipay_certs`) — and the
plain public-key mode, kept for the sandbox. The payee: an Alipay account (ALIPAY_LOGON_ID) always with the
holder's real name (Alipay requires it), a bank card (BANKCARD_ACCOUNT, TRANS_BANKCARD_NO_PWD) with
`bankcard_ext_info` (a personal account, `account_type` 2, and the bank's name); a query names the product
code of the transfer it asks about (the book keeps it).

Alipay's official `alipay-sdk-python` builds the requests (its request and model classes), the string to
sign (`get_sign_content`) and the RSA2 signature and verification (`sign_with_rsa2`, `verify_with_rsa`).
Its HTTP client is not used: `WebUtils.get_http_connection` always connects to port 80/443 and breaks on a
gateway URL with a port (`url += port` adds an int to a str), so a local gateway (the fake) cannot be
reached through it. The adapter posts the same signed form with `requests` and verifies the answer's
signature over the exact response text, as the SDK does.
"""

import dataclasses
import datetime as dt
import json
import logging

import requests
from alipay.aop.api.constant.CommonConstants import PATTERN_RESPONSE_BEGIN
from alipay.aop.api.domain.AlipayFundTransCommonQueryModel import AlipayFundTransCommonQueryModel
from alipay.aop.api.domain.AlipayFundTransUniTransferModel import AlipayFundTransUniTransferModel
from alipay.aop.api.domain.BankcardExtInfo import BankcardExtInfo
from alipay.aop.api.domain.Participant import Participant
from alipay.aop.api.request.AlipayFundTransCommonQueryRequest import AlipayFundTransCommonQueryRequest
from alipay.aop.api.request.AlipayFundTransUniTransferRequest import AlipayFundTransUniTransferRequest
from alipay.aop.api.util.SignatureUtils import get_sign_content, sign_with_rsa2, verify_with_rsa
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.cache import cache

from core.clock import SHANGHAI, now

from ..provider import ProviderResult, Transfer
from . import alipay_certs
from .common import RailOutcomeUnknown, RailUnavailable, book, book_update, fen_to_yuan, never_sent, ref_of, to_fen

logger = logging.getLogger(__name__)

# Transfer order states onto the payout statuses.
STATES = {
    "INIT": "processing", "WAIT_PAY": "processing", "DEALING": "processing",
    "SUCCESS": "succeeded",
    "FAIL": "failed", "CLOSED": "failed", "REFUND": "failed",
}
# PAY-S09: refused for certain (Alipay made no order: the payer's balance is short) …
REFUSED_SUB_CODES = {"PAYER_BALANCE_NOT_ENOUGH", "BALANCE_IS_NOT_ENOUGH"}
# … or unknown (a system error: Alipay says to ask, or retry with the same out_biz_no).
UNKNOWN_SUB_CODES = {"SYSTEM_ERROR", "REQUEST_PROCESSING", "aop.SYSTEM_ERROR", "isp.unknow-error", "ISP.UNKNOW-ERROR"}
TRANSIENT_SUB_CODES = REFUSED_SUB_CODES | UNKNOWN_SUB_CODES
NOT_FOUND_SUB_CODES = {"ORDER_NOT_EXIST", "ORDER_NOT_EXISTS"}
ACCOUNT_PRODUCT, BANKCARD_PRODUCT = "TRANS_ACCOUNT_NO_PWD", "TRANS_BANKCARD_NO_PWD"
CERT_MODE = "cert"
# No payee name for an Alipay account: nothing is sent (Alipay refuses it); the account card asks the buyer.
PAYEE_NAME_MISSING = "ALIPAY_PAYEE_NAME_MISSING"


def pkcs1_private_key(pem: str) -> str:
    """The SDK signs with a PKCS#1 key ("RSA PRIVATE KEY"); Alipay's tool may hand out PKCS#8 or a bare body."""
    text = pem.strip()
    if "-----BEGIN" not in text:
        text = f"-----BEGIN PRIVATE KEY-----\n{text}\n-----END PRIVATE KEY-----"
    key = serialization.load_pem_private_key(text.encode(), password=None)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption()).decode()


def spki_public_key(pem: str) -> str:
    text = pem.strip()
    if "-----BEGIN" not in text:
        text = f"-----BEGIN PUBLIC KEY-----\n{text}\n-----END PUBLIC KEY-----"
    key = serialization.load_pem_public_key(text.encode())
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def state_result(state: str, code: str, amount: str = "") -> ProviderResult:
    from decimal import Decimal, InvalidOperation

    try:
        paid = Decimal(amount) if amount else None
    except InvalidOperation:
        paid = None
    status = STATES.get(state)
    if status is None:
        logger.warning("Alipay: unknown transfer status %r, kept processing", state)
        return ProviderResult("processing", state=state)
    if status == "failed":
        return ProviderResult("failed", f"ALIPAY_{code or state}", state=state, amount=paid)
    return ProviderResult(status, state=state, amount=paid)


def _with_receipt(outcome: ProviderResult, answer: dict) -> ProviderResult:
    """A paid transfer's receipt as the query answers it (PAY-R02): 支付宝支付资金流水号 and 支付时间 (Beijing)."""
    if outcome.status != "succeeded":
        return outcome
    try:
        paid_at = dt.datetime.strptime(answer.get("pay_date") or "", "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    except ValueError:
        paid_at = None
    return dataclasses.replace(outcome, transfer_id=answer.get("pay_fund_order_id") or answer.get("order_id", ""),
                               paid_at=paid_at)


def notification_content(params: dict[str, str]) -> str:
    """What Alipay signs in an asynchronous notification: every parameter but sign and sign_type, sorted."""
    return get_sign_content({k: v for k, v in params.items() if k not in ("sign", "sign_type") and v != ""})


class AlipayTransferRail:
    rail = "alipay"

    def __init__(self, config, credentials: dict[str, str]):
        self.config = config
        self.private_key = pkcs1_private_key(credentials["alipay_app_private_key"])
        self.cert_params, self.alipay_cert_sn = {}, ""
        if getattr(config, "alipay_sign_mode", "") == CERT_MODE:
            self.cert_params = {"app_cert_sn": alipay_certs.cert_sn(config.alipay_app_cert),
                                "alipay_root_cert_sn": alipay_certs.root_cert_sn(config.alipay_root_cert)}
            self.alipay_cert_sn = alipay_certs.cert_sn(config.alipay_public_cert)
        self.public_key = alipay_public_key(config, credentials)

    # ---- PaymentProvider

    def submit(self, transfer: Transfer) -> None:
        fen = to_fen(transfer.amount)
        book(transfer, rail=self.rail, number=transfer.ref)
        bank = transfer.account_kind == "bank_card"
        product_code = BANKCARD_PRODUCT if bank else ACCOUNT_PRODUCT
        book_product_code(transfer.ref, product_code)
        payee = Participant()
        payee.identity = transfer.account or transfer.buyer
        payee.identity_type = "BANKCARD_ACCOUNT" if bank else "ALIPAY_LOGON_ID"
        payee.name = (transfer.account_name or getattr(transfer, "user_name", "")).strip()
        if not payee.name:  # Alipay requires the name with a logon id and a bank card: refused, nothing sent
            book_update(transfer.ref, state="REJECTED", error_code=PAYEE_NAME_MISSING)
            return
        if bank:
            ext = BankcardExtInfo()
            ext.account_type = "2"  # a personal account (对私)
            if getattr(transfer, "account_bank", ""):
                ext.inst_name = transfer.account_bank
            payee.bankcard_ext_info = ext
        model = AlipayFundTransUniTransferModel()
        model.out_biz_no = transfer.ref
        model.trans_amount = fen_to_yuan(fen)
        model.product_code = product_code
        model.biz_scene = "DIRECT_TRANSFER"
        model.order_title = "商家补偿转账"
        model.payee_info = payee
        request = AlipayFundTransUniTransferRequest(biz_model=model)
        request.notify_url = self.config.notify_url(self.rail)
        answer = self._call(request)
        if answer.get("code") != "10000":
            sub = answer.get("sub_code", "") or answer.get("code", "")
            if sub in REFUSED_SUB_CODES:
                raise RailUnavailable(f"Alipay {answer.get('code')} {sub}", sub)
            if sub in UNKNOWN_SUB_CODES or answer.get("code") == "20000":
                raise RailOutcomeUnknown(f"Alipay {answer.get('code')} {sub}")
            # Refused for good: Alipay made no order the query could find; the book keeps the answer.
            book_update(transfer.ref, state="REJECTED", error_code=f"ALIPAY_{sub}")
            return
        outcome = state_result(answer.get("status", "DEALING"), "")
        book_update(transfer.ref, state=answer.get("status", ""), rail_bill_id=answer.get("order_id", ""),
                    error_code=outcome.error_code)

    def query(self, ref: str) -> ProviderResult:
        model = AlipayFundTransCommonQueryModel()
        model.out_biz_no = ref
        model.product_code = booked_product_code(ref)  # the transfer's own: a bank card's is not found otherwise
        model.biz_scene = "DIRECT_TRANSFER"
        answer = self._call(AlipayFundTransCommonQueryRequest(biz_model=model))
        if answer.get("code") != "10000":
            sub = answer.get("sub_code", "")
            if sub in NOT_FOUND_SUB_CODES:
                return ProviderResult("failed", "NOT_FOUND")
            raise RailOutcomeUnknown(f"Alipay query {answer.get('code')} {sub}")
        outcome = state_result(answer.get("status", ""), answer.get("error_code") or answer.get("sub_status", ""),
                               answer.get("trans_amount", ""))
        book_update(ref, state=answer.get("status", ""), rail_bill_id=answer.get("order_id", ""),
                    error_code=outcome.error_code)
        return _with_receipt(outcome, answer)

    def cancel(self, ref: str) -> ProviderResult:
        """PAY-S10: a 单笔转账 cannot be cancelled by the payer; its final state is read (DEALING stays open)."""
        return self.query(ref)

    # ---- HTTP

    def _call(self, request) -> dict:
        params = request.get_params()
        params.update({
            "app_id": self.config.alipay_app_id, "charset": "utf-8", "format": "json", "sign_type": "RSA2",
            "timestamp": now().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
        })
        params.update(self.cert_params)  # certificate mode: app_cert_sn, alipay_root_cert_sn (signed too)
        params["sign"] = sign_with_rsa2(self.private_key, get_sign_content(params), "utf-8")
        try:
            response = requests.post(self.config.alipay_base_url, data=params,
                                     timeout=tuple(settings.PAYOUT_RAIL_TIMEOUT),
                                     headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"})
        except requests.RequestException as exc:
            if never_sent(exc):
                raise RailUnavailable(f"Alipay unreachable: {exc}", "UNREACHABLE") from exc
            raise RailOutcomeUnknown(f"Alipay answer lost: {exc}") from exc
        if response.status_code == 429:
            raise RailUnavailable("Alipay HTTP 429", "FREQUENCY_LIMITED")
        if response.status_code >= 500:
            raise RailOutcomeUnknown(f"Alipay HTTP {response.status_code}")
        text = response.content.decode("utf-8")
        content, signature, named = signed_response(text)
        if content is None:
            raise RailOutcomeUnknown(f"Alipay answer has no signed response: {text[:200]}")
        try:
            verified = verify_with_rsa(self.public_key, content.encode("utf-8"), signature)
        except Exception:
            verified = False
        if not verified:
            raise RailOutcomeUnknown("Alipay answer's signature does not verify")
        if self.alipay_cert_sn and named and named != self.alipay_cert_sn:
            # Answered under a certificate Alipay rotated to: the answer came, so the outcome is unknown until
            # the platform staff configure the new certificate.
            logger.error("Alipay answered under certificate %s, configured %s", named, self.alipay_cert_sn)
            raise RailOutcomeUnknown(f"Alipay answer signed under another certificate ({named})")
        return json.loads(content)


class CallbackRefused(Exception):
    pass


def parse_notification(config, credentials: dict[str, str], params: dict[str, str]) -> tuple[str, ProviderResult, dict]:
    """(business key, result, biz_content) of an authentic Alipay transfer notification; CallbackRefused otherwise."""
    signature = params.get("sign", "")
    if not signature or params.get("sign_type", "RSA2") != "RSA2":
        raise CallbackRefused("unsigned")
    if params.get("app_id") != config.alipay_app_id:
        raise CallbackRefused("another app's notification")
    public_key = alipay_public_key(config, credentials)
    try:
        verified = verify_with_rsa(public_key, notification_content(params).encode("utf-8"), signature)
    except Exception:
        verified = False
    if not verified:
        raise CallbackRefused("bad signature")
    notify_id = params.get("notify_id", "")
    if not notify_id or cache.get(f"rails:alipay:notify:{notify_id}"):
        raise CallbackRefused("notification handled before (a replay)")
    try:
        biz = json.loads(params.get("biz_content", ""))
    except ValueError:
        raise CallbackRefused("no biz_content")
    ref = ref_of(biz.get("out_biz_no", ""))
    outcome = state_result(biz.get("status", ""), biz.get("error_code", ""), biz.get("trans_amount", ""))
    book_update(ref, state=biz.get("status", ""), rail_bill_id=biz.get("order_id", ""), error_code=outcome.error_code)
    return ref, outcome, biz


def notification_handled(params: dict[str, str]) -> None:
    """Remember a notification once applied: the same notify_id again is a replay (Alipay resends only
    notifications that were not answered "success")."""
    cache.set(f"rails:alipay:notify:{params.get('notify_id', '')}", 1, timeout=int(dt.timedelta(days=3).total_seconds()))


def signed_response(text: str) -> tuple[str | None, str, str]:
    """(the signed `…_response` object exactly as sent, `sign`, `alipay_cert_sn`) of an Alipay answer.

    The signed content is the raw text of the response object; in certificate mode `alipay_cert_sn` sits
    between it and `sign`, which the SDK's pattern (`},"sign":`) does not expect, so the object is cut out by
    matching its braces (strings and escapes skipped), as Alipay's Java SDK does."""
    begin = PATTERN_RESPONSE_BEGIN.search(text)
    if not begin:
        return None, "", ""
    start = begin.end() - 1
    depth, in_string, escaped, end = 0, False, False, None
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            escaped, in_string = (False, in_string) if escaped else (ch == "\\", ch != '"')
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                end = i + 1
                break
    if end is None:
        return None, "", ""
    try:
        whole = json.loads(text)
    except ValueError:
        return None, "", ""
    signature = whole.get("sign") if isinstance(whole, dict) else None
    if not isinstance(signature, str) or not signature:
        return None, "", ""
    return text[start:end], signature, str(whole.get("alipay_cert_sn", ""))


def alipay_public_key(config, credentials: dict[str, str]) -> str:
    """The key that verifies Alipay: the Alipay public-key certificate's in certificate mode, else the key."""
    if getattr(config, "alipay_sign_mode", "") == CERT_MODE:
        return alipay_certs.cert_public_key(config.alipay_public_cert)
    return spki_public_key(credentials["alipay_public_key"])


def book_product_code(ref: str, product_code: str) -> None:
    from .models import RailBill

    RailBill.objects.filter(ref=ref).exclude(product_code=product_code).update(product_code=product_code)


def booked_product_code(ref: str) -> str:
    from .models import RailBill

    return RailBill.objects.filter(ref=ref).values_list("product_code", flat=True).first() or ACCOUNT_PRODUCT
