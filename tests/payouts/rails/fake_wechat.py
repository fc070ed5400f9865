"""A fake WeChat Pay 商家转账 (API v3) gateway: a WSGI app speaking the protocol the product uses, as strict as
the rail (issue 19.8): a signature and the merchant certificate serial checked on every request; the minimum
amount (0.10 = 10 fen); from 2,000.00 the payee's `user_name`, RSA-OAEP encrypted with this rail's public
key and named by the Wechatpay-Serial header; WAIT_USER_CONFIRM with its `package_info` and the buyer's
confirm step (`confirm`); cancel (撤销) of a bill not yet final; and the failure modes the product must
survive: a bill made whose answer is lost (`lose_answers`: the answer comes after the client's read
timeout), a 500 after the bill was made (`fail_after_create`), 429 and 500 with no bill.

It verifies every request's WECHATPAY2-SHA256-RSA2048 signature with the merchant's public key, keeps
transfer bills by out_bill_no (a second create with the same number answers the same bill: it never pays
twice), answers queries, signs every answer with its own key (the "WeChat Pay public key" the merchant
configures) and makes callbacks: AES-256-GCM resource under the APIv3 key, signed — or forged, or stale.
Keys are made when it starts; nothing is stored.
"""

import base64
import datetime as dt
import json
import os
import re
import secrets
import threading
import time
import urllib.request
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.payouts.rails.fake_common import load_public, new_key, public_pem, read_body, rsa2_sign, rsa2_verify

BILLS = "/v3/fund-app/mch-transfer/transfer-bills"
AUTH = re.compile(r'(\w+)="([^"]*)"')


class FakeWechatPay:
    def __init__(self, *, mch_id: str, merchant_serial: str, merchant_public_key_pem: str, apiv3_key: str,
                 auto_settle_seconds: float | None = None):
        self.mch_id = mch_id
        self.merchant_serial = merchant_serial
        self.merchant_key = load_public(merchant_public_key_pem)
        self.apiv3_key = apiv3_key
        self.key = new_key()
        self.public_key_id = "PUB_KEY_ID_" + secrets.token_hex(12).upper()
        self.public_key_pem = public_pem(self.key)
        self.bills: dict[str, dict] = {}
        self.outcomes: dict[str, tuple[str, str]] = {}  # openid → ("SUCCESS", "") / ("FAIL", reason)
        self.refusals: dict[str, tuple[int, str]] = {}  # openid → (HTTP status, code): refused, no bill made
        self.busy = 0  # the next N creates answer 500 SYSTEM_ERROR (no bill made — but the product cannot know)
        self.rate_limited = 0  # the next N creates answer 429 FREQUENCY_LIMITED (refused for certain, no bill)
        self.down = False  # every request answers 503
        self.payments: list[tuple[str, int]] = []  # (out_bill_no, fen) each time money moved
        self.refused_signatures = 0
        self.confirm_required = False  # every new bill waits for the buyer (WAIT_USER_CONFIRM)
        self.lose_answers = 0  # the next N creates make the bill and answer only after `answer_delay` (lost)
        self.answer_delay = 2.0
        self.fail_after_create = 0  # the next N creates make the bill and answer 500 SYSTEM_ERROR
        self.requests: list[tuple[str, str]] = []  # (method, path) of every authentic request
        self.auto_settle_seconds = auto_settle_seconds  # demo mode: settle and call back by itself
        self.delivered: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self._seq = 0

    # ---- WSGI

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        full = path + (f"?{query}" if query else "")
        body = read_body(environ).decode("utf-8")
        if self.down:
            return self._answer(start_response, 503, {"code": "SYSTEM_ERROR", "message": "系统繁忙"})
        if not self._authentic(method, full, body, environ.get("HTTP_AUTHORIZATION", "")):
            self.refused_signatures += 1
            return self._answer(start_response, 401, {"code": "SIGN_ERROR", "message": "签名错误"})
        self.requests.append((method, path))
        if method == "POST" and path == BILLS:
            data = json.loads(body)
            if data.get("user_name") and environ.get("HTTP_WECHATPAY_SERIAL") != self.public_key_id:
                return self._answer(start_response, 400, {"code": "PARAM_ERROR", "message": "Wechatpay-Serial 错误"})
            lose = fail = False
            with self._lock:
                if self.lose_answers and data.get("out_bill_no") not in self.bills:
                    self.lose_answers -= 1
                    lose = True
                elif self.fail_after_create and data.get("out_bill_no") not in self.bills:
                    self.fail_after_create -= 1
                    fail = True
            status, payload = self._create(data)
            if lose:
                time.sleep(self.answer_delay)  # the bill is made; the answer arrives after the client gave up
            if fail and status == 200:
                return self._answer(start_response, 500, {"code": "SYSTEM_ERROR", "message": "系统错误"})
            return self._answer(start_response, status, payload)
        m = re.fullmatch(BILLS + r"/out-bill-no/([0-9A-Za-z]+)/cancel", path)
        if method == "POST" and m:
            return self._answer(start_response, *self._cancel(m[1]))
        m = re.fullmatch(BILLS + r"/out-bill-no/([0-9A-Za-z]+)", path)
        if method == "GET" and m:
            bill = self.bills.get(m[1])
            if bill is None:
                return self._answer(start_response, 404, {"code": "NOT_FOUND", "message": "记录不存在"})
            return self._answer(start_response, 200, self._view(bill))
        return self._answer(start_response, 404, {"code": "NOT_FOUND", "message": "no such path"})

    def _authentic(self, method: str, path: str, body: str, header: str) -> bool:
        if not header.startswith("WECHATPAY2-SHA256-RSA2048 "):
            return False
        fields = dict(AUTH.findall(header))
        if fields.get("mchid") != self.mch_id or fields.get("serial_no") != self.merchant_serial:
            return False
        message = f"{method}\n{path}\n{fields.get('timestamp')}\n{fields.get('nonce_str')}\n{body}\n"
        return abs(time.time() - int(fields.get("timestamp") or 0)) < 300 and \
            rsa2_verify(self.merchant_key, message, fields.get("signature", ""))

    def _create(self, data: dict) -> tuple[int, dict]:
        number = data.get("out_bill_no", "")
        amount = data.get("transfer_amount")
        if not re.fullmatch(r"[0-9A-Za-z]{5,32}", number) or type(amount) is not int or amount <= 0 \
                or not data.get("openid") or not data.get("appid") or not data.get("transfer_scene_id"):
            return 400, {"code": "PARAM_ERROR", "message": "参数错误"}
        if amount < 10:
            return 400, {"code": "PARAM_ERROR", "message": "转账金额不得低于0.1元"}
        if amount >= 200000:
            name = self._decrypt(data.get("user_name", ""))
            if not name:
                return 400, {"code": "PARAM_ERROR", "message": "转账金额>=2000元时,收款用户姓名必填"}
            data = {**data, "user_name_plain": name}
        with self._lock:
            if number in self.bills:  # the same out_bill_no: the same bill, never a second payment
                return 200, self._brief(self.bills[number])
            if self.rate_limited:
                self.rate_limited -= 1
                return 429, {"code": "FREQUENCY_LIMITED", "message": "频率超限"}
            if self.busy:
                self.busy -= 1
                return 500, {"code": "SYSTEM_ERROR", "message": "系统繁忙,请稍后重试"}
            if data["openid"] in self.refusals:
                status, code = self.refusals[data["openid"]]
                return status, {"code": code, "message": "refused"}
            self._seq += 1
            bill = {**data, "mch_id": self.mch_id, "transfer_bill_no": f"1330000{self._seq:012d}",
                    "state": "WAIT_USER_CONFIRM" if self.confirm_required else "ACCEPTED",
                    "create_time": _iso(), "update_time": _iso(),
                    "package_info": base64.b64encode(os.urandom(12)).decode()}
            self.bills[number] = bill
        if self.auto_settle_seconds is not None:
            threading.Timer(self.auto_settle_seconds, self._auto, args=(number,)).start()
        return 200, self._brief(bill)

    def _decrypt(self, cipher: str) -> str:
        try:
            return self.key.decrypt(base64.b64decode(cipher), padding.OAEP(
                mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)).decode()
        except Exception:
            return ""

    def _cancel(self, number: str) -> tuple[int, dict]:
        """撤销: a bill not yet final is cancelled (CANCELLED at once here); a final one cannot be."""
        with self._lock:
            bill = self.bills.get(number)
            if bill is None:
                return 404, {"code": "NOT_FOUND", "message": "记录不存在"}
            if bill["state"] in ("SUCCESS", "FAIL", "CANCELLED"):
                return 400, {"code": "INVALID_REQUEST", "message": "当前转账单状态不支持撤销"}
            bill["state"], bill["update_time"] = "CANCELLED", _iso()
            return 200, {"out_bill_no": number, "transfer_bill_no": bill["transfer_bill_no"], "state": "CANCELLED",
                         "update_time": bill["update_time"]}

    def confirm(self, number: str) -> dict:
        """The buyer confirms receipt in WeChat (wx.requestMerchantTransfer with the package): the money moves."""
        with self._lock:
            bill = self.bills[number]
            if bill["state"] != "WAIT_USER_CONFIRM":
                return bill
        return self.advance(number, "SUCCESS")

    # ---- the rail moving on (tests drive it; demo mode does it by itself)

    def advance(self, number: str, state: str | None = None, fail_reason: str = "") -> dict:
        """Move a bill on: to `state`, or to what its openid is set to do (SUCCESS by default)."""
        with self._lock:
            bill = self.bills[number]
            if state is None:
                state, fail_reason = self.outcomes.get(bill["openid"], ("SUCCESS", ""))
            if bill["state"] in ("SUCCESS", "FAIL", "CANCELLED"):
                return bill  # final: nothing moves it again
            if state == "SUCCESS":
                self.payments.append((number, bill["transfer_amount"]))
            bill["state"] = state
            bill["update_time"] = _iso()
            if fail_reason:
                bill["fail_reason"] = fail_reason
            return bill

    def callback(self, number: str, *, forged: bool = False, stale: bool = False, state: str | None = None,
                 fail_reason: str | None = None) -> tuple[dict, bytes]:
        """A signed callback about a bill as it stands (or a snapshot with another state: out of order)."""
        resource = self._view(self.bills[number])
        if state is not None:
            resource["state"] = state
        if fail_reason is not None:
            resource["fail_reason"] = fail_reason
        nonce = secrets.token_hex(6)
        associated = "mch_payment"
        cipher = AESGCM(self.apiv3_key.encode()).encrypt(nonce.encode(), json.dumps(resource).encode(),
                                                         associated.encode())
        body = json.dumps({
            "id": str(uuid.uuid4()), "create_time": _iso(), "resource_type": "encrypt-resource",
            "event_type": "MCHTRANSFER.BILL.FINISHED", "summary": "商家转账单据终态通知",
            "resource": {"original_type": "mch_payment", "algorithm": "AEAD_AES_256_GCM",
                         "ciphertext": base64.b64encode(cipher).decode(), "associated_data": associated,
                         "nonce": nonce},
        }, ensure_ascii=False)
        return self.signed_headers(body, forged=forged, stale=stale), body.encode()

    def signed_headers(self, body: str, *, forged: bool = False, stale: bool = False) -> dict:
        timestamp = str(int(time.time()) - (3600 if stale else 0))
        nonce = secrets.token_hex(16)
        key = new_key() if forged else self.key
        return {"Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce,
                "Wechatpay-Signature": rsa2_sign(key, f"{timestamp}\n{nonce}\n{body}\n"),
                "Wechatpay-Serial": self.public_key_id, "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048"}

    def _auto(self, number: str) -> None:
        self.advance(number)
        headers, body = self.callback(number)
        request = urllib.request.Request(self.bills[number]["notify_url"], data=body, method="POST",
                                         headers={**headers, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                self.delivered.append((number, answer.status))
        except Exception as exc:  # the product answered 4xx/5xx or is not there: WeChat would retry later
            self.delivered.append((number, getattr(exc, "code", 0)))

    # ---- answers

    @staticmethod
    def _brief(bill: dict) -> dict:
        brief = {k: bill[k] for k in ("out_bill_no", "transfer_bill_no", "create_time", "state")}
        if bill["state"] == "WAIT_USER_CONFIRM":
            brief["package_info"] = bill["package_info"]
        if bill.get("fail_reason"):
            brief["fail_reason"] = bill["fail_reason"]
        return brief

    def _view(self, bill: dict) -> dict:
        keys = ("mch_id", "out_bill_no", "transfer_bill_no", "appid", "state", "transfer_amount", "transfer_remark",
                "fail_reason", "openid", "create_time", "update_time")
        return {k: bill[k] for k in keys if k in bill}

    def _answer(self, start_response, status: int, payload: dict):
        body = json.dumps(payload, ensure_ascii=False)
        headers = [("Content-Type", "application/json; charset=utf-8"), ("Request-ID", str(uuid.uuid4()))]
        if status < 300:
            headers += list(self.signed_headers(body).items())
        reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                  429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}.get(status, "")
        start_response(f"{status} {reason}", headers)
        return [body.encode("utf-8")]


def _iso() -> str:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds")
