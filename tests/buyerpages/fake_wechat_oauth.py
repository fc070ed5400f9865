"""A fake of WeChat's web side for the buyer pages: web authorization (snsapi_base), the official account's
access token and jsapi_ticket, and a JS-SDK (`jweixin`) whose `requestMerchantTransfer` is the buyer's
confirm-receipt step.

- `GET /connect/oauth2/authorize` — as WeChat: the app id must be known and the scope snsapi_base; the buyer
  (`user`, the WeChat account using the browser) is sent straight back to `redirect_uri` with a one-time
  `code` and the `state` (snsapi_base asks nothing).
- `GET /sns/oauth2/access_token` — the code (once, for its app, with the app's secret) for the openid, the
  same openid for one user under one app and a different one under another app (as WeChat).
- `GET /cgi-bin/token`, `GET /cgi-bin/ticket/getticket` — the app's access token and jsapi_ticket.
- `GET /open/js/jweixin-1.6.0.js` — `wx.config` / `ready` / `error` / `checkJsApi` and
  `WeixinJSBridge.invoke("requestMerchantTransfer", {mchId, appId, package})`, which opens `/fake/confirm`:
  the fake checks the page's JS-SDK signature (SHA-1 over its jsapi_ticket, nonce, timestamp and the page URL)
  and hands the package to `on_confirm(mch_id, app_id, package)` — the fake WeChat Pay's confirm step — then
  returns to the page.

Nothing here is used by the product: tests and `manage.py wechat_oauth_fake` (the demo) point the
WECHAT_OAUTH_* / WECHAT_JSSDK_URL settings at it.
"""

import hashlib
import json
import secrets
import threading
import urllib.parse

JS = r"""(function () {
  "use strict";
  var FAKE = %(base)s, cfg = null, readyFns = [], errorFns = [];
  window.wx = {
    config: function (c) { cfg = c; setTimeout(function () {
      var ok = c && c.appId && c.signature && c.nonceStr && c.timestamp;
      (ok ? readyFns : errorFns).forEach(function (f) { f({errMsg: ok ? "config:ok" : "config:invalid signature"}); });
    }, 0); },
    ready: function (f) { readyFns.push(f); },
    error: function (f) { errorFns.push(f); },
    checkJsApi: function (o) {
      var r = {};
      (o.jsApiList || []).forEach(function (n) { r[n] = !!cfg && (cfg.jsApiList || []).indexOf(n) >= 0; });
      setTimeout(function () { o.success && o.success({checkResult: r, errMsg: "checkJsApi:ok"}); }, 0);
    }
  };
  window.WeixinJSBridge = {
    invoke: function (name, args, cb) {
      if (name !== "requestMerchantTransfer" || !cfg) { cb({err_msg: name + ":fail"}); return; }
      var page = location.href.split("#")[0];
      var q = {mchId: args.mchId, appId: args.appId, package: args.package, url: page, signature: cfg.signature,
               nonceStr: cfg.nonceStr, timestamp: cfg.timestamp, back: page.split("?")[0] + "?confirmed=1"};
      location.assign(FAKE + "/fake/confirm?" + Object.keys(q).map(function (k) {
        return k + "=" + encodeURIComponent(q[k]); }).join("&"));
    }
  };
})();
"""


class FakeWechatOAuth:
    def __init__(self, *, apps: dict[str, str], user: str = "wechat-user-1", on_confirm=None):
        self.apps = dict(apps)  # app id → app secret
        self.user = user  # who is using WeChat now
        self.on_confirm = on_confirm  # (mch_id, app_id, package) → bool
        self.codes: dict[str, tuple[str, str]] = {}  # code → (app id, user)
        self.tokens: dict[str, str] = {}  # access token → app id
        self.tickets: dict[str, str] = {}  # app id → jsapi_ticket
        self.authorizations: list[tuple[str, str]] = []  # (app id, openid) each code exchanged
        self.confirmations: list[str] = []  # packages confirmed
        self.refused: list[str] = []
        self.base_url = ""
        self._lock = threading.Lock()

    def openid(self, app_id: str, user: str | None = None) -> str:
        digest = hashlib.sha256(f"{app_id}:{user or self.user}".encode()).hexdigest()
        return "o" + digest[:27]

    def ticket(self, app_id: str) -> str:
        with self._lock:
            return self.tickets.setdefault(app_id, secrets.token_urlsafe(24))

    # ---- WSGI

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        q = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        if path == "/connect/oauth2/authorize":
            return self._authorize(q, start_response)
        if path == "/sns/oauth2/access_token":
            return self._json(start_response, self._exchange(q))
        if path == "/cgi-bin/token":
            if self.apps.get(q.get("appid", "")) != q.get("secret") or q.get("grant_type") != "client_credential":
                return self._json(start_response, {"errcode": 40125, "errmsg": "invalid appsecret"})
            token = secrets.token_urlsafe(24)
            self.tokens[token] = q["appid"]
            return self._json(start_response, {"access_token": token, "expires_in": 7200})
        if path == "/cgi-bin/ticket/getticket":
            app_id = self.tokens.get(q.get("access_token", ""))
            if app_id is None or q.get("type") != "jsapi":
                return self._json(start_response, {"errcode": 40001, "errmsg": "invalid credential"})
            return self._json(start_response, {"errcode": 0, "errmsg": "ok", "ticket": self.ticket(app_id),
                                               "expires_in": 7200})
        if path == "/open/js/jweixin-1.6.0.js":
            body = (JS % {"base": json.dumps(self.base_url)}).encode()
            start_response("200 OK", [("Content-Type", "application/javascript; charset=utf-8")])
            return [body]
        if path == "/fake/confirm":
            return self._confirm(q, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    def _authorize(self, q: dict, start_response):
        if q.get("appid") not in self.apps or q.get("scope") != "snsapi_base" or q.get("response_type") != "code" \
                or not q.get("redirect_uri", "").startswith(("http://", "https://")):
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
            return ["参数错误 (fake WeChat: appid, scope or redirect_uri)".encode()]
        code = secrets.token_hex(16)
        self.codes[code] = (q["appid"], self.user)
        sep = "&" if "?" in q["redirect_uri"] else "?"
        target = q["redirect_uri"] + sep + urllib.parse.urlencode({"code": code, "state": q.get("state", "")})
        start_response("302 Found", [("Location", target)])
        return [b""]

    def _exchange(self, q: dict) -> dict:
        with self._lock:
            entry = self.codes.pop(q.get("code", ""), None)
        if q.get("grant_type") != "authorization_code" or self.apps.get(q.get("appid", "")) != q.get("secret"):
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if entry is None or entry[0] != q.get("appid"):
            return {"errcode": 40029, "errmsg": "invalid code"}
        openid = self.openid(entry[0], entry[1])
        self.authorizations.append((entry[0], openid))
        return {"access_token": secrets.token_urlsafe(24), "expires_in": 7200, "refresh_token": secrets.token_urlsafe(24),
                "openid": openid, "scope": "snsapi_base"}

    def _confirm(self, q: dict, start_response):
        app_id = q.get("appId", "")
        expected = hashlib.sha1((f"jsapi_ticket={self.ticket(app_id)}&noncestr={q.get('nonceStr', '')}"
                                 f"&timestamp={q.get('timestamp', '')}&url={q.get('url', '')}").encode()).hexdigest()
        ok = app_id in self.apps and q.get("signature") == expected and bool(q.get("package"))
        if ok and self.on_confirm is not None:
            ok = bool(self.on_confirm(q.get("mchId", ""), app_id, q["package"]))
        if not ok:
            self.refused.append(q.get("package", ""))
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
            return ["确认收款失败 (fake WeChat: signature, app or package)".encode()]
        self.confirmations.append(q["package"])
        start_response("302 Found", [("Location", q.get("back", "/"))])
        return [b""]

    @staticmethod
    def _json(start_response, payload: dict):
        start_response("200 OK", [("Content-Type", "application/json; encoding=utf-8")])
        return [json.dumps(payload).encode()]
