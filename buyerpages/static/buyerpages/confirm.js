// PAY-B04: WeChat's confirm-receipt step. wx.config with the page's signature, then requestMerchantTransfer
// (mchId, appId, package = the transfer bill's package_info), as WeChat Pay's 商家转账 documents it.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("wx-data").textContent);
  var button = document.getElementById("confirm-button");
  if (!button) { return; }  // confirmed already: nothing to hand over
  var error = document.getElementById("confirm-error");

  function fail(which) {
    error.textContent = error.dataset[which];
    error.hidden = false;
    button.disabled = false;
  }

  function request() {
    button.disabled = true;
    error.hidden = true;
    var done = function (res) {
      if (res && res.err_msg === "requestMerchantTransfer:ok") {
        window.location.assign(data.done);
      } else {
        fail("failed");
      }
    };
    if (typeof wx.requestMerchantTransfer === "function") {
      wx.requestMerchantTransfer({ mchId: data.transfer.mchId, appId: data.transfer.appId,
                                   package: data.transfer.package,
                                   success: function (res) { done({ err_msg: "requestMerchantTransfer:ok", res: res }); },
                                   fail: function (res) { done(res); } });
    } else {
      window.WeixinJSBridge.invoke("requestMerchantTransfer", data.transfer, done);
    }
  }

  function start() {
    if (typeof window.wx === "undefined") { fail("failed"); return; }
    wx.config(data.config);
    wx.ready(function () {
      wx.checkJsApi({
        jsApiList: ["requestMerchantTransfer"],
        success: function (res) {
          if (res.checkResult && res.checkResult.requestMerchantTransfer) {
            button.disabled = false;
            button.addEventListener("click", request);
          } else {
            fail("old");
          }
        }
      });
    });
    wx.error(function () { fail("failed"); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
