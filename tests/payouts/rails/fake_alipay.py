"""A fake Alipay open-platform gateway for 单笔转账: alipay.fund.trans.uni.transfer and
alipay.fund.trans.common.query, with the asynchronous alipay.fund.trans.order.changed notification.

It verifies each request's RSA2 signature with the app's public key, keeps transfer orders by out_biz_no (a
second transfer with the same out_biz_no answers the same order: never pays twice), signs its answers and
notifications with its own key (the "Alipay public key" the app configures). Keys are made when it starts.
"""

import datetime as dt
import json
import re
import secrets
import threading
import time
import urllib.parse
import urllib.request

from tests.payouts.rails.fake_common import load_public, new_key, public_pem, read_body, rsa2_sign, rsa2_verify


def sign_content(params: dict[str, str], *, drop=("sign",)) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in drop and params[k] != "")


class FakeAlipay:
    def __init__(self, *, app_id: str, app_public_key_pem: str, auto_settle_seconds: float | None = None):
        self.app_id = app_id
        self.app_key = load_public(app_public_key_pem)
        self.key = new_key()
        self.public_key_pem = public_pem(self.key)
        self.orders: dict[str, dict] = {}
        self.outcomes: dict[str, tuple[str, str]] = {}  # payee identity → ("SUCCESS", "") / ("FAIL", error_code)
        self.refusals: dict[str, str] = {}  # payee identity → sub_code: refused synchronously, no order made
        self.busy = 0  # the next N transfers answer 20000 / SYSTEM_ERROR (no order made)
        self.instant = False  # answer SUCCESS at once (as Alipay mostly does) instead of DEALING
        self.payments: list[tuple[str, str]] = []  # (out_biz_no, amount) each time money moved
        self.refused_signatures = 0
        self.lose_answers = 0  # the next N transfers make the order and answer after `answer_delay` (lost)
        self.answer_delay = 2.0
        self.fail_after_create = 0  # the next N transfers make the order and answer 20000 SYSTEM_ERROR
        self.auto_settle_seconds = auto_settle_seconds
        self.delivered: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self._seq = 0

    def __call__(self, environ, start_response):
        raw = read_body(environ).decode("utf-8")
        params = {k: v for k, v in urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)}
        params.update(urllib.parse.parse_qsl(raw, keep_blank_values=True))
        method = params.get("method", "")
        key = method.replace(".", "_") + "_response"
        if params.get("app_id") != self.app_id or params.get("sign_type") != "RSA2" or \
                not rsa2_verify(self.app_key, sign_content(params), params.get("sign", "")):
            self.refused_signatures += 1
            return self._answer(start_response, key, {"code": "40002", "msg": "Invalid Arguments",
                                                       "sub_code": "isv.invalid-signature", "sub_msg": "验签出错"})
        biz = json.loads(params.get("biz_content") or "{}")
        if method == "alipay.fund.trans.uni.transfer":
            with self._lock:
                new = biz.get("out_biz_no", "") not in self.orders
                lose, fail = new and self.lose_answers > 0, new and not self.lose_answers and self.fail_after_create > 0
                self.lose_answers -= lose
                self.fail_after_create -= fail
            answer = self._transfer(biz, params.get("notify_url", ""))
            if lose:
                time.sleep(self.answer_delay)
            if fail and answer.get("code") == "10000":
                answer = {"code": "20000", "msg": "Service Currently Unavailable", "sub_code": "SYSTEM_ERROR"}
            return self._answer(start_response, key, answer)
        if method == "alipay.fund.trans.common.query":
            order = self.orders.get(biz.get("out_biz_no", ""))
            if order is None:
                return self._answer(start_response, key, {"code": "40004", "msg": "Business Failed",
                                                           "sub_code": "ORDER_NOT_EXIST", "sub_msg": "转账订单不存在"})
            return self._answer(start_response, key, {"code": "10000", "msg": "Success", **self._view(order)})
        return self._answer(start_response, key, {"code": "40004", "msg": "Business Failed", "sub_code": "NO_SUCH_METHOD"})

    def _transfer(self, biz: dict, notify_url: str) -> dict:
        number = biz.get("out_biz_no", "")
        amount = biz.get("trans_amount", "")
        payee = biz.get("payee_info") or {}
        if not number or not re.fullmatch(r"\d+\.\d{2}", amount) or amount == "0.00" or \
                biz.get("product_code") not in ("TRANS_ACCOUNT_NO_PWD", "TRANS_BANKCARD_NO_PWD") or \
                not payee.get("identity"):
            return {"code": "40004", "msg": "Business Failed", "sub_code": "INVALID_PARAMETER", "sub_msg": "参数有误"}
        if float(amount) < 0.1:
            return {"code": "40004", "msg": "Business Failed", "sub_code": "EXCEED_LIMIT_SM_MIN_AMOUNT",
                    "sub_msg": "单笔最低转账金额0.1元"}
        with self._lock:
            if number in self.orders:
                order = self.orders[number]
                return {"code": "10000", "msg": "Success", "out_biz_no": number, "order_id": order["order_id"],
                        "pay_fund_order_id": order["pay_fund_order_id"], "status": order["status"]}
            if self.busy:
                self.busy -= 1
                return {"code": "20000", "msg": "Service Currently Unavailable", "sub_code": "SYSTEM_ERROR"}
            if payee["identity"] in self.refusals:
                return {"code": "40004", "msg": "Business Failed", "sub_code": self.refusals[payee["identity"]],
                        "sub_msg": "refused"}
            self._seq += 1
            order = {"out_biz_no": number, "order_id": f"2026{self._seq:016d}", "pay_fund_order_id": f"2026{self._seq:016d}9",
                     "trans_amount": amount, "payee": payee, "product_code": biz["product_code"], "status": "DEALING",
                     "notify_url": notify_url}
            self.orders[number] = order
        if self.instant:
            self.advance(number)
        elif self.auto_settle_seconds is not None:
            threading.Timer(self.auto_settle_seconds, self._auto, args=(number,)).start()
        return {"code": "10000", "msg": "Success", "out_biz_no": number, "order_id": order["order_id"],
                "pay_fund_order_id": order["pay_fund_order_id"], "status": order["status"]}

    def advance(self, number: str, status: str | None = None, error_code: str = "") -> dict:
        with self._lock:
            order = self.orders[number]
            if status is None:
                status, error_code = self.outcomes.get(order["payee"]["identity"], ("SUCCESS", ""))
            if order["status"] in ("SUCCESS", "FAIL", "CLOSED", "REFUND"):
                return order
            if status == "SUCCESS":
                self.payments.append((number, order["trans_amount"]))
            order["status"] = status
            if error_code:
                order["error_code"] = error_code
                order["fail_reason"] = "失败"
            return order

    def notification(self, number: str, *, forged: bool = False, status: str | None = None,
                     notify_id: str | None = None) -> dict[str, str]:
        order = self.orders[number]
        biz = {"out_biz_no": number, "order_id": order["order_id"], "status": status or order["status"],
               "trans_amount": order["trans_amount"], "action_type": "FINISH", "biz_scene": "DIRECT_TRANSFER",
               "product_code": order["product_code"]}
        if order.get("error_code"):
            biz.update(error_code=order["error_code"], fail_reason=order["fail_reason"])
        params = {"notify_id": notify_id or secrets.token_hex(16), "utc_timestamp": str(int(time.time() * 1000)),
                  "msg_method": "alipay.fund.trans.order.changed", "app_id": self.app_id, "version": "1.1",
                  "charset": "utf-8", "sign_type": "RSA2", "biz_content": json.dumps(biz, ensure_ascii=False)}
        params["sign"] = rsa2_sign(new_key() if forged else self.key, sign_content(params, drop=("sign", "sign_type")))
        return params

    def _auto(self, number: str) -> None:
        self.advance(number)
        data = urllib.parse.urlencode(self.notification(number)).encode()
        try:
            with urllib.request.urlopen(urllib.request.Request(self.orders[number]["notify_url"], data=data),
                                        timeout=10) as answer:
                self.delivered.append((number, answer.status))
        except Exception as exc:
            self.delivered.append((number, getattr(exc, "code", 0)))

    @staticmethod
    def _view(order: dict) -> dict:
        view = {k: order[k] for k in ("out_biz_no", "order_id", "pay_fund_order_id", "status", "trans_amount")}
        view["pay_date"] = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        if order.get("error_code"):
            view.update(error_code=order["error_code"], fail_reason=order["fail_reason"])
        return view

    def _answer(self, start_response, key: str, payload: dict):
        inner = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        body = f'{{"{key}":{inner},"sign":"{rsa2_sign(self.key, inner)}"}}'
        start_response("200 OK", [("Content-Type", "text/html;charset=utf-8")])
        return [body.encode("utf-8")]
