/* The reference chat sidebar: only the public REST API (API.md), with the operator's token.
   Search by buyer or order → orders/{order_no}/context/ → each action offered only when `actions` allows it;
   every refusal shown in words (the API's `message`). No inline script (CSP): this file is the page's code. */
(function () {
  "use strict";
  var main = document.getElementById("sidebar");
  var API = main.dataset.api;
  var current = null;

  var ORDER_STATUS = {stocking: "待发货", partially_shipped: "部分发货", shipped: "已发货", completed: "已完成",
                      closed: "已关闭"};
  var PAYOUT_STATUS = {pending: "待打款", processing: "打款中", succeeded: "打款成功", failed: "打款失败",
                       closed: "已关闭", awaiting_top_up: "待充值", top_up_failed: "充值失败"};
  var PAYOUT_TYPE = {shipping_fee: "补运费", price_difference: "补差价", other: "其他"};
  var TICKET_TYPE = {refund_only: "仅退款", return_refund: "退货退款", exchange: "换货", reship: "补寄"};
  var TICKET_STATUS = {pending_merchant: "待商家处理", approved: "已同意", awaiting_shipment: "待发货",
                       shipped: "已发货", rejected: "已拒绝", in_arbitration: "平台仲裁中",
                       in_intervention: "平台介入中", refunded: "已退款", completed: "已完成", withdrawn: "已撤销",
                       closed: "已关闭"};
  var INTERCEPTION_STATUS = {requested: "已申请", intercepting: "拦截中", succeeded: "拦截成功", failed: "拦截失败",
                             returned: "已退回", return_failed: "退回失败"};
  var ENTRY_STATE = {not_needed: "售后期内,无需打开", closed: "可打开", open: "已打开", not_allowed: "不可打开"};

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function token() { return sessionStorage.getItem("sidebar-token") || ""; }
  function key() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }

  function call(method, path, body) {
    var headers = {"Accept": "application/json", "Authorization": "Token " + token()};
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["Idempotency-Key"] = key();
    }
    return fetch(API + path, {method: method, headers: headers, credentials: "omit",
                              body: body === undefined ? undefined : JSON.stringify(body)})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return {ok: response.ok, status: response.status, data: data};
        });
      });
  }

  function words(data) {
    if (data && data.message) return data.message;
    if (data && data.fields) return "输入有误:" + Object.keys(data.fields).join("、");
    return "操作失败,请稍后重试";
  }
  function notice(text, good) {
    var node = document.getElementById("notice");
    node.hidden = !text;
    node.textContent = text || "";
    node.className = good ? "ok" : "refused";
  }
  function refusal(action) { return el("p", "不可用:" + words(action), "refused"); }

  // --- search ------------------------------------------------------------------------------------------

  function search(q) {
    notice("");
    document.getElementById("context").hidden = true;
    call("GET", "orders/?q=" + encodeURIComponent(q)).then(function (answer) {
      var list = clear(document.getElementById("results"));
      if (!answer.ok) { notice(words(answer.data)); return; }
      if (!answer.data.results.length) { notice("没有找到订单"); return; }
      answer.data.results.forEach(function (order) {
        var item = el("li", order.order_no + " · " + order.buyer + " · " + (ORDER_STATUS[order.status] || order.status)
                      + " · ¥" + order.paid_amount);
        item.dataset.orderNo = order.order_no;
        item.addEventListener("click", function () { load(order.order_no); });
        list.appendChild(item);
      });
      if (answer.data.results.length === 1) load(answer.data.results[0].order_no);
    });
  }

  // --- the order's context -----------------------------------------------------------------------------

  function load(orderNo) {
    return call("GET", "orders/" + encodeURIComponent(orderNo) + "/context/").then(function (answer) {
      if (!answer.ok) { notice(words(answer.data)); return; }
      current = answer.data;
      render(current);
    });
  }

  function render(ctx) {
    document.getElementById("context").hidden = false;
    var order = ctx.order, panel = ctx.payout_panel, actions = ctx.actions;
    document.getElementById("order-title").textContent = "订单 " + order.order_no;
    var facts = clear(document.getElementById("order-facts"));
    [["买家", order.buyer], ["状态", ORDER_STATUS[order.status] || order.status], ["实付", "¥" + order.paid_amount],
     ["商品", order.items.map(function (i) { return i.name; }).join("、")]].forEach(function (pair) {
      facts.appendChild(el("dt", pair[0])); facts.appendChild(el("dd", pair[1]));
    });

    // PAY-F04: the duplicate warning — earlier payouts, one in progress, the platform's shipping refunds.
    var warning = document.getElementById("warning");
    var lines = [];
    if (panel.processing_warning) lines.push(panel.processing_warning.message);
    if (panel.previous_payouts.length) lines.push("该订单已有 " + panel.previous_payouts.length + " 笔打款记录,请核对后再打款");
    panel.platform_shipping_refunds.forEach(function (r) { lines.push("平台已向买家退运费 ¥" + r.amount); });
    clear(warning);
    lines.forEach(function (line) { warning.appendChild(el("div", line)); });
    warning.hidden = !lines.length;

    // PAY-F05: what is left.
    var rem = panel.remaining, head = clear(document.getElementById("headroom"));
    head.appendChild(el("div", "订单剩余打款次数 " + rem.order_count + " · 订单剩余可打款 ¥" + rem.order_amount));
    head.appendChild(el("div", "店铺今日剩余 ¥" + rem.shop_daily + " · 可用余额 ¥" + panel.available_balance
                             + (rem.my_daily !== null ? " · 我今日剩余 ¥" + rem.my_daily : "")));

    renderPay(actions);
    var payouts = clear(document.getElementById("payouts"));
    ctx.payouts.forEach(function (p) {
      payouts.appendChild(el("li", "#" + p.id + " " + (PAYOUT_TYPE[p.type] || p.type) + " ¥" + p.amount + " · "
                                   + (PAYOUT_STATUS[p.status] || p.status) + " · " + p.applicant));
    });
    var tickets = clear(document.getElementById("tickets"));
    ctx.tickets.forEach(function (t) {
      tickets.appendChild(el("li", "#" + t.id + " " + (TICKET_TYPE[t.type] || t.type) + " · "
                                   + (TICKET_STATUS[t.status] || t.status)));
    });
    if (!ctx.tickets.length) tickets.appendChild(el("li", "暂无售后单"));
    renderEntry(ctx.aftersales_entry, actions.open_aftersales_entry);
    renderIntercept(actions.intercept);
    var interceptions = clear(document.getElementById("interceptions"));
    ctx.interceptions.forEach(function (i) {
      interceptions.appendChild(el("li", i.tracking_no + " · " + (INTERCEPTION_STATUS[i.status] || i.status)));
    });
  }

  function field(form, label, input) {
    var row = el("label"); row.appendChild(el("span", label)); row.appendChild(input); form.appendChild(row);
    return input;
  }

  function renderPay(actions) {
    var box = clear(document.getElementById("pay-action"));
    var pay = actions.payout, scan = actions.payout_scan, request = actions.payout_request;
    if (!pay.allowed && !scan.allowed && !request.allowed) { box.appendChild(refusal(pay)); return; }
    if (!pay.allowed) box.appendChild(refusal(pay));
    var form = el("form", null, "pay-form");
    form.dataset.testid = "pay-form";
    // PAY-F06 (seed 001): the platform punishes 诱导非官方交易.
    var warn = el("p", "严禁索要及添加消费者支付宝/微信/QQ 等账号", "warning");
    warn.dataset.testid = "contact-warning";
    form.appendChild(warn);
    var type = el("select"); type.name = "type";
    Object.keys(PAYOUT_TYPE).forEach(function (k) { var o = el("option", PAYOUT_TYPE[k]); o.value = k; type.appendChild(o); });
    field(form, "类型", type);
    var amount = field(form, "金额", el("input")); amount.name = "amount"; amount.inputMode = "decimal"; amount.required = true;
    var reason = field(form, "原因", el("input")); reason.name = "reason"; reason.required = true;
    var message = field(form, "留言", el("input")); message.name = "buyer_message"; message.required = true;
    var channel = null;
    if (scan.allowed) {
      channel = el("select"); channel.name = "scan_channel";
      [["wechat", "微信支付"], ["alipay", "支付宝"]].forEach(function (c) { var o = el("option", c[1]); o.value = c[0]; channel.appendChild(o); });
      field(form, "扫码渠道", channel);
    }
    var buttons = el("div", null, "row");
    function body(extra) {
      var data = {order_no: current.order.order_no, type: type.value, amount: amount.value.trim(),
                  reason: reason.value.trim(), buyer_message: message.value.trim()};
      Object.keys(extra || {}).forEach(function (k) { data[k] = extra[k]; });
      return data;
    }
    function submit(path, extra, done) {
      if (!form.reportValidity()) return;
      call("POST", path, body(extra)).then(function (answer) {
        if (answer.ok) { load(current.order.order_no).then(function () { notice(done(answer.data), true); }); }
        else notice(words(answer.data));
      });
    }
    if (pay.allowed) {
      var payButton = el("button", "余额打款"); payButton.type = "button"; payButton.dataset.testid = "pay";
      payButton.addEventListener("click", function () {
        submit("payouts/", {}, function (p) { return "打款已发起:#" + p.id + " ¥" + p.amount + " " + (PAYOUT_STATUS[p.status] || p.status); });
      });
      buttons.appendChild(payButton);
    }
    if (scan.allowed) {
      var scanButton = el("button", "扫码打款"); scanButton.type = "button"; scanButton.dataset.testid = "pay-scan";
      scanButton.addEventListener("click", function () {
        submit("payouts/", {pay_method: "scan", scan_channel: channel.value}, function (p) {
          return "请在时限内扫码支付:#" + p.id + " ¥" + p.amount;
        });
      });
      buttons.appendChild(scanButton);
    }
    if (request.allowed) {
      var requestButton = el("button", "提交打款申请", pay.allowed ? "secondary" : ""); requestButton.type = "button";
      requestButton.dataset.testid = "send-request";
      requestButton.addEventListener("click", function () {
        submit("payout-requests/", {}, function (r) { return "已向管理员提交打款申请 #" + r.id; });
      });
      buttons.appendChild(requestButton);
    } else {
      box.appendChild(refusal(request));
    }
    form.appendChild(buttons);
    box.appendChild(form);
  }

  function renderEntry(entry, action) {
    var box = clear(document.getElementById("entry"));
    box.appendChild(el("div", "状态:" + (ENTRY_STATE[entry.state] || entry.state)
                              + (entry.closes_at ? " · 关闭时间 " + new Date(entry.closes_at).toLocaleString("zh-CN") : "")));
    if (!action.allowed) { if (entry.state !== "open") box.appendChild(refusal(action)); return; }
    var button = el("button", "打开售后入口"); button.type = "button"; button.dataset.testid = "open-entry";
    button.addEventListener("click", function () {
      call("POST", "orders/" + encodeURIComponent(current.order.order_no) + "/aftersales-entry/", {}).then(function (answer) {
        if (answer.ok) load(current.order.order_no).then(function () { notice("售后入口已打开", true); });
        else notice(words(answer.data));
      });
    });
    box.appendChild(button);
  }

  function renderIntercept(action) {
    var box = clear(document.getElementById("intercept"));
    if (!action.allowed) { box.appendChild(refusal(action)); return; }
    box.appendChild(el("div", "可拦截包裹:" + action.parcels.join("、")));
    var button = el("button", "拦截包裹"); button.type = "button"; button.dataset.testid = "intercept-parcels";
    button.addEventListener("click", function () {
      call("POST", "tickets/" + action.ticket + "/intercept/", {parcels: action.parcels, mode: "online"}).then(function (answer) {
        if (answer.ok) {
          load(current.order.order_no).then(function () { notice("已发起拦截 " + answer.data.length + " 个包裹", true); });
        }
        else notice(words(answer.data));
      });
    });
    box.appendChild(button);
  }

  document.getElementById("token-form").addEventListener("submit", function (event) {
    event.preventDefault();
    sessionStorage.setItem("sidebar-token", document.getElementById("token").value.trim());
    notice("令牌已保存", true);
  });
  document.getElementById("search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    search(document.getElementById("q").value.trim());
  });
  if (token()) document.getElementById("token").value = token();
})();
