"""Local fakes of 抖店开放平台 and 拼多多开放平台 speaking their real protocols (a WSGI app).

Both gateways check what the real ones check — app key / client id, the signature (Douyin: HMAC-SHA256 or MD5
over app_secret + app_key…method…param_json…timestamp…v… + app_secret; Pinduoduo: upper-case MD5 over
client_secret + sorted key+value pairs + client_secret), the timestamp, the access token and its expiry, page
sizes (≤ 100) and Pinduoduo's update-time windows (≤ 30 minutes, not ending in the future) — and answer in
their shapes: success, parameter and signature errors, throttling, expired tokens, refused refreshes.
The signatures are computed here on their own, not with the product's code.

Routes (mount the gateway URLs on the base URL):
  {base}/douyin/<method with dots as slashes>   DOUYIN_OPEN_URL = {base}/douyin
  {base}/douyin/authorize                        DOUYIN_AUTHORIZE_URL (redirects back with a code)
  {base}/pdd/router                              PDD_OPEN_URL
  {base}/pdd/authorize                           PDD_AUTHORIZE_URL

Orders are either held (`add_douyin` / `add_pdd`) or generated on the fly (`generate`, for the benchmark:
100,000 orders without holding them). Run it alone: `python tests/platforms/fake_platforms.py --port 8124
--demo` (bin/run does this with PLATFORM_FAKE_PORT).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlparse
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")

DOUYIN_KEY, DOUYIN_SECRET = "7152331588175513613", "fake-douyin-app-secret-0123456789"
PDD_ID, PDD_SECRET = "f5fcd0a1b2c34d5e8f9a0b1c2d3e4f50", "fake-pdd-client-secret-abcdef012345"
DOUYIN_SHOP, PDD_SHOP = "4463798", "725431"


@dataclass
class Token:
    platform: str
    shop: str
    expires_at: float
    refresh: bool = False


@dataclass
class Generated:
    """`count` orders, the i-th updated at start + i·step seconds (a benchmark's shop, never held)."""

    count: int
    start: int
    step: float


@dataclass
class FakePlatforms:
    douyin_key: str = DOUYIN_KEY
    douyin_secret: str = DOUYIN_SECRET
    pdd_id: str = PDD_ID
    pdd_secret: str = PDD_SECRET
    access_ttl: int = 7 * 86400
    douyin_orders: dict[str, dict[str, dict]] = field(default_factory=dict)  # shop -> order_id -> order
    pdd_orders: dict[str, dict[str, dict]] = field(default_factory=dict)
    generated: dict[str, Generated] = field(default_factory=dict)  # douyin shop -> spec
    tokens: dict[str, Token] = field(default_factory=dict)
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (platform, shop)
    throttle: dict[str, int] = field(default_factory=dict)  # method -> how many next calls to throttle
    fail: dict[str, int] = field(default_factory=dict)  # method -> how many next calls answer a 500
    refused_shops: set[str] = field(default_factory=set)  # refresh refused for these shops
    calls: list[tuple[str, dict]] = field(default_factory=list)  # (method, params) of every accepted call
    seconds: float = 0.0  # the fake's own time answering (the benchmark subtracts it)
    delay: float = 0.0  # seconds each order call takes (a slow gateway, to kill a sync halfway)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- set-up --------------------------------------------------------------------------------------------------
    def code_for(self, platform: str, shop: str) -> str:
        code = "code-" + secrets.token_hex(8)
        self.codes[code] = (platform, shop)
        return code

    def add_douyin(self, shop: str, order: dict) -> None:
        self.douyin_orders.setdefault(shop, {})[str(order["order_id"])] = order

    def add_pdd(self, shop: str, order: dict) -> None:
        self.pdd_orders.setdefault(shop, {})[str(order["order_sn"])] = order

    def expire_access_tokens(self, shop: str) -> None:
        for token in self.tokens.values():
            if token.shop == shop and not token.refresh:
                token.expires_at = time.time() - 1

    def generate(self, shop: str, count: int, start: int, step: float) -> None:
        self.generated[shop] = Generated(count, start, step)

    # -- WSGI ------------------------------------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        started = time.perf_counter()
        try:
            status, headers, body = self._route(environ)
        finally:
            self.seconds += time.perf_counter() - started
        start_response(status, headers)
        return [body]

    def _route(self, environ):
        path = environ.get("PATH_INFO", "")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if path in ("/douyin/authorize", "/pdd/authorize"):
            return self._authorize(path.split("/")[1], query)
        if path.startswith("/douyin/") and environ["REQUEST_METHOD"] == "POST":
            return self._json(self._douyin(path[len("/douyin/"):].replace("/", "."), query, body))
        if path == "/pdd/router" and environ["REQUEST_METHOD"] == "POST":
            form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
            return self._json(self._pdd(form))
        return "404 Not Found", [("Content-Type", "text/plain")], b"not found"

    @staticmethod
    def _json(payload):
        if payload is None:
            return "500 Internal Server Error", [("Content-Type", "text/plain")], b"upstream error"
        return "200 OK", [("Content-Type", "application/json;charset=utf-8")], json.dumps(
            payload, ensure_ascii=False).encode()

    def _authorize(self, platform: str, query: dict):
        """The service market's authorization page, approved at once for the platform's first shop."""
        redirect = query.get("redirect_uri", "")
        key_ok = query.get("app_key") == self.douyin_key if platform == "douyin" else \
            query.get("client_id") == self.pdd_id
        if not redirect or not key_ok:
            return "400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")], "应用参数错误".encode()
        shop = query.get("shop") or (DOUYIN_SHOP if platform == "douyin" else PDD_SHOP)
        code = self.code_for("douyin" if platform == "douyin" else "pinduoduo", shop)
        sep = "&" if urlparse(redirect).query else "?"
        return "302 Found", [("Location", f"{redirect}{sep}{urlencode({'code': code, 'state': query.get('state', '')})}")], b""

    # -- Douyin ----------------------------------------------------------------------------------------------------
    @staticmethod
    def _dy_error(code: int, msg: str, sub_code: str, sub_msg: str) -> dict:
        return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg, "data": None,
                "log_id": secrets.token_hex(12)}

    @staticmethod
    def _dy_ok(data: dict) -> dict:
        return {"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "data": data,
                "log_id": secrets.token_hex(12)}

    def _douyin(self, method: str, query: dict, body: bytes):
        param_json = body.decode()
        if query.get("app_key") != self.douyin_key:
            return self._dy_error(30001, "app_key不存在", "isv.app-key-not-exist", "app_key不存在")
        if query.get("method") != method or query.get("v") != "2":
            return self._dy_error(40004, "参数错误", "isv.parameter-invalid", "method或v参数错误")
        ts = query.get("timestamp", "")
        try:
            sent = dt.datetime.strptime(ts, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING).timestamp()
        except ValueError:
            return self._dy_error(40004, "参数错误", "isv.parameter-invalid", "timestamp格式错误")
        if abs(time.time() - sent) > 600:
            return self._dy_error(40004, "参数错误", "isv.parameter-invalid", "timestamp已过期")
        pattern = (f"{self.douyin_secret}app_key{self.douyin_key}method{method}param_json{param_json}"
                   f"timestamp{ts}v2{self.douyin_secret}")
        if query.get("sign_method", "md5") == "hmac-sha256":
            expected = hmac.new(self.douyin_secret.encode(), pattern.encode(), hashlib.sha256).hexdigest()
        else:
            expected = hashlib.md5(pattern.encode()).hexdigest()
        if not hmac.compare_digest(query.get("sign", ""), expected):
            return self._dy_error(30003, "签名错误", "isv.signature-invalid", "sign校验失败")
        try:
            params = json.loads(param_json) if param_json else {}
        except ValueError:
            return self._dy_error(40004, "参数错误", "isv.parameter-invalid", "param_json不是JSON")
        if param_json != json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False):
            return self._dy_error(40004, "参数错误", "isv.parameter-invalid", "param_json须按键排序且无空格")
        with self.lock:
            if self.fail.get(method):
                self.fail[method] -= 1
                return None
            if self.throttle.get(method):
                self.throttle[method] -= 1
                return self._dy_error(50002, "请求过于频繁", "isp.flow-limit", "触发限流，请稍后重试")
        if method == "token.create":
            if params.get("grant_type") != "authorization_code":
                return self._dy_error(40004, "参数错误", "isv.parameter-invalid", "grant_type错误")
            hit = self.codes.pop(params.get("code", ""), None)
            if hit is None or hit[0] != "douyin":
                return self._dy_error(30006, "授权码无效", "isv.auth-code-invalid", "code无效或已使用")
            return self._dy_ok(self._issue("douyin", hit[1]))
        if method == "token.refresh":
            token = self.tokens.get(params.get("refresh_token", ""))
            if params.get("grant_type") != "refresh_token" or token is None or not token.refresh \
                    or token.shop in self.refused_shops:
                return self._dy_error(30007, "refresh_token无效", "isv.refresh-token-invalid",
                                      "refresh_token已过期或已被使用，请重新授权")
            del self.tokens[params["refresh_token"]]
            return self._dy_ok(self._issue("douyin", token.shop))
        token = self.tokens.get(query.get("access_token", ""))
        if token is None or token.refresh or token.platform != "douyin":
            return self._dy_error(30002, "access_token不存在", "isv.access-token-no-existed", "access_token无效")
        if token.expires_at < time.time():
            return self._dy_error(30002, "access_token已过期", "isv.access-token-expired", "access_token已过期")
        self.calls.append((method, params))
        if self.delay:
            time.sleep(self.delay)
        if method == "order.searchList":
            return self._dy_search(token.shop, params)
        if method == "order.orderDetail":
            order = self._dy_one(token.shop, str(params.get("shop_order_id", "")))
            if order is None:
                return self._dy_error(40004, "订单不存在", "isv.order-not-exist", "订单不存在")
            return self._dy_ok({"shop_order_detail": order})
        return self._dy_error(40001, "方法不存在", "isv.method-not-exist", method)

    def _issue(self, platform: str, shop: str) -> dict:
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        self.tokens[access] = Token(platform, shop, time.time() + self.access_ttl)
        self.tokens[refresh] = Token(platform, shop, time.time() + 14 * 86400, refresh=True)
        if platform == "douyin":
            return {"access_token": access, "expires_in": self.access_ttl, "refresh_token": refresh,
                    "scope": "SCOPE", "shop_id": int(shop), "shop_name": f"抖店{shop}", "authority_id": shop}
        now = int(time.time())
        return {"access_token": access, "expires_in": self.access_ttl, "expires_at": now + self.access_ttl,
                "refresh_token": refresh, "refresh_token_expires_in": 14 * 86400,
                "refresh_token_expires_at": now + 14 * 86400, "owner_id": shop, "owner_name": f"拼多多店铺{shop}",
                "scope": ["pdd.order.number.list.increment.get", "pdd.order.information.get"]}

    def _dy_search(self, shop: str, params: dict):
        size, page = params.get("size"), params.get("page")
        start, end = params.get("update_time_start"), params.get("update_time_end")
        if not isinstance(size, int) or not 0 < size <= 100:
            return self._dy_error(40004, "参数错误", "isv.parameter-invalid", "size须在1到100之间")
        if not isinstance(page, int) or page < 0:
            return self._dy_error(40004, "参数错误", "isv.parameter-invalid", "page须从0开始")
        if not isinstance(start, int) or not isinstance(end, int) or start > end:
            return self._dy_error(40004, "参数错误", "isv.parameter-invalid", "更新时间范围错误")
        gen = self.generated.get(shop)
        if gen is not None:
            first = max(0, -int(-(start - gen.start) // gen.step)) if start > gen.start else 0
            # the i-th order is updated at the whole second floor(start + i·step): in [start, end] while < end + 1
            last = min(gen.count - 1, -int(-(end + 1 - gen.start) // gen.step) - 1) if end >= gen.start else -1
            total = max(0, last - first + 1)
            lo = first + page * size
            rows = [self._dy_generated(shop, i, gen) for i in range(lo, min(last + 1, lo + size))]
            return self._dy_ok({"shop_order_list": rows, "total": total, "page": page, "size": size})
        hits = sorted((o for o in self.douyin_orders.get(shop, {}).values() if start <= o["update_time"] <= end),
                      key=lambda o: (o["update_time"], str(o["order_id"])))
        rows = hits[page * size:(page + 1) * size]
        return self._dy_ok({"shop_order_list": rows, "total": len(hits), "page": page, "size": size})

    def _dy_one(self, shop: str, order_id: str):
        gen = self.generated.get(shop)
        if gen is not None and order_id.startswith("69") and order_id[2:].isdigit():
            i = int(order_id[2:])
            return self._dy_generated(shop, i, gen) if i < gen.count else None
        return self.douyin_orders.get(shop, {}).get(order_id)

    @staticmethod
    def _dy_generated(shop: str, i: int, gen: Generated) -> dict:
        updated = int(gen.start + i * gen.step)
        return {
            "order_id": f"69{i:017d}", "shop_id": int(shop), "order_status": 2, "order_status_desc": "备货中",
            "pay_amount": 1990 + i % 5000, "order_amount": 1990 + i % 5000, "pay_type": 1, "b_type": 2,
            "order_type": 0, "create_time": updated - 600, "pay_time": updated - 590, "update_time": updated,
            "finish_time": 0, "doudian_open_id": f"1@#open{i % 20000:06d}==",
            "mask_post_receiver": "王**", "encrypt_post_tel": "#enc#" + secrets.token_hex(4),
            "sku_order_list": [{"product_id": 3500000000 + i % 300, "product_name": f"商品{i % 300}",
                                "goods_price": 1990 + i % 5000, "item_num": 1, "first_cid": 20000 + i % 7,
                                "after_sale_info": {"after_sale_status": 0, "refund_status": 0}}],
            "logistics_info": [],
        }

    # -- Pinduoduo ------------------------------------------------------------------------------------------------
    @staticmethod
    def _pdd_error(code: int, msg: str, sub_msg: str = "") -> dict:
        return {"error_response": {"error_code": code, "error_msg": msg, "sub_code": str(code), "sub_msg": sub_msg,
                                   "request_id": secrets.token_hex(10)}}

    def _pdd(self, form: dict):
        api = form.get("type", "")
        if form.get("client_id") != self.pdd_id:
            return self._pdd_error(10001, "client_id不存在")
        given = form.pop("sign", "")
        text = self.pdd_secret + "".join(f"{k}{form[k]}" for k in sorted(form)) + self.pdd_secret
        if not hmac.compare_digest(given, hashlib.md5(text.encode()).hexdigest().upper()):
            return self._pdd_error(10016, "签名错误", "sign校验失败")
        try:
            ts = int(form.get("timestamp", ""))
        except ValueError:
            return self._pdd_error(10000, "参数错误", "timestamp格式错误")
        if abs(time.time() - ts) > 600:
            return self._pdd_error(10017, "时间戳已过期", "timestamp与服务器时间相差超过10分钟")
        if form.get("data_type", "JSON") != "JSON":
            return self._pdd_error(10000, "参数错误", "data_type须为JSON")
        with self.lock:
            if self.fail.get(api):
                self.fail[api] -= 1
                return None
            if self.throttle.get(api):
                self.throttle[api] -= 1
                return self._pdd_error(70031, "调用过于频繁", "请降低调用频率")
        if api == "pdd.pop.auth.token.create":
            hit = self.codes.pop(form.get("code", ""), None)
            if hit is None or hit[0] != "pinduoduo":
                return self._pdd_error(10018, "授权码无效", "code无效或已使用")
            return {"pop_auth_token_create_response": self._issue("pinduoduo", hit[1])}
        if api == "pdd.pop.auth.token.refresh":
            token = self.tokens.get(form.get("refresh_token", ""))
            if token is None or not token.refresh or token.shop in self.refused_shops:
                return self._pdd_error(10020, "refresh_token无效", "refresh_token已过期，请重新授权")
            del self.tokens[form["refresh_token"]]
            return {"pop_auth_token_refresh_response": self._issue("pinduoduo", token.shop)}
        token = self.tokens.get(form.get("access_token", ""))
        if token is None or token.refresh or token.platform != "pinduoduo":
            return self._pdd_error(10019, "access_token无效")
        if token.expires_at < time.time():
            return self._pdd_error(10019, "access_token已过期")
        self.calls.append((api, form))
        if api == "pdd.order.number.list.increment.get":
            return self._pdd_increment(token.shop, form)
        if api == "pdd.order.information.get":
            order = self.pdd_orders.get(token.shop, {}).get(form.get("order_sn", ""))
            if order is None:
                return self._pdd_error(10000, "订单不存在")
            return {"order_info_get_response": {"order_info": order}}
        return self._pdd_error(10002, "接口不存在", api)

    def _pdd_increment(self, shop: str, form: dict):
        try:
            start, end = int(form["start_updated_at"]), int(form["end_updated_at"])
            page, page_size = int(form.get("page", 1)), int(form.get("page_size", 100))
        except (KeyError, ValueError):
            return self._pdd_error(10000, "参数错误", "start_updated_at/end_updated_at必填")
        if end < start or end - start > 1800:
            return self._pdd_error(10000, "参数错误", "起止时间间隔不能超过30分钟")
        if end > time.time():
            return self._pdd_error(10000, "参数错误", "结束时间不能晚于当前时间")
        if not 0 < page_size <= 100 or page < 1:
            return self._pdd_error(10000, "参数错误", "page从1开始，page_size不能超过100")
        def updated(o):
            return dt.datetime.strptime(o["updated_at"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING).timestamp()
        hits = sorted((o for o in self.pdd_orders.get(shop, {}).values() if start <= updated(o) <= end),
                      key=lambda o: (o["updated_at"], o["order_sn"]))
        rows = hits[(page - 1) * page_size:page * page_size]
        return {"order_sn_increment_get_response": {"order_sn_list": rows, "total_count": len(hits),
                                                    "has_next": page * page_size < len(hits)}}

    # -- Douyin's push, signed as Douyin signs it -------------------------------------------------------------------
    def push_body(self, messages: list[tuple[int, str, str]]) -> bytes:
        """A push body: (tag, shop_id, order_id) messages."""
        return json.dumps([
            {"tag": str(tag), "msg_id": secrets.token_hex(10),
             "data": json.dumps({"p_id": int(order_id), "s_ids": [int(order_id)], "shop_id": int(shop),
                                 "order_status": 3, "update_time": int(time.time())})}
            for tag, shop, order_id in messages], separators=(",", ":")).encode()

    def push_headers(self, body: bytes, method: str = "md5") -> dict[str, str]:
        data = self.douyin_key.encode() + body + self.douyin_secret.encode()
        sign = (hmac.new(self.douyin_secret.encode(), data, hashlib.sha256).hexdigest() if method == "hmac-sha256"
                else hashlib.md5(data).hexdigest())
        headers = {"app-id": self.douyin_key, "event-sign": sign, "Content-Type": "application/json"}
        if method != "md5":
            headers["event-sign-method"] = method
        return headers


def demo_orders(fake: FakePlatforms, count: int = 24) -> None:
    """A few dozen orders for each demo shop, updated over the last days (bin/run's fake)."""
    now = int(time.time())
    for i in range(count):
        updated = now - 3600 * (count - i) - 600
        fake.add_douyin(DOUYIN_SHOP, {
            **FakePlatforms._dy_generated(DOUYIN_SHOP, 0, Generated(1, updated, 1)),
            "order_id": f"6930{i:015d}", "order_status": [2, 3, 5, 101, 4][i % 5],
            "logistics_info": [{"tracking_no": f"YT{9000000000000 + i:013d}", "company": "yuantong",
                                "company_name": "圆通快递"}] if i % 5 in (1, 2, 3) else [],
            "doudian_open_id": f"1@#demo{i % 7}==",
        })
        stamp = dt.datetime.fromtimestamp(updated, BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        fake.add_pdd(PDD_SHOP, {
            "order_sn": f"241205-{600000000 + i:09d}", "order_status": [1, 2, 3][i % 3], "confirm_status": 1,
            "refund_status": 1, "trade_type": 0, "pay_amount": f"{19 + i}.90", "goods_amount": f"{19 + i}.90",
            "created_time": stamp, "pay_time": stamp, "confirm_time": stamp, "group_status": 1, "updated_at": stamp,
            "receive_time": stamp if i % 3 == 2 else "", "tracking_number": f"JT{8000000000000 + i:013d}"
            if i % 3 else "", "logistics_id": 384 if i % 3 else 0, "receiver_name": "李*",
            "item_list": [{"goods_id": 880000 + i % 4, "goods_name": f"家居好物{i % 4}", "goods_price": 19 + i,
                           "goods_count": 1}],
        })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8124)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--demo", action="store_true", help="hold demo orders for the demo shops")
    parser.add_argument("--generate", action="append", default=[], metavar="SHOP:COUNT:START:STEP",
                        help="a Douyin shop whose COUNT orders are made on the fly, the i-th updated at START + i·STEP")
    args = parser.parse_args()
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, *a):
            pass

    class Threading(WSGIServer):
        daemon_threads = True

    fake = FakePlatforms()
    if args.demo:
        demo_orders(fake)
    for spec in args.generate:
        shop, count, start, step = spec.split(":")
        fake.generate(shop, int(count), int(start), float(step))
    server = make_server(args.host, args.port, fake, server_class=Threading, handler_class=Quiet)
    print(f"fake 抖店/拼多多 open platforms on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
